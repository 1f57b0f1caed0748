// Package queue is the Go client of howdah's queue module: Enqueue puts jobs on a queue inside
// the caller's transaction, and Workers runs a handler over a queue's jobs with bounded
// concurrency.
//
// Workers claims jobs in batches sized to its free slots (one statement, FOR UPDATE SKIP
// LOCKED), keeps their leases alive with heartbeats, completes successful jobs in batches (sent
// with the next claim in one round trip), records a failed attempt with the handler's error (a
// panic counts as an error), and runs howdah_queue.rescue periodically so that the jobs of
// crashed workers come back. It wakes up on the queue's NOTIFY, through a notifier.Notifier
// (one LISTEN connection shared by every Workers of a pool in the process, or the one given in
// Config), and polls at a floor interval because notifications are lost while disconnected. Stop shuts down gracefully: in-flight jobs finish; when the Stop context ends
// first, handlers are cancelled, the jobs of those that return are released for another worker,
// and those still running keep their jobs until the lease expires and rescue takes them back.
//
// Periodic jobs: SetSchedule declares a schedule (a cron expression matched in UTC, or an
// interval) whose every tick enqueues one job; ListSchedules and Unschedule manage them. Workers
// run howdah_queue.enqueue_due for their queue on every poll (Config.ScheduleInterval), which
// turns due ticks into jobs exactly once however many workers and processes call it.
//
// Delivery is at least once: a job whose worker dies or loses its lease runs again elsewhere,
// so handlers should be idempotent. A late result from a worker that lost the job is ignored.
//
// Errors from the database keep their PostgreSQL fields (*Error wraps *pgconn.PgError) and
// match the sentinels ErrInvalidInput (SQLSTATE 22023), ErrIllegalState (55000) and
// ErrNotFound (P0002) with errors.Is.
package queue
