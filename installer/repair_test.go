package installer_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgtest"
)

func TestRepair(t *testing.T) {
	t.Parallel()
	b := setup(t)
	files := testModule(nil).FS.(fstest.MapFS)
	files["widgets/migrations/002_notes.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE widgets.notes (t text);\n---- create above / drop below ----\nDROP TABLE widgets.notes;\n")}
	in := b.installer(t, nil, testModule(files))
	if _, err := in.Install(b.ctx, nil); err != nil {
		t.Fatal(err)
	}

	t.Run("nothing to repair", func(t *testing.T) {
		before := pgtest.Catalog(t, b.conn)
		rep, err := in.Repair(b.ctx)
		if err != nil || len(rep.Restored)+len(rep.Remaining)+len(rep.Recreated) != 0 {
			t.Fatalf("repair of a healthy database: %+v, %v", rep, err)
		}
		if onlyBefore, onlyAfter := pgtest.Diff(before, pgtest.Catalog(t, b.conn)); len(onlyBefore)+len(onlyAfter) > 0 {
			t.Fatalf("repair of a healthy database changed the catalog: removed %q, added %q", onlyBefore, onlyAfter)
		}
	})

	t.Run("restores code, reports what it cannot", func(t *testing.T) {
		for _, sql := range []string{
			"INSERT INTO widgets.widget VALUES (1, 'red'), (2, 'green')",
			"DROP FUNCTION widgets.count()",
			"CREATE OR REPLACE FUNCTION howdah.version() RETURNS jsonb LANGUAGE sql RETURN '[]'::jsonb",
			"DROP TABLE widgets.notes",
		} {
			if _, err := b.conn.Exec(b.ctx, sql); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
		rep, err := in.Repair(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		restored := map[string]bool{}
		for _, p := range rep.Restored {
			restored[p.Object] = true
		}
		if !restored["function widgets.count()"] || !restored["function howdah.version()"] || len(rep.Restored) != 2 {
			t.Errorf("restored = %v, want widgets.count() and howdah.version()", rep.Restored)
		}
		if len(rep.Remaining) != 1 || rep.Remaining[0].Object != "relation widgets.notes" || !strings.Contains(rep.Remaining[0].Message, "missing") {
			t.Errorf("remaining = %v, want the dropped table widgets.notes", rep.Remaining)
		}
		if got := b.scalar(t, "SELECT widgets.count()"); got != int64(2) {
			t.Errorf("widgets.count() = %v after repair, want 2 (rows kept)", got)
		}
		if got := b.scalar(t, "SELECT jsonb_array_length(howdah.version()) > 0"); got != true {
			t.Errorf("howdah.version() still edited after repair: %v", got)
		}
		problems, err := in.Verify(b.ctx)
		if err != nil || len(problems) != 1 {
			t.Errorf("verify after repair: %v, %v; want only widgets.notes", problems, err)
		}
		if _, err := b.conn.Exec(b.ctx, "CREATE TABLE widgets.notes (t text)"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("refuses with pending migrations", func(t *testing.T) {
		if _, err := b.conn.Exec(b.ctx, "DROP FUNCTION widgets.count()"); err != nil {
			t.Fatal(err)
		}
		files["widgets/migrations/003_size.sql"] = &fstest.MapFile{Data: []byte("ALTER TABLE widgets.widget ADD COLUMN size int;\n---- create above / drop below ----\nALTER TABLE widgets.widget DROP COLUMN size;\n")}
		defer delete(files, "widgets/migrations/003_size.sql")
		before := pgtest.Catalog(t, b.conn)
		_, err := b.installer(t, nil, testModule(files)).Repair(b.ctx)
		var perr *installer.PendingError
		if !errors.As(err, &perr) || len(perr.Pending) != 1 || !strings.Contains(perr.Pending[0], "widgets (widgets): 1 migration step") {
			t.Fatalf("repair with a pending step: err = %v, want a PendingError naming widgets", err)
		}
		if !strings.Contains(err.Error(), "upgrade first") {
			t.Errorf("message %q does not say to upgrade", err)
		}
		if onlyBefore, onlyAfter := pgtest.Diff(before, pgtest.Catalog(t, b.conn)); len(onlyBefore)+len(onlyAfter) > 0 {
			t.Fatalf("refused repair changed the catalog: removed %q, added %q", onlyBefore, onlyAfter)
		}
	})
}
