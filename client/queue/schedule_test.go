package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/howdah/howdah/client/queue"
)

// Schedules are managed from Go as from psql: SetSchedule creates and changes (keeping the next
// tick), sends only the options set, refuses bad input without writing; ListSchedules and
// Unschedule; the JSON form has the table's columns.
func TestScheduleManagement(t *testing.T) {
	t.Parallel()
	b := setup(t)

	nightly, err := queue.SetSchedule(b.ctx, b.pool, "nightly", "reports", nil, queue.ScheduleOptions{Cron: "0 3 * * *"})
	if err != nil {
		t.Fatal(err)
	}
	var wantNext time.Time
	var wantAttempts int16
	if err := b.pool.QueryRow(b.ctx, `SELECT howdah_queue.cron_next('0 3 * * *', $1), howdah_internal.queue_default_max_attempts()`,
		nightly.CreatedAt).Scan(&wantNext, &wantAttempts); err != nil {
		t.Fatal(err)
	}
	if nightly.Name != "nightly" || nightly.Queue != "reports" || nightly.Cron != "0 3 * * *" || nightly.Every != 0 ||
		string(nightly.Payload) != "{}" || nightly.Priority != 0 || nightly.MaxAttempts != wantAttempts || len(nightly.Tags) != 0 ||
		!nightly.NextRunAt.Equal(wantNext) || !nightly.LastRunAt.IsZero() || nightly.LastJobID != 0 {
		t.Fatalf("schedule with no options = %+v; want SQL's defaults and the next 03:00 UTC (%s)", nightly, wantNext)
	}

	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	tick, err := queue.SetSchedule(b.ctx, b.pool, "tick", "ticks", map[string]int{"n": 1}, queue.ScheduleOptions{
		Every: 90 * time.Second, Priority: -2, MaxAttempts: 3, Tags: []string{"a"}, StartAt: start})
	if err != nil {
		t.Fatal(err)
	}
	if tick.Every != 90*time.Second || tick.Cron != "" || string(tick.Payload) != `{"n": 1}` || tick.Priority != -2 ||
		tick.MaxAttempts != 3 || !slices.Equal(tick.Tags, []string{"a"}) || !tick.NextRunAt.Equal(start) {
		t.Fatalf("schedule with every options = %+v", tick)
	}
	// Declared again at the next start-up of the application, with another payload: the next
	// tick stays.
	again, err := queue.SetSchedule(b.ctx, b.pool, "tick", "ticks", map[string]int{"n": 2}, queue.ScheduleOptions{Every: 90 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !again.NextRunAt.Equal(start) || string(again.Payload) != `{"n": 2}` || again.Priority != 0 || !again.CreatedAt.Equal(tick.CreatedAt) {
		t.Fatalf("schedule declared again = %+v, want the same next tick %s and the new payload", again, start)
	}

	for _, c := range []struct {
		name, queue string
		opts        queue.ScheduleOptions
		msg         string
	}{
		{"tick", "ticks", queue.ScheduleOptions{Cron: "0 3 * * 8"}, "day-of-week field: 8 is out of range 0-7"},
		{"tick", "ticks", queue.ScheduleOptions{Cron: "* * * *"}, "has 4 field(s), not 5"},
		{"tick", "ticks", queue.ScheduleOptions{Cron: "* * * * *", Every: time.Minute}, "give cron or every, not both"},
		{"tick", "ticks", queue.ScheduleOptions{}, "give cron"},
		{"tick", "ticks", queue.ScheduleOptions{Every: time.Millisecond}, "every must be from 1 second to 3650 days"},
		{"tick", "Ticks", queue.ScheduleOptions{Every: time.Minute}, "queue name 'Ticks' is invalid"},
		{"Tick", "ticks", queue.ScheduleOptions{Every: time.Minute}, "schedule name 'Tick' is invalid"},
		{"tick", "ticks", queue.ScheduleOptions{Every: time.Minute, MaxAttempts: 40000}, "max_attempts must be an integer from 1 to 32767"},
	} {
		_, err := queue.SetSchedule(b.ctx, b.pool, c.name, c.queue, nil, c.opts)
		if !errors.Is(err, queue.ErrInvalidInput) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("SetSchedule(%q, %q, %+v) = %v, want ErrInvalidInput with %q", c.name, c.queue, c.opts, err, c.msg)
		}
	}
	if _, err := queue.SetSchedule(b.ctx, b.pool, "x", "ticks", json.RawMessage("{nope"), queue.ScheduleOptions{Every: time.Minute}); !errors.Is(err, queue.ErrInvalidInput) {
		t.Errorf("a payload that is not JSON: %v, want ErrInvalidInput", err)
	}

	all, err := queue.ListSchedules(b.ctx, b.pool, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Name != "nightly" || !reflect.DeepEqual(all[1], again) {
		t.Fatalf("ListSchedules = %+v, want nightly and tick unchanged by the refused calls (%+v)", all, again)
	}
	if only, err := queue.ListSchedules(b.ctx, b.pool, "ticks"); err != nil || len(only) != 1 || only[0].Name != "tick" {
		t.Fatalf("ListSchedules(ticks) = %+v, %v", only, err)
	}

	// JSON: the columns of howdah_queue.schedules, null where they are NULL; and back.
	raw, err := json.Marshal(all[1])
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	if err := b.pool.QueryRow(b.ctx, `SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
		WHERE attrelid = 'howdah_queue.schedules'::regclass AND attnum > 0 AND NOT attisdropped`).Scan(&cols); err != nil {
		t.Fatal(err)
	}
	var asMap map[string]any
	if err := json.Unmarshal(raw, &asMap); err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(maps.Keys(asMap))
	if slices.Sort(cols); !slices.Equal(keys, cols) || asMap["cron"] != nil || asMap["every"] != float64(90) || asMap["last_run_at"] != nil {
		t.Fatalf("JSON %s: keys %v, want the columns %v, cron null, every 90, last_run_at null", raw, keys, cols)
	}
	var back queue.Schedule
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if raw2, err := json.Marshal(back); err != nil || string(raw2) != string(raw) || back.Every != all[1].Every ||
		!back.NextRunAt.Equal(all[1].NextRunAt) {
		t.Fatalf("JSON round trip: %s (%v), want %s", raw2, err, raw)
	}

	for _, want := range []bool{true, false} {
		if existed, err := queue.Unschedule(b.ctx, b.pool, "tick"); err != nil || existed != want {
			t.Fatalf("Unschedule = %v, %v; want %v", existed, err, want)
		}
	}
}

// Many callers on many connections of several pools (standing for processes) call enqueue_due
// at the same instants, tick after tick: each tick of each schedule gets exactly one job, and
// the counts the callers get add up to the jobs made.
func TestEnqueueDueExactlyOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const processes, callersEach, seconds = 4, 3, 90
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	want := map[string][]time.Time{}
	for _, s := range []struct {
		name  string
		opts  queue.ScheduleOptions
		every time.Duration
	}{
		{"every-1s", queue.ScheduleOptions{Every: time.Second, StartAt: t0}, time.Second},
		{"every-7s", queue.ScheduleOptions{Every: 7 * time.Second, StartAt: t0}, 7 * time.Second},
		{"every-minute", queue.ScheduleOptions{Cron: "* * * * *", StartAt: t0}, time.Minute},
	} {
		if _, err := queue.SetSchedule(b.ctx, b.pool, s.name, "race-"+s.name, nil, s.opts); err != nil {
			t.Fatal(err)
		}
		for at := t0; at.Before(t0.Add(seconds * time.Second)); at = at.Add(s.every) {
			want["race-"+s.name] = append(want["race-"+s.name], at)
		}
	}

	// One dedicated connection per caller, so that every call of a step really runs at once.
	var conns []*pgxpool.Conn
	for p := range processes {
		cfg, err := pgxpool.ParseConfig(b.url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ConnConfig.RuntimeParams["application_name"] = fmt.Sprintf("process %d", p)
		pool, err := pgxpool.NewWithConfig(b.ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		for range callersEach {
			c, err := pool.Acquire(b.ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Release)
			conns = append(conns, c)
		}
	}
	total := 0
	for s := range seconds {
		at := t0.Add(time.Duration(s) * time.Second)
		start := make(chan struct{})
		counts := make([]int, len(conns))
		errs := make([]error, len(conns))
		var wg sync.WaitGroup
		for i, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				counts[i], errs[i] = queue.EnqueueDue(b.ctx, c, "", at)
			}()
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		for _, n := range counts {
			total += n
		}
	}

	rows, err := b.pool.Query(b.ctx, `SELECT queue, array_agg(run_at ORDER BY run_at) FROM howdah_queue.jobs GROUP BY queue`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]time.Time{}
	jobs := 0
	for rows.Next() {
		var q string
		var ats []time.Time
		if err := rows.Scan(&q, &ats); err != nil {
			t.Fatal(err)
		}
		got[q] = ats
		jobs += len(ats)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	for q, w := range want {
		if !slices.EqualFunc(got[q], w, time.Time.Equal) {
			t.Errorf("%s: jobs for ticks %v, want one per tick %v", q, got[q], w)
		}
	}
	if len(got) != len(want) || total != jobs {
		t.Errorf("%d callers reported %d jobs enqueued; the table has %d in %d queues", len(conns), total, jobs, len(got))
	}
	if !t.Failed() {
		t.Logf("%d callers × %d instants: %d jobs, one per tick", len(conns), seconds, jobs)
	}
}

// Workers run enqueue_due for their queue by default: a schedule every second, served by three
// Workers on three pools, has its jobs handled, one per tick, none twice.
func TestWorkersEnqueueDueTicks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	start := time.Now().Truncate(time.Second)
	if _, err := queue.SetSchedule(b.ctx, b.pool, "beat", "beat", nil, queue.ScheduleOptions{Every: time.Second, StartAt: start}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	handled := map[int64]time.Time{}
	for i := range 3 {
		other := setupPool(t, b.url)
		w, err := queue.New(other, "beat", func(_ context.Context, j *queue.Job) error {
			mu.Lock()
			defer mu.Unlock()
			handled[j.ID] = j.RunAt
			return nil
		}, &queue.Config{PollInterval: 100 * time.Millisecond, WorkerID: fmt.Sprintf("beat-%d", i),
			OnError: func(err error) { t.Errorf("background: %v", err) }})
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
	}
	waitFor(t, 15*time.Second, "three ticks handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(handled) >= 3
	})
	var ats []time.Time
	if err := b.pool.QueryRow(b.ctx, `SELECT array_agg(run_at ORDER BY run_at) FROM howdah_queue.jobs WHERE queue = 'beat'`).Scan(&ats); err != nil {
		t.Fatal(err)
	}
	for i, at := range ats {
		if i > 0 && !at.After(ats[i-1]) {
			t.Fatalf("tick %s enqueued twice: %v", at, ats)
		}
		if d := at.Sub(start); d%time.Second != 0 || d < 0 {
			t.Fatalf("job for %s, which is not a tick of the schedule (from %s every 1s): %v", at, start, ats)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for id, at := range handled {
		if at.Sub(start)%time.Second != 0 {
			t.Fatalf("job %d: handler saw run_at %s, want a tick", id, at)
		}
	}
}

// A worker whose role may not run enqueue_due reports it once and stops trying, and still
// works its queue; one with ScheduleInterval -1 never calls it.
func TestWorkersWithoutScheduleGrants(t *testing.T) {
	t.Parallel()
	b := setup(t)
	role := "howdah_test_sched_worker"
	for _, q := range []string{
		"CREATE ROLE " + role + " LOGIN",
		"GRANT USAGE ON SCHEMA howdah_queue TO " + role,
		"GRANT SELECT, UPDATE ON howdah_queue.jobs TO " + role,
	} {
		if _, err := b.pool.Exec(b.ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_, _ = b.pool.Exec(context.Background(), "DROP OWNED BY "+role)
		_, _ = b.pool.Exec(context.Background(), "DROP ROLE "+role)
	})
	if _, err := queue.SetSchedule(b.ctx, b.pool, "due", "weak", nil, queue.ScheduleOptions{Every: time.Second, StartAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(b.url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.User = role
	weak, err := pgxpool.NewWithConfig(b.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(weak.Close)

	var mu sync.Mutex
	var reports []string
	ran := make(chan int64, 1)
	w, err := queue.New(weak, "weak", func(_ context.Context, j *queue.Job) error { ran <- j.ID; return nil },
		&queue.Config{PollInterval: 20 * time.Millisecond, OnError: func(err error) {
			mu.Lock()
			defer mu.Unlock()
			reports = append(reports, err.Error())
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(b.ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Stop(context.Background()) }()
	id, err := queue.Enqueue(b.ctx, b.pool, "weak", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-ran:
		if got != id {
			t.Fatalf("handler ran job %d, want %d", got, id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the worker without schedule grants did not run its queue's job")
	}
	time.Sleep(300 * time.Millisecond) // 15 more polls: the report must stay single
	mu.Lock()
	defer mu.Unlock()
	if len(reports) != 1 || !strings.Contains(reports[0], "enqueue_due") || !strings.Contains(reports[0], "42501") ||
		!strings.Contains(reports[0], "stops enqueueing") {
		t.Fatalf("OnError got %q, want one report of enqueue_due's 42501", reports)
	}
	if n := b.count(t, "SELECT count(*) FROM howdah_queue.jobs WHERE queue = 'weak'"); n != 1 {
		t.Fatalf("%d jobs in queue weak, want only the one pushed", n)
	}

	// Disabled: a due schedule stays due.
	w2, err := queue.New(b.pool, "off", func(context.Context, *queue.Job) error { return nil },
		&queue.Config{PollInterval: 20 * time.Millisecond, ScheduleInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := queue.SetSchedule(b.ctx, b.pool, "off", "off", nil, queue.ScheduleOptions{Every: time.Second, StartAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := w2.Start(b.ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	_ = w2.Stop(context.Background())
	if n := b.count(t, "SELECT count(*) FROM howdah_queue.jobs WHERE queue = 'off'"); n != 0 {
		t.Fatalf("ScheduleInterval -1: %d jobs enqueued, want none", n)
	}
}

// setupPool is another pool on url, closed when the test ends.
func setupPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
