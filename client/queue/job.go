package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// Job is a row of howdah_queue.jobs. Its JSON form has the table's column names as keys, null
// for NULL columns, and errors and tags as arrays (see MarshalJSON).
type Job struct {
	ID      int64
	Queue   string
	Payload json.RawMessage
	// State is one of available, scheduled, running, retryable, completed, failed, cancelled.
	State       string
	Priority    int16
	Attempt     int16
	MaxAttempts int16
	RunAt       time.Time
	CreatedAt   time.Time
	// AttemptedAt, FinalizedAt and LeaseExpiresAt are zero when NULL.
	AttemptedAt    time.Time
	FinalizedAt    time.Time
	LeaseExpiresAt time.Time
	// WorkerID is the worker holding the job, or that held it last; UniqueKey is "" for none.
	WorkerID  string
	UniqueKey string
	Tags      []string
	// Errors has one entry per failed attempt, oldest first.
	Errors []AttemptError
}

// jobJSON is Job's JSON form: the columns of howdah_queue.jobs, in table order, NULL as null.
type jobJSON struct {
	ID             int64           `json:"id"`
	RunAt          time.Time       `json:"run_at"`
	CreatedAt      time.Time       `json:"created_at"`
	AttemptedAt    *time.Time      `json:"attempted_at"`
	FinalizedAt    *time.Time      `json:"finalized_at"`
	LeaseExpiresAt *time.Time      `json:"lease_expires_at"`
	State          string          `json:"state"`
	Priority       int16           `json:"priority"`
	Attempt        int16           `json:"attempt"`
	MaxAttempts    int16           `json:"max_attempts"`
	Queue          string          `json:"queue"`
	WorkerID       *string         `json:"worker_id"`
	UniqueKey      *string         `json:"unique_key"`
	Payload        json.RawMessage `json:"payload"`
	Errors         []AttemptError  `json:"errors"`
	Tags           []string        `json:"tags"`
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// MarshalJSON writes the job as howdah_queue.jobs has it: snake_case column names, null for the
// NULL columns (attempted_at, finalized_at, lease_expires_at, worker_id, unique_key: zero or ""
// in Job), and errors and tags as arrays, empty when there are none.
func (j Job) MarshalJSON() ([]byte, error) {
	out := jobJSON{ID: j.ID, RunAt: j.RunAt, CreatedAt: j.CreatedAt, AttemptedAt: nullTime(j.AttemptedAt),
		FinalizedAt: nullTime(j.FinalizedAt), LeaseExpiresAt: nullTime(j.LeaseExpiresAt), State: j.State,
		Priority: j.Priority, Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, Queue: j.Queue,
		WorkerID: nullString(j.WorkerID), UniqueKey: nullString(j.UniqueKey), Payload: j.Payload,
		Errors: j.Errors, Tags: j.Tags}
	if out.Errors == nil {
		out.Errors = []AttemptError{}
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if out.Payload == nil {
		out.Payload = json.RawMessage("null")
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (j *Job) UnmarshalJSON(b []byte) error {
	var in jobJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*j = Job{ID: in.ID, Queue: in.Queue, Payload: in.Payload, State: in.State, Priority: in.Priority,
		Attempt: in.Attempt, MaxAttempts: in.MaxAttempts, RunAt: in.RunAt, CreatedAt: in.CreatedAt,
		Tags: in.Tags, Errors: in.Errors}
	if len(j.Errors) == 0 {
		j.Errors = nil
	}
	if in.AttemptedAt != nil {
		j.AttemptedAt = *in.AttemptedAt
	}
	if in.FinalizedAt != nil {
		j.FinalizedAt = *in.FinalizedAt
	}
	if in.LeaseExpiresAt != nil {
		j.LeaseExpiresAt = *in.LeaseExpiresAt
	}
	if in.WorkerID != nil {
		j.WorkerID = *in.WorkerID
	}
	if in.UniqueKey != nil {
		j.UniqueKey = *in.UniqueKey
	}
	return nil
}

// AttemptError is one failed attempt of a job.
type AttemptError struct {
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
	Error   string    `json:"error"`
}

// jobColumns is what scanJob reads, in order.
const jobColumns = `id, queue, payload, state::text, priority, attempt, max_attempts, run_at, created_at,
	attempted_at, finalized_at, lease_expires_at, worker_id, unique_key, tags, errors`

// scanJob reads one row of jobColumns. Workers claim tens of thousands of jobs a second, so it
// allocates little: nullable columns go into pgtype values rather than pointers, and the
// strings that repeat from row to row (queue, state, worker) are read as bytes and made into
// strings once per result set (see jobScanner).
func scanJob(row pgx.CollectableRow) (*Job, error) {
	var s jobScanner
	return s.scan(row)
}

// jobScanner is scanJob with memory of the last queue, state and worker id it saw: one
// scanner per result set makes a claim's rows share those strings.
type jobScanner struct {
	queue, state, worker string
}

// intern returns last when b spells it, else b as a new string (remembered in *last).
func intern(last *string, b []byte) string {
	if string(b) != *last { // compiled without allocating
		*last = string(b)
	}
	return *last
}

func (s *jobScanner) scan(row pgx.CollectableRow) (*Job, error) {
	var j Job
	var attempted, finalized, lease pgtype.Timestamptz
	var key pgtype.Text
	// []byte for payload takes the JSON as it is (a json.RawMessage target would make pgx parse
	// it); DriverBytes borrow the row's memory, valid until the next row, for what is copied or
	// interned right away.
	var payload []byte
	var queue, state, worker, errs pgtype.DriverBytes
	if err := row.Scan(&j.ID, &queue, &payload, &state, &j.Priority, &j.Attempt, &j.MaxAttempts, &j.RunAt,
		&j.CreatedAt, &attempted, &finalized, &lease, &worker, &key, &j.Tags, &errs); err != nil {
		return nil, err
	}
	j.Queue = intern(&s.queue, queue)
	j.State = intern(&s.state, state)
	if worker != nil {
		j.WorkerID = intern(&s.worker, worker)
	}
	j.Payload = payload
	j.AttemptedAt, j.FinalizedAt, j.LeaseExpiresAt = attempted.Time, finalized.Time, lease.Time
	j.UniqueKey = key.String
	if string(errs) == "[]" {
		return &j, nil // no failed attempt yet: the common case, not worth a JSON parse
	}
	var raw []struct {
		Attempt int       `json:"attempt"`
		At      time.Time `json:"at"`
		Error   *string   `json:"error"`
	}
	if err := json.Unmarshal(errs, &raw); err != nil {
		return nil, fmt.Errorf("job %d: errors column: %w", j.ID, err)
	}
	for _, r := range raw {
		e := AttemptError{Attempt: r.Attempt, At: r.At}
		if r.Error != nil {
			e.Error = *r.Error
		}
		j.Errors = append(j.Errors, e)
	}
	return &j, nil
}

// scanJobs collects the rows of a query of jobColumns.
func scanJobs(rows pgx.Rows) ([]*Job, error) {
	var s jobScanner
	return pgx.CollectRows(rows, s.scan)
}

// Querier runs queries: a pgx.Tx, *pgx.Conn or *pgxpool.Pool. Pass a transaction to enqueue
// atomically with the caller's other writes.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// EnqueueOptions are the optional settings of a new job. A zero field is not sent: the default
// of howdah_queue.push (priority 0, run now, 25 attempts, no unique key, no tags) applies, so
// the defaults live in SQL only.
type EnqueueOptions struct {
	// Priority orders claims: smaller runs first.
	Priority int16
	// RunAt schedules the job; the zero time means now.
	RunAt time.Time
	// MaxAttempts is how many times the job may run before it fails for good; 0 means the
	// database's default.
	MaxAttempts int
	// UniqueKey, when not "", makes the enqueue a no-op returning the existing job's id while
	// a job of the same queue and key is not completed, failed or cancelled.
	UniqueKey string
	// Tags are free labels stored with the job.
	Tags []string
}

// payloadJSON returns payload as JSON: json.RawMessage and []byte are used as they are (and
// must be valid JSON), anything else is marshalled.
func payloadJSON(payload any) ([]byte, error) {
	var b []byte
	switch p := payload.(type) {
	case json.RawMessage:
		b = p
	case []byte:
		b = p
	default:
		var err error
		if b, err = json.Marshal(payload); err != nil {
			return nil, fmt.Errorf("%w: payload: %v", ErrInvalidInput, err)
		}
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%w: payload is not valid JSON", ErrInvalidInput)
	}
	return b, nil
}

// args returns push's optional arguments: those set, the others nil (not sent).
func (o *EnqueueOptions) args() []arg {
	if o == nil {
		return nil
	}
	var runAt, tags any
	if !o.RunAt.IsZero() {
		runAt = o.RunAt
	}
	if len(o.Tags) > 0 {
		tags = o.Tags
	}
	return []arg{{"priority", set(o.Priority)}, {"run_at", runAt}, {"max_attempts", set(o.MaxAttempts)},
		{"unique_key", set(o.UniqueKey)}, {"tags", tags}}
}

// Enqueue adds a job to queue through db (a transaction makes it part of the caller's work:
// workers see it at commit) and returns its id, or the existing job's id when opts.UniqueKey
// is held. payload is marshalled to JSON unless it is json.RawMessage or []byte.
func Enqueue(ctx context.Context, db Querier, queue string, payload any, opts *EnqueueOptions) (int64, error) {
	body, err := payloadJSON(payload)
	if err != nil {
		return 0, err
	}
	call, args := pushFunc.call(append([]arg{{"queue", queue}, {"payload", string(body)}}, opts.args()...)...)
	var id int64
	err = db.QueryRow(ctx, "SELECT "+call, args...).Scan(&id)
	return id, wrap("push", err)
}

// NewJob is one job for EnqueueMany.
type NewJob struct {
	Queue   string
	Payload any
	EnqueueOptions
}

// EnqueueMany adds jobs in one statement and returns their ids in order; unique keys and
// defaults work as in Enqueue (a zero option is left out of the job's JSON). The queues'
// workers get one wake-up per queue for the whole batch.
func EnqueueMany(ctx context.Context, db Querier, jobs []NewJob) ([]int64, error) {
	type element struct {
		Queue       string          `json:"queue"`
		Payload     json.RawMessage `json:"payload"`
		Priority    int16           `json:"priority,omitempty"`
		RunAt       *time.Time      `json:"run_at,omitempty"`
		MaxAttempts int             `json:"max_attempts,omitempty"`
		UniqueKey   string          `json:"unique_key,omitempty"`
		Tags        []string        `json:"tags,omitempty"`
	}
	elems := make([]element, len(jobs))
	for i := range jobs {
		body, err := payloadJSON(jobs[i].Payload)
		if err != nil {
			return nil, fmt.Errorf("job %d: %w", i, err)
		}
		o := jobs[i].EnqueueOptions
		elems[i] = element{Queue: jobs[i].Queue, Payload: body, Priority: o.Priority, MaxAttempts: o.MaxAttempts,
			UniqueKey: o.UniqueKey, Tags: o.Tags}
		if !o.RunAt.IsZero() {
			elems[i].RunAt = &o.RunAt
		}
	}
	body, err := json.Marshal(elems)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	call, args := pushManyFunc.call(arg{"jobs", string(body)})
	var ids []int64
	err = db.QueryRow(ctx, "SELECT "+call, args...).Scan(&ids)
	return ids, wrap("push_many", err)
}

// Cancel cancels a job that is not final (ErrIllegalState otherwise, ErrNotFound for an
// unknown id) and returns it.
func Cancel(ctx context.Context, db Querier, id int64) (*Job, error) {
	call, args := cancelFunc.call(arg{"id", id})
	return oneJob(ctx, db, "cancel", `SELECT `+jobColumns+` FROM `+call, args...)
}

// Retry makes a completed, failed or cancelled job available now with attempt reset to 0 and
// returns it.
func Retry(ctx context.Context, db Querier, id int64) (*Job, error) {
	call, args := retryFunc.call(arg{"id", id})
	return oneJob(ctx, db, "retry", `SELECT `+jobColumns+` FROM `+call, args...)
}

func oneJob(ctx context.Context, db Querier, op, sql string, args ...any) (*Job, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	j, err := pgx.CollectExactlyOneRow(rows, scanJob)
	return j, wrap(op, err)
}

// ListOptions filters List. The zero value lists the newest jobs of every queue, as many as
// howdah_queue.list's default (100).
type ListOptions struct {
	// Queue and State filter when not "".
	Queue, State string
	// Limit is at most 10000; 0 means the database's default.
	Limit int
	// BeforeID, when not 0, lists jobs with smaller ids: the next page after the last id seen.
	BeforeID int64
}

// List returns jobs, newest first.
func List(ctx context.Context, db Querier, opts ListOptions) ([]*Job, error) {
	call, args := listFunc.call(arg{"queue", set(opts.Queue)}, arg{"state", set(opts.State)},
		arg{"max_rows", set(opts.Limit)}, arg{"before_id", set(opts.BeforeID)})
	rows, err := db.Query(ctx, `SELECT `+jobColumns+` FROM `+call, args...)
	if err != nil {
		return nil, wrap("list", err)
	}
	jobs, err := scanJobs(rows)
	return jobs, wrap("list", err)
}

// Stat is one row of howdah_queue.stats(): the jobs of a queue in a state. In JSON, oldest_age
// is in seconds (a number) or null, as the column is NULL.
type Stat struct {
	Queue string
	State string
	Jobs  int64
	// OldestAge is how long the oldest due job has waited (available, scheduled, retryable),
	// run (running) or been final (others); nil when no job is due (stats() gives NULL).
	OldestAge *time.Duration
}

type statJSON struct {
	Queue     string   `json:"queue"`
	State     string   `json:"state"`
	Jobs      int64    `json:"jobs"`
	OldestAge *float64 `json:"oldest_age"`
}

// MarshalJSON writes the row with stats()' column names, oldest_age in seconds or null.
func (s Stat) MarshalJSON() ([]byte, error) {
	out := statJSON{Queue: s.Queue, State: s.State, Jobs: s.Jobs}
	if s.OldestAge != nil {
		secs := s.OldestAge.Seconds()
		out.OldestAge = &secs
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Stat) UnmarshalJSON(b []byte) error {
	var in statJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*s = Stat{Queue: in.Queue, State: in.State, Jobs: in.Jobs}
	if in.OldestAge != nil {
		d := time.Duration(*in.OldestAge * float64(time.Second))
		s.OldestAge = &d
	}
	return nil
}

// Stats returns the job counts per queue and state.
func Stats(ctx context.Context, db Querier) ([]Stat, error) {
	rows, err := db.Query(ctx, `SELECT queue, state::text, jobs,
		(extract(epoch FROM oldest_age) * 1e6)::bigint FROM howdah_queue.stats()`)
	if err != nil {
		return nil, wrap("stats", err)
	}
	stats, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Stat, error) {
		var s Stat
		var micros *int64
		err := r.Scan(&s.Queue, &s.State, &s.Jobs, &micros)
		if micros != nil {
			d := time.Duration(*micros) * time.Microsecond
			s.OldestAge = &d
		}
		return s, err
	})
	return stats, wrap("stats", err)
}

// Prune deletes completed, failed and cancelled jobs finalized at least olderThan ago, batch
// rows per statement (0 means howdah_queue.prune's default) until none is left, and returns how
// many it deleted. Give it a pool or connection, not a transaction, so that each batch commits
// on its own.
func Prune(ctx context.Context, db Querier, olderThan time.Duration, batch int) (int64, error) {
	call, args := pruneFunc.call(arg{"older_than", olderThan.Microseconds()}, arg{"batch", set(batch)})
	var total int64
	for {
		var n int
		if err := db.QueryRow(ctx, "SELECT "+call, args...).Scan(&n); err != nil {
			return total, wrap("prune", err)
		}
		total += int64(n)
		// A batch smaller than asked for was the last; with the default batch size, which the
		// client does not know, the last batch is the one that deletes nothing.
		if n == 0 || (batch > 0 && n < batch) {
			return total, nil
		}
	}
}
