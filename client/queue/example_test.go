package queue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/howdah/howdah/client/queue"
	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgtest"
)

// exampleDatabase gives the example a database with howdah installed: in your code this is
// your application's database after `howdah install`.
func exampleDatabase(ctx context.Context) (url string, cleanup func()) {
	srv, err := pgtest.Start(ctx)
	if err != nil {
		log.Fatal(err)
	}
	url, err = srv.CreateDatabase(ctx, "howdah_queue_example")
	if err != nil {
		log.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(ctx)
	in, err := installer.New(conn, nil)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := in.Install(ctx, []installer.Target{{Module: "queue"}}); err != nil {
		log.Fatal(err)
	}
	return url, func() { _ = srv.DropDatabase(ctx, "howdah_queue_example"); _ = srv.Stop() }
}

// Enqueue jobs inside the transaction that creates what they are about, then run them with a
// pool of workers and shut it down gracefully.
func Example() {
	ctx := context.Background()
	url, cleanup := exampleDatabase(ctx)
	defer cleanup()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	// Producer: the jobs commit (and wake the workers) with the rest of the transaction.
	type welcome struct {
		Email string `json:"email"`
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, email := range []string{"ada@example.com", "grace@example.com", "edsger@example.com"} {
			// ... INSERT INTO users ...
			if _, err := queue.Enqueue(ctx, tx, "welcome-mail", welcome{Email: email},
				&queue.EnqueueOptions{UniqueKey: "welcome:" + email, MaxAttempts: 5}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	// Consumer: up to 4 handlers at once; a returned error is retried with backoff.
	var mu sync.Mutex
	var sent []string
	all := make(chan struct{})
	workers, err := queue.New(pool, "welcome-mail", func(ctx context.Context, job *queue.Job) error {
		var w welcome
		if err := json.Unmarshal(job.Payload, &w); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		sent = append(sent, w.Email)
		if len(sent) == 3 {
			close(all)
		}
		return nil
	}, &queue.Config{Concurrency: 4})
	if err != nil {
		log.Fatal(err)
	}
	if err := workers.Start(ctx); err != nil {
		log.Fatal(err)
	}
	<-all
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := workers.Stop(stopCtx); err != nil {
		log.Fatal(err)
	}

	sort.Strings(sent)
	fmt.Println("sent:", strings.Join(sent, ", "))
	stats, err := queue.Stats(ctx, pool)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range stats {
		fmt.Printf("%s %s: %d\n", s.Queue, s.State, s.Jobs)
	}
	// Output:
	// sent: ada@example.com, edsger@example.com, grace@example.com
	// welcome-mail completed: 3
}

// Declare periodic jobs when the application starts (every process may: declaring a schedule
// again keeps its next tick), and let the queue's Workers enqueue their ticks.
func ExampleSetSchedule() {
	ctx := context.Background()
	url, cleanup := exampleDatabase(ctx)
	defer cleanup()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	// At 03:00 UTC every day, and every second from now on.
	if _, err := queue.SetSchedule(ctx, pool, "nightly-report", "reports", map[string]string{"kind": "daily"},
		queue.ScheduleOptions{Cron: "0 3 * * *", MaxAttempts: 3}); err != nil {
		log.Fatal(err)
	}
	if _, err := queue.SetSchedule(ctx, pool, "heartbeat", "maintenance", map[string]string{"what": "ping"},
		queue.ScheduleOptions{Every: time.Second, StartAt: time.Now()}); err != nil {
		log.Fatal(err)
	}
	schedules, err := queue.ListSchedules(ctx, pool, "")
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range schedules {
		fmt.Printf("%s on %s: cron %q, every %s\n", s.Name, s.Queue, s.Cron, s.Every)
	}

	// Workers call howdah_queue.enqueue_due for their queue on every poll.
	ran := make(chan *queue.Job, 1)
	workers, err := queue.New(pool, "maintenance", func(ctx context.Context, job *queue.Job) error {
		select {
		case ran <- job:
		default:
		}
		return nil
	}, &queue.Config{PollInterval: 100 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	if err := workers.Start(ctx); err != nil {
		log.Fatal(err)
	}
	job := <-ran
	fmt.Println("ran:", string(job.Payload))
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := workers.Stop(stopCtx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// heartbeat on maintenance: cron "", every 1s
	// nightly-report on reports: cron "0 3 * * *", every 0s
	// ran: {"what": "ping"}
}
