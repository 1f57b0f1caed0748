package playground_test

import (
	"strings"
	"testing"
	"time"

	"github.com/howdah/howdah/client/playground"
	"github.com/howdah/howdah/client/queue"
)

// TestPruner: the job the schedule playground.playground.prune_runs enqueues is handled by
// NewPruner's workers, which remove the expired run and keep the live one; a job naming an
// instance the pruner does not serve fails with an error that says so.
func TestPruner(t *testing.T) {
	b := setup(t)
	if err := b.client.Database().PutSDKs(b.ctx, []playground.SDK{{ID: "SDK_GO"}}); err != nil {
		t.Fatal(err)
	}
	expired, err := b.client.StartRun(b.ctx, "SDK_GO", playground.RunOptions{Code: "package main", TTL: time.Microsecond})
	if err != nil {
		t.Fatal(err)
	}
	live, err := b.client.StartRun(b.ctx, "SDK_GO", playground.RunOptions{Code: "package main"})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := queue.Enqueue(b.ctx, b.pool, playground.Queue, map[string]string{"schema": "elsewhere", "call": "prune_runs"},
		&queue.EnqueueOptions{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	// The job the schedule enqueues every minute, pushed now with the schedule's own payload
	// (enqueue_due would give it the tick as run_at, up to a minute ahead).
	scheds, err := queue.ListSchedules(b.ctx, b.pool, playground.Queue)
	if err != nil || len(scheds) != 1 || scheds[0].Name != "playground.playground.prune_runs" {
		t.Fatalf("schedules of queue playground: %v %v, want playground.playground.prune_runs", scheds, err)
	}
	if _, err := queue.Enqueue(b.ctx, b.pool, playground.Queue, scheds[0].Payload,
		&queue.EnqueueOptions{MaxAttempts: int(scheds[0].MaxAttempts)}); err != nil {
		t.Fatal(err)
	}

	if _, err := playground.NewPruner(b.pool, []string{"Bad-Name"}, nil); err == nil {
		t.Fatal("NewPruner accepted schema Bad-Name")
	}
	w, err := playground.NewPruner(b.pool, nil, &queue.Config{ScheduleInterval: -1, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(b.ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Stop(b.ctx) }()

	// Wait (bounded, not timed) until the queue has nothing left to run.
	var jobs []*queue.Job
	for deadline := time.Now().Add(30 * time.Second); ; {
		jobs, err = queue.List(b.ctx, b.pool, queue.ListOptions{Queue: playground.Queue})
		if err != nil {
			t.Fatal(err)
		}
		pending := 0
		for _, j := range jobs {
			if j.State != "completed" && j.State != "failed" {
				pending++
			}
		}
		if pending == 0 && len(jobs) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs still pending after 30 s: %d of %d", pending, len(jobs))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, j := range jobs {
		switch {
		case j.ID == foreign:
			if j.State != "failed" || len(j.Errors) == 0 || !strings.Contains(j.Errors[0].Error, `"elsewhere"`) {
				t.Errorf("foreign job: state %s, errors %+v; want failed naming the instance", j.State, j.Errors)
			}
		case j.State != "completed":
			t.Errorf("prune job %d: state %s, errors %+v", j.ID, j.State, j.Errors)
		}
	}

	var left []string
	if err := b.pool.QueryRow(b.ctx, `SELECT coalesce(array_agg(id::text), '{}') FROM playground.runs`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0] != live {
		t.Fatalf("runs left %v, want only the live run %s (expired %s removed)", left, live, expired)
	}
}
