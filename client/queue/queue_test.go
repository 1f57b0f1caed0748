package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/howdah/howdah/client/notifier"
	"github.com/howdah/howdah/client/queue"
	"github.com/howdah/howdah/internal/pgcluster"
	"github.com/howdah/howdah/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// bundle is what a test needs: a fresh database with every module installed, and a pool on it.
type bundle struct {
	ctx  context.Context
	url  string
	pool *pgxpool.Pool
}

func setup(t *testing.T) *bundle {
	t.Helper()
	return setupURL(t, pgtest.NewDatabase(t))
}

func setupURL(t *testing.T, url string) *bundle {
	t.Helper()
	ctx := context.Background()
	conn := pgtest.Connect(t, url)
	// The queue alone: other modules may bring schedules of their own (playground's pruning).
	pgtest.Install(t, conn, "queue")
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 20
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &bundle{ctx: ctx, url: url, pool: pool}
}

// workers starts Workers and stops them (gracefully, briefly) when the test ends.
func (b *bundle) workers(t *testing.T, queueName string, h queue.Handler, cfg *queue.Config) *queue.Workers {
	t.Helper()
	w, err := queue.New(b.pool, queueName, h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(b.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = w.Stop(ctx)
	})
	return w
}

// waitFor polls cond until it holds, failing the test after limit. It bounds waiting; it does
// not measure anything.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting after %s for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *bundle) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := b.pool.QueryRow(b.ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// Enqueue sends only the options that are set: a job enqueued without options gets
// howdah_queue.push's defaults, whatever they are in SQL.
func TestEnqueueLeavesDefaultsToSQL(t *testing.T) {
	t.Parallel()
	b := setup(t)

	id, err := queue.Enqueue(b.ctx, b.pool, "defaults", map[string]int{"n": 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var prio, maxAttempts, wantPrio, wantMax int
	var state string
	var tags []string
	var key *string
	var due bool
	if err := b.pool.QueryRow(b.ctx, `SELECT j.priority, j.max_attempts, j.state::text, j.tags, j.unique_key, j.run_at <= now(),
		        pg_get_function_arg_default(p.oid, 3)::int, howdah_internal.queue_default_max_attempts()
		   FROM howdah_queue.jobs j, pg_proc p
		  WHERE j.id = $1 AND p.oid = 'howdah_queue.push'::regproc`, id).
		Scan(&prio, &maxAttempts, &state, &tags, &key, &due, &wantPrio, &wantMax); err != nil {
		t.Fatal(err)
	}
	if prio != wantPrio || maxAttempts != wantMax || state != "available" || len(tags) != 0 || key != nil || !due {
		t.Fatalf("job without options: priority %d, max_attempts %d, state %s, tags %v, unique_key %v, due %v; want push's defaults (priority %d, max_attempts %d, available now, no tags, no key)",
			prio, maxAttempts, state, tags, key, due, wantPrio, wantMax)
	}

	// The same defaults in SQL would pass the check above even if the client sent them itself:
	// change them (in a transaction rolled back at the end) and see which values push receives.
	tx, err := b.pool.Begin(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(b.ctx) }()
	if _, err := tx.Exec(b.ctx, `CREATE OR REPLACE FUNCTION howdah_queue.push(queue text, payload jsonb, priority integer DEFAULT 7,
		run_at timestamptz DEFAULT NULL, max_attempts integer DEFAULT 3, unique_key text DEFAULT 'sql', tags text[] DEFAULT '{sql}')
		RETURNS bigint LANGUAGE sql
		RETURN length(set_config('test.push', concat_ws(' ', priority, coalesce(run_at::text, 'now'), max_attempts, unique_key, tags), true))`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		opts *queue.EnqueueOptions
		want string
	}{
		{nil, "7 now 3 sql {sql}"},
		{&queue.EnqueueOptions{}, "7 now 3 sql {sql}"},
		{&queue.EnqueueOptions{MaxAttempts: 5, Tags: []string{"go"}}, "7 now 5 sql {go}"},
		{&queue.EnqueueOptions{Priority: -1, UniqueKey: "go"}, "-1 now 3 go {sql}"},
	} {
		if _, err := queue.Enqueue(b.ctx, tx, "defaults", 1, c.opts); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := tx.QueryRow(b.ctx, `SELECT current_setting('test.push')`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("options %+v: push received %q, want %q", c.opts, got, c.want)
		}
	}
}

func TestEnqueueInsideTransaction(t *testing.T) {
	t.Parallel()
	b := setup(t)

	tx, err := b.pool.Begin(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, err := queue.Enqueue(b.ctx, tx, "mail", map[string]string{"to": "a@example.com"}, &queue.EnqueueOptions{Priority: -1, Tags: []string{"x"}})
	if err != nil || id <= 0 {
		t.Fatalf("Enqueue = %d, %v", id, err)
	}
	if err := tx.Rollback(b.ctx); err != nil {
		t.Fatal(err)
	}
	if n := b.count(t, "SELECT count(*) FROM howdah_queue.jobs"); n != 0 {
		t.Fatalf("%d jobs after a rolled-back enqueue, want 0", n)
	}

	err = pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
		id, err = queue.Enqueue(b.ctx, tx, "mail", json.RawMessage(`{"to": "b@example.com"}`), &queue.EnqueueOptions{UniqueKey: "b", MaxAttempts: 3})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	again, err := queue.Enqueue(b.ctx, b.pool, "mail", "other", &queue.EnqueueOptions{UniqueKey: "b"})
	if err != nil || again != id {
		t.Fatalf("Enqueue with a held unique key = %d, %v; want the holder %d", again, err, id)
	}
	jobs, err := queue.List(b.ctx, b.pool, queue.ListOptions{Queue: "mail"})
	if err != nil || len(jobs) != 1 {
		t.Fatalf("List = %v, %v", jobs, err)
	}
	if j := jobs[0]; j.ID != id || string(j.Payload) != `{"to": "b@example.com"}` || j.MaxAttempts != 3 || j.State != "available" || j.UniqueKey != "b" {
		t.Fatalf("job = %+v", j)
	}
}

func TestBadInputIsRefusedClearly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"queue name", func() error {
			_, err := queue.Enqueue(b.ctx, b.pool, "Bad Queue;", 1, nil)
			return err
		}, `queue name 'Bad Queue;' is invalid`},
		{"payload not JSON", func() error {
			_, err := queue.Enqueue(b.ctx, b.pool, "q", []byte("{not json"), nil)
			return err
		}, "payload is not valid JSON"},
		{"max attempts", func() error {
			_, err := queue.Enqueue(b.ctx, b.pool, "q", 1, &queue.EnqueueOptions{MaxAttempts: -1})
			return err
		}, "max_attempts must be an integer from 1 to 32767, got -1"},
		{"batch element", func() error {
			_, err := queue.EnqueueMany(b.ctx, b.pool, []queue.NewJob{{Queue: "q", Payload: 1}, {Queue: "Q", Payload: 2}})
			return err
		}, "jobs[1]: queue name 'Q' is invalid"},
		{"concurrency", func() error {
			_, err := queue.New(b.pool, "q", func(context.Context, *queue.Job) error { return nil }, &queue.Config{Concurrency: -1})
			return err
		}, "Concurrency must be from 1 to 1000"},
	}
	for _, c := range cases {
		err := c.call()
		if !errors.Is(err, queue.ErrInvalidInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ErrInvalidInput containing %q", c.name, err, c.want)
		}
	}
	var pgErr *pgconn.PgError
	if _, err := b.pool.Exec(b.ctx, "SELECT howdah_queue.claim('q', 'w', -5)"); !errors.As(err, &pgErr) || pgErr.Code != "22023" ||
		pgErr.Message != "n must be from 1 to 1000, got -5" {
		t.Errorf("claim with a negative n: %v", err)
	}
	var qe *queue.Error
	_, err := queue.Enqueue(b.ctx, b.pool, "q", 1, &queue.EnqueueOptions{MaxAttempts: 0, UniqueKey: strings.Repeat("k", 513)})
	if !errors.As(err, &qe) || qe.PgErr.Code != "22023" || qe.Op != "push" {
		t.Errorf("a database error keeps its fields: %#v", err)
	}
	if n := b.count(t, "SELECT count(*) FROM howdah_queue.jobs"); n != 0 {
		t.Fatalf("refused input wrote %d jobs", n)
	}
	_, err = queue.Cancel(b.ctx, b.pool, 12345)
	if !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("Cancel of an unknown id: %v, want ErrNotFound", err)
	}
	id, _ := queue.Enqueue(b.ctx, b.pool, "q", 1, nil)
	if _, err := queue.Retry(b.ctx, b.pool, id); !errors.Is(err, queue.ErrIllegalState) || !strings.Contains(err.Error(), fmt.Sprintf("job %d is available", id)) {
		t.Errorf("Retry of an available job: %v, want ErrIllegalState naming the job", err)
	}
}

// notifications collects what a LISTEN connection receives on the queue channel.
func listen(t *testing.T, url string) func(wait time.Duration) []string {
	t.Helper()
	conn := pgtest.Connect(t, url)
	if _, err := conn.Exec(context.Background(), "LISTEN "+queue.Channel); err != nil {
		t.Fatal(err)
	}
	return func(wait time.Duration) []string {
		var got []string
		for {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			n, err := conn.WaitForNotification(ctx)
			cancel()
			if err != nil {
				sort.Strings(got)
				return got
			}
			got = append(got, n.Payload)
		}
	}
}

// A 1,000-row push_many sends one notification per queue, not per row; scheduled jobs and
// howdah.queue_notify = off send none.
func TestOneNotificationPerStatementAndQueue(t *testing.T) {
	t.Parallel()
	b := setup(t)
	received := listen(t, b.url)

	jobs := make([]queue.NewJob, 1000)
	for i := range jobs {
		jobs[i] = queue.NewJob{Queue: []string{"images", "mail"}[i%2], Payload: i}
	}
	ids, err := queue.EnqueueMany(b.ctx, b.pool, jobs)
	if err != nil || len(ids) != 1000 {
		t.Fatalf("EnqueueMany: %d ids, %v", len(ids), err)
	}
	if got := received(500 * time.Millisecond); strings.Join(got, ",") != "images,mail" {
		t.Fatalf("notifications after 1,000 jobs on 2 queues = %q, want one per queue", got)
	}

	later := make([]queue.NewJob, 100)
	for i := range later {
		later[i] = queue.NewJob{Queue: "mail", Payload: i, EnqueueOptions: queue.EnqueueOptions{RunAt: time.Now().Add(time.Hour)}}
	}
	if _, err := queue.EnqueueMany(b.ctx, b.pool, later); err != nil {
		t.Fatal(err)
	}
	err = pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(b.ctx, "SET LOCAL howdah.queue_notify = off"); err != nil {
			return err
		}
		_, err := queue.EnqueueMany(b.ctx, tx, jobs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := received(300 * time.Millisecond); len(got) != 0 {
		t.Fatalf("scheduled jobs and notify off sent %q, want nothing", got)
	}
}

// Two sessions claiming at once never get the same job and never wait for each other.
func TestClaimSkipsLockedRows(t *testing.T) {
	t.Parallel()
	b := setup(t)
	jobs := make([]queue.NewJob, 10)
	for i := range jobs {
		jobs[i] = queue.NewJob{Queue: "skip", Payload: i}
	}
	if _, err := queue.EnqueueMany(b.ctx, b.pool, jobs); err != nil {
		t.Fatal(err)
	}
	tx, err := b.pool.Begin(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(b.ctx)
	first := claimIDs(t, b.ctx, tx, 4)
	// The first transaction is still open and holds its rows; the second must skip them at once.
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	second := claimIDs(t, ctx, b.pool, 10)
	if len(first) != 4 || len(second) != 6 {
		t.Fatalf("claimed %d then %d, want 4 then the other 6", len(first), len(second))
	}
	for _, id := range second {
		for _, f := range first {
			if id == f {
				t.Fatalf("job %d claimed twice", id)
			}
		}
	}
}

func claimIDs(t *testing.T, ctx context.Context, db queue.Querier, n int) []int64 {
	t.Helper()
	rows, err := db.Query(ctx, "SELECT id FROM howdah_queue.claim('skip', 'w', $1)", n)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// failsOn decides, the same way every time, whether attempt a of job id fails (about 1 in 4).
func failsOn(id int64, attempt int16) bool {
	h := fnv.New32a()
	fmt.Fprintf(h, "%d/%d", id, attempt)
	return (h.Sum32()>>16)%4 == 0
}

// 10,000 jobs, 8 workers, handlers failing about one attempt in four: every job ends completed
// or failed exactly as its attempts dictate, none is completed twice, none is lost.
func TestTenThousandJobsEightWorkers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const total, maxAttempts = 10000, 3
	jobs := make([]queue.NewJob, total)
	for i := range jobs {
		jobs[i] = queue.NewJob{Queue: "bulk", Payload: map[string]int{"n": i}, EnqueueOptions: queue.EnqueueOptions{MaxAttempts: maxAttempts}}
	}
	var ids []int64
	for start := 0; start < total; start += 1000 {
		got, err := queue.EnqueueMany(b.ctx, b.pool, jobs[start:start+1000])
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got...)
	}

	var mu sync.Mutex
	calls := map[int64][]int16{} // attempts seen per job
	successes := map[int64]int{}
	var settled atomic.Int64
	handler := func(ctx context.Context, j *queue.Job) error {
		mu.Lock()
		defer mu.Unlock()
		calls[j.ID] = append(calls[j.ID], j.Attempt)
		if failsOn(j.ID, j.Attempt) {
			if j.Attempt == maxAttempts {
				settled.Add(1)
			}
			return fmt.Errorf("attempt %d of job %d failed on purpose", j.Attempt, j.ID)
		}
		successes[j.ID]++
		settled.Add(1)
		return nil
	}
	var bgErrs atomic.Int64
	for i := range 8 {
		b.workers(t, "bulk", handler, &queue.Config{
			Concurrency: 4, PollInterval: 50 * time.Millisecond, WorkerID: fmt.Sprintf("bulk-%d", i),
			Backoff: func(*queue.Job, error) time.Duration { return 0 },
			OnError: func(err error) { bgErrs.Add(1); t.Logf("background: %v", err) },
		})
	}
	start := time.Now()
	waitFor(t, 50*time.Second, "every job to settle", func() bool {
		left := b.count(t, "SELECT count(*) FROM howdah_queue.jobs WHERE state NOT IN ('completed', 'failed')")
		if time.Since(start) > 40*time.Second {
			t.Logf("%d jobs left, %d settled by handlers", left, settled.Load())
		}
		return left == 0
	})
	t.Logf("settled in %s", time.Since(start).Round(time.Millisecond))

	rows, err := b.pool.Query(b.ctx, "SELECT id, state::text, attempt, jsonb_array_length(errors) FROM howdah_queue.jobs")
	if err != nil {
		t.Fatal(err)
	}
	type final struct {
		state            string
		attempt, nerrors int
	}
	got := map[int64]final{}
	for rows.Next() {
		var id int64
		var f final
		if err := rows.Scan(&id, &f.state, &f.attempt, &f.nerrors); err != nil {
			t.Fatal(err)
		}
		got[id] = f
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if len(got) != total {
		t.Fatalf("%d jobs in the table, want %d", len(got), total)
	}
	mu.Lock()
	defer mu.Unlock()
	var completed, failed int
	for _, id := range ids {
		// What the attempts dictate: the first attempt that does not fail completes the job.
		want := final{state: "failed", attempt: maxAttempts, nerrors: maxAttempts}
		for a := int16(1); a <= maxAttempts; a++ {
			if !failsOn(id, a) {
				want = final{state: "completed", attempt: int(a), nerrors: int(a) - 1}
				break
			}
		}
		if got[id] != want {
			t.Fatalf("job %d ended %+v, want %+v (handler saw attempts %v)", id, got[id], want, calls[id])
		}
		if len(calls[id]) != want.attempt {
			t.Fatalf("job %d: handler ran for attempts %v, want %d runs", id, calls[id], want.attempt)
		}
		if successes[id] > 1 {
			t.Fatalf("job %d completed %d times", id, successes[id])
		}
		if want.state == "completed" {
			completed++
		} else {
			failed++
		}
	}
	if completed == 0 || failed == 0 {
		t.Fatalf("completed %d, failed %d: the test should exercise both", completed, failed)
	}
	t.Logf("%d jobs: %d completed, %d failed after %d attempts; %d background errors", total, completed, failed, maxAttempts, bgErrs.Load())
}

// A worker that dies mid-job (its context cancelled: no release, no result written) leaves the
// job running; after the lease, rescue hands it to another worker, which completes it once.
func TestKilledWorkersJobIsRescued(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id, err := queue.Enqueue(b.ctx, b.pool, "fragile", "work", nil)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	deadCtx, kill := context.WithCancel(b.ctx)
	dead, err := queue.New(b.pool, "fragile", func(ctx context.Context, j *queue.Job) error {
		close(started)
		<-ctx.Done() // works until killed
		return ctx.Err()
	}, &queue.Config{Lease: time.Second, HeartbeatInterval: 300 * time.Millisecond, RescueInterval: -1, WorkerID: "doomed"})
	if err != nil {
		t.Fatal(err)
	}
	if err := dead.Start(deadCtx); err != nil {
		t.Fatal(err)
	}
	<-started
	kill()

	var runs, successes atomic.Int32
	survivor := b.workers(t, "fragile", func(ctx context.Context, j *queue.Job) error {
		runs.Add(1)
		successes.Add(1)
		return nil
	}, &queue.Config{Lease: time.Second, HeartbeatInterval: 300 * time.Millisecond, RescueInterval: 200 * time.Millisecond,
		PollInterval: 100 * time.Millisecond, WorkerID: "survivor"})
	waitFor(t, 15*time.Second, "the job to complete", func() bool {
		return b.count(t, "SELECT count(*) FROM howdah_queue.jobs WHERE id = $1 AND state = 'completed'", id) == 1
	})
	var attempt int
	var worker, firstErr string
	if err := b.pool.QueryRow(b.ctx, "SELECT attempt, worker_id, errors -> 0 ->> 'error' FROM howdah_queue.jobs WHERE id = $1", id).Scan(&attempt, &worker, &firstErr); err != nil {
		t.Fatal(err)
	}
	if attempt != 2 || worker != survivor.WorkerID() || !strings.Contains(firstErr, "worker doomed stopped heartbeating") {
		t.Fatalf("attempt %d, worker %q, first error %q; want attempt 2 by the survivor after doomed's lease expired", attempt, worker, firstErr)
	}
	time.Sleep(300 * time.Millisecond)
	if runs.Load() != 1 || successes.Load() != 1 {
		t.Fatalf("the survivor ran the job %d times, want once", runs.Load())
	}
	_ = dead.Stop(b.ctx)
}

// Stop lets in-flight handlers finish when its context allows, and releases the jobs of
// handlers still running when it ends (available again, attempt not counted).
func TestStopFinishesOrReleases(t *testing.T) {
	t.Parallel()
	b := setup(t)
	quick, _ := queue.Enqueue(b.ctx, b.pool, "stopq", "quick", nil)
	slow, _ := queue.Enqueue(b.ctx, b.pool, "stopq", "slow", nil)
	var running sync.WaitGroup
	running.Add(2)
	var causes sync.Map
	w, err := queue.New(b.pool, "stopq", func(ctx context.Context, j *queue.Job) error {
		running.Done()
		if string(j.Payload) == `"quick"` {
			time.Sleep(200 * time.Millisecond)
			return nil
		}
		<-ctx.Done()
		causes.Store(j.ID, context.Cause(ctx))
		return ctx.Err()
	}, &queue.Config{Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(b.ctx); err != nil {
		t.Fatal(err)
	}
	running.Wait()
	ctx, cancel := context.WithTimeout(b.ctx, time.Second)
	defer cancel()
	if err := w.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v, want the deadline error: a handler had to be interrupted", err)
	}
	var state string
	var attempt int
	if err := b.pool.QueryRow(b.ctx, "SELECT state::text FROM howdah_queue.jobs WHERE id = $1", quick).Scan(&state); err != nil || state != "completed" {
		t.Fatalf("the quick job is %q (%v), want completed", state, err)
	}
	if err := b.pool.QueryRow(b.ctx, "SELECT state::text, attempt FROM howdah_queue.jobs WHERE id = $1", slow).Scan(&state, &attempt); err != nil || state != "available" || attempt != 0 {
		t.Fatalf("the slow job is %q attempt %d (%v), want released: available, attempt 0", state, attempt, err)
	}
	if c, _ := causes.Load(slow); c != queue.ErrStopped {
		t.Fatalf("the slow handler's context cause = %v, want ErrStopped", c)
	}
}

// A panicking handler records a failed attempt; a job cancelled while running cancels its
// handler's context with ErrJobLost; heartbeats keep a long job's lease alive.
func TestPanicsCancellationsAndHeartbeats(t *testing.T) {
	t.Parallel()
	b := setup(t)
	panicky, _ := queue.Enqueue(b.ctx, b.pool, "misc", "panic", &queue.EnqueueOptions{MaxAttempts: 1})
	long, _ := queue.Enqueue(b.ctx, b.pool, "misc", "long", nil)
	doomed, _ := queue.Enqueue(b.ctx, b.pool, "misc", "cancel me", nil)
	lost := make(chan error, 1)
	var longRuns atomic.Int32
	b.workers(t, "misc", func(ctx context.Context, j *queue.Job) error {
		switch string(j.Payload) {
		case `"panic"`:
			panic("handler bug")
		case `"long"`:
			longRuns.Add(1)
			time.Sleep(2500 * time.Millisecond) // longer than two leases
			return nil
		default:
			<-ctx.Done()
			lost <- context.Cause(ctx)
			return nil
		}
	}, &queue.Config{Lease: time.Second, HeartbeatInterval: 250 * time.Millisecond, RescueInterval: 200 * time.Millisecond})

	waitFor(t, 10*time.Second, "the doomed job to run", func() bool {
		return b.count(t, "SELECT count(*) FROM howdah_queue.jobs WHERE id = $1 AND state = 'running'", doomed) == 1
	})
	if _, err := queue.Cancel(b.ctx, b.pool, doomed); err != nil {
		t.Fatal(err)
	}
	select {
	case cause := <-lost:
		if cause != queue.ErrJobLost {
			t.Fatalf("cancelled job's handler context cause = %v, want ErrJobLost", cause)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the cancelled job's handler was never told")
	}
	waitFor(t, 10*time.Second, "the long job to complete", func() bool {
		return b.count(t, "SELECT count(*) FROM howdah_queue.jobs WHERE id = $1 AND state = 'completed'", long) == 1
	})
	if n := longRuns.Load(); n != 1 {
		t.Fatalf("the long job ran %d times: heartbeats should have kept its lease", n)
	}
	var state, msg string
	if err := b.pool.QueryRow(b.ctx, "SELECT state::text, errors -> 0 ->> 'error' FROM howdah_queue.jobs WHERE id = $1", panicky).Scan(&state, &msg); err != nil {
		t.Fatal(err)
	}
	if state != "failed" || !strings.HasPrefix(msg, "panic: handler bug") {
		t.Fatalf("panicking job: %s, %q; want failed with the panic", state, msg)
	}
}

// With polling out of the picture (one hour), a job pushed while the workers idle is picked up
// through NOTIFY alone.
func TestNotifyWakesWorkers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ran := make(chan int64, 1)
	b.workers(t, "wake", func(ctx context.Context, j *queue.Job) error { ran <- j.ID; return nil },
		&queue.Config{PollInterval: time.Hour})
	time.Sleep(300 * time.Millisecond) // let the LISTEN connection start
	id, err := queue.Enqueue(b.ctx, b.pool, "wake", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-ran:
		if got != id {
			t.Fatalf("ran job %d, want %d", got, id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the job was not picked up: no wake-up arrived")
	}
}

// Restarting PostgreSQL under running workers: they reconnect (pool and LISTEN) and finish.
func TestWorkersSurvivePostgresRestart(t *testing.T) {
	t.Parallel()
	if _, err := pgcluster.BinDir(); err != nil {
		t.Skip("no local PostgreSQL binaries: the restart test needs its own cluster")
	}
	dir, err := os.MkdirTemp("", "howdah-queue-restart-")
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := pgcluster.Start(context.Background(), &pgcluster.Config{Dir: dir})
	if err != nil {
		t.Skipf("cannot start a dedicated cluster: %v", err)
	}
	t.Cleanup(func() { _ = cluster.Destroy() })
	b := setupURL(t, cluster.URL("postgres"))

	const total = 600
	jobs := make([]queue.NewJob, total)
	for i := range jobs {
		jobs[i] = queue.NewJob{Queue: "restart", Payload: i}
	}
	if _, err := queue.EnqueueMany(b.ctx, b.pool, jobs); err != nil {
		t.Fatal(err)
	}
	var done atomic.Int32
	// Polling every hour: after the restart only the LISTEN connection's reconnect and
	// notifications can wake the workers.
	b.workers(t, "restart", func(ctx context.Context, j *queue.Job) error {
		time.Sleep(5 * time.Millisecond)
		done.Add(1)
		return nil
	}, &queue.Config{Concurrency: 4, Lease: 2 * time.Second, RescueInterval: 500 * time.Millisecond, PollInterval: time.Hour,
		OnError: func(err error) { t.Logf("background: %v", err) }})
	waitFor(t, 20*time.Second, "some jobs to run", func() bool { return done.Load() > 50 })
	if err := cluster.Restart(b.ctx); err != nil {
		t.Fatalf("restart: %v", err)
	}
	completed := func(n int) func() bool {
		return func() bool {
			var got int
			err := b.pool.QueryRow(b.ctx, "SELECT count(*) FROM howdah_queue.jobs WHERE state = 'completed'").Scan(&got)
			return err == nil && got == n
		}
	}
	waitFor(t, 40*time.Second, "every job to complete after the restart", completed(total))
	if _, err := queue.Enqueue(b.ctx, b.pool, "restart", "after", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "a job pushed after the restart to be woken by NOTIFY", completed(total+1))
}

// A handler that ignores its context outlives Stop: its job must not be released while it
// runs, or another worker would run the same job at the same time. It stays running under the
// old lease (heartbeats stop), rescue takes it back after the lease, and the late result of the
// abandoned handler is not written. A handler that honours its context is released as before.
func TestStopLeavesRunningHandlersJobsToRescue(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stubborn, _ := queue.Enqueue(b.ctx, b.pool, "stubq", "stubborn", nil)
	polite, _ := queue.Enqueue(b.ctx, b.pool, "stubq", "polite", nil)
	hold := make(chan struct{})
	stubbornDone := make(chan struct{})
	var firstRunning atomic.Bool
	var running sync.WaitGroup
	running.Add(2)
	first, err := queue.New(b.pool, "stubq", func(ctx context.Context, j *queue.Job) error {
		running.Done()
		if string(j.Payload) == `"stubborn"` {
			firstRunning.Store(true)
			<-hold // ignores ctx
			firstRunning.Store(false)
			close(stubbornDone)
			return nil
		}
		<-ctx.Done()
		return ctx.Err()
	}, &queue.Config{Concurrency: 2, Lease: 3 * time.Second, HeartbeatInterval: 300 * time.Millisecond, RescueInterval: -1, WorkerID: "first"})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(b.ctx); err != nil {
		t.Fatal(err)
	}
	running.Wait()
	ctx, cancel := context.WithTimeout(b.ctx, 200*time.Millisecond)
	defer cancel()
	err = first.Stop(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "1 handler(s) still running") {
		t.Fatalf("Stop = %v, want the deadline error and the handler still running", err)
	}
	var state, worker string
	var attempt int
	if err := b.pool.QueryRow(b.ctx, "SELECT state::text, attempt, worker_id FROM howdah_queue.jobs WHERE id = $1", stubborn).Scan(&state, &attempt, &worker); err != nil ||
		state != "running" || attempt != 1 || worker != "first" {
		t.Fatalf("the stubborn job is %s attempt %d by %q (%v), want still running attempt 1 by first", state, attempt, worker, err)
	}
	if err := b.pool.QueryRow(b.ctx, "SELECT state::text, attempt FROM howdah_queue.jobs WHERE id = $1", polite).Scan(&state, &attempt); err != nil ||
		state != "available" || attempt != 0 {
		t.Fatalf("the polite job is %s attempt %d (%v), want released: available, attempt 0", state, attempt, err)
	}

	var concurrent atomic.Bool
	ran := make(chan int64, 4)
	b.workers(t, "stubq", func(ctx context.Context, j *queue.Job) error {
		if j.ID == stubborn && firstRunning.Load() {
			concurrent.Store(true)
		}
		ran <- j.ID
		return nil
	}, &queue.Config{Lease: time.Second, HeartbeatInterval: 300 * time.Millisecond, RescueInterval: 200 * time.Millisecond,
		PollInterval: 100 * time.Millisecond, WorkerID: "second"})
	select {
	case id := <-ran:
		if id != polite {
			t.Fatalf("the second worker ran job %d first, want the released job %d (the stubborn one is still running elsewhere)", id, polite)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the released job was not run by the second worker")
	}
	close(hold)
	<-stubbornDone
	select {
	case id := <-ran:
		if id != stubborn {
			t.Fatalf("ran job %d, want the stubborn job %d after rescue", id, stubborn)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the stubborn job was never rescued and run again")
	}
	if concurrent.Load() {
		t.Fatal("the second worker ran the stubborn job while the first handler still ran it")
	}
	waitFor(t, 10*time.Second, "the rescued job to complete", func() bool {
		return b.count(t, "SELECT count(*) FROM howdah_queue.jobs WHERE id = $1 AND state = 'completed' AND worker_id = 'second' AND attempt = 2 AND errors -> 0 ->> 'error' LIKE '%worker first stopped heartbeating'", stubborn) == 1
	})
}

// A job rescued and claimed again under the same worker id (say after an outage longer than the
// lease) is a new attempt: the old attempt's result must not complete it.
func TestLateResultDoesNotCompleteNewAttempt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id, _ := queue.Enqueue(b.ctx, b.pool, "againq", "x", nil)
	started, finish := make(chan struct{}), make(chan struct{})
	// Heartbeats far apart: only complete can go wrong here. One slot, held by attempt 1: the
	// wake-up rescue sends must not let this worker claim attempt 2 before the test does.
	w, err := queue.New(b.pool, "againq", func(ctx context.Context, j *queue.Job) error {
		close(started)
		<-finish
		return nil
	}, &queue.Config{Concurrency: 1, Lease: time.Hour, HeartbeatInterval: 30 * time.Minute, RescueInterval: -1, PollInterval: time.Hour, WorkerID: "same"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(b.ctx); err != nil {
		t.Fatal(err)
	}
	<-started
	if _, err := b.pool.Exec(b.ctx, "UPDATE howdah_queue.jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	var attempt int
	if err := b.pool.QueryRow(b.ctx, "SELECT howdah_queue.rescue('againq')").Scan(new(int)); err != nil {
		t.Fatal(err)
	}
	if err := b.pool.QueryRow(b.ctx, "SELECT attempt FROM howdah_queue.claim('againq', 'same')").Scan(&attempt); err != nil || attempt != 2 {
		t.Fatalf("claim again = attempt %d (%v), want 2", attempt, err)
	}
	close(finish)
	if err := w.Stop(b.ctx); err != nil {
		t.Fatal(err)
	}
	var state string
	if err := b.pool.QueryRow(b.ctx, "SELECT state::text, attempt FROM howdah_queue.jobs WHERE id = $1", id).Scan(&state, &attempt); err != nil ||
		state != "running" || attempt != 2 {
		t.Fatalf("job is %s at attempt %d (%v), want still running at attempt 2: attempt 1's result must be ignored", state, attempt, err)
	}
}

// listenBackends counts the backends of the test's database whose last statement was a LISTEN:
// the connections that wait for notifications (pool connections run claims and heartbeats).
func (b *bundle) listenBackends(t *testing.T) int {
	t.Helper()
	return b.count(t, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'`)
}

// Ten Workers over ten queues on one pool share one LISTEN connection, each woken by its own
// queue's notifications alone (polling every hour); the connection closes after the last stops.
func TestTenWorkersOneListenConnection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ran := make(chan string, 100)
	var ws []*queue.Workers
	for i := range 10 {
		name := fmt.Sprintf("q%d", i)
		ws = append(ws, b.workers(t, name, func(ctx context.Context, j *queue.Job) error {
			ran <- name
			return nil
		}, &queue.Config{PollInterval: time.Hour}))
	}
	// Let every Workers subscribe: separate connections would all be up by now.
	maxSeen := 0
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		maxSeen = max(maxSeen, b.listenBackends(t))
		time.Sleep(50 * time.Millisecond)
	}
	if maxSeen != 1 {
		t.Fatalf("%d LISTEN connections for 10 Workers on one pool, want 1", maxSeen)
	}
	var app string
	if err := b.pool.QueryRow(b.ctx, `SELECT application_name FROM pg_stat_activity WHERE datname = current_database()
		AND query LIKE 'LISTEN %'`).Scan(&app); err != nil || app != "howdah queue (listen)" {
		t.Fatalf("the LISTEN connection's application_name is %q (%v)", app, err)
	}
	for i := 9; i >= 0; i-- {
		name := fmt.Sprintf("q%d", i)
		if _, err := queue.Enqueue(b.ctx, b.pool, name, i, nil); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-ran:
			if got != name {
				t.Fatalf("a job of %s ran, want %s", got, name)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the job of %s was not picked up: no wake-up arrived", name)
		}
	}
	for _, w := range ws {
		if err := w.Stop(b.ctx); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, "the LISTEN connection to close after the last Workers stopped", func() bool {
		return b.listenBackends(t) == 0
	})
}

// A notifier given in Config serves Workers of two pools; Stop leaves it running.
func TestGivenNotifierIsShared(t *testing.T) {
	t.Parallel()
	b := setup(t)
	other, err := pgxpool.New(b.ctx, b.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)
	cc, err := pgx.ParseConfig(b.url)
	if err != nil {
		t.Fatal(err)
	}
	cc.RuntimeParams["application_name"] = "mine"
	n, err := notifier.New(cc, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(b.ctx)
	go n.Run(ctx)
	t.Cleanup(func() { cancel(); <-n.Done() })

	ran := make(chan string, 10)
	var ws []*queue.Workers
	for i, pool := range []*pgxpool.Pool{b.pool, other} {
		name := fmt.Sprintf("given%d", i)
		w, err := queue.New(pool, name, func(ctx context.Context, j *queue.Job) error { ran <- name; return nil },
			&queue.Config{PollInterval: time.Hour, Notifier: n})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Start(b.ctx); err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	waitFor(t, 5*time.Second, "both Workers to subscribe", func() bool { return n.Subscribers() == 2 })
	for _, name := range []string{"given1", "given0"} {
		if _, err := queue.Enqueue(b.ctx, b.pool, name, 1, nil); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-ran:
			if got != name {
				t.Fatalf("ran %s, want %s", got, name)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s was not woken", name)
		}
	}
	if got := b.listenBackends(t); got != 1 {
		t.Fatalf("%d LISTEN connections, want only the given notifier's", got)
	}
	for _, w := range ws {
		if err := w.Stop(b.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n.Subscribers() != 0 || !n.Connected() {
		t.Fatalf("after Stop: %d subscribers, connected %v; want 0 and still connected", n.Subscribers(), n.Connected())
	}
	if _, err := queue.New(b.pool, "x", func(context.Context, *queue.Job) error { return nil },
		&queue.Config{Notifier: n, DisableNotify: true}); !errors.Is(err, queue.ErrInvalidInput) {
		t.Fatalf("Notifier with DisableNotify: %v", err)
	}
}

// Config.StopGrace sets how long Stop waits for interrupted handlers: a handler that takes
// 2 s to honour its context is left running under the default (500 ms) and finishes, its job
// completed, under a grace of 10 s. A negative grace is refused.
func TestStopGraceIsConfigurable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := queue.New(b.pool, "g", func(context.Context, *queue.Job) error { return nil },
		&queue.Config{StopGrace: -time.Second}); !errors.Is(err, queue.ErrInvalidInput) || !strings.Contains(err.Error(), "StopGrace must not be negative") {
		t.Fatalf("negative StopGrace: %v", err)
	}
	slowToStop := func(running chan<- struct{}) queue.Handler {
		return func(ctx context.Context, j *queue.Job) error {
			close(running)
			<-ctx.Done()
			time.Sleep(2 * time.Second)
			return nil
		}
	}
	for _, c := range []struct {
		queue string
		grace time.Duration
		state string
		stuck bool
	}{
		{"grace_default", 0, "running", true},
		{"grace_long", 10 * time.Second, "completed", false},
	} {
		id, err := queue.Enqueue(b.ctx, b.pool, c.queue, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		running := make(chan struct{})
		w, err := queue.New(b.pool, c.queue, slowToStop(running), &queue.Config{StopGrace: c.grace, RescueInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Start(b.ctx); err != nil {
			t.Fatal(err)
		}
		<-running
		ctx, cancel := context.WithTimeout(b.ctx, 50*time.Millisecond)
		err = w.Stop(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "still running") != c.stuck {
			t.Fatalf("%s: Stop = %v; want the deadline error, and a handler left running: %v", c.queue, err, c.stuck)
		}
		if state := b.count(t, "SELECT count(*) FROM howdah_queue.jobs WHERE id = $1 AND state::text = $2", id, c.state); state != 1 {
			t.Fatalf("%s: the job is not %s after Stop", c.queue, c.state)
		}
	}
}
