package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/howdah/howdah/client/queue"
	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgcluster"
	"github.com/howdah/howdah/internal/pgtest"
)

// The queue part's vocabulary (docs/reliability.md says the same):
//
//   - a run is one call of the handler that returned nil; the handler's last act is to insert
//     (job id, attempt) into reliability.runs, which is unique on the pair, before it returns;
//   - a job is lost when it does not end completed, or when the queue completed an attempt for
//     which no run was recorded (the job was marked done without its work);
//   - a job is completed twice (the report's "jobs run twice") when a run of it started after
//     the queue had completed it, or carries a later attempt than the one completed, or when
//     one attempt was delivered twice (a second insert of the same pair);
//   - a job is re-run after a crash when its completed attempt is not its first: an earlier
//     attempt's worker was killed, lost its lease or lost the database before its result was
//     recorded. At-least-once delivery allows that, and the earlier handler may even have
//     finished (its run is recorded): "finished again after a crash" counts those.
const queueRunsSQL = `
CREATE SCHEMA reliability;
CREATE TABLE reliability.runs (
    job_id      bigint      NOT NULL,
    attempt     smallint    NOT NULL,
    worker      text        NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    dups        int         NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, attempt)
);`

const relQueue = "reliability"

// Worker settings: short leases so that rescue takes back a dead worker's jobs within seconds.
const (
	workerLease     = 3 * time.Second
	workerHeartbeat = 750 * time.Millisecond
)

// queueWorker is the helper process: Workers over relQueue until SIGTERM (or SIGKILL).
func queueWorker() int {
	url, id := os.Getenv("HOWDAH_RELIABILITY_DB"), os.Getenv("HOWDAH_RELIABILITY_WORKER")
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer cancel()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cfg.MaxConns = 10
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer pool.Close()
	handler := func(ctx context.Context, job *queue.Job) error {
		started := time.Now()
		_, err := pool.Exec(ctx, `INSERT INTO reliability.runs (job_id, attempt, worker, started_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (job_id, attempt) DO UPDATE SET dups = runs.dups + 1`, job.ID, job.Attempt, id, started)
		return err
	}
	w, err := queue.New(pool, relQueue, handler, &queue.Config{
		Concurrency: 16, Lease: workerLease, HeartbeatInterval: workerHeartbeat, RescueInterval: time.Second,
		PollInterval: 250 * time.Millisecond, ScheduleInterval: -1, WorkerID: id,
		Backoff: func(*queue.Job, error) time.Duration { return 50 * time.Millisecond },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	// The database may be down (restarted by the test) when this worker starts: retry.
	for err = w.Start(ctx); err != nil; err = w.Start(ctx) {
		if ctx.Err() != nil {
			return 0
		}
		time.Sleep(200 * time.Millisecond)
	}
	<-ctx.Done()
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer stopCancel()
	_ = w.Stop(stopCtx)
	return 0
}

type workerProc struct {
	id   string
	cmd  *exec.Cmd
	done chan struct{}
}

func startWorker(t *testing.T, url, id, logDir string) *workerProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envRole+"=queue-worker", "HOWDAH_RELIABILITY_DB="+url, "HOWDAH_RELIABILITY_WORKER="+id)
	log, err := os.Create(filepath.Join(logDir, id+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &workerProc{id: id, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); log.Close(); close(p.done) }()
	return p
}

type kill struct {
	at      time.Time
	worker  string
	ids     []int64       // the jobs the worker held when it died
	rescued time.Duration // from the kill until none of ids was held by the dead worker; 0 until then
}

func TestQueueUnderCrashes(t *testing.T) {
	ctx := context.Background()
	jobs := size(5000, 100000)
	const workers = 8
	restarts := 2

	// A cluster of its own: it gets restarted. Commits are synchronous here, as in production:
	// a crash must not take back an acknowledged completion.
	var cluster *pgcluster.Cluster
	var adminURL string
	if os.Getenv(pgtest.EnvURL) != "" {
		restarts = 0
		adminURL = pgtest.SharedServer(t).URL
		t.Logf("external server (%s): PostgreSQL is not restarted", pgtest.EnvURL)
	} else {
		var err error
		cluster, err = pgcluster.Start(ctx, &pgcluster.Config{Settings: []string{"synchronous_commit = on"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cluster.Destroy() })
		adminURL = cluster.URL("postgres")
	}
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatal(err)
	}
	dbName := fmt.Sprintf("howdah_rel_queue_%d", os.Getpid())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+dbName); err != nil {
		t.Fatal(err)
	}
	admin.Close(ctx)
	url := (&pgtest.Server{URL: adminURL}).DatabaseURL(dbName)
	if cluster == nil {
		t.Cleanup(func() { pgtest.SharedServer(t).DropDatabase(context.Background(), dbName) })
	}

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	in, err := installer.New(conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Install(ctx, []installer.Target{{Module: "queue"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, queueRunsSQL); err != nil {
		t.Fatal(err)
	}
	for from := 1; from <= jobs; from += 5000 {
		to := min(from+4999, jobs)
		if _, err := conn.Exec(ctx, `SELECT howdah_queue.push_many((SELECT jsonb_agg(jsonb_build_object('queue', $1::text, 'payload', jsonb_build_object('n', g)))
			FROM generate_series($2::int, $3::int) g))`, relQueue, from, to); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close(ctx)

	logDir := t.TempDir()
	gen := 0
	newID := func(slot int) string { gen++; return fmt.Sprintf("rel-w%d-%d", slot, gen) }
	procs := make([]*workerProc, workers)
	for i := range procs {
		procs[i] = startWorker(t, url, newID(i), logDir)
	}
	t.Cleanup(func() {
		for _, p := range procs {
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
	})

	// The chaos: a worker SIGKILLed every killEvery on average (and restarted after a moment),
	// PostgreSQL stopped in immediate mode and started again at 1/3 and 2/3 of the jobs.
	killEvery := size(700*time.Millisecond, 2*time.Second)
	timeout := size(4*time.Minute, 30*time.Minute)
	start := time.Now()
	var (
		kills       []kill
		crashes     []time.Duration
		mon         *pgx.Conn
		completed   int
		lastChange  = start
		longest     time.Duration
		nextKill    = start.Add(time.Duration(rand.Int64N(int64(2 * killEvery))))
		stallWindow = size(90*time.Second, 5*time.Minute)
	)
	query := func(sql string, args []any, dest ...any) error {
		if mon == nil || mon.IsClosed() {
			c, err := pgx.Connect(ctx, url)
			if err != nil {
				return err
			}
			mon = c
		}
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		err := mon.QueryRow(qctx, sql, args...).Scan(dest...)
		if err != nil {
			mon.Close(ctx)
			mon = nil
		}
		return err
	}
	defer func() {
		if mon != nil {
			mon.Close(ctx)
		}
	}()
	for completed < jobs {
		now := time.Now()
		if now.Sub(start) > timeout || now.Sub(lastChange) > stallWindow {
			var states string
			_ = query(`SELECT string_agg(state || '=' || n, ' ') FROM (SELECT state::text, count(*) n FROM howdah_queue.jobs GROUP BY 1) s`, nil, &states)
			t.Fatalf("after %s, %d of %d jobs completed, none for %s (states: %s); worker logs in %s",
				now.Sub(start).Round(time.Second), completed, jobs, now.Sub(lastChange).Round(time.Second), states, logDir)
		}
		if cluster != nil && len(crashes) < restarts && completed >= (len(crashes)+1)*jobs/(restarts+1) {
			t0 := time.Now()
			if err := cluster.Crash(ctx); err != nil {
				t.Fatal(err)
			}
			crashes = append(crashes, time.Since(t0))
		}
		if now.After(nextKill) {
			slot := rand.IntN(workers)
			p := procs[slot]
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
			k := kill{at: time.Now(), worker: p.id}
			var ids []int64
			if err := query(`SELECT coalesce(array_agg(id), '{}') FROM howdah_queue.jobs WHERE worker_id = $1 AND state = 'running'`, []any{p.id}, &ids); err == nil {
				k.ids = ids
			}
			kills = append(kills, k)
			time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
			procs[slot] = startWorker(t, url, newID(slot), logDir)
			nextKill = time.Now().Add(time.Duration(rand.Int64N(int64(2 * killEvery))))
		}
		for i := range kills {
			k := &kills[i]
			if k.rescued != 0 || len(k.ids) == 0 {
				continue
			}
			var held int
			if err := query(`SELECT count(*) FROM howdah_queue.jobs WHERE id = ANY($1) AND worker_id = $2 AND state = 'running'`,
				[]any{k.ids, k.worker}, &held); err == nil && held == 0 {
				k.rescued = time.Since(k.at)
			}
		}
		var n int
		if err := query(`SELECT count(*) FROM howdah_queue.jobs WHERE state = 'completed'`, nil, &n); err == nil && n != completed {
			now := time.Now()
			if n > completed {
				longest = max(longest, now.Sub(lastChange))
				lastChange = now
			}
			completed = n
		}
		time.Sleep(100 * time.Millisecond)
	}
	elapsed := time.Since(start)
	for _, p := range procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range procs {
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
	}

	check, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close(ctx)
	var notCompleted, completedWithoutRun, ranTwice, rerun, finishedAgain int
	var finalizedGap time.Duration
	if err := check.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM howdah_queue.jobs WHERE queue = $1 AND state <> 'completed'),
		       (SELECT count(*) FROM howdah_queue.jobs j WHERE j.queue = $1 AND j.state = 'completed'
		           AND NOT EXISTS (SELECT FROM reliability.runs r WHERE r.job_id = j.id AND r.attempt = j.attempt)),
		       (SELECT count(DISTINCT j.id) FROM howdah_queue.jobs j JOIN reliability.runs r ON r.job_id = j.id
		         WHERE r.attempt > j.attempt OR r.started_at > j.finalized_at OR r.dups > 0),
		       (SELECT count(*) FROM howdah_queue.jobs WHERE queue = $1 AND state = 'completed' AND attempt > 1),
		       (SELECT count(*) FROM (SELECT job_id FROM reliability.runs GROUP BY 1 HAVING count(*) > 1) r),
		       (SELECT coalesce(max(gap), '0') FROM (SELECT finalized_at - lag(finalized_at) OVER (ORDER BY finalized_at) AS gap
		          FROM howdah_queue.jobs WHERE queue = $1) g)`, relQueue).
		Scan(&notCompleted, &completedWithoutRun, &ranTwice, &rerun, &finishedAgain, &finalizedGap); err != nil {
		t.Fatal(err)
	}
	// Rescue delay: from a kill until rescue had taken back every job the dead worker held
	// (observed every 100 ms). Restart delay: from a kill to the next start of each of them,
	// which adds the wait behind the jobs already available.
	var rescues, delays []time.Duration
	for _, k := range kills {
		if k.rescued != 0 {
			rescues = append(rescues, k.rescued)
		}
	}
	for _, k := range kills {
		if len(k.ids) == 0 {
			continue
		}
		rows, err := check.Query(ctx, `SELECT min(r.started_at) FROM unnest($1::bigint[]) i(id)
			JOIN reliability.runs r ON r.job_id = i.id AND r.started_at > $2 GROUP BY i.id`, k.ids, k.at)
		if err != nil {
			t.Fatal(err)
		}
		next, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range next {
			delays = append(delays, at.Sub(k.at))
		}
	}
	spread := func(ds []time.Duration, of string) string {
		if len(ds) == 0 {
			return "none needed"
		}
		slices.Sort(ds)
		return fmt.Sprintf("median %.1fs, max %.1fs over %d %s", ds[len(ds)/2].Seconds(), ds[len(ds)-1].Seconds(), len(ds), of)
	}
	rescue := spread(rescues, "kills") + "; restart delay " + spread(delays, "jobs")
	lost := notCompleted + completedWithoutRun
	took := make([]string, len(crashes))
	for i, d := range crashes {
		took[i] = fmt.Sprintf("%.1fs", d.Seconds())
	}
	report(t, "queue", "%d jobs, %d worker processes, %d SIGKILLs, %d PostgreSQL immediate restarts (each %s); %.1fs, %.0f jobs/s; "+
		"jobs lost: %d; jobs run twice: %d; re-run after a crash: %d (finished again after a crash: %d); "+
		"longest stall %.1fs (largest gap between completions %.1fs); rescue delay %s (lease %s)",
		jobs, workers, len(kills), len(crashes), strings.Join(took, ", "), elapsed.Seconds(), float64(jobs)/elapsed.Seconds(),
		lost, ranTwice, rerun, finishedAgain, longest.Seconds(), finalizedGap.Seconds(), rescue, workerLease)
	if lost != 0 {
		t.Errorf("jobs lost: %d (%d not completed, %d completed without a recorded run)", lost, notCompleted, completedWithoutRun)
	}
	if ranTwice != 0 {
		t.Errorf("jobs run twice: %d (a run after completion, or one attempt delivered twice)", ranTwice)
	}
	if cluster != nil && len(crashes) != restarts {
		t.Errorf("PostgreSQL was restarted %d times, want %d", len(crashes), restarts)
	}
}
