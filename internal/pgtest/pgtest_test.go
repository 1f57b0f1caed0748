package pgtest

import (
	"context"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

func TestNewDatabaseIsFreshAndSeparate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := Connect(t, NewDatabase(t))
	b := Connect(t, NewDatabase(t))

	if _, err := a.Exec(ctx, "CREATE TABLE only_in_a (id int)"); err != nil {
		t.Fatal(err)
	}
	var nameA, nameB string
	if err := a.QueryRow(ctx, "SELECT current_database()").Scan(&nameA); err != nil {
		t.Fatal(err)
	}
	if err := b.QueryRow(ctx, "SELECT current_database()").Scan(&nameB); err != nil {
		t.Fatal(err)
	}
	if nameA == nameB {
		t.Fatalf("two NewDatabase calls returned the same database %q", nameA)
	}
	var n int
	if err := b.QueryRow(ctx, "SELECT count(*) FROM pg_class WHERE relname = 'only_in_a'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("table made in database %q is visible in %q", nameA, nameB)
	}
	// The table brings its row type and array type along.
	onlyA, onlyB := Diff(Catalog(t, a), Catalog(t, b))
	if len(onlyA) != 3 || !strings.HasPrefix(onlyA[0], "relation only_in_a r ") || len(onlyB) != 0 {
		t.Fatalf("catalog diff = %q / %q, want the new table and its two types", onlyA, onlyB)
	}
}

func TestServerHasWhatTheModulesNeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := Connect(t, NewDatabase(t))
	var preload string
	if err := conn.QueryRow(ctx, "SHOW shared_preload_libraries").Scan(&preload); err != nil {
		t.Fatal(err)
	}
	if SharedServer(t).Cluster != nil && preload != "pg_stat_statements" {
		t.Fatalf("shared_preload_libraries = %q, want pg_stat_statements", preload)
	}
	for _, ext := range []string{"pg_stat_statements", "pgtap", "plpgsql_check", "hypopg"} {
		var ok bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = $1)", ext).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Errorf("extension %q is not available on the test server: run `make setup`", ext)
		}
	}
}
