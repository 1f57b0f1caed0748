package queue

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Schedule is a row of howdah_queue.schedules: a periodic job. Each tick (each time Cron
// matches, in UTC, or every Every) enqueues one job on Queue with Payload, Priority,
// MaxAttempts and Tags, and run_at the tick. Its JSON form has the table's column names as keys,
// null for NULL columns, and every in seconds (see MarshalJSON).
type Schedule struct {
	Name  string
	Queue string
	// Cron is the cron expression (5 fields, or a shortcut such as @daily); "" when Every is set.
	Cron string
	// Every is the interval between ticks; 0 when Cron is set.
	Every       time.Duration
	Payload     json.RawMessage
	Priority    int16
	MaxAttempts int16
	Tags        []string
	// NextRunAt is the next tick not yet enqueued.
	NextRunAt time.Time
	// LastRunAt is the tick of the last job enqueued and LastJobID that job's id; zero before
	// the first.
	LastRunAt time.Time
	LastJobID int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// scheduleJSON is Schedule's JSON form: the columns of howdah_queue.schedules, in table order.
type scheduleJSON struct {
	Name        string          `json:"name"`
	Queue       string          `json:"queue"`
	Cron        *string         `json:"cron"`
	Every       *float64        `json:"every"`
	Payload     json.RawMessage `json:"payload"`
	Priority    int16           `json:"priority"`
	MaxAttempts int16           `json:"max_attempts"`
	Tags        []string        `json:"tags"`
	NextRunAt   time.Time       `json:"next_run_at"`
	LastRunAt   *time.Time      `json:"last_run_at"`
	LastJobID   *int64          `json:"last_job_id"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// MarshalJSON writes the schedule as howdah_queue.schedules has it: snake_case column names,
// null for cron or every (whichever is not set), last_run_at and last_job_id before the first
// tick, every in seconds.
func (s Schedule) MarshalJSON() ([]byte, error) {
	out := scheduleJSON{Name: s.Name, Queue: s.Queue, Cron: nullString(s.Cron), Payload: s.Payload,
		Priority: s.Priority, MaxAttempts: s.MaxAttempts, Tags: s.Tags, NextRunAt: s.NextRunAt,
		LastRunAt: nullTime(s.LastRunAt), CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	if s.Every != 0 {
		secs := s.Every.Seconds()
		out.Every = &secs
	}
	if s.LastJobID != 0 {
		out.LastJobID = &s.LastJobID
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
func (s *Schedule) UnmarshalJSON(b []byte) error {
	var in scheduleJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*s = Schedule{Name: in.Name, Queue: in.Queue, Payload: in.Payload, Priority: in.Priority,
		MaxAttempts: in.MaxAttempts, Tags: in.Tags, NextRunAt: in.NextRunAt, CreatedAt: in.CreatedAt,
		UpdatedAt: in.UpdatedAt}
	if in.Cron != nil {
		s.Cron = *in.Cron
	}
	if in.Every != nil {
		s.Every = time.Duration(*in.Every * float64(time.Second))
	}
	if in.LastRunAt != nil {
		s.LastRunAt = *in.LastRunAt
	}
	if in.LastJobID != nil {
		s.LastJobID = *in.LastJobID
	}
	return nil
}

// scheduleColumns is what scanSchedule reads, in order; every in microseconds.
const scheduleColumns = `name, queue, cron, (extract(epoch FROM every) * 1000000)::bigint, payload, priority,
	max_attempts, tags, next_run_at, last_run_at, last_job_id, created_at, updated_at`

func scanSchedule(row pgx.CollectableRow) (*Schedule, error) {
	var s Schedule
	var cron pgtype.Text
	var every, lastJob pgtype.Int8
	var lastRun pgtype.Timestamptz
	var payload []byte
	if err := row.Scan(&s.Name, &s.Queue, &cron, &every, &payload, &s.Priority, &s.MaxAttempts, &s.Tags,
		&s.NextRunAt, &lastRun, &lastJob, &s.CreatedAt, &s.UpdatedAt); err != nil {
		return nil, err
	}
	s.Cron, s.LastRunAt, s.LastJobID = cron.String, lastRun.Time, lastJob.Int64
	s.Every = time.Duration(every.Int64) * time.Microsecond
	s.Payload = payload
	return &s, nil
}

// ScheduleOptions say when a schedule ticks (Cron or Every, exactly one) and the optional
// settings of its jobs. A zero field is not sent: howdah_queue.schedule's default applies
// (priority 0, the default number of attempts, no tags, first tick after now).
type ScheduleOptions struct {
	// Cron is a cron expression matched in UTC: 5 fields (minute hour day-of-month month
	// day-of-week, each *, a value, a range, a list, with /step; JAN-DEC and SUN-SAT) or one of
	// @hourly, @daily, @weekly, @monthly, @yearly.
	Cron string
	// Every is the interval between ticks, 1 second to 3650 days (whole microseconds).
	Every time.Duration
	// Priority, MaxAttempts and Tags are those of each job, as in EnqueueOptions.
	Priority    int16
	MaxAttempts int
	Tags        []string
	// StartAt, when set, is the first tick (Every) or the time from which the first match is
	// looked for (Cron); it also moves the next tick of an existing schedule.
	StartAt time.Time
}

// SetSchedule creates schedule name, or changes it, and returns it. payload (marshalled as in
// Enqueue; nil means {}) is the payload of every job. Changing a schedule keeps its next tick
// unless Cron, Every or StartAt changes, so every process of an application may call SetSchedule
// at start-up for the schedules it declares: ticks are neither moved nor repeated. Bad input
// (ErrInvalidInput, naming the parameter or the cron field) changes nothing.
func SetSchedule(ctx context.Context, db Querier, name, queue string, payload any, opts ScheduleOptions) (*Schedule, error) {
	var body any
	if payload != nil {
		b, err := payloadJSON(payload)
		if err != nil {
			return nil, err
		}
		body = string(b)
	}
	var every, startAt, tags any
	if opts.Every != 0 {
		every = opts.Every.Microseconds()
	}
	if !opts.StartAt.IsZero() {
		startAt = opts.StartAt
	}
	if len(opts.Tags) > 0 {
		tags = opts.Tags
	}
	call, args := scheduleFunc.call(arg{"name", name}, arg{"queue", queue}, arg{"cron", set(opts.Cron)},
		arg{"every", every}, arg{"payload", body}, arg{"priority", set(opts.Priority)},
		arg{"max_attempts", set(opts.MaxAttempts)}, arg{"tags", tags}, arg{"start_at", startAt})
	rows, err := db.Query(ctx, `SELECT `+scheduleColumns+` FROM `+call, args...)
	if err != nil {
		return nil, wrap("schedule", err)
	}
	s, err := pgx.CollectExactlyOneRow(rows, scanSchedule)
	return s, wrap("schedule", err)
}

// Unschedule deletes schedule name and reports whether it existed. Jobs it enqueued stay.
func Unschedule(ctx context.Context, db Querier, name string) (bool, error) {
	call, args := unscheduleFunc.call(arg{"name", name})
	var existed bool
	err := db.QueryRow(ctx, "SELECT "+call, args...).Scan(&existed)
	return existed, wrap("unschedule", err)
}

// ListSchedules returns the schedules by name: those of queue, or all when queue is "".
func ListSchedules(ctx context.Context, db Querier, queue string) ([]*Schedule, error) {
	call, args := schedulesFunc.call(arg{"queue", set(queue)})
	rows, err := db.Query(ctx, `SELECT `+scheduleColumns+` FROM `+call, args...)
	if err != nil {
		return nil, wrap("schedules", err)
	}
	s, err := pgx.CollectRows(rows, scanSchedule)
	return s, wrap("schedules", err)
}

// EnqueueDue enqueues one job for each schedule of queue (of every queue when queue is "")
// whose next tick has come, and returns how many it enqueued. Ticks missed while nobody called
// it give one job, for the earliest of them; the others are skipped. asOf, when not zero, stands
// for now (tests use it to step through ticks). Concurrent calls never enqueue a tick twice.
// Workers call it for their queue on every poll (Config.ScheduleInterval).
func EnqueueDue(ctx context.Context, db Querier, queue string, asOf time.Time) (int, error) {
	var at any
	if !asOf.IsZero() {
		at = asOf
	}
	call, args := enqueueDueFunc.call(arg{"queue", set(queue)}, arg{"as_of", at})
	var n int
	err := db.QueryRow(ctx, "SELECT "+call, args...).Scan(&n)
	return n, wrap("enqueue_due", err)
}
