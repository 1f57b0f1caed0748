package extension_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/howdah/howdah/extension"
	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The committed bundle must be what sql/ generates now.
func TestCommittedBundleIsFresh(t *testing.T) {
	stale, err := extension.New(".").Stale()
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) > 0 {
		t.Fatalf("extension/%s out of date with sql/: run `make extension` and commit the result", strings.Join(stale, ", "))
	}
}

func TestStaleBundleIsCaught(t *testing.T) {
	dir := t.TempDir()
	if err := extension.New(dir).Write(); err != nil {
		t.Fatal(err)
	}
	if stale, err := extension.New(dir).Stale(); err != nil || len(stale) != 0 {
		t.Fatalf("freshly written bundle reported stale: %v %v", stale, err)
	}
	script := filepath.Join(dir, extension.ScriptFile)
	body, _ := os.ReadFile(script)
	if err := os.WriteFile(script, append(body, "\n-- hand edit\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if stale, _ := extension.New(dir).Stale(); !slices.Equal(stale, []string{extension.ScriptFile}) {
		t.Fatalf("stale = %v, want the edited script", stale)
	}
}

// bundled targets the modules the bundle carries (not the advisor: see Module.NoBundle).
func bundled() []installer.Target {
	var targets []installer.Target
	for _, m := range extension.Modules(installer.Modules()) {
		targets = append(targets, installer.Target{Module: m.Name})
	}
	return targets
}

// installedCatalog installs the bundled modules with `howdah install` into a fresh database and
// returns its catalog.
func installedCatalog(t *testing.T) []string {
	t.Helper()
	conn := pgtest.Connect(t, pgtest.NewDatabase(t))
	in, err := installer.New(conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Install(context.Background(), bundled()); err != nil {
		t.Fatal(err)
	}
	return pgtest.Catalog(t, conn)
}

// The bundle leaves out modules marked NoBundle, and only those.
func TestBundleLeavesOutNoBundleModules(t *testing.T) {
	var names []string
	for _, m := range extension.Modules(installer.Modules()) {
		names = append(names, m.Name)
	}
	if slices.Contains(names, "advisor") || !slices.Contains(names, "queue") {
		t.Fatalf("bundled modules = %v, want queue in and advisor out", names)
	}
}

func compareCatalogs(t *testing.T, how string, want, got []string) {
	t.Helper()
	if onlyWant, onlyGot := pgtest.Diff(want, got); len(onlyWant)+len(onlyGot) > 0 {
		t.Fatalf("catalog after %s is not as expected:\n missing: %q\n extra: %q", how, onlyWant, onlyGot)
	}
}

// Running the script (as psql -1 -f would) yields the same catalog as howdah install, and the
// installer then sees the modules as installed and intact.
func TestBundleScriptMatchesInstall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	want := installedCatalog(t)

	conn := pgtest.Connect(t, pgtest.NewDatabase(t))
	files, err := extension.New(".").Files()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, string(files[extension.ScriptFile])); err != nil {
		t.Fatalf("run bundle script: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	compareCatalogs(t, "the bundle script", want, pgtest.Catalog(t, conn))

	in, err := installer.New(conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := in.Install(ctx, bundled()); err != nil || len(rep.Applied) != 0 {
		t.Fatalf("install over the bundle: applied %v, err %v; want nothing to do", rep, err)
	}
	if problems, err := in.Verify(ctx); err != nil || len(problems) != 0 {
		t.Fatalf("verify after the bundle: %v %v", problems, err)
	}
}

// CREATE EXTENSION with the bundle copied into the server's extension directory. Needs write
// access to that directory (CI runs as root); skipped otherwise. An installer refuses to change
// the result: the extension's scripts own it.
func TestCreateExtension(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	files, err := extension.New(".").Files()
	if err != nil {
		t.Fatal(err)
	}
	pgtest.ExtensionFiles(t, files)
	want := installedCatalog(t)
	conn := pgtest.Connect(t, pgtest.NewDatabase(t))
	empty := pgtest.Catalog(t, conn)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION howdah"); err != nil {
		t.Fatalf("CREATE EXTENSION howdah: %v", err)
	}
	compareCatalogs(t, "CREATE EXTENSION", want, pgtest.Catalog(t, conn))
	in, err := installer.New(conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := in.Install(ctx, bundled()); err != nil || len(rep.Applied) != 0 {
		t.Fatalf("install over the extension: %+v %v; want nothing to do", rep, err)
	}
	var merr *installer.ExtensionManagedError
	if _, err := in.Uninstall(ctx, []installer.Target{{Module: "queue"}}, false); !errors.As(err, &merr) || !strings.Contains(err.Error(), "DROP EXTENSION howdah") {
		t.Fatalf("uninstall of an extension install: err = %v, want ExtensionManagedError saying DROP EXTENSION", err)
	}
	if _, err := conn.Exec(ctx, "DROP EXTENSION howdah"); err != nil {
		t.Fatalf("DROP EXTENSION howdah: %v", err)
	}
	compareCatalogs(t, "DROP EXTENSION", empty, pgtest.Catalog(t, conn))
}
