package advisorseed

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// seedSmall installs every module into a fresh database and seeds it at a small scale.
func seedSmall(t *testing.T) (*pgx.Conn, *Result, string) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, url)
	pgtest.Install(t, conn)
	var out strings.Builder
	res, err := Run(context.Background(), url, &Config{Scale: 0.05, Duration: 2 * time.Second, Connections: 2, Out: &out})
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, out.String())
	}
	return conn, res, out.String()
}

func TestSeed(t *testing.T) {
	conn, res, out := seedSmall(t)
	ctx := context.Background()
	sch := res.Schema

	t.Run("result", func(t *testing.T) {
		if !res.Advisor || len(res.Snapshots) != 2 {
			t.Errorf("advisor %v, snapshots %v: want the two scans of an installed advisor\n%s", res.Advisor, res.Snapshots, out)
		}
		if !res.LockWaitSeen {
			t.Errorf("the lock-wait UPDATE was never seen waiting\n%s", out)
		}
		if !res.Tracked || !res.StatsReset {
			t.Errorf("tracked %v, stats reset %v: a superuser's seed keeps its build out of pg_stat_statements and resets its tables' counters", res.Tracked, res.StatsReset)
		}
		var reset bool
		if err := conn.QueryRow(ctx, `SELECT stats_reset IS NOT NULL FROM pg_stat_database WHERE datname = current_database()`).Scan(&reset); err != nil || !reset {
			t.Errorf("the database's statistics carry no reset time after the seed (%v)", err)
		}
		// The reset came before the final VACUUM (ANALYZE): the tables are not stale to the advisor.
		var unanalyzed int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = $1 AND (last_analyze IS NULL OR n_live_tup = 0)`,
			sch).Scan(&unanalyzed); err != nil || unanalyzed != 0 {
			t.Errorf("%d seed tables without an analyze time or live rows after the seed (%v)", unanalyzed, err)
		}
		for _, p := range Patterns(sch) {
			if res.Calls[p.Name] == 0 {
				t.Errorf("pattern %s never ran", p.Name)
			}
		}
	})

	t.Run("schema objects", func(t *testing.T) {
		var comment string
		if err := conn.QueryRow(ctx, `SELECT obj_description($1::regnamespace, 'pg_namespace')`, sch).Scan(&comment); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(comment, Marker) {
			t.Errorf("schema comment %q lacks the seed's marker", comment)
		}
		z := sizesFor(0.05)
		for table, want := range map[string]int64{"users": z.Users, "products": z.Products, "orders": z.Orders, "order_items": z.Items, "events": z.Events} {
			var n int64
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{sch, table}.Sanitize()).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != want || res.Rows[table] != want {
				t.Errorf("%s has %d rows (result says %d), want %d", table, n, res.Rows[table], want)
			}
		}
		// Indexes that must exist (the redundant and unused ones included) and those that must
		// not: the missing ones, and the latency spike's, dropped between the phases.
		want := map[string]bool{
			"orders_status_idx": true, "orders_status_created_at_idx": true, "events_created_at_idx": true,
			"events_user_id_idx": true, "users_city_idx": true, "users_zip_idx": true, "users_email_key": true, "products_category_idx": true,
			SpikeIndex: false,
		}
		for ix, exists := range want {
			var got bool
			if err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, sch+"."+ix).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != exists {
				t.Errorf("index %s exists = %v, want %v", ix, got, exists)
			}
		}
		for _, col := range []string{"orders.customer_id", "order_items.order_id", "order_items.product_id"} {
			table, column, _ := strings.Cut(col, ".")
			var n int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
				WHERE i.indrelid = $1::regclass AND a.attname = $2`, sch+"."+table, column).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("an index leads with %s: the missing-index patterns need none", col)
			}
		}
		var stats int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_statistic_ext WHERE stxnamespace = $1::regnamespace`, sch).Scan(&stats); err != nil {
			t.Fatal(err)
		}
		if stats != 0 {
			t.Errorf("%d extended statistics in the seed schema: the bad-estimates pattern needs none", stats)
		}
	})

	t.Run("every pattern reached pg_stat_statements", func(t *testing.T) {
		for _, p := range Patterns(sch) {
			var n, calls int64
			if err := conn.QueryRow(ctx, `SELECT count(*), coalesce(sum(calls), 0) FROM pg_stat_statements
				WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND strpos(query, $1) > 0`, p.Match).Scan(&n, &calls); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Errorf("pattern %s: no pg_stat_statements entry holds %q", p.Name, p.Match)
				continue
			}
			if p.Name == "literal_variants" {
				// The workload's own entries: the advisor's scans plan the statement too (nested
				// PREPARE and EXPLAIN, seen with track = all).
				var fps int
				if err := conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT howdah_advisor.fingerprint(query)) FROM pg_stat_statements
					WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND toplevel
					  AND query LIKE 'SELECT %' AND strpos(query, $1) > 0`, p.Match).Scan(&n, &fps); err != nil {
					t.Fatal(err)
				}
				if n < 2 || fps != 1 {
					t.Errorf("literal variants: %d pg_stat_statements entries with %d fingerprints, want several with one", n, fps)
				}
			}
		}
		// The build's own statements stayed out.
		var build int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND query ~ '^INSERT INTO (users|products|orders|order_items|events) '`).Scan(&build); err != nil {
			t.Fatal(err)
		}
		if build != 0 {
			t.Errorf("%d of the build's statements are in pg_stat_statements", build)
		}
	})

	t.Run("the scans captured the workload", func(t *testing.T) {
		for _, p := range Patterns(sch) {
			var n int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM howdah_advisor.metrics m JOIN howdah_advisor.queries q ON q.id = m.query_id
				WHERE m.snapshot_id = $1 AND q.fingerprint = howdah_advisor.fingerprint($2)`, res.Snapshots[1], p.SQL).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("pattern %s: %d queries of snapshot %d carry its fingerprint, want 1", p.Name, n, res.Snapshots[1])
			}
		}
	})

	t.Run("well-indexed queries use an index", func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, p := range Patterns(sch) {
			if !p.WellIndexed {
				continue
			}
			var plan []map[string]any
			if err := conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+p.SQL, p.args(r, sizesFor(0.05))...).Scan(&plan); err != nil {
				t.Fatalf("%s: %v", p.Name, err)
			}
			nodes := nodeTypes(plan[0]["Plan"].(map[string]any), nil)
			joined := strings.Join(nodes, ", ")
			if strings.Contains(joined, "Seq Scan") || !strings.Contains(joined, "Index") {
				b, _ := json.Marshal(plan)
				t.Errorf("%s: plan nodes %s, want an index scan and no sequential scan\n%s", p.Name, joined, b)
			}
		}
	})
}

// nodeTypes lists the node types of an EXPLAIN (FORMAT JSON) plan tree.
func nodeTypes(n map[string]any, acc []string) []string {
	acc = append(acc, n["Node Type"].(string))
	if kids, ok := n["Plans"].([]any); ok {
		for _, k := range kids {
			acc = nodeTypes(k.(map[string]any), acc)
		}
	}
	return acc
}

func TestSeedReplacesItsOwnSchemaOnly(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, url)
	cfg := &Config{Schema: "seed_twice", Scale: 0.01, Duration: time.Millisecond, Connections: 1, NoScan: true}
	for i, replaced := range []bool{false, true} {
		res, err := Run(ctx, url, cfg)
		if err != nil {
			t.Fatalf("seed %d: %v", i+1, err)
		}
		if res.Replaced != replaced || res.Advisor {
			t.Errorf("seed %d: replaced %v, advisor %v; want replaced %v without the advisor", i+1, res.Replaced, res.Advisor, replaced)
		}
	}

	// A schema the seed did not make is refused and left as it was.
	if _, err := conn.Exec(ctx, `CREATE SCHEMA mine; CREATE TABLE mine.keep (x int); INSERT INTO mine.keep VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, url, &Config{Schema: "mine", Scale: 0.01}); !errors.Is(err, ErrNotSeedSchema) {
		t.Errorf("seeding over schema mine: %v, want ErrNotSeedSchema", err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM mine.keep`).Scan(&n); err != nil || n != 1 {
		t.Errorf("schema mine after the refused seed: %d rows, %v; want its one row", n, err)
	}

	for _, bad := range []struct {
		cfg  Config
		want string
	}{
		{Config{Scale: 50}, "scale 50 is out of range"},
		{Config{Scale: -1}, "scale -1 is out of range"},
		{Config{Duration: -time.Second}, "duration -1s is negative"},
		{Config{Connections: 100}, "connections 100 is out of range"},
		{Config{Schema: "Bad-Name"}, `schema "Bad-Name" needs quotes`},
		{Config{Schema: "select"}, `schema "select" needs quotes`},
		{Config{Schema: "howdah_x"}, `schema "howdah_x" is reserved`},
	} {
		if _, err := Run(ctx, url, &bad.cfg); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Run(%+v): %v, want an error with %q", bad.cfg, err, bad.want)
		}
	}
	for _, sch := range []string{"Bad-Name", "select"} {
		var exists bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)`, sch).Scan(&exists); err != nil || exists {
			t.Errorf("schema %q exists after a refused seed (%v)", sch, err)
		}
	}
}
