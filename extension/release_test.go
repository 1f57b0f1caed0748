package extension_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/howdah/howdah/extension"
	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgtest"
)

// The committed released files and the migrations they applied are unchanged.
func TestReleasesAreIntact(t *testing.T) {
	problems, err := extension.New(".").CheckReleased()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// gadgets is a module for release tests: version 1 has one migration and a function.
func gadgets() (*installer.Module, fstest.MapFS) {
	files := fstest.MapFS{
		"gadgets/migrations/001_gadgets.sql": {Data: []byte("CREATE SCHEMA gadgets;\nCREATE TABLE gadgets.gadget (id int PRIMARY KEY, name text);\n" +
			"---- create above / drop below ----\nDROP TABLE gadgets.gadget;\nDROP SCHEMA gadgets;\n")},
		"gadgets/code/001_count.sql": {Data: []byte("CREATE FUNCTION gadgets.count() RETURNS bigint LANGUAGE sql STABLE RETURN (SELECT count(*) FROM gadgets.gadget);\n")},
	}
	core := installer.Modules()[0]
	return &installer.Module{Name: "gadgets", Schema: "gadgets", Requires: []string{core.Name}, FS: files}, files
}

func releaseBundle(t *testing.T, dir, release string, mod *installer.Module) *extension.Bundle {
	t.Helper()
	return &extension.Bundle{Dir: dir, Release: release, Modules: []*installer.Module{installer.Modules()[0], mod}}
}

func TestUpdateScriptFromAFrozenRelease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	mod, files := gadgets()
	v1 := releaseBundle(t, dir, "1.0.0", mod)
	if err := v1.Write(); err != nil {
		t.Fatal(err)
	}
	if added, err := v1.Freeze(); err != nil || len(added) != 1 || added[0] != "howdah--1.0.0.sql" {
		t.Fatalf("freeze 1.0.0: %v %v", added, err)
	}

	// Version 1.1.0 adds a column and changes the function.
	files["gadgets/migrations/002_colour.sql"] = &fstest.MapFile{Data: []byte("ALTER TABLE gadgets.gadget ADD COLUMN colour text NOT NULL DEFAULT 'grey';\n" +
		"---- create above / drop below ----\nALTER TABLE gadgets.gadget DROP COLUMN colour;\n")}
	files["gadgets/code/001_count.sql"].Data = []byte("CREATE FUNCTION gadgets.count(colour text DEFAULT NULL) RETURNS bigint LANGUAGE sql STABLE\n" +
		"RETURN (SELECT count(*) FROM gadgets.gadget g WHERE count.colour IS NULL OR g.colour = count.colour);\n")
	v2 := releaseBundle(t, dir, "1.1.0", mod)
	if _, err := v2.Files(); err != nil {
		t.Fatal(err)
	}
	// The frozen 1.0.0 cannot be rendered differently any more.
	if _, err := v1.Files(); err == nil || !strings.Contains(err.Error(), "released and frozen") {
		t.Fatalf("rendering a changed frozen release: err = %v", err)
	}
	if err := v2.Write(); err != nil {
		t.Fatal(err)
	}
	update, err := os.ReadFile(filepath.Join(dir, "howdah--1.0.0--1.1.0.sql"))
	if err != nil {
		t.Fatal(err)
	}

	conn := pgtest.Connect(t, pgtest.NewDatabase(t))
	frozen, _ := os.ReadFile(filepath.Join(dir, "howdah--1.0.0.sql"))
	for _, script := range []string{string(frozen), "INSERT INTO gadgets.gadget (id, name) VALUES (1, 'lamp'), (2, 'fan')", string(update)} {
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, script); err != nil {
			t.Fatalf("%.60s…: %v", script, err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var n int64
	if err := conn.QueryRow(ctx, "SELECT gadgets.count('grey')").Scan(&n); err != nil || n != 2 {
		t.Fatalf("after the update: count('grey') = %d, %v; want both rows kept", n, err)
	}
	in, err := installer.New(conn, &installer.Config{Modules: []*installer.Module{installer.Modules()[0], mod}})
	if err != nil {
		t.Fatal(err)
	}
	if problems, err := in.Verify(ctx); err != nil || len(problems) > 0 {
		t.Fatalf("verify after the update script: %v %v", problems, err)
	}
	if rep, err := in.Install(ctx, nil); err != nil || len(rep.Applied) > 0 {
		t.Fatalf("install after the update script: %+v %v; want nothing to do", rep, err)
	}
}

func TestCheckReleasedCatchesChanges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mod, files := gadgets()
	b := releaseBundle(t, dir, "1.0.0", mod)
	if err := b.Write(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Freeze(); err != nil {
		t.Fatal(err)
	}
	if problems, err := b.CheckReleased(); err != nil || len(problems) > 0 {
		t.Fatalf("fresh release: %v %v", problems, err)
	}
	// A released migration edited in place.
	files["gadgets/migrations/001_gadgets.sql"].Data = append([]byte("-- edited\n"), files["gadgets/migrations/001_gadgets.sql"].Data...)
	// And the frozen script edited by hand.
	script := filepath.Join(dir, "howdah--1.0.0.sql")
	body, _ := os.ReadFile(script)
	if err := os.WriteFile(script, append(body, "-- hand edit\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	problems, err := b.CheckReleased()
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(problems, "\n")
	for _, want := range []string{
		"howdah--1.0.0.sql is released and frozen, but changed",
		"gadgets step 1 (001_gadgets.sql) was released in howdah--1.0.0.sql and must not change",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("CheckReleased did not say %q; it said:\n%s", want, all)
		}
	}
}
