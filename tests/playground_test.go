package tests

import (
	"context"
	"encoding/json"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgtest"
	howdahsql "github.com/howdah/howdah/sql"
)

// playgroundV1 is the playground module as its schema version 1 shipped: migration 001 only
// (snippet files inline as jsonb), no code.
func playgroundV1(t *testing.T) []*installer.Module {
	t.Helper()
	const name = "playground/migrations/001_catalog_snippets_runs.sql"
	body, err := fs.ReadFile(howdahsql.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	var mods []*installer.Module
	for _, m := range installer.Modules() {
		if m.Name == "playground" {
			v1 := *m
			v1.FS = fstest.MapFS{name: {Data: body}}
			v1.DataMigrations = nil
			m = &v1
		}
		mods = append(mods, m)
	}
	return mods
}

// TestPlaygroundUpgradeV1 installs schema version 1 of the playground beside a current
// instance (two namespaces in one database), fills it with snippets whose files are inline,
// upgrades, and checks that every snippet kept its id and content, that the files moved to the
// files table with number_of_files and one main file recomputed, and that saving the same
// content again finds the same snippet. The other instance is untouched.
func TestPlaygroundUpgradeV1(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := pgtest.Connect(t, pgtest.NewDatabase(t))
	cur, err := installer.New(conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Ids and normalised files of the v1 snippets, as put_snippet computes them, from a current
	// instance (removed again: the v1 installer refuses a database with a newer instance).
	if _, err := cur.Install(ctx, []installer.Target{{Module: "playground", Schema: "other"}}); err != nil {
		t.Fatal(err)
	}
	v1 := []struct{ sdk, files, id, norm string }{
		{sdk: "SDK_GO", files: `[{"name": "main.go", "content": "package main", "is_main": true, "context_line": 0}]`},
		{sdk: "SDK_GO", files: `[{"name": "a.go", "content": "package a", "is_main": false, "context_line": 0}, {"name": "b.go", "content": "package b", "is_main": true, "context_line": 4}]`},
		{sdk: "SDK_PYTHON", files: `[{"name": "x.py", "content": "print(1)", "is_main": false, "context_line": 2}, {"name": "y.py", "content": "", "is_main": false, "context_line": 0}]`},
	}
	for i, s := range v1 {
		if err := conn.QueryRow(ctx, `SELECT other._snippet_id($1, '', other._normalise_files($2::jsonb), '[]'), other._normalise_files($2::jsonb)::text`,
			s.sdk, s.files).Scan(&v1[i].id, &v1[i].norm); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cur.Uninstall(ctx, []installer.Target{{Module: "playground", Schema: "other"}}, true); err != nil {
		t.Fatal(err)
	}
	old, err := installer.New(conn, &installer.Config{Modules: playgroundV1(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Install(ctx, []installer.Target{{Module: "playground", Schema: "ns1"}}); err != nil {
		t.Fatal(err)
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO ns1.sdks VALUES ('SDK_GO', NULL), ('SDK_PYTHON', NULL)`)
	want := map[string]string{} // id → files as v2 should show them
	for i, s := range v1 {
		exec(`INSERT INTO ns1.snippets (id, sdk, files, origin, visit_count, owner_id) VALUES ($1, $2, $3::jsonb, 'user', $4, 'ada')`, s.id, s.sdk, s.files, i)
		want[s.id] = s.norm
	}

	if _, err := cur.Upgrade(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := cur.Install(ctx, []installer.Target{{Module: "playground", Schema: "other"}}); err != nil {
		t.Fatal(err)
	}
	var version, latest int
	if err := conn.QueryRow(ctx, `SELECT max(version) FILTER (WHERE schema_name = 'ns1'), max(version) FILTER (WHERE schema_name = 'other')
	                                 FROM howdah_internal.modules WHERE name = 'playground'`).Scan(&version, &latest); err != nil || version != latest || version < 4 {
		t.Fatalf("ns1 at version %d (%v), want the latest, %d, which has the files table", version, err, latest)
	}
	for id, files := range want {
		var got string
		var n, visits int
		err := conn.QueryRow(ctx, `SELECT (SELECT jsonb_agg(jsonb_build_object('name', f.name, 'content', f.content, 'is_main', f.is_main, 'context_line', f.context_line) ORDER BY f.ordinal) FROM ns1.files f WHERE f.snippet = s.id)::text,
			s.number_of_files, s.visit_count FROM ns1.snippets s WHERE s.id = $1`, id).Scan(&got, &n, &visits)
		if err != nil {
			t.Fatalf("snippet %s after the upgrade: %v", id, err)
		}
		if !jsonEqual(t, got, files) {
			t.Errorf("snippet %s: files %s, want %s", id, got, files)
		}
		var arr []any
		_ = json.Unmarshal([]byte(files), &arr)
		if n != len(arr) {
			t.Errorf("snippet %s: number_of_files %d, want %d", id, n, len(arr))
		}
		var again string
		if err := conn.QueryRow(ctx, `SELECT ns1.put_snippet(sdk, $2::jsonb) FROM ns1.snippets WHERE id = $1`, id, files).Scan(&again); err != nil || again != id {
			t.Errorf("saving snippet %s's content again gave %q (%v), want the same id", id, again, err)
		}
	}
	var total, others int
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM ns1.snippets), (SELECT count(*) FROM other.snippets)`).Scan(&total, &others); err != nil {
		t.Fatal(err)
	}
	if total != len(v1) || others != 0 {
		t.Fatalf("ns1 has %d snippets (want %d), other has %d (want 0): instances are namespaces", total, len(v1), others)
	}
	var ch1, ch2 string
	if err := conn.QueryRow(ctx, `SELECT ns1.cancel_channel(), other.cancel_channel()`).Scan(&ch1, &ch2); err != nil || ch1 != "ns1_cancel" || ch2 != "other_cancel" {
		t.Fatalf("cancel channels %q and %q (%v), want one per instance", ch1, ch2, err)
	}
	if problems, err := cur.Verify(ctx); err != nil || len(problems) > 0 {
		t.Fatalf("verify after the upgrade: %v %v", problems, err)
	}
}

func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}
