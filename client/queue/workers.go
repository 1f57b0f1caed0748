package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/howdah/howdah/client/notifier"
)

// Channel is the NOTIFY channel of queue wake-ups; the payload is the queue's name.
const Channel = "howdah_queue"

// Handler runs one job. Returning nil completes it; an error (or a panic) records a failed
// attempt with the error's text. ctx is cancelled when the job is lost (cause ErrJobLost),
// when Stop's context ends (ErrStopped), and when the context given to Start is cancelled.
// A handler interrupted by Stop that returns an error has its job released; one that does not
// return soon after (see Stop) keeps its job until the lease expires.
type Handler func(ctx context.Context, job *Job) error

// Config configures Workers. A nil *Config, and every zero field, means the default.
type Config struct {
	// Concurrency is how many handlers run at once (1 to 1000), and so the most jobs one claim
	// takes; default DefaultConcurrency (200).
	Concurrency int
	// Lease is how long a claimed job stays held without a heartbeat before rescue may take it
	// back; default 30 s. Unlike the options of Enqueue, it is always sent (with every claim and
	// heartbeat): the worker times its heartbeats and rescues from it.
	Lease time.Duration
	// HeartbeatInterval is how often leases are extended; default Lease / 3.
	HeartbeatInterval time.Duration
	// PollInterval is the polling floor: claims are tried at least this often even without a
	// notification; default DefaultPollInterval (1 s).
	PollInterval time.Duration
	// RescueInterval is how often this worker runs howdah_queue.rescue for its queue; default
	// Lease. Negative disables it (run rescue elsewhere).
	RescueInterval time.Duration
	// ScheduleInterval is how often this worker runs howdah_queue.enqueue_due for its queue,
	// turning the due ticks of the queue's schedules into jobs (see SetSchedule); default
	// PollInterval. A call finds nothing due at the cost of one index probe, and concurrent
	// calls from many workers and processes never enqueue a tick twice. Negative disables it
	// (call enqueue_due elsewhere). When the database refuses the call for want of privileges
	// (42501) or of the function (42883: the queue module predates schedules), the error goes
	// to OnError once and this worker stops calling it.
	ScheduleInterval time.Duration
	// WorkerID names this worker in the jobs it holds (1 to 128 characters); default
	// "<hostname>-<pid>-<random>".
	WorkerID string
	// Notifier delivers the queue's wake-ups (channel Channel). Nil means the notifier this
	// process shares among all Workers of the same pool: one LISTEN connection however many
	// queues, started with the first of those Workers and closed after the last one stops.
	// Give one to share a connection across pools, or with other listeners (the sidecar's
	// /events); its Run must be going, and Workers never stops it.
	Notifier *notifier.Notifier
	// DisableNotify turns off wake-ups: polling only, no LISTEN connection.
	DisableNotify bool
	// Backoff, when set, gives the delay before a failed job's next attempt; nil means the
	// database's default (2^attempt seconds, at most an hour, with jitter).
	Backoff func(job *Job, err error) time.Duration
	// OnError receives errors of the background work (claims, heartbeats, completions, and the
	// error that lost the LISTEN connection, once it is back); they are retried, so this is for
	// logging. Nil means they are dropped.
	OnError func(error)
	// CompleteBatch is the most job ids one complete call carries; default 1000.
	CompleteBatch int
	// StopGrace is how long Stop waits, after its context ended and the handlers' contexts
	// were cancelled, for handlers to return before it leaves their jobs to lease expiry and
	// rescue; default DefaultStopGrace (500 ms). Negative is refused.
	StopGrace time.Duration
}

func (c *Config) withDefaults() (Config, error) {
	out := Config{}
	if c != nil {
		out = *c
	}
	if out.Concurrency == 0 {
		out.Concurrency = DefaultConcurrency
	}
	if out.Lease == 0 {
		out.Lease = 30 * time.Second
	}
	if out.HeartbeatInterval == 0 {
		out.HeartbeatInterval = out.Lease / 3
	}
	if out.PollInterval == 0 {
		out.PollInterval = DefaultPollInterval
	}
	if out.RescueInterval == 0 {
		out.RescueInterval = out.Lease
	}
	if out.ScheduleInterval == 0 {
		out.ScheduleInterval = out.PollInterval
	}
	if out.CompleteBatch == 0 {
		out.CompleteBatch = 1000
	}
	if out.StopGrace == 0 {
		out.StopGrace = DefaultStopGrace
	}
	if out.WorkerID == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		out.WorkerID = fmt.Sprintf("%.80s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	switch {
	case out.Concurrency < 1 || out.Concurrency > 1000:
		return out, fmt.Errorf("%w: Concurrency must be from 1 to 1000, got %d", ErrInvalidInput, out.Concurrency)
	case out.Lease < time.Millisecond:
		return out, fmt.Errorf("%w: Lease must be at least 1ms, got %s", ErrInvalidInput, out.Lease)
	case out.HeartbeatInterval <= 0 || out.HeartbeatInterval >= out.Lease:
		return out, fmt.Errorf("%w: HeartbeatInterval must be positive and shorter than Lease (%s), got %s", ErrInvalidInput, out.Lease, out.HeartbeatInterval)
	case out.PollInterval < 0:
		return out, fmt.Errorf("%w: PollInterval must be positive, got %s", ErrInvalidInput, out.PollInterval)
	case len(out.WorkerID) > 128:
		return out, fmt.Errorf("%w: WorkerID must be at most 128 characters", ErrInvalidInput)
	case out.CompleteBatch < 1:
		return out, fmt.Errorf("%w: CompleteBatch must be positive, got %d", ErrInvalidInput, out.CompleteBatch)
	case out.StopGrace < 0:
		return out, fmt.Errorf("%w: StopGrace must not be negative, got %s", ErrInvalidInput, out.StopGrace)
	case out.Notifier != nil && out.DisableNotify:
		return out, fmt.Errorf("%w: Notifier and DisableNotify are both set: choose one", ErrInvalidInput)
	}
	return out, nil
}

// held is a job this worker claimed and has not yet settled in the database.
type held struct {
	job      *Job
	cancel   context.CancelCauseFunc
	finished bool // the handler returned; its result is queued for the completer
}

type failure struct {
	h     *held
	msg   string
	retry *time.Duration
}

// DefaultConcurrency is the default of Config.Concurrency: enough slots that one claim round
// trip carries many jobs (with the former 10, Workers spent their time claiming a few jobs at a
// time, at a third of this throughput or less; with 100, at 55 to 75% of 1000 slots), few enough
// that one process does not take a whole backlog from the others, nor start a thousand handlers
// at once against whatever they call. docs/queue.md has the measurements.
const DefaultConcurrency = 200

// DefaultPollInterval is the default of Config.PollInterval. Notifications wake Workers at
// once; the poll only bounds how late a job that sends none is seen (a scheduled or retried job
// coming due, a push with howdah.queue_notify off, a notification lost while disconnected), so a
// shorter one buys no throughput (docs/queue.md) and costs a claim per interval per idle Workers.
const DefaultPollInterval = time.Second

// DefaultStopGrace is the default of Config.StopGrace.
const DefaultStopGrace = 500 * time.Millisecond

// Workers runs a handler over the jobs of one queue. Make it with New, then Start and Stop.
type Workers struct {
	pool    *pgxpool.Pool
	queue   string
	handler Handler
	cfg     Config

	mu        sync.Mutex
	jobs      map[int64]*held
	done      []*held
	failed    []failure
	free      int
	maybeMore bool // the last claim was full: claim again as soon as a slot frees
	started   bool
	stopping  bool
	// interrupted: Stop's context ended and handlers were asked to stop; a handler returning an
	// error now has its job released (in released) rather than failed.
	interrupted bool
	released    []*held

	wake     chan struct{} // claim now
	flush    chan struct{} // results are waiting to be written
	stopDone chan struct{} // handlers are done or released: write the last results and exit

	// claiming counts the claim in flight, if any: Stop waits for it so that no handler starts
	// after Stop stopped claims. Add is called with mu held and stopping false.
	claiming sync.WaitGroup

	runCtx       context.Context
	runCancel    context.CancelFunc
	handlerCtx   context.Context
	stopHandlers context.CancelCauseFunc

	syncWG, loopsWG, handlersWG sync.WaitGroup
	stopOnce                    sync.Once
	stopErr                     error
}

// New returns Workers for queue that run handler with the jobs claimed through pool.
func New(pool *pgxpool.Pool, queue string, handler Handler, cfg *Config) (*Workers, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if pool == nil || handler == nil {
		return nil, fmt.Errorf("%w: New needs a pool and a handler", ErrInvalidInput)
	}
	return &Workers{
		pool: pool, queue: queue, handler: handler, cfg: c,
		jobs: map[int64]*held{}, free: c.Concurrency,
		wake: make(chan struct{}, 1), flush: make(chan struct{}, 1), stopDone: make(chan struct{}),
	}, nil
}

// WorkerID is the id this worker claims jobs under.
func (w *Workers) WorkerID() string { return w.cfg.WorkerID }

// Start begins claiming and running jobs in the background and returns at once. Cancelling
// ctx abandons the workers as a crash would: handlers see their context cancelled and nothing
// more is written, so the jobs they held come back through rescue after their lease. Use Stop
// for a graceful shutdown.
func (w *Workers) Start(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return errors.New("queue: Workers already started")
	}
	n, release := w.cfg.Notifier, func() {}
	if n == nil && !w.cfg.DisableNotify {
		var err error
		if n, release, err = acquireNotifier(w.pool); err != nil {
			return fmt.Errorf("queue: LISTEN notifier: %w", err)
		}
	}
	w.started = true
	w.runCtx, w.runCancel = context.WithCancel(ctx)
	w.handlerCtx, w.stopHandlers = context.WithCancelCause(w.runCtx)

	w.syncWG.Add(1)
	go w.syncLoop()
	w.loopsWG.Add(1)
	go w.every(w.cfg.HeartbeatInterval, w.heartbeat)
	if w.cfg.RescueInterval > 0 {
		w.loopsWG.Add(1)
		go w.every(w.cfg.RescueInterval, w.rescue)
	}
	if w.cfg.ScheduleInterval > 0 {
		w.loopsWG.Add(1)
		go w.scheduleLoop()
	}
	if n != nil {
		w.loopsWG.Add(1)
		go w.listenLoop(n, release)
	}
	w.signal(w.wake)
	return nil
}

// Stop shuts the workers down: no more claims; in-flight handlers may finish until ctx ends.
// Jobs whose handlers finished are completed or failed. When ctx ends first, Stop cancels the
// handlers' contexts (cause ErrStopped) and waits up to Config.StopGrace for them to return: the jobs
// of handlers that returned an error are released (available at once to other workers, the
// attempt not counted), those of handlers that returned nil are completed. The jobs of handlers
// still running after StopGrace are left alone: they stay running under this worker's lease,
// which is no longer extended, so no other worker can run them until the lease expires and
// rescue takes them back (as after a crash); whatever those handlers return later is ignored.
// Stop does not wait for them. It returns ctx's error when handlers had to be interrupted, an
// error counting the handlers left running, and any error of the final writes.
func (w *Workers) Stop(ctx context.Context) error {
	w.mu.Lock()
	started := w.started
	w.stopping = true
	w.mu.Unlock()
	if !started {
		return nil
	}
	w.stopOnce.Do(func() { w.stopErr = w.stop(ctx) })
	return w.stopErr
}

func (w *Workers) stop(ctx context.Context) error {
	// Stop set w.stopping: no claim starts from now on; wait for the one in flight, whose jobs
	// get handlers like the others.
	w.claiming.Wait()

	var errs []error
	handlersDone := make(chan struct{})
	go func() { w.handlersWG.Wait(); close(handlersDone) }()
	select {
	case <-handlersDone:
	case <-ctx.Done():
		errs = append(errs, ctx.Err())
		w.mu.Lock()
		w.interrupted = true
		w.mu.Unlock()
		w.stopHandlers(ErrStopped)
		grace := time.NewTimer(w.cfg.StopGrace)
		select {
		case <-handlersDone:
		case <-grace.C:
		}
		grace.Stop()
		// Release only the jobs whose handlers returned: a job whose handler still runs must
		// not become available, or another worker would run it at the same time. Those are
		// dropped from w.jobs, so heartbeats stop and their late results are ignored.
		w.mu.Lock()
		var back []*held
		for _, h := range w.released {
			if w.jobs[h.job.ID] == h {
				back = append(back, h)
				delete(w.jobs, h.job.ID)
			}
		}
		w.released = nil
		stuck := 0
		for id, h := range w.jobs {
			if !h.finished {
				stuck++
				delete(w.jobs, id)
			}
		}
		w.mu.Unlock()
		if len(back) > 0 && w.runCtx.Err() == nil {
			ids, attempts := idsAndAttempts(back)
			rctx, cancel := context.WithTimeout(w.runCtx, 10*time.Second)
			call, args := releaseFunc.call(arg{"ids", ids}, arg{"worker_id", w.cfg.WorkerID}, arg{"attempts", attempts})
			_, err := w.pool.Exec(rctx, "SELECT "+call, args...)
			cancel()
			if err != nil {
				errs = append(errs, wrap("release", err))
			}
		}
		if stuck > 0 {
			errs = append(errs, fmt.Errorf("queue: %d handler(s) still running after Stop; their jobs stay running until the lease expires and rescue takes them back", stuck))
		}
	}
	close(w.stopDone)
	w.syncWG.Wait()
	w.mu.Lock()
	if n := len(w.done) + len(w.failed); n > 0 && w.runCtx.Err() == nil {
		errs = append(errs, fmt.Errorf("queue: %d job result(s) not written; their jobs will be rescued", n))
	}
	w.mu.Unlock()
	w.runCancel()
	w.loopsWG.Wait()
	return errors.Join(errs...)
}

func (w *Workers) report(err error) {
	if err != nil && w.cfg.OnError != nil && w.runCtx.Err() == nil {
		w.cfg.OnError(err)
	}
}

// signal wakes a loop without blocking (the channels hold one pending signal).
func (w *Workers) signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// syncLoop claims jobs and writes handler results. It claims when woken (notification, poll
// tick, start, reconnect) and, after a full claim, again as soon as slots free up; it writes
// results as handlers return them. Completions and a claim due at the same time share one round
// trip (and one transaction); failures are written one by one.
func (w *Workers) syncLoop() {
	defer w.syncWG.Done()
	tick := time.NewTicker(w.cfg.PollInterval)
	defer tick.Stop()
	failures := 0
	for {
		final, fetch := false, false
		select {
		case <-w.runCtx.Done():
			return
		case <-w.stopDone:
			final = true
		case <-w.wake:
			fetch = true
		case <-tick.C:
			fetch = true
		case <-w.flush:
		}
		for {
			more, fetched, err := w.cycle(fetch)
			if err != nil {
				w.report(err)
				failures++
				select {
				case <-w.stopDone: // Stop is waiting: this is the last flush
					final = true
				default:
				}
				// Stopping: give up after a few tries; rescue will take the jobs back.
				if (final && failures >= 3) || !sleep(w.runCtx, backoff(failures)) {
					return
				}
				continue
			}
			failures = 0
			if fetched {
				fetch = false
			}
			if !more && !fetch {
				w.mu.Lock()
				// A full claim means more may be waiting: claim again now if slots are free, else
				// as soon as one frees up (run signals wake while maybeMore is set).
				again := w.maybeMore && w.free > 0 && !w.stopping
				w.mu.Unlock()
				if !again {
					break
				}
			}
		}
		if final {
			return
		}
	}
}

// cycle writes one batch of results (completions, or else one failure) and, when fetch is set
// or the last claim was full, claims as many jobs as there are free slots. It reports whether
// results are still waiting and whether it took care of fetch: claimed, or with every slot busy
// left for the first slot that frees up.
func (w *Workers) cycle(fetch bool) (more, fetched bool, err error) {
	w.mu.Lock()
	batch := slices.Clone(w.done[:min(len(w.done), w.cfg.CompleteBatch)])
	var f *failure
	if len(batch) == 0 && len(w.failed) > 0 {
		first := w.failed[0]
		f = &first
	}
	n := 0
	if f == nil && (fetch || w.maybeMore) && !w.stopping {
		n = w.free
		if n == 0 {
			// Asked to claim with every slot busy: claim when one frees up.
			w.maybeMore = true
		}
	}
	if n > 0 {
		w.claiming.Add(1)
		defer w.claiming.Done()
	}
	w.mu.Unlock()

	if f != nil {
		return w.fail(f)
	}
	ids, attempts := idsAndAttempts(batch)
	var jobs []*Job
	switch {
	case len(ids) > 0 && n > 0:
		jobs, err = w.completeAndClaim(ids, attempts, n)
	case len(ids) > 0:
		_, err = w.pool.Exec(w.runCtx, completeSQL, ids, w.cfg.WorkerID, attempts)
		err = wrap("complete", err)
	case n > 0:
		jobs, err = w.claim(n)
	}
	if err != nil {
		return true, false, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, h := range batch {
		w.forget(h)
	}
	w.done = w.done[len(batch):]
	if n > 0 {
		w.start(jobs)
		w.maybeMore = len(jobs) == n
	}
	return len(w.done)+len(w.failed) > 0, true, nil
}

// The statements of every cycle, with every argument set: complete's $1 ids, $2 worker_id, $3
// attempts; claim's $1 queue, $2 worker_id, $3 n, $4 lease (microseconds).
var (
	completeSQL = `SELECT ` + completeFunc.fixed("ids", "worker_id", "attempts")
	claimSQL    = `SELECT ` + jobColumns + ` FROM ` + claimFunc.fixed("queue", "worker_id", "n", "lease")
)

// idsAndAttempts returns the ids of the jobs held and the attempts they were claimed at: the
// database then ignores a result or heartbeat for an attempt that is over (the job rescued and
// claimed again, possibly by this same worker id).
func idsAndAttempts(hs []*held) ([]int64, []int32) {
	ids := make([]int64, len(hs))
	attempts := make([]int32, len(hs))
	for i, h := range hs {
		ids[i], attempts[i] = h.job.ID, int32(h.job.Attempt)
	}
	return ids, attempts
}

// claim takes up to n jobs.
func (w *Workers) claim(n int) ([]*Job, error) {
	rows, err := w.pool.Query(w.runCtx, claimSQL, w.queue, w.cfg.WorkerID, n, w.cfg.Lease.Microseconds())
	if err != nil {
		return nil, wrap("claim", err)
	}
	jobs, err := scanJobs(rows)
	return jobs, wrap("claim", err)
}

// completeAndClaim completes ids and takes up to n jobs in one round trip: the two statements
// run in one implicit transaction, so a failed claim leaves the completions unwritten too (and
// both are retried).
func (w *Workers) completeAndClaim(ids []int64, attempts []int32, n int) ([]*Job, error) {
	b := &pgx.Batch{}
	b.Queue(completeSQL, ids, w.cfg.WorkerID, attempts)
	b.Queue(claimSQL, w.queue, w.cfg.WorkerID, n, w.cfg.Lease.Microseconds())
	br := w.pool.SendBatch(w.runCtx, b)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return nil, wrap("complete", err)
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, wrap("claim", err)
	}
	jobs, err := scanJobs(rows)
	if err != nil {
		_ = br.Close()
		return nil, wrap("claim", err)
	}
	return jobs, wrap("claim", br.Close())
}

// start runs a handler for each claimed job. Call it with w.mu held.
func (w *Workers) start(jobs []*Job) {
	for _, j := range jobs {
		ctx, cancel := context.WithCancelCause(w.handlerCtx)
		h := &held{job: j, cancel: cancel}
		w.jobs[j.ID] = h
		w.free--
		w.handlersWG.Add(1)
		go w.run(ctx, h)
	}
}

// run calls the handler, turning a panic into an error, and queues the result.
func (w *Workers) run(ctx context.Context, h *held) {
	defer w.handlersWG.Done()
	j := h.job
	err := w.call(ctx, j)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.free++
	if w.maybeMore && !w.stopping {
		w.signal(w.wake)
	}
	if w.jobs[j.ID] != h {
		return // lost (cancelled, rescued) or left running by Stop: the result is ignored
	}
	h.cancel(nil)
	h.finished = true
	if err != nil && w.interrupted {
		w.released = append(w.released, h) // interrupted by Stop: released, not failed
		return
	}
	if err == nil {
		w.done = append(w.done, h)
	} else {
		f := failure{h: h, msg: err.Error()}
		if w.cfg.Backoff != nil {
			d := w.cfg.Backoff(j, err)
			f.retry = &d
		}
		w.failed = append(w.failed, f)
	}
	w.signal(w.flush)
}

func (w *Workers) call(ctx context.Context, j *Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return w.handler(ctx, j)
}

// fail writes one failed attempt. A job lost meanwhile (cancelled, rescued) is no longer ours
// either way.
func (w *Workers) fail(f *failure) (more, fetched bool, err error) {
	var retry any // nil without Config.Backoff: fail's own backoff applies
	if f.retry != nil {
		retry = max(f.retry.Microseconds(), 0)
	}
	call, args := failFunc.call(arg{"id", f.h.job.ID}, arg{"error", f.msg}, arg{"worker_id", w.cfg.WorkerID},
		arg{"attempt", int32(f.h.job.Attempt)}, arg{"retry_in", retry})
	_, err = w.pool.Exec(w.runCtx, "SELECT "+call, args...)
	if err = wrap("fail", err); err != nil && !errors.Is(err, ErrIllegalState) && !errors.Is(err, ErrNotFound) {
		return true, false, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.forget(f.h)
	w.failed = w.failed[1:]
	return len(w.done)+len(w.failed) > 0, false, nil
}

// forget drops h from the held jobs unless the id was claimed again since (a retried job can
// come back to this worker while its previous attempt's result is being written). Call it with
// w.mu held.
func (w *Workers) forget(h *held) {
	if w.jobs[h.job.ID] == h {
		delete(w.jobs, h.job.ID)
	}
}

// every runs fn every d until the workers stop.
func (w *Workers) every(d time.Duration, fn func() error) {
	defer w.loopsWG.Done()
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		select {
		case <-w.runCtx.Done():
			return
		case <-tick.C:
			w.report(fn())
		}
	}
}

// heartbeat extends the leases of the jobs held and cancels the handlers of jobs that were lost.
func (w *Workers) heartbeat() error {
	w.mu.Lock()
	hs := make([]*held, 0, len(w.jobs))
	sent := make(map[int64]*held, len(w.jobs))
	for id, h := range w.jobs {
		hs = append(hs, h)
		sent[id] = h
	}
	w.mu.Unlock()
	if len(hs) == 0 {
		return nil
	}
	ids, attempts := idsAndAttempts(hs)
	var kept []int64
	call, args := heartbeatFunc.call(arg{"ids", ids}, arg{"worker_id", w.cfg.WorkerID}, arg{"attempts", attempts},
		arg{"lease", w.cfg.Lease.Microseconds()})
	err := w.pool.QueryRow(w.runCtx, "SELECT "+call, args...).Scan(&kept)
	if err != nil {
		return wrap("heartbeat", err)
	}
	still := make(map[int64]bool, len(kept))
	for _, id := range kept {
		still[id] = true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, h := range sent {
		// Only the attempt the heartbeat asked about: the id may have been claimed again since.
		if !still[id] && w.jobs[id] == h {
			h.cancel(ErrJobLost)
			delete(w.jobs, id)
		}
	}
	return nil
}

func (w *Workers) rescue() error {
	call, args := rescueFunc.call(arg{"queue", w.queue})
	_, err := w.pool.Exec(w.runCtx, "SELECT "+call, args...)
	return wrap("rescue", err)
}

// scheduleLoop runs enqueue_due for the worker's queue at start and every ScheduleInterval,
// and wakes the claim loop when it enqueued jobs (their insert also notifies, unless
// howdah.queue_notify is off). It ends on an error that retrying cannot cure.
func (w *Workers) scheduleLoop() {
	defer w.loopsWG.Done()
	call, args := enqueueDueFunc.call(arg{"queue", w.queue})
	sql := "SELECT " + call
	tick := time.NewTicker(w.cfg.ScheduleInterval)
	defer tick.Stop()
	for {
		var n int
		err := wrap("enqueue_due", w.pool.QueryRow(w.runCtx, sql, args...).Scan(&n))
		var qe *Error
		if errors.As(err, &qe) && (qe.PgErr.Code == "42501" || qe.PgErr.Code == "42883") {
			w.report(fmt.Errorf("%w; this worker stops enqueueing the due ticks of queue %q: grant its role what "+
				"enqueue_due needs (docs/queue.md) or upgrade the queue module, or set ScheduleInterval to -1 and "+
				"call enqueue_due elsewhere", err, w.queue))
			return
		}
		w.report(err)
		if n > 0 {
			w.signal(w.wake)
		}
		select {
		case <-w.runCtx.Done():
			return
		case <-tick.C:
		}
	}
}

// listenLoop follows the queue channel through n and wakes the claim loop on this queue's
// notifications, once subscribed, and after every reconnect of n, since notifications sent
// while it was disconnected are lost. It releases n when the workers stop.
func (w *Workers) listenLoop(n *notifier.Notifier, release func()) {
	defer w.loopsWG.Done()
	defer release()
	for {
		sub, err := n.Subscribe(w.runCtx, Channel)
		if err != nil {
			if w.runCtx.Err() == nil {
				// The notifier stopped (only one given in Config can): poll only.
				w.report(fmt.Errorf("queue listen: %w; polling only", err))
			}
			return
		}
		w.signal(w.wake)
		if !w.follow(sub) {
			return
		}
	}
}

// follow wakes the claim loop on sub's events until the workers stop (false) or sub ends:
// true to subscribe again after it was dropped as too slow, false when the notifier stopped.
func (w *Workers) follow(sub *notifier.Subscription) bool {
	defer sub.Close()
	for {
		select {
		case <-w.runCtx.Done():
			return false
		case ev, ok := <-sub.Events():
			switch {
			case !ok:
				err := sub.Err()
				if errors.Is(err, notifier.ErrSlow) {
					return true
				}
				w.report(fmt.Errorf("queue listen: %w; polling only", err))
				return false
			case ev.Kind == notifier.KindReconnected:
				w.report(fmt.Errorf("queue listen: reconnected after: %w", ev.Err))
				w.signal(w.wake)
			case ev.Payload == w.queue:
				w.signal(w.wake)
			}
		}
	}
}

// backoff is the wait after the n-th consecutive failure: 100 ms doubling, at most 5 s.
func backoff(n int) time.Duration {
	return min(100*time.Millisecond<<min(n-1, 6), 5*time.Second)
}

// sleep waits d or until ctx ends, reporting whether it slept the whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
