package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/internal/pgtest"
	"github.com/howdah/howdah/internal/playgroundsample"
)

func TestPlaygroundHelpIsComplete(t *testing.T) {
	checkSubcommandHelp(t, []string{"playground"}, playgroundCommand())
}

// playgroundState is a digest of every table of the instance in schema, table by table, so a
// change anywhere shows (catalog_cache included: a rebuild to the same catalog writes nothing).
func playgroundState(t *testing.T, conn *pgx.Conn, schema string) map[string]string {
	t.Helper()
	rows, err := conn.Query(context.Background(),
		`SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = $1 ORDER BY 1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) == 0 {
		t.Fatalf("tables of %s: %v %v", schema, tables, err)
	}
	state := map[string]string{}
	for _, tab := range tables {
		var digest string
		q := `SELECT count(*) || ':' || coalesce(md5(string_agg(r, E'\n' ORDER BY r)), '') FROM ` +
			pgx.Identifier{schema, tab}.Sanitize() + ` x, LATERAL (SELECT to_jsonb(x)::text) AS l(r)`
		if err := conn.QueryRow(context.Background(), q).Scan(&digest); err != nil {
			t.Fatal(err)
		}
		state[tab] = digest
	}
	return state
}

func sameState(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	for tab, d := range want {
		if got[tab] != d {
			t.Errorf("%s changed table %s: %s → %s", what, tab, d, got[tab])
		}
	}
}

// TestPlaygroundImport: `howdah playground import FILE.json` loads the sample catalog, and a
// second import of the same file changes nothing; bad files and flags give an error that says
// what is wrong and leave every table as it was.
func TestPlaygroundImport(t *testing.T) {
	url := pgtest.NewDatabase(t)
	if _, errOut, code := run(t, "--db", url, "install", "playground"); code != 0 {
		t.Fatalf("install playground: %s", errOut)
	}
	conn := pgtest.Connect(t, url)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sample := write("catalog.json", string(playgroundsample.Catalog))

	out, errOut, code := run(t, "--db", url, "playground", "import", sample)
	if code != 0 || !strings.Contains(out, "imported into schema playground") {
		t.Fatalf("first import: code %d, out %q, err %q", code, out, errOut)
	}
	var examples, files, outputs int
	if err := conn.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM playground.examples),
		(SELECT count(*) FROM playground.files), (SELECT count(*) FROM playground.precompiled)`).Scan(&examples, &files, &outputs); err != nil {
		t.Fatal(err)
	}
	if examples != 5 || files == 0 || outputs == 0 {
		t.Fatalf("after import: %d examples, %d files, %d outputs; want the sample's 5 examples with files and outputs", examples, files, outputs)
	}
	first := playgroundState(t, conn, "playground")

	out, errOut, code = run(t, "--db", url, "playground", "import", sample)
	if code != 0 || !strings.Contains(out, `"removed": 0`) {
		t.Fatalf("second import: code %d, out %q, err %q", code, out, errOut)
	}
	sameState(t, "a second import of the same file", first, playgroundState(t, conn, "playground"))

	// A sample whose last example names an unknown SDK: the examples before it must not stay.
	badSDK := string(playgroundsample.Catalog)
	i := strings.LastIndex(badSDK, `"sdk": "SDK_`)
	badSDK = badSDK[:i] + `"sdk": "SDK_COBOL", "was": "` + badSDK[i+len(`"sdk": "`):]
	cases := []struct {
		name, content string
		args          []string
		want          string
	}{
		{"not json", "{\"sdks\": [", nil, "import into playground"},
		{"not an object", `[1, 2]`, nil, "must be a JSON object"},
		{"examples not an array", `{"sdks": [], "examples": {}}`, nil, "examples must be an array"},
		{"unknown sdk in the last example", badSDK, nil, "is not a known SDK"},
		{"bad schema", string(playgroundsample.Catalog), []string{"--schema", "Play-Ground"}, `schema "Play-Ground"`},
		{"missing instance", string(playgroundsample.Catalog), []string{"--schema", "nowhere"}, "import into nowhere"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--db", url, "playground", "import"}, tc.args...)
			args = append(args, write(strings.ReplaceAll(tc.name, " ", "_")+".json", tc.content))
			out, errOut, code := run(t, args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("code %d, out %q, err %q; want a failure saying %q", code, out, errOut, tc.want)
			}
			sameState(t, "a refused import", first, playgroundState(t, conn, "playground"))
		})
	}
	if _, errOut, code := run(t, "--db", url, "playground", "import", filepath.Join(dir, "absent.json")); code == 0 ||
		!strings.Contains(errOut, "absent.json") {
		t.Fatalf("a missing file: code %d, err %q", code, errOut)
	}
	if _, errOut, code := run(t, "--db", url, "playground", "import"); code == 0 || !strings.Contains(errOut, "give one catalog file") {
		t.Fatalf("no file: code %d, err %q", code, errOut)
	}
}
