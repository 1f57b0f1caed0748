package installer_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testModule is an extra module for the tests, "widgets": a migration with a table and a type,
// and code with a function, stored in a MapFS the tests can edit.
func testModule(files fstest.MapFS) *installer.Module {
	if files == nil {
		files = fstest.MapFS{
			"widgets/migrations/001_widgets.sql": {Data: []byte(`CREATE SCHEMA widgets;
CREATE TYPE widgets.colour AS ENUM ('red', 'green');
CREATE TABLE widgets.widget (id int PRIMARY KEY, colour widgets.colour NOT NULL);
---- create above / drop below ----
DROP TABLE widgets.widget;
DROP TYPE widgets.colour;
DROP SCHEMA widgets;
`)},
			"widgets/code/001_count.sql": {Data: []byte(`CREATE FUNCTION widgets.count() RETURNS bigint LANGUAGE sql STABLE RETURN (SELECT count(*) FROM widgets.widget);
`)},
		}
	}
	return &installer.Module{Name: "widgets", Schema: "widgets", Requires: []string{"core"}, FS: files}
}

type bundle struct {
	ctx  context.Context
	url  string
	conn *pgx.Conn
}

func setup(t *testing.T) *bundle {
	t.Helper()
	url := pgtest.NewDatabase(t)
	return &bundle{ctx: context.Background(), url: url, conn: pgtest.Connect(t, url)}
}

func (b *bundle) installer(t *testing.T, conn *pgx.Conn, extra ...*installer.Module) *installer.Installer {
	t.Helper()
	if conn == nil {
		conn = b.conn
	}
	in, err := installer.New(conn, &installer.Config{Modules: append(installer.Modules(), extra...)})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func (b *bundle) scalar(t *testing.T, sql string, args ...any) any {
	t.Helper()
	var v any
	if err := b.conn.QueryRow(b.ctx, sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// stepCount is how many migration steps installing every module of in (from scratch) applies.
func stepCount(t *testing.T, in *installer.Installer) int {
	t.Helper()
	n := 0
	for _, name := range in.Registry().Names() {
		m, _ := in.Registry().Module(name)
		steps, err := m.Steps(m.Schema)
		if err != nil {
			t.Fatal(err)
		}
		n += len(steps)
	}
	return n
}

// installCount is how many entries installing every module of in from scratch reports: every
// migration step, and the code of every module.
func installCount(t *testing.T, in *installer.Installer) int {
	t.Helper()
	return stepCount(t, in) + len(in.Registry().Names())
}

// everything targets every installed instance.
func (b *bundle) everything(t *testing.T, in *installer.Installer) []installer.Target {
	t.Helper()
	insts, err := in.Installed(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var targets []installer.Target
	for _, i := range insts {
		targets = append(targets, installer.Target{Module: i.Module, Schema: i.Schema})
	}
	return targets
}

func TestInstallTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	in := b.installer(t, nil, testModule(nil))

	rep, err := in.Install(b.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := installCount(t, in); len(rep.Applied) != want {
		t.Fatalf("first install applied %d steps, want %d: %+v", len(rep.Applied), want, rep.Applied)
	}
	before := pgtest.Catalog(t, b.conn)
	history := b.scalar(t, "SELECT count(*) FROM howdah_internal.history")

	rep, err = in.Install(b.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Applied) != 0 {
		t.Fatalf("second install applied %+v, want nothing", rep.Applied)
	}
	if onlyBefore, onlyAfter := pgtest.Diff(before, pgtest.Catalog(t, b.conn)); len(onlyBefore)+len(onlyAfter) > 0 {
		t.Fatalf("second install changed the catalog: removed %q, added %q", onlyBefore, onlyAfter)
	}
	if got := b.scalar(t, "SELECT count(*) FROM howdah_internal.history"); got != history {
		t.Fatalf("history grew from %v to %v rows on a no-op install", history, got)
	}
	var version string
	if err := b.conn.QueryRow(b.ctx, "SELECT howdah.version()::text").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(version, `"module": "core"`) || !strings.Contains(version, `"module": "widgets"`) {
		t.Fatalf("howdah.version() = %s, want core and widgets", version)
	}
}

func TestInstallRecordsHistory(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := b.installer(t, nil).Install(b.ctx, nil); err != nil {
		t.Fatal(err)
	}
	var module, schema, desc, sum, by, direction string
	var version int32
	err := b.conn.QueryRow(b.ctx, `SELECT module, schema_name, version, direction, description, checksum, applied_by
		FROM howdah_internal.history ORDER BY id LIMIT 1`).Scan(&module, &schema, &version, &direction, &desc, &sum, &by)
	if err != nil {
		t.Fatal(err)
	}
	core, _ := installer.Modules()[0].Steps("howdah")
	if module != "core" || schema != "howdah" || version != 1 || direction != "up" || desc != "001_core.sql" ||
		sum != core[0].Checksum || by != "postgres" {
		t.Fatalf("history row = %s %s %d %s %s %s %s", module, schema, version, direction, desc, sum, by)
	}
}

func TestConcurrentInstallsSerialise(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Hold the installer lock so both installers start waiting, then let them race for it.
	holder := pgtest.Connect(t, b.url)
	if _, err := holder.Exec(b.ctx, "SELECT pg_advisory_lock($1)", int64(0x686f77646168)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	reports := make([]*installer.Report, 2)
	errs := make([]error, 2)
	for i := range 2 {
		conn := pgtest.Connect(t, b.url)
		in := b.installer(t, conn, testModule(nil))
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i], errs[i] = in.Install(b.ctx, nil)
		}()
	}
	// Both are blocked on the lock once two sessions wait for it.
	waitFor(t, b, `SELECT count(*) = 2 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)
	if _, err := holder.Exec(b.ctx, "SELECT pg_advisory_unlock($1)", int64(0x686f77646168)); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("installer %d: %v", i, err)
		}
	}
	n0, n1 := len(reports[0].Applied), len(reports[1].Applied)
	want := installCount(t, b.installer(t, nil, testModule(nil)))
	if !(n0 == want && n1 == 0 || n0 == 0 && n1 == want) {
		t.Fatalf("installers applied %d and %d steps, want %d and 0", n0, n1, want)
	}
	if got := b.scalar(t, "SELECT count(*) FROM howdah_internal.history"); got != int64(want) {
		t.Fatalf("history has %v rows, want %d", got, want)
	}
}

func waitFor(t *testing.T, b *bundle, cond string) {
	t.Helper()
	for range 500 {
		var ok bool
		if err := b.conn.QueryRow(b.ctx, cond).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if _, err := b.conn.Exec(b.ctx, "SELECT pg_sleep(0.01)"); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("condition never held: %s", cond)
}

func TestFailingMigrationLeavesPreviousVersion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	files := fstest.MapFS{
		"widgets/migrations/001_widgets.sql": {Data: []byte("CREATE SCHEMA widgets;\nCREATE TABLE widgets.a (id int);\n---- create above / drop below ----\nDROP TABLE widgets.a;\nDROP SCHEMA widgets;\n")},
	}
	mod := testModule(files)
	if _, err := b.installer(t, nil, mod).Install(b.ctx, nil); err != nil {
		t.Fatal(err)
	}
	before := pgtest.Catalog(t, b.conn)
	files["widgets/migrations/002_broken.sql"] = &fstest.MapFile{Data: []byte("-- a step that fails half-way\nCREATE TABLE widgets.b (id int);\nINSERT INTO widgets.a VALUES (1);\nSELECT 1 +;\n---- create above / drop below ----\nDROP TABLE widgets.b;\n")}

	_, err := b.installer(t, nil, mod).Install(b.ctx, []installer.Target{{Module: "widgets"}})
	var merr *installer.MigrationError
	if !errors.As(err, &merr) {
		t.Fatalf("err = %v, want a MigrationError", err)
	}
	if merr.Module != "widgets" || merr.Step != "002_broken.sql" || merr.Line != 4 {
		t.Fatalf("error names %q %q line %d, want widgets 002_broken.sql line 4", merr.Module, merr.Step, merr.Line)
	}
	if !strings.Contains(err.Error(), "002_broken.sql line 4") || !strings.Contains(err.Error(), "syntax error") {
		t.Fatalf("message %q does not say file, line and cause", err)
	}
	if onlyBefore, onlyAfter := pgtest.Diff(before, pgtest.Catalog(t, b.conn)); len(onlyBefore)+len(onlyAfter) > 0 {
		t.Fatalf("failed step changed the catalog: removed %q, added %q", onlyBefore, onlyAfter)
	}
	if got := b.scalar(t, "SELECT count(*) FROM widgets.a"); got != int64(0) {
		t.Fatalf("failed step left %v rows in widgets.a", got)
	}
	if got := b.scalar(t, "SELECT version FROM howdah_internal.modules WHERE name = 'widgets'"); got != int32(1) {
		t.Fatalf("widgets version = %v after the failed step, want 1", got)
	}
	if got := b.scalar(t, "SELECT version FROM howdah_internal.version_widgets"); got != int32(1) {
		t.Fatalf("tern version table = %v, want 1", got)
	}
}

func TestUninstallLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	b := setup(t)
	before := pgtest.Catalog(t, b.conn)
	in := b.installer(t, nil, testModule(nil))
	if _, err := in.Install(b.ctx, nil); err != nil {
		t.Fatal(err)
	}
	if len(pgtest.Catalog(t, b.conn)) <= len(before) {
		t.Fatal("install added nothing to the catalog")
	}
	rep, err := in.Uninstall(b.ctx, b.everything(t, in), false)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rep.Applied); n != stepCount(t, in) || rep.Applied[0].Module != "widgets" || rep.Applied[n-1].Module != "core" {
		t.Fatalf("uninstall steps = %+v, want every step, widgets first, core last", rep.Applied)
	}
	if onlyBefore, onlyAfter := pgtest.Diff(before, pgtest.Catalog(t, b.conn)); len(onlyBefore)+len(onlyAfter) > 0 {
		t.Fatalf("uninstall left the catalog different: missing %q, left behind %q", onlyBefore, onlyAfter)
	}
	// And it can be installed again.
	if _, err := in.Install(b.ctx, nil); err != nil {
		t.Fatalf("reinstall: %v", err)
	}
}

func TestUninstallRefusesDataAndDependents(t *testing.T) {
	t.Parallel()
	b := setup(t)
	in := b.installer(t, nil, testModule(nil))
	if _, err := in.Install(b.ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.conn.Exec(b.ctx, "INSERT INTO widgets.widget VALUES (1, 'red')"); err != nil {
		t.Fatal(err)
	}

	_, err := in.Uninstall(b.ctx, []installer.Target{{Module: "core"}}, false)
	var derr *installer.DependentError
	if !errors.As(err, &derr) || !slices.Contains(derr.Dependents, "widgets") {
		t.Fatalf("uninstall core under widgets: err = %v, want DependentError naming widgets", err)
	}

	_, err = in.Uninstall(b.ctx, []installer.Target{{Module: "widgets"}}, false)
	var dataErr *installer.DataExistsError
	if !errors.As(err, &dataErr) || len(dataErr.Tables) != 1 || dataErr.Tables[0] != "widgets.widget" {
		t.Fatalf("err = %v, want DataExistsError naming widgets.widget", err)
	}
	if got := b.scalar(t, "SELECT count(*) FROM widgets.widget"); got != int64(1) {
		t.Fatalf("refused uninstall lost data: %v rows", got)
	}
	if _, err := in.Uninstall(b.ctx, []installer.Target{{Module: "widgets"}}, true); err != nil {
		t.Fatalf("forced uninstall: %v", err)
	}
	if got := b.scalar(t, "SELECT to_regnamespace('widgets') IS NULL AND to_regclass('howdah_internal.version_widgets') IS NULL"); got != true {
		t.Fatal("forced uninstall left the widgets schema or version table")
	}
	// core stays, with the uninstall in its history.
	if got := b.scalar(t, "SELECT string_agg(direction, ',' ORDER BY id) FROM howdah_internal.history WHERE module = 'widgets'"); got != "up,code,down" {
		t.Fatalf("widgets history = %v, want up,code,down", got)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	b := setup(t)
	files := testModule(nil).FS.(fstest.MapFS)
	in := b.installer(t, nil, testModule(files))
	if _, err := in.Install(b.ctx, nil); err != nil {
		t.Fatal(err)
	}
	problems, err := in.Verify(b.ctx)
	if err != nil || len(problems) != 0 {
		t.Fatalf("fresh install: problems %v, err %v", problems, err)
	}

	t.Run("edited function", func(t *testing.T) {
		if _, err := b.conn.Exec(b.ctx, "CREATE OR REPLACE FUNCTION howdah.version() RETURNS jsonb LANGUAGE sql RETURN '[]'::jsonb"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.conn.Exec(b.ctx, "DROP FUNCTION widgets.count()"); err != nil {
			t.Fatal(err)
		}
		problems, err := in.Verify(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, p := range problems {
			got[p.Object] = p.Message
		}
		if !strings.Contains(got["function howdah.version()"], "definition changed") {
			t.Errorf("verify did not report the edited howdah.version(): %v", problems)
		}
		if !strings.Contains(got["function widgets.count()"], "missing") {
			t.Errorf("verify did not report the dropped widgets.count(): %v", problems)
		}
		if len(problems) != 2 {
			t.Errorf("got %d problems, want 2: %v", len(problems), problems)
		}
	})

	t.Run("edited migration file", func(t *testing.T) {
		f := files["widgets/migrations/001_widgets.sql"]
		orig := f.Data
		f.Data = append([]byte("-- edited\n"), orig...)
		defer func() { f.Data = orig }()
		problems, err := in.Verify(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range problems {
			found = found || p.Object == "001_widgets.sql" && strings.Contains(p.Message, "changed after it was applied")
		}
		if !found {
			t.Fatalf("verify did not report the edited migration: %v", problems)
		}
		_, err = in.Install(b.ctx, nil)
		var cerr *installer.ChecksumError
		if !errors.As(err, &cerr) || cerr.Step != "001_widgets.sql" {
			t.Fatalf("install with an edited applied migration: err = %v, want ChecksumError", err)
		}
	})
}

type seedWidgets struct{}

func (seedWidgets) Version() int32      { return 2 }
func (seedWidgets) Description() string { return "seed the default widgets" }
func (seedWidgets) Apply(ctx context.Context, db installer.DB) error {
	for i, c := range []string{"red", "green"} {
		if _, err := db.Exec(ctx, "INSERT INTO widgets.widget VALUES ($1, $2)", i+1, c); err != nil {
			return err
		}
	}
	return nil
}

type failingData struct{}

func (failingData) Version() int32      { return 3 }
func (failingData) Description() string { return "a data step that fails" }
func (failingData) Apply(ctx context.Context, db installer.DB) error {
	if _, err := db.Exec(ctx, "DELETE FROM widgets.widget"); err != nil {
		return err
	}
	return errors.New("out of widgets")
}

func TestGoDataMigrations(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mod := testModule(nil)
	mod.DataMigrations = []installer.DataMigration{seedWidgets{}}
	if _, err := b.installer(t, nil, mod).Install(b.ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := b.scalar(t, "SELECT widgets.count()"); got != int64(2) {
		t.Fatalf("data migration seeded %v widgets, want 2", got)
	}
	if got := b.scalar(t, "SELECT checksum FROM howdah_internal.history WHERE module = 'widgets' AND version = 2"); got != "go:seed the default widgets" {
		t.Fatalf("history checksum of the Go step = %v", got)
	}

	mod.DataMigrations = append(mod.DataMigrations, failingData{})
	_, err := b.installer(t, nil, mod).Install(b.ctx, nil)
	if err == nil || !strings.Contains(err.Error(), "a data step that fails") || !strings.Contains(err.Error(), "out of widgets") {
		t.Fatalf("err = %v, want the failing data step named", err)
	}
	if got := b.scalar(t, "SELECT widgets.count()"); got != int64(2) {
		t.Fatalf("failed data step deleted rows: %v left", got)
	}
}

func TestChoosableSchema(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mod := &installer.Module{Name: "shop", Schema: "shop", SchemaChoosable: true, Requires: []string{"core"}, FS: fstest.MapFS{
		"shop/migrations/001_shop.sql": {Data: []byte(`CREATE SCHEMA {{.Schema}};
CREATE TABLE {{.Schema}}.item (id int);
---- create above / drop below ----
DROP TABLE {{.Schema}}.item;
DROP SCHEMA {{.Schema}};`)},
	}}
	in := b.installer(t, nil, mod)
	if _, err := in.Install(b.ctx, []installer.Target{{Module: "shop", Schema: "shop_eu"}, {Module: "core"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Install(b.ctx, []installer.Target{{Module: "shop", Schema: "shop_us"}}); err != nil {
		t.Fatal(err)
	}
	if got := b.scalar(t, "SELECT count(*) FROM pg_class WHERE relname = 'item'"); got != int64(2) {
		t.Fatalf("%v item tables, want one per schema", got)
	}
	if problems, err := in.Verify(b.ctx); err != nil || len(problems) > 0 {
		t.Fatalf("verify: %v %v", problems, err)
	}
	if _, err := in.Uninstall(b.ctx, []installer.Target{{Module: "shop"}}, false); err == nil || !strings.Contains(err.Error(), "several schemas") {
		t.Fatalf("ambiguous uninstall: err = %v", err)
	}
	if _, err := in.Uninstall(b.ctx, []installer.Target{{Module: "shop", Schema: "shop_eu"}}, false); err != nil {
		t.Fatal(err)
	}
	if got := b.scalar(t, "SELECT to_regnamespace('shop_eu') IS NULL AND to_regnamespace('shop_us') IS NOT NULL"); got != true {
		t.Fatal("uninstalling shop_eu touched the wrong schema")
	}

	for _, bad := range []string{"Shop", "1shop", "pg_shop", "howdah_x", "a;drop", strings.Repeat("s", 64)} {
		_, err := in.Install(b.ctx, []installer.Target{{Module: "shop", Schema: bad}})
		if err == nil || !strings.Contains(err.Error(), "schema name") {
			t.Errorf("schema %q: err = %v, want a schema name error", bad, err)
		}
	}
	if _, err := in.Install(b.ctx, []installer.Target{{Module: "core", Schema: "elsewhere"}}); err == nil || !strings.Contains(err.Error(), "always installs into") {
		t.Errorf("core into another schema: err = %v", err)
	}
}

func TestClearErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)

	t.Run("unknown module", func(t *testing.T) {
		_, err := b.installer(t, nil).Install(b.ctx, []installer.Target{{Module: "nope"}})
		if err == nil || !strings.Contains(err.Error(), `unknown module "nope"; modules are: core`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("missing extension", func(t *testing.T) {
		mod := testModule(nil)
		mod.Extensions = []string{"howdah_no_such_ext"}
		_, err := b.installer(t, nil, mod).Install(b.ctx, nil)
		var eerr *installer.ExtensionError
		if !errors.As(err, &eerr) || !strings.Contains(err.Error(), "postgresql-15-howdah-no-such-ext") {
			t.Fatalf("err = %v, want ExtensionError naming the package", err)
		}
	})
	t.Run("insufficient privilege", func(t *testing.T) {
		b := setup(t)
		role := "howdah_test_weak_" + strings.ReplaceAll(t.Name(), "/", "_")
		role = strings.ToLower(role)
		if _, err := b.conn.Exec(b.ctx, "CREATE ROLE "+pgx.Identifier{role}.Sanitize()+" LOGIN"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.conn.Exec(context.Background(), "DROP ROLE "+pgx.Identifier{role}.Sanitize()) })
		cfg, _ := pgx.ParseConfig(b.url)
		cfg.User = role
		weak, err := pgx.ConnectConfig(b.ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer weak.Close(b.ctx)
		_, err = b.installer(t, weak).Install(b.ctx, nil)
		var perr *installer.PrivilegeError
		if !errors.As(err, &perr) || perr.Role != role || !strings.Contains(err.Error(), "lacks CREATE on database") ||
			!strings.Contains(err.Error(), "GRANT CREATE ON DATABASE") {
			t.Fatalf("err = %v, want PrivilegeError naming %s", err, role)
		}
	})
	t.Run("upgrade of a module not installed", func(t *testing.T) {
		b := setup(t)
		_, err := b.installer(t, nil).Upgrade(b.ctx, []string{"core"})
		var nerr *installer.NotInstalledError
		if !errors.As(err, &nerr) {
			t.Fatalf("err = %v, want NotInstalledError", err)
		}
	})
	t.Run("irreversible migration", func(t *testing.T) {
		mod := testModule(fstest.MapFS{"widgets/migrations/001_x.sql": {Data: []byte("CREATE SCHEMA widgets;")}})
		_, err := b.installer(t, nil, mod).Install(b.ctx, nil)
		if err == nil || !strings.Contains(err.Error(), "no down part") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("gap in numbering", func(t *testing.T) {
		mod := testModule(fstest.MapFS{
			"widgets/migrations/001_a.sql": {Data: []byte("SELECT 1;\n---- create above / drop below ----\nSELECT 1;")},
			"widgets/migrations/003_c.sql": {Data: []byte("SELECT 1;\n---- create above / drop below ----\nSELECT 1;")},
		})
		_, err := b.installer(t, nil, mod).Install(b.ctx, nil)
		if err == nil || !strings.Contains(err.Error(), "without gaps") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestUpgradeAppliesNewSteps(t *testing.T) {
	t.Parallel()
	b := setup(t)
	files := testModule(nil).FS.(fstest.MapFS)
	mod := testModule(files)
	in := b.installer(t, nil, mod)
	if _, err := in.Install(b.ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.conn.Exec(b.ctx, "INSERT INTO widgets.widget VALUES (7, 'green')"); err != nil {
		t.Fatal(err)
	}
	files["widgets/migrations/002_size.sql"] = &fstest.MapFile{Data: []byte("ALTER TABLE widgets.widget ADD COLUMN size int NOT NULL DEFAULT 1;\n---- create above / drop below ----\nALTER TABLE widgets.widget DROP COLUMN size;\n")}
	st, err := in.Status(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w := st[len(st)-1]; w.Module != "widgets" || w.Version != 1 || w.Latest != 2 || len(w.Pending) != 1 || w.Pending[0] != "002_size.sql" {
		t.Fatalf("status before upgrade = %+v", w)
	}
	rep, err := in.Upgrade(b.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Applied) != 2 || rep.Applied[0].Step != "002_size.sql" || rep.Applied[1].Direction != "code" {
		t.Fatalf("upgrade applied %+v, want 002_size.sql and the code", rep.Applied)
	}
	if got := b.scalar(t, "SELECT size FROM widgets.widget WHERE id = 7"); got != int32(1) {
		t.Fatalf("upgraded row size = %v", got)
	}
	if problems, err := in.Verify(b.ctx); err != nil || len(problems) > 0 {
		t.Fatalf("verify after upgrade: %v %v", problems, err)
	}
}
