package advisorseed

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

//go:embed build.sql
var buildSQL string

// Marker starts the COMMENT of a schema made by the seed: only such a schema is replaced.
const Marker = "made by howdah advisor seed"

// Config sets up a seed. The zero value (or a nil *Config) means the defaults.
type Config struct {
	// Schema is the schema the seed makes (default "advisor_seed"): a lower-case identifier
	// that needs no quotes. An existing schema is replaced only when a seed made it.
	Schema string
	// Scale multiplies the row counts (default 1: 1,000,000 orders, 2,000,000 order items,
	// 1,000,000 events, 100,000 users, 10,000 products); from 0.01 to 20.
	Scale float64
	// Duration is how long the workload runs, both phases together (default 8 s; each
	// connection completes at least one round of the phase's statements, however short).
	Duration time.Duration
	// Connections is the number of workload connections (default 4).
	Connections int
	// NoScan skips the advisor scans the seed takes when the advisor is installed (before and
	// after the latency spike).
	NoScan bool
	// HoldLock, when positive, keeps the lock wait going this long at the end, for a scan run
	// by hand in another terminal.
	HoldLock time.Duration
	// Out receives progress lines (default: none).
	Out io.Writer
}

// Result says what a seed did.
type Result struct {
	Schema   string
	Scale    float64
	Rows     map[string]int64 // table → rows
	Replaced bool             // an earlier seed's schema was dropped first
	// Tracked is false when the build's own statements could not be kept out of
	// pg_stat_statements (pg_stat_statements.track is a superuser setting).
	Tracked bool
	// StatsReset is true when the seed's tables' statistics counters were reset after the build
	// (a superuser's right by default), which dates the database's statistics.
	StatsReset bool
	Advisor    bool    // the advisor module is installed
	Snapshots  []int64 // the snapshots the seed's scans made: before and after the spike
	// LockWaitSeen is true when the lock-wait UPDATE was seen waiting during the second scan.
	LockWaitSeen bool
	Calls        map[string]int64 // pattern → statements run
	Build        time.Duration    // schema and data
	Workload     time.Duration    // both phases, the scans and the lock wait included
	Total        time.Duration
}

// ErrNotSeedSchema is returned when the schema exists and was not made by a seed.
var ErrNotSeedSchema = errors.New("schema exists and was not made by howdah advisor seed")

func (c *Config) withDefaults() (Config, error) {
	var d Config
	if c != nil {
		d = *c
	}
	if d.Schema == "" {
		d.Schema = "advisor_seed"
	}
	if d.Scale == 0 {
		d.Scale = 1
	}
	if d.Scale < 0.01 || d.Scale > 20 {
		return d, fmt.Errorf("scale %g is out of range: pass a factor from 0.01 to 20 (1 = 1,000,000 orders)", d.Scale)
	}
	if d.Duration == 0 {
		d.Duration = 8 * time.Second
	}
	if d.Duration < 0 {
		return d, fmt.Errorf("duration %s is negative: pass how long the workload runs, e.g. 10s", d.Duration)
	}
	if d.Connections == 0 {
		d.Connections = 4
	}
	if d.Connections < 1 || d.Connections > 32 {
		return d, fmt.Errorf("connections %d is out of range: pass 1 to 32", d.Connections)
	}
	if d.HoldLock < 0 {
		return d, fmt.Errorf("hold-lock %s is negative", d.HoldLock)
	}
	if d.Out == nil {
		d.Out = io.Discard
	}
	if strings.HasPrefix(d.Schema, "pg_") || strings.HasPrefix(d.Schema, "howdah") {
		return d, fmt.Errorf("schema %q is reserved: the advisor skips statements on pg_* and howdah* schemas; pick another name", d.Schema)
	}
	return d, nil
}

// seeder carries one run.
type seeder struct {
	cfg   Config
	url   string
	z     sizes
	out   io.Writer
	res   *Result
	mu    sync.Mutex
	phase int // 1 or 2
	pats  []Pattern
}

// Run builds the seed schema in the database at url and runs the workload. See Config.
func Run(ctx context.Context, url string, cfg *Config) (*Result, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	s := &seeder{cfg: c, url: url, z: sizesFor(c.Scale), out: c.Out, pats: Patterns(c.Schema),
		res: &Result{Schema: c.Schema, Scale: c.Scale, Calls: map[string]int64{}}}
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	if err := s.build(ctx, conn); err != nil {
		return nil, err
	}
	s.res.Build = time.Since(start)
	if err := s.workload(ctx, conn); err != nil {
		return nil, err
	}
	s.res.Workload = time.Since(start) - s.res.Build
	s.res.Total = time.Since(start)
	fmt.Fprintf(s.out, "seed: done in %.1f s (build %.1f s, workload %.1f s)\n", s.res.Total.Seconds(), s.res.Build.Seconds(), s.res.Workload.Seconds())
	return s.res, nil
}

func (s *seeder) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(s.url)
	if err != nil {
		return nil, fmt.Errorf("invalid connection string: %w", err)
	}
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		if strings.HasPrefix(n.Message, "advisor scan") {
			fmt.Fprintf(s.out, "seed:   %s\n", n.Message)
		}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return conn, nil
}

// build (re)makes the schema and loads it, step by step.
func (s *seeder) build(ctx context.Context, conn *pgx.Conn) error {
	sch := s.cfg.Schema
	var plain bool
	if err := conn.QueryRow(ctx, `SELECT pg_catalog.quote_ident($1) = $1`, sch).Scan(&plain); err != nil {
		return err
	}
	if !plain {
		return fmt.Errorf("schema %q needs quotes: pass a lower-case name of letters, digits and _ that is not a keyword", sch)
	}
	var (
		exists  bool
		comment *string
	)
	if err := conn.QueryRow(ctx, `SELECT true, pg_catalog.obj_description(n.oid, 'pg_namespace')
		FROM pg_catalog.pg_namespace n WHERE n.nspname = $1`, sch).Scan(&exists, &comment); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if exists && (comment == nil || !strings.HasPrefix(*comment, Marker)) {
		return fmt.Errorf("%w: %q; pass another --schema, or drop it yourself if it is an old seed", ErrNotSeedSchema, sch)
	}
	z := s.z
	fmt.Fprintf(s.out, "seed: schema %s, scale %g: %d users, %d products, %d orders, %d order items, %d events\n",
		sch, s.cfg.Scale, z.Users, z.Products, z.Orders, z.Items, z.Events)
	// Keep the build's own statements out of pg_stat_statements, where they would be the
	// workload's top statements (a superuser setting: without it, say how to exclude them).
	if _, err := conn.Exec(ctx, `SET pg_stat_statements.track = 'none'`); err == nil {
		s.res.Tracked = true
	} else if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && (pe.Code == "42501" || pe.Code == "42704") {
		s.res.Tracked = false
	} else if err != nil {
		return err
	}
	ident := pgx.Identifier{sch}.Sanitize()
	if exists {
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+ident+" CASCADE"); err != nil {
			return fmt.Errorf("drop the earlier seed's schema %q: %w", sch, err)
		}
		s.res.Replaced = true
		fmt.Fprintf(s.out, "seed: dropped schema %s of an earlier seed\n", sch)
	}
	comment2 := fmt.Sprintf("%s (scale %g) at %s: the next seed replaces it; DROP SCHEMA %s CASCADE removes it",
		Marker, s.cfg.Scale, time.Now().UTC().Format(time.RFC3339), sch)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
		return fmt.Errorf("create schema %q: %w", sch, err)
	}
	if _, err := conn.Exec(ctx, "COMMENT ON SCHEMA "+ident+" IS "+quoteLiteral(comment2)); err != nil {
		return err
	}
	if err := s.buildSession(ctx, conn); err != nil {
		return err
	}
	// The second build connection (steps ending in @2).
	conn2, err := s.connect(ctx)
	if err != nil {
		return err
	}
	defer conn2.Close(context.Background())
	if s.res.Tracked {
		if _, err := conn2.Exec(ctx, `SET pg_stat_statements.track = 'none'`); err != nil {
			return err
		}
	}
	if err := s.buildSession(ctx, conn2); err != nil {
		return err
	}
	// Count index use from the workload on: resetting the new relations' counters loses nothing
	// and dates the statistics of the database (pg_stat_database.stats_reset), which the
	// unused-index rule needs on a server up for less than a day. It also clears their last
	// analyze time, so it comes before the final VACUUM (ANALYZE).
	all := steps(buildSQL)
	last := len(all)
	for last > 0 && strings.HasPrefix(all[last-1].name, "vacuum") {
		last--
	}
	if err := s.runSteps(ctx, []*pgx.Conn{conn, conn2}, all[:last]); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `SELECT count(pg_catalog.pg_stat_reset_single_table_counters(c.oid)) FROM pg_catalog.pg_class c
		WHERE c.relnamespace = pg_catalog.to_regnamespace($1) AND c.relkind IN ('r', 'i')`, sch); err == nil {
		s.res.StatsReset = true
	} else if pe := (*pgconn.PgError)(nil); !errors.As(err, &pe) || pe.Code != "42501" {
		return err
	}
	if err := s.runSteps(ctx, []*pgx.Conn{conn, conn2}, all[last:]); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `RESET search_path`); err != nil {
		return err
	}
	if s.res.Tracked {
		if _, err := conn.Exec(ctx, `RESET pg_stat_statements.track`); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(s.out, "seed: note: only a superuser can keep the build's INSERT ... SELECT statements out of pg_stat_statements; "+
			"leave them out of a scan with howdah_advisor.scan(exclude => ARRAY['generate_series'])")
	}
	if !s.res.StatsReset {
		fmt.Fprintln(s.out, "seed: note: could not reset the new tables' statistics counters (pg_stat_reset_single_table_counters needs a superuser "+
			"or a GRANT): unless the database's statistics were reset before, the unused-index finding waits for a server up for a day")
	}
	s.res.Rows = map[string]int64{"users": z.Users, "products": z.Products, "orders": z.Orders, "order_items": z.Items, "events": z.Events}
	return nil
}

// buildSession sets what the build script reads: the schema as the search path, the row counts.
func (s *seeder) buildSession(ctx context.Context, conn *pgx.Conn) error {
	z := s.z
	_, err := conn.Exec(ctx, `SELECT pg_catalog.set_config('search_path', $1, false),
		pg_catalog.set_config('advisor_seed.users', $2, false), pg_catalog.set_config('advisor_seed.products', $3, false),
		pg_catalog.set_config('advisor_seed.orders', $4, false), pg_catalog.set_config('advisor_seed.items', $5, false),
		pg_catalog.set_config('advisor_seed.events', $6, false)`,
		pgx.Identifier{s.cfg.Schema}.Sanitize()+", pg_catalog",
		fmt.Sprint(z.Users), fmt.Sprint(z.Products), fmt.Sprint(z.Orders), fmt.Sprint(z.Items), fmt.Sprint(z.Events))
	return err
}

// step is one step of the build script; lane is the build connection it runs on beside the
// other lane's steps next to it (0: alone).
type step struct {
	name, sql string
	lane      int
}

// steps splits the build script at its `-- step: NAME [@LANE]` lines; what comes before the
// first is the header comment.
func steps(script string) []step {
	var out []step
	for _, part := range strings.Split(script, "\n-- step: ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		st := step{name: strings.TrimSpace(name), sql: body}
		if n, lane, ok := strings.Cut(st.name, " @"); ok {
			st.name = n
			fmt.Sscan(lane, &st.lane)
		}
		out = append(out, st)
	}
	return out
}

// runSteps runs the steps in order; consecutive steps with lanes run at once, each lane's in
// order on its own connection.
func (s *seeder) runSteps(ctx context.Context, conns []*pgx.Conn, all []step) error {
	for i := 0; i < len(all); {
		j := i + 1
		if all[i].lane > 0 {
			for j < len(all) && all[j].lane > 0 {
				j++
			}
		}
		group := all[i:j]
		errs := make([]error, len(conns))
		var wg sync.WaitGroup
		for k, conn := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, st := range group {
					if st.lane != k+1 && !(st.lane == 0 && k == 0) {
						continue
					}
					t0 := time.Now()
					if _, err := conn.Exec(ctx, st.sql, pgx.QueryExecModeSimpleProtocol); err != nil {
						errs[k] = fmt.Errorf("seed step %q: %w", st.name, err)
						return
					}
					s.mu.Lock()
					fmt.Fprintf(s.out, "seed: %-36s %5.1f s\n", st.name, time.Since(t0).Seconds())
					s.mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// quoteLiteral quotes s as an SQL string literal (standard_conforming_strings is on since 9.1).
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// workload runs phase 1 (every pattern), scans, drops the spike's index, runs phase 2 (the
// spike's statement alone), and scans again during a lock wait.
func (s *seeder) workload(ctx context.Context, conn *pgx.Conn) error {
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_catalog.pg_proc
		WHERE proname = 'scan' AND pronamespace = pg_catalog.to_regnamespace('howdah_advisor'))`).Scan(&s.res.Advisor); err != nil {
		return err
	}
	var pgss bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_stat_statements')
		AND 'pg_stat_statements' = ANY (pg_catalog.string_to_array(pg_catalog.replace(pg_catalog.current_setting('shared_preload_libraries'), ' ', ''), ','))`).Scan(&pgss); err != nil {
		return err
	}
	if !pgss {
		fmt.Fprintln(s.out, "seed: note: pg_stat_statements is not loaded and created in this database: the advisor will not see the workload "+
			"(add it to shared_preload_libraries, restart, CREATE EXTENSION pg_stat_statements; howdah install advisor says so too)")
	}
	scan := s.res.Advisor && !s.cfg.NoScan
	if !s.res.Advisor {
		fmt.Fprintln(s.out, "seed: the advisor is not installed: no scans (the latency spike and the lock wait need two; install it with howdah install advisor and seed again)")
	}
	p1 := s.cfg.Duration * 2 / 3
	s.phase = 1
	if err := s.run(ctx, "phase 1", p1); err != nil {
		return err
	}
	if scan {
		if err := s.scan(ctx, conn, "before the spike"); err != nil {
			return err
		}
	}
	ident := pgx.Identifier{s.cfg.Schema, SpikeIndex}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP INDEX "+ident); err != nil {
		return fmt.Errorf("drop %s for the latency spike: %w", ident, err)
	}
	fmt.Fprintf(s.out, "seed: latency spike: dropped index %s.%s\n", s.cfg.Schema, SpikeIndex)
	s.phase = 2
	if err := s.run(ctx, "phase 2", s.cfg.Duration-p1); err != nil {
		return err
	}
	if !scan && s.cfg.HoldLock <= 0 {
		return nil
	}
	return s.lockWait(ctx, conn, scan)
}

// run runs the patterns on cfg.Connections connections for d: each connection does rounds of
// every pattern of the phase (each weight times, in its own shuffled order) and stops at d,
// after one round at least.
func (s *seeder) run(ctx context.Context, name string, d time.Duration) error {
	t0 := time.Now()
	deadline := t0.Add(d)
	n := s.cfg.Connections
	errs := make([]error, n)
	var wg sync.WaitGroup
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = s.worker(ctx, uint64(s.phase*100+w), deadline)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var total int64
	for _, c := range s.res.Calls {
		total += c
	}
	fmt.Fprintf(s.out, "seed: workload %s: %d connections, %.1f s, %d statements so far\n", name, n, time.Since(t0).Seconds(), total)
	return nil
}

func (s *seeder) worker(ctx context.Context, seed uint64, deadline time.Time) error {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return fmt.Errorf("workload connection: %w", err)
	}
	defer conn.Close(context.Background())
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	var round []int
	for i, p := range s.pats {
		if s.phase == 2 && !p.Spike {
			continue
		}
		for range p.weight {
			round = append(round, i)
		}
	}
	calls := map[string]int64{}
	defer func() {
		s.mu.Lock()
		for k, v := range calls {
			s.res.Calls[k] += v
		}
		s.mu.Unlock()
	}()
	for first := true; ; first = false {
		r.Shuffle(len(round), func(i, j int) { round[i], round[j] = round[j], round[i] })
		for _, i := range round {
			if !first && time.Now().After(deadline) {
				return nil
			}
			p := &s.pats[i]
			var err error
			if p.text != nil {
				_, err = conn.Exec(ctx, p.text(r, s.z), pgx.QueryExecModeSimpleProtocol)
			} else {
				_, err = conn.Exec(ctx, p.SQL, p.args(r, s.z)...)
			}
			if err != nil {
				return fmt.Errorf("workload pattern %s: %w", p.Name, err)
			}
			calls[p.Name]++
		}
		if time.Now().After(deadline) {
			return nil
		}
	}
}

// scan takes an advisor snapshot, printing its NOTICEs.
func (s *seeder) scan(ctx context.Context, conn *pgx.Conn, why string) error {
	t0 := time.Now()
	var sid int64
	if err := conn.QueryRow(ctx, `SELECT howdah_advisor.scan()`).Scan(&sid); err != nil {
		return fmt.Errorf("advisor scan (%s): %w", why, err)
	}
	s.res.Snapshots = append(s.res.Snapshots, sid)
	fmt.Fprintf(s.out, "seed: advisor scan %s: snapshot %d in %.1f s\n", why, sid, time.Since(t0).Seconds())
	return nil
}

// lockWait locks one product row FOR UPDATE on one connection, starts the lock-wait UPDATE of
// that row on another, and once the UPDATE waits takes the second scan (when scan) and holds on
// for cfg.HoldLock; then releases the row, and the UPDATE completes.
func (s *seeder) lockWait(ctx context.Context, conn *pgx.Conn, scan bool) error {
	holder, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return err
	}
	defer holder.Close(context.Background())
	waiter, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return err
	}
	defer waiter.Close(context.Background())
	tx, err := holder.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	var lockSQL string
	for _, p := range s.pats {
		if p.Name == "lock_wait" {
			lockSQL = p.SQL
		}
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf("SELECT stock FROM %s.products WHERE id = $1 FOR UPDATE", s.cfg.Schema), hotProduct); err != nil {
		return fmt.Errorf("lock wait: lock the hot row: %w", err)
	}
	done := make(chan error, 1)
	go func() {
		// A bound, in case the holder's connection dies in a way that keeps the lock.
		_, err := waiter.Exec(ctx, `SET lock_timeout = '5min'`)
		if err == nil {
			_, err = waiter.Exec(ctx, lockSQL, 1, hotProduct)
		}
		done <- err
	}()
	pid := waiter.PgConn().PID()
	for i := 0; i < 100; i++ {
		var waiting bool
		if err := conn.QueryRow(ctx, `SELECT coalesce((SELECT wait_event_type = 'Lock' FROM pg_catalog.pg_stat_activity WHERE pid = $1), false)`,
			pid).Scan(&waiting); err != nil {
			return err
		}
		if waiting {
			s.res.LockWaitSeen = true
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !s.res.LockWaitSeen {
		fmt.Fprintln(s.out, "seed: lock wait: the UPDATE did not wait within 5 s; scanning anyway")
	} else {
		fmt.Fprintf(s.out, "seed: lock wait: %s.products row %d held FOR UPDATE, an UPDATE of it waiting (pid %d)\n", s.cfg.Schema, hotProduct, pid)
	}
	if scan {
		if err := s.scan(ctx, conn, "after the spike, during the lock wait"); err != nil {
			return err
		}
	}
	if s.cfg.HoldLock > 0 {
		fmt.Fprintf(s.out, "seed: holding the lock for %s: run `howdah advisor scan` in another terminal now\n", s.cfg.HoldLock)
		select {
		case <-time.After(s.cfg.HoldLock):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := tx.Rollback(ctx); err != nil {
		return err
	}
	if err := <-done; err != nil {
		return fmt.Errorf("lock wait: the waiting UPDATE: %w", err)
	}
	s.mu.Lock()
	s.res.Calls["lock_wait"]++
	s.mu.Unlock()
	return nil
}
