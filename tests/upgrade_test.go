package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/extension"
	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgtest"
)

// TestUpgradeFromPreviousRelease installs the newest released version both ways a user can
// (its frozen script run as a script, and CREATE EXTENSION of that version), fills every module
// with data through that release's own API (tests/upgrade/<version>.sql), upgrades to the
// working tree (`howdah upgrade`, and ALTER EXTENSION howdah UPDATE), checks that every row of
// every table survived, and runs the whole pgTAP suite and plpgsql_check on the result.
func TestUpgradeFromPreviousRelease(t *testing.T) {
	ctx := context.Background()
	bundle := extension.New(filepath.Join("..", "extension"))
	prev, err := bundle.NewestRelease()
	if err != nil {
		t.Fatal(err)
	}
	if prev == "" {
		t.Fatal("no release in extension/released.sha256 to upgrade from")
	}
	frozen, err := os.ReadFile(filepath.Join("..", "extension", extension.ScriptName(prev)))
	if err != nil {
		t.Fatal(err)
	}
	fill, err := os.ReadFile(filepath.Join("upgrade", prev+".sql"))
	if err != nil {
		t.Fatalf("%v: write tests/upgrade/%s.sql, filling every module through the API of %s", err, prev, prev)
	}
	files, err := bundle.Files()
	if err != nil {
		t.Fatal(err)
	}
	files[extension.ScriptName(prev)] = frozen

	for _, way := range []struct {
		name            string
		install, update func(t *testing.T, conn *pgx.Conn)
	}{
		{"howdah upgrade",
			func(t *testing.T, conn *pgx.Conn) { execTx(t, conn, string(frozen)) },
			func(t *testing.T, conn *pgx.Conn) {
				in, err := installer.New(conn, nil)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := in.Upgrade(ctx, nil); err != nil {
					t.Fatalf("upgrade from %s: %v", prev, err)
				}
				if problems, err := in.Verify(ctx); err != nil || len(problems) > 0 {
					t.Fatalf("verify after the upgrade: %v %v", problems, err)
				}
			}},
		{"ALTER EXTENSION howdah UPDATE",
			func(t *testing.T, conn *pgx.Conn) {
				pgtest.ExtensionFiles(t, files)
				if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE EXTENSION howdah VERSION '%s'", prev)); err != nil {
					t.Fatalf("CREATE EXTENSION howdah VERSION %s: %v", prev, err)
				}
			},
			func(t *testing.T, conn *pgx.Conn) {
				if _, err := conn.Exec(ctx, "ALTER EXTENSION howdah UPDATE"); err != nil {
					t.Fatalf("ALTER EXTENSION howdah UPDATE from %s: %v", prev, err)
				}
				var v string
				if err := conn.QueryRow(ctx, "SELECT extversion FROM pg_extension WHERE extname = 'howdah'").Scan(&v); err != nil || v != installer.Release {
					t.Fatalf("extension at version %q (%v), want %s", v, err, installer.Release)
				}
			}},
	} {
		t.Run(way.name, func(t *testing.T) {
			conn := pgtest.Connect(t, pgtest.NewDatabase(t))
			way.install(t, conn)
			execTx(t, conn, string(fill))
			before := snapshot(t, conn)
			if len(before) == 0 {
				t.Fatal("the fill script left no rows to check")
			}
			way.update(t, conn)
			for _, tb := range before {
				if after := tb.read(t, conn); !slices.Equal(tb.rows, after) {
					t.Errorf("%s: rows before the upgrade differ from after:\n before %q\n after  %q", tb.id.Sanitize(), tb.rows, after)
				}
			}
			addTestExtensions(t, conn)
			runPgTAP(t, conn)
			for _, p := range plpgsqlProblems(t, conn) {
				t.Error(p)
			}
		})
	}
}

func execTx(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if err := pgx.BeginFunc(context.Background(), conn, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), sql)
		return err
	}); err != nil {
		t.Fatalf("%.80s…: %v", sql, err)
	}
}

// table is one table's rows as text, over the columns it had when it was read first.
type table struct {
	id   pgx.Identifier
	cols []string
	rows []string
}

// read reads the table's rows again, over the same columns, sorted.
func (tb *table) read(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	cols := make([]string, len(tb.cols))
	for i, c := range tb.cols {
		cols[i] = pgx.Identifier{c}.Sanitize()
	}
	// Names come from pg_catalog and are quoted.
	q := fmt.Sprintf("SELECT coalesce(array_agg(r::text ORDER BY r::text), '{}') FROM (SELECT %s FROM %s) r",
		strings.Join(cols, ", "), tb.id.Sanitize())
	var rows []string
	if err := conn.QueryRow(context.Background(), q).Scan(&rows); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return rows
}

// snapshot reads every table with rows, outside the system schemas and the installer's own
// bookkeeping (which an upgrade changes by design). Reading them again after an upgrade uses the
// same columns, so columns the upgrade adds do not count.
func snapshot(t *testing.T, conn *pgx.Conn) []*table {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
		SELECT n.nspname, c.relname, array_agg(a.attname::text ORDER BY a.attnum)
		  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'tap')
		   AND NOT (n.nspname = 'howdah_internal' AND (c.relname IN ('modules', 'history', 'objects') OR c.relname LIKE 'version\_%'))
		 GROUP BY 1, 2 ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*table, error) {
		tb := &table{id: make(pgx.Identifier, 2)}
		err := r.Scan(&tb.id[0], &tb.id[1], &tb.cols)
		return tb, err
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []*table
	for _, tb := range tables {
		if tb.rows = tb.read(t, conn); len(tb.rows) > 0 {
			out = append(out, tb)
		}
	}
	return out
}
