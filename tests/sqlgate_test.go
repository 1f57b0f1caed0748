package tests

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// installedDB is a fresh database with every module installed and the test extensions
// (pgtap, plpgsql_check) in schema tap, which is on the database's search_path.
func installedDB(t *testing.T) *pgx.Conn {
	t.Helper()
	conn := pgtest.Connect(t, pgtest.NewDatabase(t))
	pgtest.Install(t, conn)
	addTestExtensions(t, conn)
	return conn
}

// addTestExtensions creates pgtap and plpgsql_check in schema tap, on the search_path.
func addTestExtensions(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	for _, sql := range []string{
		"CREATE SCHEMA tap",
		"CREATE EXTENSION pgtap SCHEMA tap",
		"CREATE EXTENSION plpgsql_check SCHEMA tap",
		"SELECT set_config('search_path', 'public, tap', false)",
		"DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = public, tap', current_database()); END $$",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v (run `make setup` to install pgtap and plpgsql_check)", sql, err)
		}
	}
}

// TestPgTAP runs every file under tests/sql/ as a subtest. Files are scripts in the pgTAP
// style (BEGIN; SELECT plan(n); ...; SELECT * FROM finish(); ROLLBACK;), named after the
// behaviour they check.
func TestPgTAP(t *testing.T) {
	if skipped := runPgTAP(t, installedDB(t)); len(skipped) > 0 {
		t.Fatalf("every module is installed, yet the files of %v were skipped", skipped)
	}
}

// runPgTAP runs every pgTAP file under tests/sql/ against conn's database, a subtest each. The
// files of a module that is not installed there (tests/sql/<module>/) are skipped: the upgrade
// test's databases lack the modules the previous release did not have, and the extension bundle
// never carries some (Module.NoBundle). It returns the modules whose files it skipped.
func runPgTAP(t *testing.T, conn *pgx.Conn) (skipped []string) {
	rows, err := conn.Query(context.Background(), "SELECT name FROM howdah_internal.modules")
	if err != nil {
		t.Fatal(err)
	}
	installed, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	modules := map[string]bool{}
	for _, m := range installer.Modules() {
		modules[m.Name] = true
	}
	var files []string
	err = filepath.WalkDir("sql", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".sql") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no pgTAP files under tests/sql")
	}
	sort.Strings(files)
	for _, f := range files {
		mod, _, _ := strings.Cut(strings.TrimPrefix(filepath.ToSlash(f), "sql/"), "/")
		if modules[mod] && !slices.Contains(installed, mod) {
			if !slices.Contains(skipped, mod) {
				skipped = append(skipped, mod)
			}
			continue
		}
		t.Run(strings.TrimSuffix(strings.TrimPrefix(f, "sql/"), ".sql"), func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res, err := runTAP(context.Background(), conn, string(body))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for _, p := range res.problems() {
				t.Errorf("%s: %s", f, p)
			}
			if testing.Verbose() {
				t.Logf("%s: %d assertions", f, res.ran)
			}
		})
	}
	if len(skipped) > 0 {
		t.Logf("pgTAP files skipped, module not installed here: %v", skipped)
	}
	return skipped
}

// tapResult is what one pgTAP script printed.
type tapResult struct {
	planned, ran int
	failed       []string
}

func (r tapResult) problems() []string {
	var out []string
	if r.planned < 0 {
		out = append(out, "no plan: call plan(n) or finish()")
	} else if r.planned != r.ran {
		out = append(out, fmt.Sprintf("planned %d assertions, ran %d", r.planned, r.ran))
	}
	if r.ran == 0 {
		out = append(out, "ran no assertion")
	}
	return append(out, r.failed...)
}

var (
	tapPlanRE = regexp.MustCompile(`^1\.\.(\d+)`)
	tapTestRE = regexp.MustCompile(`^(not )?ok \d+`)
)

// runTAP executes a script through the simple protocol and reads the TAP lines from every
// result set. A script error ends it; the open transaction is rolled back.
func runTAP(ctx context.Context, conn *pgx.Conn, script string) (tapResult, error) {
	results, err := conn.PgConn().Exec(ctx, script).ReadAll()
	if err != nil {
		_, _ = conn.Exec(ctx, "ROLLBACK")
		return tapResult{}, err
	}
	var lines []string
	for _, r := range results {
		for _, row := range r.Rows {
			for _, col := range row {
				lines = append(lines, strings.Split(string(col), "\n")...)
			}
		}
	}
	return parseTAP(lines), nil
}

func parseTAP(lines []string) tapResult {
	res := tapResult{planned: -1}
	lastFail := -1
	for _, l := range lines {
		if m := tapPlanRE.FindStringSubmatch(l); m != nil {
			res.planned, _ = strconv.Atoi(m[1])
			continue
		}
		if m := tapTestRE.FindStringSubmatch(l); m != nil {
			res.ran++
			lastFail = -1
			if m[1] != "" && !strings.Contains(l, "# TODO") {
				res.failed = append(res.failed, l)
				lastFail = len(res.failed) - 1
			}
			continue
		}
		// Diagnostics after a failure explain it.
		if lastFail >= 0 && strings.HasPrefix(l, "#") {
			res.failed[lastFail] += "\n    " + l
		}
	}
	return res
}

func TestParseTAPFlagsFailures(t *testing.T) {
	res := parseTAP([]string{"1..3", "ok 1 - a", "not ok 2 - b", "#   Failed test 2: \"b\"", "#         have: 1", "ok 3 - c # TODO later"})
	if p := res.problems(); len(p) != 1 || !strings.Contains(p[0], "not ok 2 - b") || !strings.Contains(p[0], "have: 1") {
		t.Fatalf("problems = %q, want the failure of test 2 with its diagnostics", p)
	}
	if p := parseTAP([]string{"1..2", "ok 1"}).problems(); len(p) != 1 || !strings.Contains(p[0], "planned 2") {
		t.Fatalf("problems = %q, want a plan mismatch", p)
	}
	if p := parseTAP([]string{"ok 1"}).problems(); len(p) != 1 || !strings.Contains(p[0], "no plan") {
		t.Fatalf("problems = %q, want a missing plan", p)
	}
}

// The runner must see a failing assertion in a real pgTAP run.
func TestPgTAPRunnerSeesFailures(t *testing.T) {
	t.Parallel()
	conn := installedDB(t)
	res, err := runTAP(context.Background(), conn, `BEGIN; SELECT plan(2); SELECT ok(true, 'fine'); SELECT is(1, 2, 'one is two'); SELECT * FROM finish(); ROLLBACK;`)
	if err != nil {
		t.Fatal(err)
	}
	if p := res.problems(); len(p) != 1 || !strings.Contains(p[0], "one is two") {
		t.Fatalf("problems = %q, want the failed 'one is two'", p)
	}
}

// plpgsqlProblems runs plpgsql_check over every PL/pgSQL function in howdah's schemas and
// returns the errors and warnings it reports.
func plpgsqlProblems(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
		SELECT p.oid::regprocedure::text, r.level, r.message, coalesce(r.lineno, 0), coalesce(r.statement, ''),
		       coalesce(r.hint, '')
		  FROM pg_catalog.pg_proc p
		  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
		  JOIN pg_catalog.pg_language l ON l.oid = p.prolang
		 CROSS JOIN LATERAL tap.plpgsql_check_function_tb(p.oid,
		       coalesce((SELECT g.tgrelid FROM pg_catalog.pg_trigger g WHERE g.tgfoid = p.oid LIMIT 1), 0),
		       fatal_errors => false, other_warnings => true, extra_warnings => true, security_warnings => true) r
		 WHERE l.lanname = 'plpgsql'
		   AND (n.nspname LIKE 'howdah%' OR n.nspname IN (SELECT m.schema_name FROM howdah_internal.modules m))
		   AND r.level IN ('error', 'warning', 'security')
		 ORDER BY 1, 4`)
	if err != nil {
		t.Fatalf("plpgsql_check: %v", err)
	}
	var out []string
	for rows.Next() {
		var fn, level, msg, stmt, hint string
		var line int
		if err := rows.Scan(&fn, &level, &msg, &line, &stmt, &hint); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s line %d (%s): %s: %s %s", fn, line, stmt, level, msg, hint))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPlpgsqlCheck(t *testing.T) {
	t.Parallel()
	conn := installedDB(t)
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
		WHERE l.lanname = 'plpgsql' AND p.pronamespace::regnamespace::text LIKE 'howdah%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no howdah PL/pgSQL function found to check")
	}
	for _, p := range plpgsqlProblems(t, conn) {
		t.Error(p)
	}
}

// The gate must catch a broken function.
func TestPlpgsqlCheckCatchesErrors(t *testing.T) {
	t.Parallel()
	conn := installedDB(t)
	_, err := conn.Exec(context.Background(), `CREATE FUNCTION howdah_internal.broken() RETURNS int LANGUAGE plpgsql AS $$
		BEGIN RETURN (SELECT count(*) FROM howdah_internal.no_such_table); END $$`)
	if err != nil {
		t.Fatal(err)
	}
	problems := plpgsqlProblems(t, conn)
	if len(problems) != 1 || !strings.Contains(problems[0], "howdah_internal.broken()") || !strings.Contains(problems[0], "no_such_table") {
		t.Fatalf("problems = %q, want the broken function reported", problems)
	}
}
