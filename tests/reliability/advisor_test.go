package reliability

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/howdah/howdah/internal/pgtest"
)

// advisorFixture is a table without an index on customer_id, a snapshot with two queries of it
// and one recommendation (an index on customer_id) for both, as a scan would leave them
// (written directly: pg_stat_statements is shared by every test of the server). The slow
// query calls rel_adv.gate(), an immutable function the planner folds while planning: it
// sleeps while a hypothetical index on customer_id exists, so a simulation of that query is
// held in the middle, its hypothetical index created, until a timeout or a cancel ends it.
const advisorFixture = `
CREATE SCHEMA rel_adv;
CREATE TABLE rel_adv.orders (id int PRIMARY KEY, customer_id int NOT NULL, note text);
INSERT INTO rel_adv.orders SELECT g, g %% 500, 'n' FROM generate_series(1, 20000) g;
ANALYZE rel_adv.orders;
CREATE FUNCTION rel_adv.gate() RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	IF EXISTS (SELECT FROM %[1]s.hypopg_list_indexes WHERE index_name LIKE '%%customer_id%%') THEN
		PERFORM pg_sleep(60);
	END IF;
	RETURN 1;
END $$;
`

const advisorSnapshot = `
WITH s AS (INSERT INTO howdah_advisor.snapshots (state, finished_at) VALUES ('done', clock_timestamp()) RETURNING id),
q AS (INSERT INTO howdah_advisor.queries (verb, fingerprint, raw_sql, norm_sql)
      SELECT 'select', md5(x.sql), x.sql, x.sql
        FROM (VALUES ('SELECT count(*) FROM rel_adv.orders WHERE customer_id = $1'),
                     ('SELECT count(*) FROM rel_adv.orders WHERE customer_id = $1 AND rel_adv.gate() = 1')) x(sql)
      RETURNING id, raw_sql),
m AS (INSERT INTO howdah_advisor.metrics (snapshot_id, query_id, calls, rows, total_ms, mean_ms, shared_blks_hit, shared_blks_read, rank)
      SELECT s.id, q.id, 10, 10, 50, 5, 0, 0, row_number() OVER (ORDER BY q.id) FROM s, q RETURNING query_id),
r AS (INSERT INTO howdah_advisor.recommendations (snapshot_id, type, key, table_name, columns, query_ids, ddl, rationale, confidence)
      SELECT s.id, 'missing_index', 'index:rel_adv.orders(customer_id)', 'rel_adv.orders', '{customer_id}',
             (SELECT array_agg(q.id ORDER BY q.id) FROM q), 'CREATE INDEX CONCURRENTLY ON rel_adv.orders USING btree (customer_id)', 'r', 0.9
        FROM s RETURNING id)
SELECT (SELECT id FROM q WHERE raw_sql NOT LIKE '%gate%'), (SELECT id FROM q WHERE raw_sql LIKE '%gate%'), (SELECT id FROM r),
       (SELECT count(*) FROM m)`

// sleepers watches pg_stat_activity from a connection of its own and publishes the backends
// sleeping in rel_adv.gate() (wait event PgSleep), with the time each look began: a worker
// that cancels "mid-simulation" waits for a look that began after its call and saw its pid.
type sleepers struct {
	mu    sync.Mutex
	cond  *sync.Cond
	seen  map[uint32]bool
	since time.Time // when the look that produced seen began
	err   error
}

func watchSleepers(ctx context.Context, conn *pgx.Conn) *sleepers {
	s := &sleepers{seen: map[uint32]bool{}}
	s.cond = sync.NewCond(&s.mu)
	go func() {
		for ctx.Err() == nil {
			began := time.Now()
			rows, err := conn.Query(ctx, "SELECT pid FROM pg_catalog.pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()")
			var pids []uint32
			if err == nil {
				pids, err = pgx.CollectRows(rows, pgx.RowTo[uint32])
			}
			s.mu.Lock()
			if err != nil && ctx.Err() == nil {
				s.err = err
			}
			s.seen = map[uint32]bool{}
			for _, p := range pids {
				s.seen[p] = true
			}
			s.since = began
			s.cond.Broadcast()
			s.mu.Unlock()
			if err != nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	}()
	return s
}

// waitAsleep blocks until a look begun after `after` sees pid asleep, or until done is closed
// (the simulation ended first) or the watcher failed; it reports whether pid was seen.
func (s *sleepers) waitAsleep(pid uint32, after time.Time, done <-chan struct{}) bool {
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-done:
		case <-stop:
			return
		}
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.since.After(after) && s.seen[pid] {
			return true
		}
		if s.err != nil {
			return false
		}
		select {
		case <-done:
			return false
		default:
		}
		s.cond.Wait()
	}
}

// advisorOutcome is what one simulation ended with.
type advisorOutcome int

const (
	simOK advisorOutcome = iota
	simTimedOut
	simCancelled
	simRefused
	simFailed
)

// TestAdvisorSimulations runs many simulations through a pgxpool, a share of them ended by a
// statement timeout or a cancelled context while their hypothetical index exists, and checks
// afterwards, on every pooled connection, that no hypothetical index and no prepared statement
// of the advisor is left, and that the one connection with hypothetical indexes and prepared
// statements of its own still has them.
func TestAdvisorSimulations(t *testing.T) {
	start := time.Now()
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, dbURL)
	pgtest.Install(t, conn)
	var hsch, dbname string
	if err := conn.QueryRow(ctx, "SELECT howdah_advisor.environment() #>> '{hypopg,schema}', current_database()").Scan(&hsch, &dbname); err != nil || hsch == "" {
		t.Fatalf("hypopg is not installed (the advisor part needs it): %v", err)
	}
	hypopg := pgx.Identifier{hsch}.Sanitize()
	if _, err := conn.Exec(ctx, fmt.Sprintf(advisorFixture, hypopg)); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	var fast, slow, rec int64
	var nm int
	if err := conn.QueryRow(ctx, advisorSnapshot).Scan(&fast, &slow, &rec, &nm); err != nil || nm != 2 {
		t.Fatalf("snapshot: %v (%d metrics)", err, nm)
	}

	simulations := size(100, 1000)
	workers := 8
	poolSize := int32(6) // fewer connections than workers: connections change hands all the time
	// The rails, raised for the test: a slot for every pooled connection and the owner's (plus
	// one), no per-minute limit in practice. A refusal then means a slot outlived its transaction.
	for _, set := range []string{
		fmt.Sprintf("ALTER DATABASE %s SET howdah_advisor.max_simulations = %d", pgx.Identifier{dbname}.Sanitize(), poolSize+2),
		fmt.Sprintf("ALTER DATABASE %s SET howdah_advisor.simulations_per_minute = 1000000", pgx.Identifier{dbname}.Sanitize()),
	} {
		if _, err := conn.Exec(ctx, set); err != nil {
			t.Fatalf("%s: %v", set, err)
		}
	}

	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns, cfg.MinConns = poolSize, 0
	// A cancelled context sends PostgreSQL a cancel request and waits for its answer (pgx's
	// default closes the socket, and the backend with its hypothetical indexes, which would
	// hide a leak): the connection goes back to the pool and is reused.
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, CancelRequestDelay: 0, DeadlineDelay: 20 * time.Second}
	}
	var opened atomic.Int64
	cfg.AfterConnect = func(context.Context, *pgx.Conn) error { opened.Add(1); return nil }
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watch := watchSleepers(watchCtx, pgtest.Connect(t, dbURL))

	// The owner: a pooled connection that makes a hypothetical index and a prepared statement
	// of its own, then simulates (its share, timeouts and cancels included) holding it.
	owner, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ownIndex uint32
	if err := owner.QueryRow(ctx, fmt.Sprintf("SELECT indexrelid FROM %s.hypopg_create_index('CREATE INDEX ON rel_adv.orders (note)')", hypopg)).Scan(&ownIndex); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(ctx, "PREPARE rel_own_stmt AS SELECT count(*) FROM rel_adv.orders WHERE note = $1"); err != nil {
		t.Fatal(err)
	}
	ownerPID := owner.Conn().PgConn().PID()

	// One simulation: kind 0 runs the fast query to the end; 1 runs the slow one under a
	// statement_timeout of 200 ms (SET LOCAL in its transaction); 2 runs the slow one and
	// cancels its context once the backend sleeps in the planner, its hypothetical index made.
	simulate := func(c *pgxpool.Conn, kind int) (advisorOutcome, time.Duration, error) {
		opCtx, cancelOp := context.WithTimeout(ctx, 2*time.Minute)
		defer cancelOp()
		t0 := time.Now()
		var gain *bool
		var err error
		switch kind {
		case 0:
			err = c.QueryRow(opCtx, "SELECT gain FROM howdah_advisor.simulate($1, $2)", fast, rec).Scan(&gain)
			if err == nil && (gain == nil || !*gain) {
				g := "NULL"
				if gain != nil {
					g = fmt.Sprint(*gain)
				}
				return simFailed, 0, fmt.Errorf("simulation of the fast query: gain %s, want true", g)
			}
		case 1:
			var tx pgx.Tx
			if tx, err = c.Begin(opCtx); err != nil {
				return simFailed, 0, err
			}
			if _, err = tx.Exec(opCtx, "SET LOCAL statement_timeout = '200ms'"); err == nil {
				err = tx.QueryRow(opCtx, "SELECT gain FROM howdah_advisor.simulate($1, $2)", slow, rec).Scan(&gain)
			}
			if rerr := tx.Rollback(opCtx); rerr != nil && err == nil {
				err = rerr
			}
		case 2:
			callCtx, cancelCall := context.WithCancel(opCtx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				err = c.QueryRow(callCtx, "SELECT gain FROM howdah_advisor.simulate($1, $2)", slow, rec).Scan(&gain)
			}()
			watch.waitAsleep(c.Conn().PgConn().PID(), t0, done)
			cancelCall()
			<-done
		}
		d := time.Since(t0)
		switch st := sqlState(err); {
		case err == nil && kind == 0:
			return simOK, d, nil
		case err == nil:
			return simFailed, d, fmt.Errorf("the slow simulation (kind %d) ended without an error", kind)
		case kind == 1 && st == "57014":
			return simTimedOut, d, nil
		case kind == 2 && (st == "57014" || errors.Is(err, context.Canceled)):
			return simCancelled, d, nil
		case st == "53400":
			return simRefused, d, err
		default:
			return simFailed, d, err
		}
	}

	var (
		mu        sync.Mutex
		counts    = map[advisorOutcome]int{}
		durations []time.Duration
		failures  atomic.Int64
		next      atomic.Int64
		wg        sync.WaitGroup
	)
	record := func(i int, o advisorOutcome, d time.Duration, err error) {
		mu.Lock()
		counts[o]++
		if o == simOK {
			durations = append(durations, d)
		}
		mu.Unlock()
		if err != nil && failures.Add(1) <= 10 {
			t.Errorf("simulation %d: %v", i, err)
		}
	}
	// kindOf spreads the kinds: 15 % timeouts, 15 % cancels, the rest run to the end.
	kindOf := func(i int) int {
		switch i % 20 {
		case 3, 9, 16:
			return 1
		case 5, 12, 18:
			return 2
		}
		return 0
	}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < simulations; i = int(next.Add(1)) - 1 {
				if w == 0 { // the owner's worker keeps its connection
					o, d, err := simulate(owner, kindOf(i))
					record(i, o, d, err)
					continue
				}
				c, err := pool.Acquire(ctx)
				if err != nil {
					record(i, simFailed, 0, err)
					continue
				}
				o, d, err := simulate(c, kindOf(i))
				c.Release()
				record(i, o, d, err)
			}
		}()
	}
	wg.Wait()
	stopWatch()
	watch.mu.Lock()
	if watch.err != nil {
		t.Errorf("watching pg_stat_activity: %v", watch.err)
	}
	watch.mu.Unlock()

	// The owner still has its own hypothetical index and prepared statement, and nothing else.
	ownKept := !owner.Conn().IsClosed()
	if !ownKept {
		t.Errorf("the owner's connection was closed during the run: its own objects cannot be checked")
	}
	owner.Release()

	// Every pooled connection: acquire them all (the workers are done, so all are idle).
	conns := pool.AcquireAllIdle(ctx)
	if total := pool.Stat().TotalConns(); int(total) != len(conns) {
		t.Errorf("acquired %d idle connections of the pool's %d", len(conns), total)
	}
	var hypoLeft, prepLeft int
	sawOwner := false
	for _, c := range conns {
		pid := c.Conn().PgConn().PID()
		rows, err := c.Query(ctx, fmt.Sprintf("SELECT indexrelid FROM %s.hypopg() ORDER BY 1", hypopg))
		if err != nil {
			t.Fatal(err)
		}
		hypo, err := pgx.CollectRows(rows, pgx.RowTo[uint32])
		if err != nil {
			t.Fatal(err)
		}
		rows, err = c.Query(ctx, "SELECT name FROM pg_catalog.pg_prepared_statements WHERE from_sql ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		prepared, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		var wantHypo []uint32
		var wantPrep []string
		if pid == ownerPID {
			sawOwner = true
			wantHypo, wantPrep = []uint32{ownIndex}, []string{"rel_own_stmt"}
			if !slices.Contains(hypo, ownIndex) || !slices.Contains(prepared, "rel_own_stmt") {
				ownKept = false
			}
		}
		for _, h := range hypo {
			if !slices.Contains(wantHypo, h) {
				hypoLeft++
			}
		}
		for _, p := range prepared {
			if !slices.Contains(wantPrep, p) {
				prepLeft++
			}
		}
		if !slices.Equal(hypo, wantHypo) || !slices.Equal(prepared, wantPrep) {
			t.Errorf("connection %d (owner: %v): hypothetical indexes %v, SQL prepared statements %v; want %v and %v",
				pid, pid == ownerPID, hypo, prepared, wantHypo, wantPrep)
		}
		c.Release()
	}
	if !sawOwner {
		ownKept = false
		t.Errorf("the owner's connection (pid %d) is no longer in the pool", ownerPID)
	}

	// A simulation that failed stored nothing; every one that ran did.
	var stored int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM howdah_advisor.simulations WHERE rec_id = $1", rec).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != counts[simOK] {
		t.Errorf("%d simulations stored, %d ran to the end: a timed-out or cancelled one stored a row, or one that ran did not", stored, counts[simOK])
	}
	// No slot is held once every transaction has ended.
	var slots int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND classid = 1212432723").Scan(&slots); err != nil {
		t.Fatal(err)
	}
	if slots != 0 {
		t.Errorf("%d simulation slots (advisory locks) still held after the run", slots)
	}
	if counts[simRefused] > 0 {
		t.Errorf("%d simulations refused by the rails although max_simulations exceeds the connections: a slot outlived its transaction", counts[simRefused])
	}
	if counts[simTimedOut] == 0 || counts[simCancelled] == 0 {
		t.Errorf("no simulation was timed out (%d) or cancelled (%d): the test did not test", counts[simTimedOut], counts[simCancelled])
	}

	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	pct := func(p float64) float64 {
		if len(durations) == 0 {
			return 0
		}
		return float64(durations[int(p*float64(len(durations)-1))].Microseconds()) / 1000
	}
	yes := "yes"
	if !ownKept {
		yes = "no"
	}
	report(t, "advisor", "%d simulations (%d timed out, %d cancelled, %d refused by rails), hypothetical indexes left: %d, prepared statements left: %d, caller's own kept: %s, p50/p99 %.0f/%.0f ms; %d workers over %d pooled connections (%d opened in all), %d failed otherwise; %.1fs",
		simulations, counts[simTimedOut], counts[simCancelled], counts[simRefused], hypoLeft, prepLeft, yes, pct(0.5), pct(0.99),
		workers, poolSize, opened.Load(), counts[simFailed], time.Since(start).Seconds())
}

// sqlState is the SQLSTATE of a PostgreSQL error, "" for other errors and nil.
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
