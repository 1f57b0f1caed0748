package main

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/howdah/howdah/internal/advisorseed"
)

func advisorSeedCommand() *cli.Command {
	return &cli.Command{
		Name:  "seed",
		Usage: "build a shop schema with millions of rows and run a workload holding the patterns the advisor finds",
		Description: "Makes schema --schema (users, products, orders, order_items, events) in the database of --db, loads it " +
			"set-based (--scale 1: 1,000,000 orders, 2,000,000 order items, 1,000,000 events, 100,000 users, 10,000 products) " +
			"and runs a workload for --duration on several connections: a missing index, a missing composite join index, " +
			"expression and jsonb-key predicates, correlated columns, a correlated subquery, NOT IN over a nullable column, " +
			"literal variants of one query, a latency spike, a lock wait, and well-indexed queries that must get nothing " +
			"(docs/advisor.md, \"Seeded workload\", lists each with its expected finding).\n\n" +
			"When the advisor is installed, the seed takes two scans itself: one before the spike (it drops an index between " +
			"the workload's two phases) and one after it, while an UPDATE waits for a row lock; the second snapshot carries " +
			"the regression and the contention. --hold-lock keeps the lock wait going at the end, for a scan of your own.\n\n" +
			"Running seed again drops and rebuilds the schema; a schema of that name that seed did not make is refused. " +
			"Remove it with DROP SCHEMA advisor_seed CASCADE.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "schema", Value: "advisor_seed", Usage: "the `SCHEMA` to make (replaced when an earlier seed made it)"},
			&cli.Float64Flag{Name: "scale", Value: 1, Usage: "row count factor `N`, 0.01 to 20 (1: 1,000,000 orders)"},
			&cli.DurationFlag{Name: "duration", Value: 8 * time.Second, Usage: "how long the workload runs (`D`), both phases together"},
			&cli.IntFlag{Name: "connections", Value: 4, Usage: "`N` workload connections"},
			&cli.BoolFlag{Name: "no-scan", Usage: "take no advisor scans (the regression and contention findings need them)"},
			&cli.DurationFlag{Name: "hold-lock", Usage: "keep the lock wait going this `DURATION` at the end, for a scan run by hand"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return fmt.Errorf("seed takes no arguments, got %q", c.Args().Slice())
			}
			res, err := advisorseed.Run(c.Context, dbURL(c), &advisorseed.Config{
				Schema:      c.String("schema"),
				Scale:       c.Float64("scale"),
				Duration:    c.Duration("duration"),
				Connections: c.Int("connections"),
				NoScan:      c.Bool("no-scan"),
				HoldLock:    c.Duration("hold-lock"),
				Out:         c.App.ErrWriter,
			})
			if err != nil {
				return err
			}
			printSeedResult(c.App.Writer, res)
			return nil
		},
	}
}

// printSeedResult says what the seed did and what to try next.
func printSeedResult(w io.Writer, res *advisorseed.Result) {
	verb := "built"
	if res.Replaced {
		verb = "rebuilt"
	}
	fmt.Fprintf(w, "\nseeded schema %s (%s at scale %g in %.1f s; workload and scans %.1f s):\n", res.Schema, verb, res.Scale,
		res.Build.Seconds(), res.Workload.Seconds())
	tables := make([]string, 0, len(res.Rows))
	for t := range res.Rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Fprintf(w, "  %-12s %10d rows\n", t, res.Rows[t])
	}
	fmt.Fprintln(w, "workload (statements run per pattern):")
	for _, p := range advisorseed.Patterns(res.Schema) {
		fmt.Fprintf(w, "  %-21s %6d  → %s\n", p.Name, res.Calls[p.Name], p.Finding)
	}
	for _, ix := range advisorseed.Indexes() {
		fmt.Fprintf(w, "  %-21s %6s  → %s\n", ix.Name, "", ix.Finding)
	}
	switch {
	case len(res.Snapshots) == 2:
		fmt.Fprintf(w, "advisor snapshots: %d (before the latency spike), %d (after it, during the lock wait)\n", res.Snapshots[0], res.Snapshots[1])
	case !res.Advisor:
		fmt.Fprintln(w, "the advisor is not installed: howdah install advisor, then seed again")
	}
	fmt.Fprintln(w, "\nnext, with the same --db:")
	fmt.Fprintln(w, "  howdah advisor bottlenecks             # the seed's newest snapshot, ranked (--snapshot ID for another)")
	fmt.Fprintln(w, "  howdah advisor scan                    # a new snapshot of the workload so far")
	fmt.Fprintln(w, "  howdah advisor query ID                # one query: metrics, plan facts, family, anomalies")
	fmt.Fprintln(w, "  howdah advisor simulate QUERY REC      # the before/after of a recommendation, with HypoPG")
	fmt.Fprintln(w, "  howdah advisor ask \"why is query ID slow?\"")
	fmt.Fprintln(w, "  howdah advisor ask \"what changed since the last scan?\"   # the seed's two snapshots: the spike")
	fmt.Fprintf(w, "  psql -c \"SELECT * FROM howdah_advisor.bottlenecks()\"\n")
}
