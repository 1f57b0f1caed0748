package installer_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/howdah/howdah/installer"
)

// codeModule is widgets with richer code: a function, a view over it, a trigger and a policy.
func codeModule() (*installer.Module, fstest.MapFS) {
	files := testModule(nil).FS.(fstest.MapFS)
	files["widgets/code/002_more.sql"] = &fstest.MapFile{Data: []byte(`
CREATE VIEW widgets.summary AS SELECT widgets.count() AS n;
CREATE FUNCTION widgets.stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.id := NEW.id * 10; RETURN NEW; END $$;
CREATE TRIGGER widget_stamp BEFORE INSERT ON widgets.widget FOR EACH ROW EXECUTE FUNCTION widgets.stamp();
CREATE POLICY widget_all ON widgets.widget USING (true);
`)}
	return testModule(files), files
}

func TestCodeIsRecreatedOnUpgrade(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mod, files := codeModule()
	in := b.installer(t, nil, mod)
	if _, err := in.Install(b.ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.conn.Exec(b.ctx, "INSERT INTO widgets.widget VALUES (1, 'red'), (2, 'green')"); err != nil {
		t.Fatal(err)
	}
	if got := b.scalar(t, "SELECT n FROM widgets.summary"); got != int64(2) {
		t.Fatalf("summary = %v, want 2", got)
	}

	// A new release changes count(), drops the view and the trigger, and adds a function.
	files["widgets/code/001_count.sql"].Data = []byte(`CREATE FUNCTION widgets.count(colour widgets.colour DEFAULT NULL) RETURNS bigint LANGUAGE sql STABLE
RETURN (SELECT count(*) FROM widgets.widget w WHERE colour IS NULL OR w.colour = count.colour);
CREATE FUNCTION widgets.reds() RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT widgets.count('red'); END;
`)
	delete(files, "widgets/code/002_more.sql")
	st, err := in.Status(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w := st[len(st)-1]; w.Module != "widgets" || strings.Join(w.Pending, ",") != "code" {
		t.Fatalf("status = %+v, want widgets with pending code", w)
	}
	rep, err := in.Upgrade(b.ctx, []string{"widgets"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Applied) != 1 || rep.Applied[0].Direction != "code" {
		t.Fatalf("upgrade applied %+v, want the code only", rep.Applied)
	}
	if got := b.scalar(t, "SELECT widgets.reds()"); got != int64(1) {
		t.Fatalf("reds() = %v, want 1", got)
	}
	if got := b.scalar(t, `SELECT to_regclass('widgets.summary') IS NULL AND to_regprocedure('widgets.count()') IS NULL
		AND to_regprocedure('widgets.stamp()') IS NULL
		AND NOT EXISTS (SELECT FROM pg_trigger WHERE tgname = 'widget_stamp')
		AND NOT EXISTS (SELECT FROM pg_policy WHERE polname = 'widget_all')`); got != true {
		t.Fatal("objects the old code made and the new code does not are still there")
	}
	if got := b.scalar(t, "SELECT count(*) FROM widgets.widget"); got != int64(2) {
		t.Fatalf("upgrade lost rows: %v left", got)
	}
	if problems, err := in.Verify(b.ctx); err != nil || len(problems) > 0 {
		t.Fatalf("verify after upgrade: %v %v", problems, err)
	}
	if got := b.scalar(t, "SELECT string_agg(direction, ',' ORDER BY id) FROM howdah_internal.history WHERE module = 'widgets'"); got != "up,code,code" {
		t.Fatalf("widgets history = %v, want up,code,code", got)
	}
	// Nothing left to do.
	if rep, err := in.Upgrade(b.ctx, nil); err != nil || len(rep.Applied) != 0 {
		t.Fatalf("second upgrade applied %+v, err %v", rep.Applied, err)
	}
}

func TestCodeDropRefusedWhenSomethingDependsOnIt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mod, files := codeModule()
	in := b.installer(t, nil, mod)
	if _, err := in.Install(b.ctx, nil); err != nil {
		t.Fatal(err)
	}
	// A user's own view over a howdah function must not vanish in an upgrade.
	if _, err := b.conn.Exec(b.ctx, "CREATE VIEW public.mine AS SELECT widgets.count() AS n"); err != nil {
		t.Fatal(err)
	}
	files["widgets/code/003_new.sql"] = &fstest.MapFile{Data: []byte("CREATE FUNCTION widgets.answer() RETURNS int LANGUAGE sql RETURN 42;\n")}
	_, err := in.Upgrade(b.ctx, nil)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "2BP01" || !strings.Contains(pgErr.Detail, "view public.mine depends on function widgets.count()") {
		t.Fatalf("err = %v, want 2BP01 naming the dependent view", err)
	}
	if got := b.scalar(t, "SELECT to_regclass('public.mine') IS NOT NULL AND to_regclass('widgets.summary') IS NOT NULL AND to_regprocedure('widgets.answer()') IS NULL"); got != true {
		t.Fatal("a refused upgrade changed objects")
	}
	if _, err := b.conn.Exec(b.ctx, "DROP VIEW public.mine"); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Upgrade(b.ctx, nil); err != nil {
		t.Fatalf("upgrade once the dependent view is gone: %v", err)
	}
}

func TestCodeMustNotHoldData(t *testing.T) {
	t.Parallel()
	b := setup(t)
	files := testModule(nil).FS.(fstest.MapFS)
	files["widgets/code/002_table.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE widgets.cache (k text);\n")}
	_, err := b.installer(t, nil, testModule(files)).Install(b.ctx, nil)
	if err == nil || !strings.Contains(err.Error(), "the code of module widgets created widgets.cache") {
		t.Fatalf("err = %v, want a refusal naming the table", err)
	}
	if got := b.scalar(t, "SELECT to_regnamespace('howdah_internal') IS NULL AND to_regnamespace('widgets') IS NULL"); got != true {
		t.Fatal("a failed install left objects behind")
	}
}

func TestFailingCodeRollsBackTheWholeUpgrade(t *testing.T) {
	t.Parallel()
	b := setup(t)
	files := testModule(nil).FS.(fstest.MapFS)
	in := b.installer(t, nil, testModule(files))
	if _, err := in.Install(b.ctx, nil); err != nil {
		t.Fatal(err)
	}
	files["widgets/migrations/002_size.sql"] = &fstest.MapFile{Data: []byte("ALTER TABLE widgets.widget ADD COLUMN size int;\n---- create above / drop below ----\nALTER TABLE widgets.widget DROP COLUMN size;\n")}
	files["widgets/code/002_broken.sql"] = &fstest.MapFile{Data: []byte("-- fine\nCREATE FUNCTION widgets.one() RETURNS int LANGUAGE sql RETURN 1;\nCREATE FUNCTION widgets.two() RETURNS int LANGUAGE sql RETURN nope;\n")}
	_, err := in.Upgrade(b.ctx, nil)
	var merr *installer.MigrationError
	if !errors.As(err, &merr) || merr.Step != "code/002_broken.sql" || merr.Line != 3 {
		t.Fatalf("err = %v, want a MigrationError naming code/002_broken.sql line 3", err)
	}
	if got := b.scalar(t, `SELECT version FROM howdah_internal.modules WHERE name = 'widgets'`); got != int32(1) {
		t.Fatalf("widgets at version %v after a failed upgrade, want 1", got)
	}
	if got := b.scalar(t, `SELECT to_regprocedure('widgets.count()') IS NOT NULL AND to_regprocedure('widgets.one()') IS NULL
		AND NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'widgets.widget'::regclass AND attname = 'size')`); got != true {
		t.Fatal("a failed upgrade left part of itself applied")
	}
}

func TestVerifyReportsPrivilegesAndOwners(t *testing.T) {
	t.Parallel()
	b := setup(t)
	in := b.installer(t, nil, testModule(nil))
	if _, err := in.Install(b.ctx, nil); err != nil {
		t.Fatal(err)
	}
	role := "howdah_test_verify_grants"
	for _, sql := range []string{
		"CREATE ROLE " + role,
		"GRANT SELECT ON widgets.widget TO " + role,
		"REVOKE EXECUTE ON FUNCTION widgets.count() FROM PUBLIC",
		"ALTER TYPE widgets.colour OWNER TO " + role,
	} {
		if _, err := b.conn.Exec(b.ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	t.Cleanup(func() {
		b.conn.Exec(b.ctx, "DROP OWNED BY "+role)
		b.conn.Exec(b.ctx, "DROP ROLE "+role)
	})
	problems, err := in.Verify(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"relation widgets.widget: privileges granted since install: " + role + "=r/",
		"function widgets.count(): privileges revoked since install: =X/",
		"type widgets.colour: owner changed since install: was postgres, now " + role,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("verify did not say %q; it said:\n%s", want, all)
		}
	}
}
