package tests

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/howdah/howdah/internal/pgtest"
)

// simWorkload is a database with the advisor installed, a table without an index on
// customer_id, a snapshot with two queries of it and one recommendation (an index on
// customer_id) listing both. The slow query calls adv_simgo.gate(), an immutable function the
// planner folds while planning: it sleeps while a hypothetical index on customer_id exists, so
// a simulation of that query is held in the middle, with its hypothetical index created.
type simWorkload struct {
	url          string
	fast, slow   int64 // query ids
	rec          int64
	hypopgSchema string
}

func newSimWorkload(t *testing.T) simWorkload {
	t.Helper()
	ctx := context.Background()
	w := simWorkload{url: pgtest.NewDatabase(t)}
	conn := pgtest.Connect(t, w.url)
	pgtest.Install(t, conn)
	if err := conn.QueryRow(ctx, "SELECT howdah_advisor.environment() #>> '{hypopg,schema}'").Scan(&w.hypopgSchema); err != nil {
		t.Fatalf("hypopg is not installed: %v", err)
	}
	for _, sql := range []string{
		"CREATE SCHEMA adv_simgo",
		"CREATE TABLE adv_simgo.orders (id int PRIMARY KEY, customer_id int NOT NULL, note text)",
		"INSERT INTO adv_simgo.orders SELECT g, g % 500, 'n' FROM generate_series(1, 20000) g",
		"ANALYZE adv_simgo.orders",
		fmt.Sprintf(`CREATE FUNCTION adv_simgo.gate() RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
			BEGIN
				IF EXISTS (SELECT FROM %s.hypopg_list_indexes WHERE index_name LIKE '%%customer_id%%') THEN
					PERFORM pg_sleep(60);
				END IF;
				RETURN 1;
			END $$`, pgx.Identifier{w.hypopgSchema}.Sanitize()),
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// The snapshot as a scan would leave it (written directly: pg_stat_statements is shared by
	// every test of the server, and its entries may be evicted).
	const setup = `
		WITH s AS (INSERT INTO howdah_advisor.snapshots (state, finished_at) VALUES ('done', clock_timestamp()) RETURNING id),
		q AS (INSERT INTO howdah_advisor.queries (verb, fingerprint, raw_sql, norm_sql)
		      SELECT 'select', md5(x.sql), x.sql, x.sql
		        FROM (VALUES (1, 'SELECT count(*) FROM adv_simgo.orders WHERE customer_id = $1'),
		                     (2, 'SELECT count(*) FROM adv_simgo.orders WHERE customer_id = $1 AND adv_simgo.gate() = 1')) x(n, sql)
		      RETURNING id, raw_sql),
		m AS (INSERT INTO howdah_advisor.metrics (snapshot_id, query_id, calls, rows, total_ms, mean_ms, shared_blks_hit, shared_blks_read, rank)
		      SELECT s.id, q.id, 10, 10, 50, 5, 0, 0, row_number() OVER (ORDER BY q.id) FROM s, q RETURNING query_id),
		r AS (INSERT INTO howdah_advisor.recommendations (snapshot_id, type, key, table_name, columns, query_ids, ddl, rationale, confidence)
		      SELECT s.id, 'missing_index', 'index:adv_simgo.orders(customer_id)', 'adv_simgo.orders', '{customer_id}',
		             (SELECT array_agg(q.id ORDER BY q.id) FROM q), 'CREATE INDEX CONCURRENTLY ON adv_simgo.orders USING btree (customer_id)', 'r', 0.9
		        FROM s RETURNING id)
		SELECT (SELECT id FROM q WHERE raw_sql NOT LIKE '%gate%'), (SELECT id FROM q WHERE raw_sql LIKE '%gate%'), (SELECT id FROM r),
		       (SELECT count(*) FROM m)`
	var nm int
	if err := conn.QueryRow(ctx, setup).Scan(&w.fast, &w.slow, &w.rec, &nm); err != nil || nm != 2 {
		t.Fatalf("setup: %v (%d metrics)", err, nm)
	}
	return w
}

// simConn is one session of the workload's database with its own hypothetical index and
// prepared statement, which no simulation may touch.
type simConn struct {
	conn      *pgx.Conn
	mineIndex uint32
}

func (w simWorkload) connect(t *testing.T) simConn {
	t.Helper()
	ctx := context.Background()
	c := simConn{conn: pgtest.Connect(t, w.url)}
	q := fmt.Sprintf("SELECT indexrelid FROM %s.hypopg_create_index('CREATE INDEX ON adv_simgo.orders (note)')", pgx.Identifier{w.hypopgSchema}.Sanitize())
	if err := c.conn.QueryRow(ctx, q).Scan(&c.mineIndex); err != nil {
		t.Fatal(err)
	}
	if _, err := c.conn.Exec(ctx, "PREPARE mine_stmt AS SELECT 1"); err != nil {
		t.Fatal(err)
	}
	return c
}

// checkClean fails unless the session's hypothetical indexes are exactly its own and its SQL
// prepared statements exactly its own: checked on the same connection, since both are per backend.
func (w simWorkload) checkClean(t *testing.T, c simConn, when string) {
	t.Helper()
	ctx := context.Background()
	rows, err := c.conn.Query(ctx, fmt.Sprintf("SELECT indexrelid FROM %s.hypopg() ORDER BY 1", pgx.Identifier{w.hypopgSchema}.Sanitize()))
	if err != nil {
		t.Fatal(err)
	}
	hypo, err := pgx.CollectRows(rows, pgx.RowTo[uint32])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(hypo, []uint32{c.mineIndex}) {
		t.Errorf("%s: hypothetical indexes = %v, want only the session's own %d", when, hypo, c.mineIndex)
	}
	rows, err = c.conn.Query(ctx, "SELECT name FROM pg_prepared_statements WHERE from_sql ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	prepared, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(prepared, []string{"mine_stmt"}) {
		t.Errorf("%s: prepared statements = %v, want only the session's own mine_stmt", when, prepared)
	}
}

func (w simWorkload) simulate(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, query int64) (gain *bool, err error) {
	err = q.QueryRow(ctx, "SELECT gain FROM howdah_advisor.simulate($1, $2)", query, w.rec).Scan(&gain)
	return gain, err
}

func fmtGain(g *bool) string {
	if g == nil {
		return "NULL"
	}
	return fmt.Sprint(*g)
}

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// Three sessions simulate at once (max_simulations = 3), each several times: every simulation
// proves the index, and each session keeps exactly its own hypothetical index and prepared
// statement.
func TestAdvisorSimulateParallel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newSimWorkload(t)
	conns := []simConn{w.connect(t), w.connect(t), w.connect(t)}
	var wg sync.WaitGroup
	errs := make(chan error, len(conns)*4)
	for i, c := range conns {
		if _, err := c.conn.Exec(ctx, "SET howdah_advisor.max_simulations = 3"); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				gain, err := w.simulate(ctx, c.conn, w.fast)
				if err != nil {
					errs <- fmt.Errorf("session %d: %w", i, err)
					return
				}
				if gain == nil || !*gain {
					errs <- fmt.Errorf("session %d: gain = %s, want true", i, fmtGain(gain))
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, c := range conns {
		w.checkClean(t, c, fmt.Sprintf("session %d after its simulations", i))
	}
	var n int
	if err := conns[0].conn.QueryRow(ctx, "SELECT count(*) FROM howdah_advisor.simulations WHERE rec_id = $1 AND gain", w.rec).Scan(&n); err != nil || n != 12 {
		t.Errorf("stored simulations with a gain = %d (%v), want 12", n, err)
	}
}

// A statement timeout and a cancel that land while the hypothetical index exists (the slow
// query's planning sleeps then) end the simulation with 57014, and leave the session with only
// its own hypothetical index and prepared statement; nothing is stored.
func TestAdvisorSimulateTimeoutAndCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newSimWorkload(t)
	c := w.connect(t)

	if _, err := c.conn.Exec(ctx, "SET statement_timeout = '300ms'"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.simulate(ctx, c.conn, w.slow); sqlState(err) != "57014" {
		t.Fatalf("simulation under statement_timeout: err = %v, want 57014", err)
	}
	if _, err := c.conn.Exec(ctx, "SET statement_timeout = 0"); err != nil {
		t.Fatal(err)
	}
	w.checkClean(t, c, "after a statement timeout")

	// Cancel from another session once the simulation sleeps inside the planner.
	other := pgtest.Connect(t, w.url)
	pid := c.conn.PgConn().PID()
	done := make(chan error, 1)
	go func() {
		_, err := w.simulate(ctx, c.conn, w.slow)
		done <- err
	}()
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		var sleeping bool
		err := other.QueryRow(waitCtx, "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'PgSleep')", pid).Scan(&sleeping)
		if err != nil {
			t.Fatalf("waiting for the simulation to reach its hypothetical plan: %v", err)
		}
		if sleeping {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var cancelled bool
	if err := other.QueryRow(ctx, "SELECT pg_cancel_backend($1)", pid).Scan(&cancelled); err != nil || !cancelled {
		t.Fatalf("pg_cancel_backend: %v, %v", cancelled, err)
	}
	if err := <-done; sqlState(err) != "57014" {
		t.Fatalf("cancelled simulation: err = %v, want 57014", err)
	}
	w.checkClean(t, c, "after a cancel")

	var n int
	if err := c.conn.QueryRow(ctx, "SELECT count(*) FROM howdah_advisor.simulations").Scan(&n); err != nil || n != 0 {
		t.Errorf("simulations stored = %d (%v), want 0: both calls failed", n, err)
	}
	// The session still simulates.
	if gain, err := w.simulate(ctx, c.conn, w.fast); err != nil || gain == nil || !*gain {
		t.Errorf("simulation after the cancel: gain %s, err %v; want a gain", fmtGain(gain), err)
	}
	w.checkClean(t, c, "after a simulation that ran")
}

// With max_simulations = 2 (the default), two transactions that have simulated hold both slots
// until they end: a third session is refused with 53400 and a HINT, and gets a slot once one
// of them commits.
func TestAdvisorSimulateSlots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newSimWorkload(t)
	var txs []pgx.Tx
	for range 2 {
		c := pgtest.Connect(t, w.url)
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := w.simulate(ctx, tx, w.fast); err != nil {
			t.Fatalf("simulation holding a slot: %v", err)
		}
		txs = append(txs, tx)
	}
	third := pgtest.Connect(t, w.url)
	_, err := w.simulate(ctx, third, w.fast)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "53400" || !strings.Contains(pgErr.Message, "howdah_advisor.max_simulations") || !strings.Contains(pgErr.Hint, "Retry") {
		t.Fatalf("third concurrent simulation: err = %v, want 53400 naming howdah_advisor.max_simulations with a HINT to retry", err)
	}
	if err := txs[0].Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.simulate(ctx, third, w.fast); err != nil {
		t.Errorf("simulation after a slot was freed: %v", err)
	}
}
