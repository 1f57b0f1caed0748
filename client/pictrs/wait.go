package pictrs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/howdah/howdah/client/notifier"
)

// Uploads is UploadRepo: uploads that other requests wait for.
type Uploads struct{ c *Client }

// Create starts an upload and returns its id, a uuid (create_upload).
func (u Uploads) Create(ctx context.Context) (string, error) {
	var id string
	err := u.c.db.QueryRow(ctx, "SELECT "+u.c.call("create_upload")+"::text").Scan(&id)
	return id, err
}

// Result is an upload's result, nil while it is pending (upload_result); an unknown or claimed
// upload is a P0002 error.
func (u Uploads) Result(ctx context.Context, id string) (json.RawMessage, error) {
	var s *string
	if err := u.c.scalar(ctx, &s, "upload_result", p("id => $1::uuid"), id); err != nil || s == nil {
		return nil, err
	}
	return json.RawMessage(*s), nil
}

// Complete stores an upload's result and wakes its waiters at commit (complete_upload).
func (u Uploads) Complete(ctx context.Context, id string, result json.RawMessage) error {
	return u.c.exec(ctx, "complete_upload", p("id => $1::uuid", "result => $2::jsonb"), id, string(result))
}

// Claim removes an upload once its result was read (claim_upload); false when there was none.
func (u Uploads) Claim(ctx context.Context, id string) (bool, error) {
	return u.c.boolean(ctx, "claim_upload", p("id => $1::uuid"), id)
}

// Wait returns an upload's result once complete_upload stored it, waiting on the shared
// notifier's LISTEN connection (channel <schema>_upload) until ctx is done. It subscribes, then
// reads the result, then waits: a completion committed before the subscription is found by that
// read, one after it by the notification. After a reconnection, or when the subscription was
// dropped as too slow, it subscribes again and reads again. An upload that is unknown (or was
// claimed) is a P0002 error.
func (u Uploads) Wait(ctx context.Context, id string) (json.RawMessage, error) {
	if u.c.notifier == nil {
		return nil, errors.New("pictrs: Uploads.Wait needs the notifier given to New")
	}
	for {
		res, again, err := u.waitOnce(ctx, id)
		if err != nil || !again {
			return res, err
		}
	}
}

// waitOnce subscribes and waits; again means the subscription ended and should be renewed.
func (u Uploads) waitOnce(ctx context.Context, id string) (res json.RawMessage, again bool, err error) {
	sub, err := u.c.notifier.Subscribe(ctx, u.c.UploadChannel())
	if err != nil {
		return nil, false, err
	}
	defer sub.Close()
	for {
		// The re-check: after subscribing, and after every event that may concern this upload.
		if res, err := u.Result(ctx, id); err != nil || res != nil {
			return res, false, err
		}
		for waiting := true; waiting; {
			select {
			case <-ctx.Done():
				return nil, false, ctx.Err()
			case ev, ok := <-sub.Events():
				if !ok {
					if errors.Is(sub.Err(), notifier.ErrSlow) {
						return nil, true, nil
					}
					return nil, false, fmt.Errorf("pictrs: waiting for upload %s: %w", id, sub.Err())
				}
				// Our completion, or a reconnection (notifications may have been lost).
				waiting = ev.Kind == notifier.KindNotification && ev.Payload != id
			}
		}
	}
}

// Jobs is QueueRepo, on the queue module: the instance's queues are pictrs.<schema>.<queue>.
type Jobs struct{ c *Client }

// Job is a claimed job.
type Job struct {
	ID      int64
	Job     json.RawMessage
	Attempt int
}

// Push enqueues a job (push) and returns its id; with a unique key, a waiting or running job
// holding the key is returned instead of a new one ("" means none).
func (j Jobs) Push(ctx context.Context, queue string, job json.RawMessage, uniqueKey string) (int64, error) {
	var id int64
	var key *string
	if uniqueKey != "" {
		key = &uniqueKey
	}
	err := j.c.scalar(ctx, &id, "push", p("queue => $1", "job => $2::jsonb", "unique_key => $3"), queue, string(job), key)
	return id, err
}

// TryPop claims one runnable job for workerID under lease (0: the default, 30 s), or returns
// nil when none is runnable (pop).
func (j Jobs) TryPop(ctx context.Context, queue, workerID string, lease time.Duration) (*Job, error) {
	params, args := p("queue => $1", "worker_id => $2"), []any{queue, workerID}
	if lease != 0 {
		params = append(params, "lease => $3 * interval '1 microsecond'")
		args = append(args, lease.Microseconds())
	}
	rows, err := j.c.db.Query(ctx, "SELECT id, job::text, attempt FROM "+j.c.call("pop", params...), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	var job Job
	var payload string
	if err := rows.Scan(&job.ID, &payload, &job.Attempt); err != nil {
		return nil, err
	}
	job.Job = json.RawMessage(payload)
	return &job, rows.Err()
}

// Pop claims one job, waiting until one is runnable or ctx is done: it is woken by the queue's
// NOTIFY (channel howdah_queue, through the notifier given to New) and tries again every poll
// (0: 1 s) for jobs that become runnable without one (retries, scheduled jobs).
func (j Jobs) Pop(ctx context.Context, queue, workerID string, lease, poll time.Duration) (*Job, error) {
	if j.c.notifier == nil {
		return nil, errors.New("pictrs: Jobs.Pop needs the notifier given to New")
	}
	if poll <= 0 {
		poll = time.Second
	}
	sub, err := j.c.notifier.Subscribe(ctx, "howdah_queue")
	if err != nil {
		return nil, err
	}
	defer func() {
		if sub != nil {
			sub.Close()
		}
	}()
	name := j.c.QueueName(queue)
	t := time.NewTimer(poll)
	defer t.Stop()
	for {
		job, err := j.TryPop(ctx, queue, workerID, lease)
		if err != nil || job != nil {
			return job, err
		}
		t.Reset(poll)
		for waiting := true; waiting; {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-t.C:
				waiting = false
			case ev, ok := <-sub.Events():
				if !ok {
					renewed, err := j.c.notifier.Subscribe(ctx, "howdah_queue")
					if err != nil {
						return nil, err
					}
					sub = renewed
					waiting = false
					continue
				}
				waiting = ev.Kind == notifier.KindNotification && ev.Payload != name
			}
		}
	}
}

// Heartbeat extends the lease of a job workerID holds (heartbeat); attempt 0 and lease 0 mean
// not given. False: the worker lost the job.
func (j Jobs) Heartbeat(ctx context.Context, id int64, workerID string, attempt int, lease time.Duration) (bool, error) {
	params, args := p("id => $1", "worker_id => $2"), []any{id, workerID}
	if attempt != 0 {
		args = append(args, attempt)
		params = append(params, fmt.Sprintf("attempt => $%d", len(args)))
	}
	if lease != 0 {
		args = append(args, lease.Microseconds())
		params = append(params, fmt.Sprintf("lease => $%d * interval '1 microsecond'", len(args)))
	}
	return j.c.boolean(ctx, "heartbeat", params, args...)
}

// Job results, the status of Complete.
const (
	Success = "success"
	Failure = "failure"
	Aborted = "aborted"
)

// Complete ends workerID's attempt at a job with status Success, Failure or Aborted (and an
// error text for the last two) and returns the job's new state: completed, retryable, failed,
// or lost when the worker no longer held it (complete_job). attempt 0 means not given.
func (j Jobs) Complete(ctx context.Context, id int64, workerID, status, errText string, attempt int) (string, error) {
	params, args := p("id => $1", "worker_id => $2", "status => $3"), []any{id, workerID, status}
	if errText != "" {
		args = append(args, errText)
		params = append(params, fmt.Sprintf("error => $%d", len(args)))
	}
	if attempt != 0 {
		args = append(args, attempt)
		params = append(params, fmt.Sprintf("attempt => $%d", len(args)))
	}
	return j.c.text(ctx, "complete_job", params, args...)
}

// RequeueInProgress takes back the jobs a restarted worker was running and returns how many
// (requeue_in_progress); each attempt counts as failed.
func (j Jobs) RequeueInProgress(ctx context.Context, workerID string) (int, error) {
	var n int
	err := j.c.scalar(ctx, &n, "requeue_in_progress", p("worker_id => $1"), workerID)
	return n, err
}

// Length is the number of waiting or running jobs of a queue (queue_length).
func (j Jobs) Length(ctx context.Context, queue string) (int64, error) {
	var n int64
	err := j.c.scalar(ctx, &n, "queue_length", p("queue => $1"), queue)
	return n, err
}
