package main

import (
	"testing"
	"time"
)

// Periodic jobs: what Workers add to every poll (enqueue_due for their queue, nothing due),
// against the claim they already send on an idle queue; and the cost of turning one due tick
// into a job, against a push.
func init() {
	cases = append(cases, benchCase{
		name: "queue idle poll: 100 schedules, none due", baselineName: "claim, empty queue", howdahName: "enqueue_due(queue)",
		baseline: func(b *testing.B, e *env) {
			pool := queuePool(b, e)
			resetQueue(b, e, pool)
			for b.Loop() {
				exec(b, e, pool, "SELECT count(*) FROM howdah_queue.claim(queue => 'idle', worker_id => 'w', n => 200, lease => interval '30 seconds')")
			}
		},
		howdah: func(b *testing.B, e *env) {
			pool := queuePool(b, e)
			resetQueue(b, e, pool)
			b.StopTimer()
			exec(b, e, pool, "DELETE FROM howdah_queue.schedules")
			// Other queues' schedules, due or not, and the idle queue's, due tomorrow.
			exec(b, e, pool, `SELECT howdah_queue.schedule('s' || i, 'q' || (i % 10), every => '1 hour', start_at => now() + interval '1 day')
				FROM generate_series(1, 99) i`)
			exec(b, e, pool, "SELECT howdah_queue.schedule('idle', 'idle', cron => '0 3 * * *', start_at => now() + interval '1 day')")
			b.StartTimer()
			for b.Loop() {
				exec(b, e, pool, "SELECT howdah_queue.enqueue_due(queue => 'idle')")
			}
			b.StopTimer()
			exec(b, e, pool, "DELETE FROM howdah_queue.schedules")
			b.StartTimer()
		},
	})

	cases = append(cases, benchCase{
		name: "queue tick: one due schedule per call", baselineName: "howdah_queue.push", howdahName: "enqueue_due, cron",
		baseline: func(b *testing.B, e *env) {
			pool := queuePool(b, e)
			resetQueue(b, e, pool)
			for b.Loop() {
				exec(b, e, pool, "SELECT howdah_queue.push('tick', '{}')")
			}
		},
		howdah: func(b *testing.B, e *env) {
			pool := queuePool(b, e)
			resetQueue(b, e, pool)
			b.StopTimer()
			exec(b, e, pool, "DELETE FROM howdah_queue.schedules")
			start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
			exec(b, e, pool, "SELECT howdah_queue.schedule('tick', 'tick', cron => '* * * * *', start_at => $1)", start)
			b.StartTimer()
			i := 0
			for b.Loop() {
				// Each call a minute later: one tick due, one job, the next tick computed.
				exec(b, e, pool, "SELECT howdah_queue.enqueue_due(queue => 'tick', as_of => $1)", start.Add(time.Duration(i)*time.Minute))
				i++
			}
			b.StopTimer()
			var jobs int
			if err := pool.QueryRow(e.ctx, "SELECT count(*) FROM howdah_queue.jobs WHERE queue = 'tick'").Scan(&jobs); err != nil || jobs != i {
				b.Fatalf("%d jobs for %d ticks (%v)", jobs, i, err)
			}
			exec(b, e, pool, "DELETE FROM howdah_queue.schedules")
			b.StartTimer()
		},
	})
}
