package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/howdah/howdah/client/queue"
)

func queueScheduleCommand() *cli.Command {
	return &cli.Command{
		Name:  "schedule",
		Usage: "manage periodic jobs: add (or change), list, remove",
		Description: "A schedule enqueues a job on a queue at each tick of a cron expression (matched in UTC) or " +
			"every interval. Workers of the Go client enqueue the due ticks of their queue on every poll; elsewhere " +
			"call SELECT howdah_queue.enqueue_due() (from pg_cron, say). See docs/queue.md.",
		Subcommands: []*cli.Command{queueScheduleAddCommand(), queueScheduleListCommand(), queueScheduleRemoveCommand()},
	}
}

func queueScheduleAddCommand() *cli.Command {
	return &cli.Command{
		Name:      "add",
		Usage:     "create a schedule, or change the one of that name, and print it",
		ArgsUsage: "(--cron EXPR | --every DURATION) [options] NAME QUEUE [PAYLOAD|-]",
		Description: "Options come before NAME. PAYLOAD is JSON (default {}); - reads it from standard input. Changing a " +
			"schedule keeps its next tick unless --cron, --every or --start-at changes it.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cron", Usage: "tick when the cron `EXPR` matches, in UTC: 5 fields (minute hour day-of-month month day-of-week) or @hourly, @daily, @weekly, @monthly, @yearly"},
			&cli.DurationFlag{Name: "every", Usage: "tick every `DURATION` (1s to 87600h)"},
			&cli.TimestampFlag{Name: "start-at", Layout: time.RFC3339, Usage: "the first tick (--every), or when to start looking for a match (--cron), at `TIME` (RFC 3339)"},
			&cli.IntFlag{Name: "priority", Usage: "priority of each job: smaller runs first (-32768 to 32767)"},
			&cli.IntFlag{Name: "max-attempts", Usage: "attempts of each job (default: howdah_queue.schedule's)"},
			&cli.StringSliceFlag{Name: "tag", Usage: "a label stored with each job (repeatable)"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() < 2 || c.NArg() > 3 {
				return fmt.Errorf("schedule add needs NAME, QUEUE and at most one PAYLOAD argument, got %d argument(s)", c.NArg())
			}
			if c.IsSet("cron") == c.IsSet("every") {
				return fmt.Errorf("give --cron or --every (one of them)")
			}
			if c.IsSet("every") && c.Duration("every") < time.Second {
				return fmt.Errorf("--every must be at least 1s, got %s", c.Duration("every"))
			}
			if c.IsSet("cron") && c.String("cron") == "" {
				return fmt.Errorf("--cron must not be empty")
			}
			if c.Int("priority") < -32768 || c.Int("priority") > 32767 {
				return fmt.Errorf("--priority must be from -32768 to 32767, got %d", c.Int("priority"))
			}
			if c.IsSet("max-attempts") && c.Int("max-attempts") == 0 { // 0 would mean "not set"
				return fmt.Errorf("--max-attempts must be from 1 to 32767, got 0")
			}
			payload := "{}"
			if c.NArg() == 3 {
				payload = c.Args().Get(2)
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
			opts := queue.ScheduleOptions{Cron: c.String("cron"), Every: c.Duration("every"),
				Priority: int16(c.Int("priority")), MaxAttempts: c.Int("max-attempts"), Tags: c.StringSlice("tag")}
			if t := c.Timestamp("start-at"); t != nil {
				opts.StartAt = *t
			}
			conn, err := connect(c)
			if err != nil {
				return err
			}
			defer closeConn(conn)
			s, err := queue.SetSchedule(c.Context, conn, c.Args().Get(0), c.Args().Get(1), json.RawMessage(payload), opts)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, s)
			}
			fmt.Fprintf(c.App.Writer, "schedule %s: queue %s, %s, next run %s\n", s.Name, s.Queue, when(s),
				s.NextRunAt.UTC().Format(time.RFC3339))
			return nil
		},
	}
}

// when describes a schedule's ticks: "cron EXPR" or "every DURATION".
func when(s *queue.Schedule) string {
	if s.Cron != "" {
		return "cron " + s.Cron
	}
	return "every " + s.Every.String()
}

func queueScheduleListCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list schedules with their next and last ticks",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "queue", Usage: "only the schedules of this `QUEUE`"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			conn, err := connect(c)
			if err != nil {
				return err
			}
			defer closeConn(conn)
			schedules, err := queue.ListSchedules(c.Context, conn, c.String("queue"))
			if err != nil {
				return err
			}
			return printRows(c, schedules, "no schedules", "NAME\tQUEUE\tWHEN\tNEXT RUN\tLAST RUN\tLAST JOB\tPAYLOAD",
				func(s *queue.Schedule) string {
					last, job := "-", "-"
					if !s.LastRunAt.IsZero() {
						last, job = s.LastRunAt.UTC().Format(time.RFC3339), fmt.Sprint(s.LastJobID)
					}
					return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s", s.Name, s.Queue, when(s), s.NextRunAt.UTC().Format(time.RFC3339),
						last, job, truncate(string(s.Payload), 40))
				})
		},
	}
}

func queueScheduleRemoveCommand() *cli.Command {
	return &cli.Command{
		Name:        "remove",
		Usage:       "delete schedules (the jobs they enqueued stay)",
		ArgsUsage:   "NAME...",
		Description: "Prints one line per schedule and exits 1 when any did not exist.",
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return fmt.Errorf("schedule remove needs at least one schedule NAME")
			}
			conn, err := connect(c)
			if err != nil {
				return err
			}
			defer closeConn(conn)
			missing := 0
			for _, name := range c.Args().Slice() {
				existed, err := queue.Unschedule(c.Context, conn, name)
				if err != nil {
					return err
				}
				if !existed {
					fmt.Fprintf(c.App.ErrWriter, "schedule %q does not exist\n", name)
					missing++
					continue
				}
				fmt.Fprintf(c.App.Writer, "removed schedule %s\n", name)
			}
			if missing > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("schedule remove: %d of %d schedule(s) did not exist", missing, c.NArg())}
			}
			return nil
		},
	}
}
