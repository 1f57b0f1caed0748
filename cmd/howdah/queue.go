package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/howdah/howdah/client/queue"
)

func queueCommand() *cli.Command {
	return &cli.Command{
		Name:  "queue",
		Usage: "inspect and manage the job queue: stats, push, list, retry, cancel, prune, schedule",
		Description: "Works on the queue module's jobs (schema howdah_queue) through its SQL functions, with the " +
			"database and privileges of --db. Workers run in your application (Go package client/queue) or call " +
			"howdah_queue.claim from any language; see docs/queue.md.",
		Subcommands: []*cli.Command{
			queueStatsCommand(), queuePushCommand(), queueListCommand(),
			queueRetryCommand(), queueCancelCommand(), queuePruneCommand(), queueScheduleCommand(),
		},
	}
}

func queueStatsCommand() *cli.Command {
	return &cli.Command{
		Name:  "stats",
		Usage: "count jobs per queue and state, with how long the oldest has waited",
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			conn, err := connect(c)
			if err != nil {
				return err
			}
			defer closeConn(conn)
			stats, err := queue.Stats(c.Context, conn)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				if stats == nil {
					stats = []queue.Stat{}
				}
				return writeJSON(c.App.Writer, stats)
			}
			if len(stats) == 0 {
				fmt.Fprintln(c.App.Writer, "no jobs")
				return nil
			}
			w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "QUEUE\tSTATE\tJOBS\tOLDEST")
			for _, s := range stats {
				oldest := "-"
				if s.OldestAge != nil {
					oldest = s.OldestAge.Round(time.Millisecond).String()
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", s.Queue, s.State, s.Jobs, oldest)
			}
			return w.Flush()
		},
	}
}

func queuePushCommand() *cli.Command {
	return &cli.Command{
		Name:      "push",
		Usage:     "add a job to a queue and print its id",
		ArgsUsage: "[options] QUEUE [PAYLOAD]",
		Description: "Options come before QUEUE. PAYLOAD is JSON (default {}); - reads it from standard input. With --unique-key, a job of the " +
			"same queue and key that is not completed, failed or cancelled is kept and its id printed.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "priority", Usage: "smaller runs first (-32768 to 32767)"},
			&cli.TimestampFlag{Name: "run-at", Layout: time.RFC3339, Usage: "schedule the job at this `TIME` (RFC 3339, e.g. 2030-01-02T15:04:05Z)"},
			&cli.DurationFlag{Name: "in", Usage: "schedule the job this `DURATION` from now (e.g. 90s, 2h)"},
			&cli.IntFlag{Name: "max-attempts", Usage: "how many times the job may run before it fails for good (default: howdah_queue.push's)"},
			&cli.StringFlag{Name: "unique-key", Usage: "at most one unfinished job of the queue with this `KEY`"},
			&cli.StringSliceFlag{Name: "tag", Usage: "a label stored with the job (repeatable)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 || c.NArg() > 2 {
				return fmt.Errorf("push needs QUEUE and at most one PAYLOAD argument, got %d argument(s)", c.NArg())
			}
			payload := "{}"
			if c.NArg() == 2 {
				payload = c.Args().Get(1)
			}
			if payload == "-" {
				b, err := io.ReadAll(c.App.Reader)
				if err != nil {
					return fmt.Errorf("read the payload from standard input: %w", err)
				}
				payload = string(b)
			}
			if !json.Valid([]byte(payload)) {
				return fmt.Errorf("payload %q is not valid JSON (quote strings: '\"text\"')", truncate(payload, 60))
			}
			if c.IsSet("run-at") && c.IsSet("in") {
				return fmt.Errorf("give --run-at or --in, not both")
			}
			if c.Int("priority") < -32768 || c.Int("priority") > 32767 {
				return fmt.Errorf("--priority must be from -32768 to 32767, got %d", c.Int("priority"))
			}
			opts := &queue.EnqueueOptions{Priority: int16(c.Int("priority")), MaxAttempts: c.Int("max-attempts"),
				UniqueKey: c.String("unique-key"), Tags: c.StringSlice("tag")}
			if t := c.Timestamp("run-at"); t != nil {
				opts.RunAt = *t
			}
			if d := c.Duration("in"); d != 0 {
				opts.RunAt = time.Now().Add(d)
			}
			if c.IsSet("max-attempts") && c.Int("max-attempts") == 0 { // 0 would mean "not set"
				return fmt.Errorf("--max-attempts must be from 1 to 32767, got 0")
			}
			conn, err := connect(c)
			if err != nil {
				return err
			}
			defer closeConn(conn)
			id, err := queue.Enqueue(c.Context, conn, c.Args().First(), json.RawMessage(payload), opts)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, id)
			return nil
		},
	}
}

func queueListCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list jobs, newest first",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "queue", Usage: "only jobs of this `QUEUE`"},
			&cli.StringFlag{Name: "state", Usage: "only jobs in this `STATE` (available, scheduled, running, retryable, completed, failed, cancelled)"},
			&cli.IntFlag{Name: "limit", Value: 50, Usage: "at most this many jobs (1 to 10000)"},
			&cli.Int64Flag{Name: "before", Usage: "only jobs with a smaller `ID` (the next page after the last id shown)"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.Int("limit") == 0 {
				return fmt.Errorf("--limit must be from 1 to 10000, got 0")
			}
			conn, err := connect(c)
			if err != nil {
				return err
			}
			defer closeConn(conn)
			jobs, err := queue.List(c.Context, conn, queue.ListOptions{Queue: c.String("queue"), State: c.String("state"),
				Limit: c.Int("limit"), BeforeID: c.Int64("before")})
			if err != nil {
				return err
			}
			return printRows(c, jobs, "no jobs", "ID\tQUEUE\tSTATE\tATTEMPT\tPRIORITY\tRUN AT\tLAST ERROR\tPAYLOAD",
				func(j *queue.Job) string {
					lastErr := ""
					if len(j.Errors) > 0 {
						lastErr = truncate(j.Errors[len(j.Errors)-1].Error, 40)
					}
					return fmt.Sprintf("%d\t%s\t%s\t%d/%d\t%d\t%s\t%s\t%s", j.ID, j.Queue, j.State, j.Attempt, j.MaxAttempts, j.Priority,
						j.RunAt.UTC().Format(time.RFC3339), lastErr, truncate(string(j.Payload), 60))
				})
		},
	}
}

func queueRetryCommand() *cli.Command {
	return &cli.Command{
		Name:        "retry",
		Usage:       "run completed, failed or cancelled jobs again, with a fresh set of attempts",
		ArgsUsage:   "ID...",
		Description: "Each job becomes available now with attempt 0; its errors are kept.",
		Action: func(c *cli.Context) error {
			return eachJob(c, "retry", func(conn queue.Querier, id int64) error {
				_, err := queue.Retry(c.Context, conn, id)
				return err
			})
		},
	}
}

func queueCancelCommand() *cli.Command {
	return &cli.Command{
		Name:        "cancel",
		Usage:       "cancel jobs that are not finished",
		ArgsUsage:   "ID...",
		Description: "A running job's worker learns it at its next heartbeat; its result is then ignored.",
		Action: func(c *cli.Context) error {
			return eachJob(c, "cancel", func(conn queue.Querier, id int64) error {
				_, err := queue.Cancel(c.Context, conn, id)
				return err
			})
		},
	}
}

// eachJob runs fn for every ID argument, printing one line per job, and fails when any did.
func eachJob(c *cli.Context, verb string, fn func(queue.Querier, int64) error) error {
	if c.NArg() == 0 {
		return fmt.Errorf("%s needs at least one job ID", verb)
	}
	var ids []int64
	for _, a := range c.Args().Slice() {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			return fmt.Errorf("job ID %q is not an integer", a)
		}
		ids = append(ids, id)
	}
	conn, err := connect(c)
	if err != nil {
		return err
	}
	defer closeConn(conn)
	failed := 0
	for _, id := range ids {
		if err := fn(conn, id); err != nil {
			fmt.Fprintf(c.App.ErrWriter, "job %d: %v\n", id, err)
			failed++
			continue
		}
		fmt.Fprintf(c.App.Writer, "%s job %d\n", map[string]string{"retry": "retried", "cancel": "cancelled"}[verb], id)
	}
	if failed > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%s: %d of %d job(s) failed", verb, failed, len(ids))}
	}
	return nil
}

func queuePruneCommand() *cli.Command {
	return &cli.Command{
		Name:  "prune",
		Usage: "delete completed, failed and cancelled jobs older than a retention period",
		Description: "Deletes in batches, one transaction each, so that a large backlog does not hold locks or " +
			"bloat the table; prints how many jobs were deleted.",
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "older-than", Value: 7 * 24 * time.Hour, Usage: "delete jobs final for at least this `DURATION`"},
			&cli.IntFlag{Name: "batch", Usage: "jobs deleted per transaction (1 to 100000; default: howdah_queue.prune's)"},
		},
		Action: func(c *cli.Context) error {
			if c.IsSet("batch") && c.Int("batch") < 1 {
				return fmt.Errorf("--batch must be from 1 to 100000, got %d", c.Int("batch"))
			}
			conn, err := connect(c)
			if err != nil {
				return err
			}
			defer closeConn(conn)
			n, err := queue.Prune(c.Context, conn, c.Duration("older-than"), c.Int("batch"))
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "pruned %d job(s)\n", n)
			return nil
		},
	}
}

func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// printRows writes rows as --json (an array, [] when empty) or as a table with header and one
// tab-separated line per row, or the line empty when there are none.
func printRows[T any](c *cli.Context, rows []T, empty, header string, line func(T) string) error {
	if c.Bool("json") {
		if rows == nil {
			rows = []T{}
		}
		return writeJSON(c.App.Writer, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(c.App.Writer, empty)
		return nil
	}
	w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, header)
	for _, r := range rows {
		fmt.Fprintln(w, line(r))
	}
	return w.Flush()
}
