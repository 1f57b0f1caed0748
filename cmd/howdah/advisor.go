package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/urfave/cli/v2"

	"github.com/howdah/howdah/installer"
)

// The advisor verbs call the module's SQL functions (schema howdah_advisor) with positional
// parameters; optional arguments are passed by name from fixed lists, never from input.

func advisorCommand() *cli.Command {
	return &cli.Command{
		Name:  "advisor",
		Usage: "find what makes the database slow: init, scan, bottlenecks, query, simulate, ask, check, seed",
		Description: "Runs the advisor module's SQL functions (schema howdah_advisor) with the database and privileges of --db; " +
			"psql and `howdah serve` reach the same functions. See docs/advisor.md.",
		Subcommands: []*cli.Command{
			advisorInitCommand(), advisorScanCommand(), advisorBottlenecksCommand(), advisorQueryCommand(),
			advisorSimulateCommand(), advisorAskCommand(), advisorCheckCommand(), advisorSeedCommand(),
		},
	}
}

// advisorErr adds the server's hint to a PostgreSQL error: the advisor's hints say what to do.
func advisorErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		msg := fmt.Sprintf("%s (SQLSTATE %s)", pe.Message, pe.Code)
		if pe.Code == "3F000" || pe.Code == "42883" && strings.Contains(pe.Message, "howdah_advisor.") {
			msg += "\nhint: the advisor module is missing or older than this howdah: run `howdah advisor init` (or `howdah upgrade advisor`)"
		} else if pe.Code == "42501" {
			msg += "\nhint: this role needs the advisor's GRANTs (docs/advisor.md, Privileges)"
		}
		if pe.Hint != "" {
			msg += "\nhint: " + pe.Hint
		}
		return errors.New(msg)
	}
	return err
}

// queryJSON runs sql (one row, one json/jsonb column) and returns the value.
func queryJSON(c *cli.Context, conn *pgx.Conn, sql string, args ...any) (json.RawMessage, error) {
	var raw []byte
	if err := conn.QueryRow(c.Context, sql, args...).Scan(&raw); err != nil {
		return nil, advisorErr(err)
	}
	return raw, nil
}

func advisorInitCommand() *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "install the advisor module and check what it needs of the server",
		Description: "Installs the advisor (and core) like `howdah install advisor`, then prints whether pg_stat_statements is " +
			"loaded and tracking, whether this role reads other roles' statements, and whether hypopg (simulations) is there, " +
			"with what to do about each missing piece.",
		Action: func(c *cli.Context) error {
			conn, err := connect(c)
			if err != nil {
				return err
			}
			defer closeConn(conn)
			err = useInstaller(c, conn, func(in *installer.Installer) error {
				rep, err := in.Install(c.Context, []installer.Target{{Module: "advisor"}})
				if err != nil {
					return err
				}
				return printReport(c, rep, "installed", "the advisor is installed and up to date")
			})
			if err != nil {
				return err
			}
			env, err := queryJSON(c, conn, "SELECT howdah_advisor.environment()")
			if err != nil {
				return err
			}
			return printEnvironment(c.App.Writer, env)
		},
	}
}

func printEnvironment(w io.Writer, raw json.RawMessage) error {
	var env struct {
		PGSS struct {
			Schema   *string `json:"schema"`
			Version  *string `json:"version"`
			Loaded   bool    `json:"loaded"`
			Track    *string `json:"track"`
			AllRoles bool    `json:"reads_all_roles"`
		} `json:"pg_stat_statements"`
		Hypo struct {
			Schema    *string `json:"schema"`
			Version   *string `json:"version"`
			Available *string `json:"available"`
			Hide      bool    `json:"hide_index"`
		} `json:"hypopg"`
		Qual struct {
			Schema *string `json:"schema"`
		} `json:"pg_qualstats"`
		Server int `json:"server_version_num"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return err
	}
	line := func(ok bool, what, todo string) {
		mark := "ok  "
		if !ok {
			mark = "TODO"
		}
		fmt.Fprintf(w, "%s %s\n", mark, what)
		if !ok && todo != "" {
			fmt.Fprintf(w, "     %s\n", todo)
		}
	}
	str := func(p *string) string {
		if p == nil {
			return "none"
		}
		return *p
	}
	line(env.PGSS.Schema != nil && env.PGSS.Loaded, fmt.Sprintf("pg_stat_statements %s in schema %s, loaded: %v", str(env.PGSS.Version), str(env.PGSS.Schema), env.PGSS.Loaded),
		"add pg_stat_statements to shared_preload_libraries in postgresql.conf and restart PostgreSQL (package postgresql-contrib)")
	line(env.PGSS.Track != nil && *env.PGSS.Track == "all", "pg_stat_statements.track = "+str(env.PGSS.Track),
		"optional: set pg_stat_statements.track = all to see statements run inside functions")
	line(env.PGSS.AllRoles, fmt.Sprintf("this role reads other roles' statements: %v", env.PGSS.AllRoles),
		"GRANT pg_read_all_stats TO this role, or scans see only its own statements")
	line(env.Hypo.Schema != nil, fmt.Sprintf("hypopg %s in schema %s (hypopg_hide_index: %v)", str(env.Hypo.Version), str(env.Hypo.Schema), env.Hypo.Hide),
		hypoTodo(env.Hypo.Available != nil, env.Server))
	line(true, "pg_qualstats: "+str(env.Qual.Schema)+" (optional)", "")
	fmt.Fprintln(w, "next: howdah advisor scan, then howdah advisor bottlenecks")
	return nil
}

func hypoTodo(available bool, server int) string {
	if available {
		return "simulations need it: as a superuser, run CREATE EXTENSION hypopg in this database"
	}
	return fmt.Sprintf("simulations need it: install the package postgresql-%d-hypopg, then CREATE EXTENSION hypopg as a superuser", server/10000)
}

// scanArgs are scan()'s optional parameters the CLI sets, each from its flag.
var scanArgs = []struct{ flag, param, cast string }{
	{"top", "top_n", "integer"}, {"min-calls", "min_calls", "bigint"}, {"min-mean-ms", "min_mean_ms", "double precision"},
	{"exclude", "exclude", "text[]"}, {"keep", "keep", "integer"}, {"top-k", "top_k", "integer"},
}

func advisorScanCommand() *cli.Command {
	return &cli.Command{
		Name:  "scan",
		Usage: "take a snapshot: ingest pg_stat_statements and run every stage, printing progress",
		Description: "Calls howdah_advisor.scan() and relays its progress NOTICEs to standard error; prints the snapshot's id and " +
			"what it found. Options not given keep scan()'s defaults.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "top", Usage: "ingest the top `N` statements by total time (scan's top_n)"},
			&cli.IntFlag{Name: "top-k", Usage: "capture plans for the top `K` queries (needs the plan stage)"},
			&cli.Int64Flag{Name: "min-calls", Usage: "skip statements with fewer `CALLS`"},
			&cli.Float64Flag{Name: "min-mean-ms", Usage: "skip statements whose mean is under `MS`"},
			&cli.StringSliceFlag{Name: "exclude", Usage: "skip statements matching this case-insensitive `REGEX` (repeatable)"},
			&cli.IntFlag{Name: "keep", Usage: "keep the newest `N` snapshots (prune the rest)"},
			&cli.DurationFlag{Name: "timeout", Usage: "bound the whole scan (statement_timeout) to `DURATION`; default: none"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			cfg, err := pgx.ParseConfig(dbURL(c))
			if err != nil {
				return fmt.Errorf("invalid connection string in --db or DATABASE_URL: %w", err)
			}
			progress := c.App.ErrWriter
			cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { fmt.Fprintln(progress, n.Message) }
			conn, err := connectConfig(c, cfg)
			if err != nil {
				return err
			}
			defer closeConn(conn)
			if d := c.Duration("timeout"); d > 0 {
				if _, err := conn.Exec(c.Context, "SELECT set_config('statement_timeout', $1, false)", strconv.FormatInt(d.Milliseconds(), 10)); err != nil {
					return err
				}
			}
			var sql strings.Builder
			sql.WriteString("SELECT howdah_advisor.scan(")
			var args []any
			for _, a := range scanArgs {
				if !c.IsSet(a.flag) {
					continue
				}
				var v any
				switch a.cast {
				case "integer":
					v = c.Int(a.flag)
				case "bigint":
					v = c.Int64(a.flag)
				case "double precision":
					v = c.Float64(a.flag)
				default:
					v = c.StringSlice(a.flag)
				}
				if len(args) > 0 {
					sql.WriteString(", ")
				}
				args = append(args, v)
				fmt.Fprintf(&sql, "%s => $%d::%s", a.param, len(args), a.cast)
			}
			sql.WriteString(")")
			var sid int64
			if err := conn.QueryRow(c.Context, sql.String(), args...).Scan(&sid); err != nil {
				return advisorErr(err)
			}
			var sum struct {
				ID       int64           `json:"snapshot_id"`
				State    string          `json:"state"`
				Queries  int64           `json:"queries"`
				Findings int64           `json:"findings"`
				Errors   json.RawMessage `json:"errors"`
				Stats    json.RawMessage `json:"stats"`
			}
			err = conn.QueryRow(c.Context, `SELECT s.id, s.state::text, (SELECT count(*) FROM howdah_advisor.metrics m WHERE m.snapshot_id = s.id),
				(SELECT count(*) FROM howdah_advisor.recommendations r WHERE r.snapshot_id = s.id), s.errors, s.stats
				FROM howdah_advisor.snapshots s WHERE s.id = $1`, sid).Scan(&sum.ID, &sum.State, &sum.Queries, &sum.Findings, &sum.Errors, &sum.Stats)
			if err != nil {
				return advisorErr(err)
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, sum)
			}
			var errs []any
			_ = json.Unmarshal(sum.Errors, &errs)
			fmt.Fprintf(c.App.Writer, "snapshot %d %s: %d queries, %d findings, %d errors\n", sum.ID, sum.State, sum.Queries, sum.Findings, len(errs))
			if sum.State != "done" {
				return &exitError{code: 1, msg: fmt.Sprintf("snapshot %d %s: SELECT errors FROM howdah_advisor.snapshots WHERE id = %d says why", sid, sum.State, sid)}
			}
			return nil
		},
	}
}

// connectConfig opens a connection from a parsed config, with connect's message on failure.
func connectConfig(c *cli.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(c.Context, cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to PostgreSQL at %s:%d, database %q, user %q: %w\n"+
			"set --db, DATABASE_URL or PGHOST/PGPORT/PGUSER/PGDATABASE to a reachable server",
			cfg.Host, cfg.Port, cfg.Database, cfg.User, err)
	}
	return conn, nil
}

// Bottleneck is one row of howdah_advisor.bottlenecks().
type Bottleneck struct {
	Rank           int      `json:"rank"`
	QueryID        int64    `json:"query_id"`
	Fingerprint    string   `json:"fingerprint"`
	Query          string   `json:"query"`
	MeanMs         *float64 `json:"mean_ms"`
	Calls          *int64   `json:"calls"`
	TotalMs        *float64 `json:"total_ms"`
	RecID          int64    `json:"rec_id"`
	Type           string   `json:"type"`
	Reason         string   `json:"reason"`
	DDL            *string  `json:"ddl"`
	Confidence     float32  `json:"confidence"`
	ImprovementPct *float64 `json:"improvement_pct"`
}

func snapshotFlag() cli.Flag {
	return &cli.Int64Flag{Name: "snapshot", Usage: "read snapshot `ID` (default: the newest finished scan)"}
}

// optInt64 is a flag's value, or nil (SQL NULL) when it was not given.
func optInt64(c *cli.Context, name string) any {
	if !c.IsSet(name) {
		return nil
	}
	return c.Int64(name)
}

func advisorBottlenecksCommand() *cli.Command {
	return &cli.Command{
		Name:  "bottlenecks",
		Usage: "list the slow queries with findings, best first",
		Flags: []cli.Flag{&cli.IntFlag{Name: "limit", Value: 10, Usage: "at most `N` queries (1 to 1000)"}, snapshotFlag(), jsonFlag()},
		Action: func(c *cli.Context) error {
			conn, err := connect(c)
			if err != nil {
				return err
			}
			defer closeConn(conn)
			rows, err := conn.Query(c.Context, `SELECT rank, query_id, fingerprint, query, mean_ms, calls, total_ms, rec_id, type::text, reason, ddl,
				confidence, improvement_pct FROM howdah_advisor.bottlenecks($1, $2)`, c.Int("limit"), optInt64(c, "snapshot"))
			if err != nil {
				return advisorErr(err)
			}
			list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Bottleneck])
			if err != nil {
				return advisorErr(err)
			}
			return printRows(c, list, "no findings: no query of this scan has a recommendation", "#\tQUERY\tMEAN MS\tCALLS\tFINDING\tCONF\tSIMULATED\tFIX / REASON",
				func(b Bottleneck) string {
					fix := b.Reason
					if b.DDL != nil {
						fix = *b.DDL
					}
					sim := "-"
					if b.ImprovementPct != nil {
						sim = fmt.Sprintf("-%.0f %%", *b.ImprovementPct)
					}
					return fmt.Sprintf("%d\t%d %s\t%s\t%s\t%s\t%.2f\t%s\t%s", b.Rank, b.QueryID, truncate(b.Query, 40), fmtMs(b.MeanMs), fmtInt(b.Calls),
						b.Type, b.Confidence, sim, truncate(fix, 80))
				})
		},
	}
}

func fmtMs(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}

func fmtInt(v *int64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatInt(*v, 10)
}

func advisorQueryCommand() *cli.Command {
	return &cli.Command{
		Name:      "query",
		Usage:     "show everything stored about one query: metrics, plan facts, family, anomalies, findings, simulations",
		ArgsUsage: "ID",
		Flags:     []cli.Flag{snapshotFlag(), jsonFlag()},
		Action: func(c *cli.Context) error {
			id, err := oneID(c, "query", "query ID")
			if err != nil {
				return err
			}
			conn, err := connect(c)
			if err != nil {
				return err
			}
			defer closeConn(conn)
			raw, err := queryJSON(c, conn, "SELECT howdah_advisor.query_detail($1, $2)", id, optInt64(c, "snapshot"))
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, raw)
			}
			return printQueryDetail(c.App.Writer, raw)
		},
	}
}

func oneID(c *cli.Context, verb, what string) (int64, error) {
	if c.NArg() != 1 {
		return 0, fmt.Errorf("%s needs one %s, got %d argument(s)", verb, what, c.NArg())
	}
	id, err := strconv.ParseInt(c.Args().First(), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not an integer", what, c.Args().First())
	}
	return id, nil
}

func printQueryDetail(w io.Writer, raw json.RawMessage) error {
	var d struct {
		SnapshotID int64 `json:"snapshot_id"`
		Query      struct {
			ID          int64  `json:"id"`
			Fingerprint string `json:"fingerprint"`
			Query       string `json:"query"`
		} `json:"query"`
		Metrics *struct {
			Calls   int64   `json:"calls"`
			MeanMs  float64 `json:"mean_ms"`
			TotalMs float64 `json:"total_ms"`
			Rank    int     `json:"rank"`
		} `json:"metrics"`
		History []json.RawMessage `json:"history"`
		Plans   []struct {
			Kind       string          `json:"kind"`
			TotalCost  *float64        `json:"total_cost"`
			HadSeqScan *bool           `json:"had_seq_scan"`
			Error      *string         `json:"error"`
			Facts      json.RawMessage `json:"facts"`
		} `json:"plans"`
		Family *struct {
			Label string `json:"label"`
			Size  int    `json:"size"`
		} `json:"family"`
		Anomalies []struct {
			Kind string `json:"kind"`
		} `json:"anomalies"`
		Recs []struct {
			ID         int64   `json:"id"`
			Rank       *int    `json:"rank"`
			Type       string  `json:"type"`
			DDL        *string `json:"ddl"`
			Rationale  string  `json:"rationale"`
			Confidence float64 `json:"confidence"`
		} `json:"recommendations"`
		Sims []struct {
			ID          int64    `json:"id"`
			RecID       *int64   `json:"rec_id"`
			BeforeCost  *float64 `json:"before_cost"`
			AfterCost   *float64 `json:"after_cost"`
			Improvement *float64 `json:"improvement_pct"`
			Changes     []string `json:"plan_changes"`
			Error       *string  `json:"error"`
		} `json:"simulations"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return err
	}
	fmt.Fprintf(w, "query %d (fingerprint %s), snapshot %d\n  %s\n", d.Query.ID, d.Query.Fingerprint, d.SnapshotID, d.Query.Query)
	if d.Metrics != nil {
		fmt.Fprintf(w, "metrics: %d calls, %.2f ms mean, %.2f ms total, rank %d (%d snapshot(s) of history)\n",
			d.Metrics.Calls, d.Metrics.MeanMs, d.Metrics.TotalMs, d.Metrics.Rank, len(d.History))
	} else {
		fmt.Fprintln(w, "metrics: not captured by this snapshot")
	}
	for _, p := range d.Plans {
		if p.Error != nil {
			fmt.Fprintf(w, "plan (%s): error %s\n", p.Kind, *p.Error)
			continue
		}
		seq := "n/a"
		if p.HadSeqScan != nil {
			seq = strconv.FormatBool(*p.HadSeqScan)
		}
		fmt.Fprintf(w, "plan (%s): cost %s, had_seq_scan %s\n  facts %s\n", p.Kind, fmtMs(p.TotalCost), seq, truncate(string(p.Facts), 200))
	}
	if d.Family != nil {
		fmt.Fprintf(w, "family: %s (%d queries)\n", d.Family.Label, d.Family.Size)
	}
	for _, a := range d.Anomalies {
		fmt.Fprintf(w, "anomaly: %s\n", a.Kind)
	}
	if len(d.Recs) == 0 {
		fmt.Fprintln(w, "findings: none")
	}
	for _, r := range d.Recs {
		rank, fix := "-", "(rewrite: see the rationale)"
		if r.Rank != nil {
			rank = strconv.Itoa(*r.Rank)
		}
		if r.DDL != nil {
			fix = *r.DDL
		}
		fmt.Fprintf(w, "finding %d (rank %s, %s, confidence %.2f): %s\n  %s\n", r.ID, rank, r.Type, r.Confidence, fix, r.Rationale)
	}
	for _, s := range d.Sims {
		if s.Error != nil {
			fmt.Fprintf(w, "simulation %d: failed: %s\n", s.ID, *s.Error)
			continue
		}
		fmt.Fprintf(w, "simulation %d of finding %s: cost %s → %s (-%s %%) %s\n", s.ID, fmtInt(s.RecID), fmtMs(s.BeforeCost), fmtMs(s.AfterCost),
			fmtMs(s.Improvement), strings.Join(s.Changes, "; "))
	}
	return nil
}

func advisorSimulateCommand() *cli.Command {
	return &cli.Command{
		Name:      "simulate",
		Usage:     "simulate a recommendation on a query: before/after cost and plan",
		ArgsUsage: "QUERY REC",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "mode", Value: "hypopg", Usage: "`MODE` hypopg (hypothetical index, EXPLAIN) or real (built in a sandbox, rolled back)"},
			&cli.StringFlag{Name: "sandbox", Usage: "the sandbox `SCHEMA` for --mode real"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return fmt.Errorf("simulate needs QUERY and REC ids, got %d argument(s)", c.NArg())
			}
			var ids [2]int64
			for i, a := range c.Args().Slice() {
				id, err := strconv.ParseInt(a, 10, 64)
				if err != nil {
					return fmt.Errorf("%s id %q is not an integer", []string{"QUERY", "REC"}[i], a)
				}
				ids[i] = id
			}
			if m := c.String("mode"); m != "hypopg" && m != "real" {
				return fmt.Errorf("--mode %q: use hypopg or real", m)
			}
			var sandbox any
			if c.IsSet("sandbox") {
				sandbox = c.String("sandbox")
			}
			conn, err := connect(c)
			if err != nil {
				return err
			}
			defer closeConn(conn)
			raw, err := queryJSON(c, conn, `SELECT to_jsonb(s) FROM howdah_advisor.simulate(query_id => $1, rec_id => $2,
				mode => $3::howdah_advisor.simulation_mode, sandbox => $4) AS s`, ids[0], ids[1], c.String("mode"), sandbox)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, raw)
			}
			var s struct {
				ID          int64    `json:"id"`
				Mode        string   `json:"mode"`
				BeforeCost  *float64 `json:"before_cost"`
				AfterCost   *float64 `json:"after_cost"`
				BeforeMs    *float64 `json:"before_ms"`
				AfterMs     *float64 `json:"after_ms"`
				Improvement *float64 `json:"improvement_pct"`
				Gain        *bool    `json:"gain"`
				Changes     []string `json:"plan_changes"`
				Error       *string  `json:"error"`
			}
			if err := json.Unmarshal(raw, &s); err != nil {
				return err
			}
			if s.Error != nil {
				return &exitError{code: 1, msg: fmt.Sprintf("simulation %d failed: %s", s.ID, *s.Error)}
			}
			fmt.Fprintf(c.App.Writer, "simulation %d (%s): cost %s → %s (-%s %%)\n", s.ID, s.Mode, fmtMs(s.BeforeCost), fmtMs(s.AfterCost), fmtMs(s.Improvement))
			fmt.Fprintf(c.App.Writer, "estimated time per call: %s ms → %s ms (the measured mean scaled by the cost ratio)\n", fmtMs(s.BeforeMs), fmtMs(s.AfterMs))
			for _, ch := range s.Changes {
				fmt.Fprintf(c.App.Writer, "plan change: %s\n", ch)
			}
			if s.Gain != nil && !*s.Gain {
				fmt.Fprintln(c.App.Writer, "no gain: under the minimum improvement")
			}
			return nil
		},
	}
}

func advisorAskCommand() *cli.Command {
	return &cli.Command{
		Name:      "ask",
		Usage:     "ask a question about the newest scan; answers come from stored facts, with citations",
		ArgsUsage: `"QUESTION"`,
		Description: "Answers why a query is slow, what index to add, the impact of a recommendation (runs a simulation), " +
			"and what changed since the last scan; any other question gets the list of those it can answer.",
		Flags: []cli.Flag{&cli.Int64Flag{Name: "query", Usage: "the query `ID` the question is about"}, jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf(`ask needs one QUESTION in quotes, got %d argument(s): howdah advisor ask "why is query 12 slow?"`, c.NArg())
			}
			conn, err := connect(c)
			if err != nil {
				return err
			}
			defer closeConn(conn)
			raw, err := queryJSON(c, conn, "SELECT howdah_advisor.ask($1, $2)", c.Args().First(), optInt64(c, "query"))
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, raw)
			}
			var a struct {
				Intent    string `json:"intent"`
				Answer    string `json:"answer"`
				Citations []struct {
					Kind string `json:"kind"`
					Ref  string `json:"ref"`
					Text string `json:"text"`
				} `json:"citations"`
				CanAnswer []string `json:"can_answer"`
			}
			if err := json.Unmarshal(raw, &a); err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, a.Answer)
			for i, ct := range a.Citations {
				fmt.Fprintf(c.App.Writer, "  [%d] %s: %s\n", i+1, ct.Ref, ct.Text)
			}
			if a.Intent == "unknown" {
				for _, q := range a.CanAnswer {
					fmt.Fprintf(c.App.Writer, "  - %s\n", q)
				}
			}
			return nil
		},
	}
}

func advisorCheckCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "exit 1 when the newest scan has findings of the given types (for CI)",
		Description: "Reads the newest finished scan (or --snapshot) and lists its findings of the types given; exits 1 when " +
			"there are any, 0 when there are none, 2 when there is no finished scan. Types: missing_index, composite_index, " +
			"stats, rewrite, redundant_index, unused_index.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "fail-on", Required: true, Usage: "finding `TYPE`s that fail the check, comma-separated or repeated"},
			snapshotFlag(),
		},
		Action: func(c *cli.Context) error {
			var types []string
			for _, v := range c.StringSlice("fail-on") {
				for _, t := range strings.Split(v, ",") {
					if t = strings.TrimSpace(t); t != "" && !slices.Contains(types, t) {
						types = append(types, t)
					}
				}
			}
			conn, err := connect(c)
			if err != nil {
				return err
			}
			defer closeConn(conn)
			var known []string
			if err := conn.QueryRow(c.Context, "SELECT enum_range(NULL::howdah_advisor.recommendation_type)::text[]").Scan(&known); err != nil {
				return advisorErr(err)
			}
			for _, t := range types {
				if !slices.Contains(known, t) {
					return fmt.Errorf("--fail-on %q is not a finding type: use %s", t, strings.Join(known, ", "))
				}
			}
			if len(types) == 0 {
				return fmt.Errorf("--fail-on names no type: use %s", strings.Join(known, ", "))
			}
			var sid *int64
			var finished *time.Time
			err = conn.QueryRow(c.Context, `SELECT s.id, s.finished_at FROM howdah_advisor.snapshots s
				WHERE CASE WHEN $1::bigint IS NULL THEN s.state = 'done' ELSE s.id = $1 END
				ORDER BY s.finished_at DESC NULLS LAST, s.id DESC LIMIT 1`, optInt64(c, "snapshot")).Scan(&sid, &finished)
			if errors.Is(err, pgx.ErrNoRows) {
				if c.IsSet("snapshot") {
					return &exitError{code: 2, msg: fmt.Sprintf("snapshot %d does not exist", c.Int64("snapshot"))}
				}
				return &exitError{code: 2, msg: "no advisor scan has finished yet: run `howdah advisor scan` first"}
			}
			if err != nil {
				return advisorErr(err)
			}
			rows, err := conn.Query(c.Context, `SELECT r.id, r.rank, r.type::text, coalesce(r.ddl, r.key), r.query_ids
				FROM howdah_advisor.recommendations r WHERE r.snapshot_id = $1 AND r.type::text = ANY ($2)
				ORDER BY r.rank NULLS LAST, r.type, r.id`, *sid, types)
			if err != nil {
				return advisorErr(err)
			}
			type finding struct {
				ID      int64
				Rank    *int32
				Type    string
				Fix     string
				Queries []int64
			}
			found, err := pgx.CollectRows(rows, pgx.RowToStructByPos[finding])
			if err != nil {
				return advisorErr(err)
			}
			if len(found) == 0 {
				fmt.Fprintf(c.App.Writer, "ok: snapshot %d has no finding of type %s\n", *sid, strings.Join(types, ", "))
				return nil
			}
			for _, f := range found {
				rank := "-"
				if f.Rank != nil {
					rank = strconv.Itoa(int(*f.Rank))
				}
				fmt.Fprintf(c.App.Writer, "#%s %s (finding %d, queries %v): %s\n", rank, f.Type, f.ID, f.Queries, f.Fix)
			}
			return &exitError{code: 1, msg: fmt.Sprintf("check failed: snapshot %d has %d finding(s) of type %s", *sid, len(found), strings.Join(types, ", "))}
		},
	}
}
