package reliability

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/internal/pgtest"
)

// EnvScale chooses the suite's size: "full" for the sizes docs/reliability.md gives, anything
// else (or unset) for the short version that runs inside `make test`.
const EnvScale = "HOWDAH_RELIABILITY"

// envRole makes the test binary, re-executed by a test, play a helper process instead of
// running tests (a queue worker: see queue_test.go).
const envRole = "HOWDAH_RELIABILITY_ROLE"

func TestMain(m *testing.M) {
	if role := os.Getenv(envRole); role != "" {
		os.Exit(runRole(role))
	}
	pgtest.Main(m)
}

// runRole runs a helper process and returns its exit code.
func runRole(role string) int {
	switch role {
	case "queue-worker":
		return queueWorker()
	}
	fmt.Fprintf(os.Stderr, "reliability: unknown %s %q\n", envRole, role)
	return 2
}

// full reports whether the full suite was asked for.
func full() bool { return os.Getenv(EnvScale) == "full" }

// size picks the short or the full value of a parameter.
func size[T any](short, long T) T {
	if full() {
		return long
	}
	return short
}

// report prints one part's report line, on stdout (seen with -v, and in `make
// test-reliability`) and in the test's log.
func report(t *testing.T, part string, format string, args ...any) {
	t.Helper()
	scale := "short"
	if full() {
		scale = "full"
	}
	line := fmt.Sprintf("reliability %s [%s]: %s", part, scale, fmt.Sprintf(format, args...))
	t.Log(line)
	fmt.Println(line)
}

// buildHowdah builds the howdah binary into the test's temporary directory (go build uses its
// cache) and returns its path.
func buildHowdah(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "howdah")
	if out, err := exec.Command("go", "build", "-o", path, "github.com/howdah/howdah/cmd/howdah").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/howdah: %v\n%s", err, out)
	}
	return path
}

// runHowdah runs the binary to the end and returns its combined output and exit code.
func runHowdah(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("howdah %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return string(out), code
}

// tableChecksums maps every table of the database (howdah's and the test's, not the system
// catalogs) to an md5 of its rows in a fixed order: equal maps mean no row changed.
func tableChecksums(t *testing.T, conn *pgx.Conn) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := conn.Query(ctx, `SELECT c.oid::regclass::text FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, tbl := range tables {
		var sum string
		// tbl is a regclass rendered by the server: already quoted where needed.
		if err := conn.QueryRow(ctx, "SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) FROM "+tbl+" r").Scan(&sum); err != nil {
			t.Fatalf("checksum of %s: %v", tbl, err)
		}
		sums[tbl] = sum
	}
	return sums
}

// sameChecksums fails the test naming every table whose rows differ between before and after.
func sameChecksums(t *testing.T, before, after map[string]string) {
	t.Helper()
	for tbl, sum := range before {
		if after[tbl] != sum {
			t.Errorf("rows of %s changed (md5 %s → %s)", tbl, sum, after[tbl])
		}
	}
	for tbl := range after {
		if _, ok := before[tbl]; !ok {
			t.Errorf("table %s appeared", tbl)
		}
	}
}
