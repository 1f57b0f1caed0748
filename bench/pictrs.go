package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/howdah/howdah/installer"
)

// The pictrs cases, on one database made once outside the timer: howdah with pictrs in schema
// pictrs holding pictrsHashes hashes (md5 of 1..N, so in no particular order) and
// pictrsVariants variants (4 of each of the first N/4 hashes, accessed times spread over a
// year, one in ten untracked), and a second, empty instance in schema pictrs_up for the upload
// case, which empties it before each run.
//
//   - streaming every hash in batches of 1000: hashes_page (keyset) against LIMIT/OFFSET paging of
//     the same table, one full pass per op; the notes give each side's first and last batches.
//   - one upload: create_hash + create_alias against the same two INSERT statements those
//     functions run, hand-written, two round trips on each side.
//   - older_variants(before, 1000) against its query hand-written; the plans of both (the
//     function's through auto_explain, nested statements) are printed and must use
//     variants_accessed_idx.
const (
	pictrsHashes   = 1_000_000
	pictrsVariants = 1_000_000
	pictrsPage     = 1000
	// pictrsBefore leaves about half of the tracked variants older.
	pictrsBefore = "2026-07-01 00:00+00"

	pictrsOffsetSQL = `SELECT hash FROM pictrs.hashes ORDER BY hash LIMIT 1000 OFFSET $1`
	pictrsKeysetSQL = `SELECT h FROM pictrs.hashes_page($1, 1000) h`

	// The INSERTs create_hash and create_alias run, as written in sql/pictrs/code.
	pictrsHashInsert  = `INSERT INTO pictrs_up.hashes (hash, identifier) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING`
	pictrsAliasInsert = `INSERT INTO pictrs_up.aliases (alias, hash, delete_token)
	SELECT $1, h.hash, $3 FROM pictrs_up.hashes h WHERE h.hash = $2 ON CONFLICT (alias) DO NOTHING`

	pictrsOlderSQL = `SELECT v.hash, v.variant FROM pictrs.variants v
 WHERE v.accessed < $1 ORDER BY v.accessed, v.hash, v.variant LIMIT $2`
	pictrsOlderCall = `SELECT hash, variant FROM pictrs.older_variants($1, $2)`
)

var pictrsDB struct {
	once sync.Once
	conn *pgx.Conn
	url  string
}

func pictrsConn(b *testing.B, e *env) *pgx.Conn {
	pictrsDB.once.Do(func() {
		url := e.freshDB(b)
		conn := connect(b, e, url)
		b.StopTimer()
		defer b.StartTimer()
		start := time.Now()
		in, err := installer.New(conn, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := in.Install(e.ctx, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := in.Install(e.ctx, []installer.Target{{Module: "pictrs", Schema: "pictrs_up"}}); err != nil {
			b.Fatal(err)
		}
		for _, sql := range []string{
			`INSERT INTO pictrs.hashes (hash, identifier)
			 SELECT md5(i::text), 'files/' || i FROM generate_series(1, ` + strconv.Itoa(pictrsHashes) + `) i`,
			`INSERT INTO pictrs.variants (hash, variant, identifier, accessed)
			 SELECT md5(i::text), 'thumbnail/' || v, 'variants/' || i || '/' || v,
			        CASE WHEN (i + v) % 10 <> 0
			             THEN timestamptz '2026-01-01 00:00+00' + ((i::bigint * 4 + v) * 7919 % 31536000) * interval '1 second' END
			   FROM generate_series(1, ` + strconv.Itoa(pictrsVariants/4) + `) i, generate_series(1, 4) v`,
			`VACUUM ANALYZE pictrs.hashes, pictrs.variants`,
		} {
			if _, err := conn.Exec(e.ctx, sql); err != nil {
				b.Fatalf("pictrs setup: %v", err)
			}
		}
		e.note("pictrs setup", "pictrs setup: %d hashes and %d variants generated set-based (INSERT … SELECT generate_series) in %s",
			pictrsHashes, pictrsVariants, time.Since(start).Round(100*time.Millisecond))
		if err := pictrsOlderPlans(e, conn, url); err != nil {
			b.Fatal(err)
		}
		pictrsDB.conn, pictrsDB.url = conn, url
	})
	if pictrsDB.conn == nil {
		b.Fatal("pictrs setup failed earlier")
	}
	return pictrsDB.conn
}

// batchTimes keeps the time of every batch of the last full pass.
type batchTimes struct {
	times []time.Duration
	total time.Duration
}

// ends is the mean time of the first and of the last k batches.
func (t *batchTimes) ends(k int) (first, last time.Duration) {
	k = min(k, len(t.times))
	if k == 0 {
		return 0, 0
	}
	for i := range k {
		first += t.times[i]
		last += t.times[len(t.times)-k+i]
	}
	return first / time.Duration(k), last / time.Duration(k)
}

// streamHashes reads every hash in batches of pictrsPage, page(after, offset) running one
// batch, and checks that it saw each hash once, in order.
func streamHashes(b *testing.B, e *env, conn *pgx.Conn, page func(after *string, offset int) (pgx.Rows, error)) batchTimes {
	var bt batchTimes
	start := time.Now()
	var after *string
	seen := 0
	for {
		t := time.Now()
		rows, err := page(after, seen)
		if err != nil {
			b.Fatal(err)
		}
		batch, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			b.Fatal(err)
		}
		bt.times = append(bt.times, time.Since(t))
		if len(batch) > 0 {
			if after != nil && batch[0] <= *after {
				b.Fatalf("batch after %q starts at %q", *after, batch[0])
			}
			after = &batch[len(batch)-1]
		}
		seen += len(batch)
		if len(batch) < pictrsPage {
			break
		}
	}
	bt.total = time.Since(start)
	if seen != pictrsHashes {
		b.Fatalf("streamed %d hashes, want %d", seen, pictrsHashes)
	}
	return bt
}

// pictrsOlderPlans checks, outside the timer, that older_variants and its hand-written query
// return the same rows and use variants_accessed_idx, and notes both plans' node types. The
// function's plan is the one PostgreSQL runs inside it, caught by auto_explain (nested
// statements, logged to the client).
func pictrsOlderPlans(e *env, conn *pgx.Conn, url string) error {
	before, _ := time.Parse("2006-01-02 15:04-07", pictrsBefore)
	base, err := olderRows(e, conn, pictrsOlderSQL, before)
	if err != nil {
		return err
	}
	ours, err := olderRows(e, conn, pictrsOlderCall, before)
	if err != nil {
		return err
	}
	if len(base) != pictrsPage || !slices.Equal(base, ours) {
		return fmt.Errorf("older_variants gave %d rows, the hand-written query %d, or other rows", len(ours), len(base))
	}

	var plan []byte
	if err := conn.QueryRow(e.ctx, "EXPLAIN (FORMAT JSON) "+pictrsOlderSQL, before, pictrsPage).Scan(&plan); err != nil {
		return err
	}
	baseNodes, baseIdx, err := planNodes(plan)
	if err != nil {
		return err
	}

	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return err
	}
	var notices []string
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { notices = append(notices, n.Message) }
	ec, err := pgx.ConnectConfig(e.ctx, cfg)
	if err != nil {
		return err
	}
	defer ec.Close(e.ctx)
	for _, sql := range []string{"LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0",
		"SET auto_explain.log_nested_statements = on", "SET auto_explain.log_format = json", "SET client_min_messages = log"} {
		if _, err := ec.Exec(e.ctx, sql); err != nil {
			return fmt.Errorf("auto_explain: %s: %w", sql, err)
		}
	}
	if _, err := olderRows(e, ec, pictrsOlderCall, before); err != nil {
		return err
	}
	var ourNodes, ourIdx []string
	for _, n := range notices {
		i := strings.IndexByte(n, '{')
		if i < 0 || !strings.Contains(n, "pictrs.variants") {
			continue
		}
		nodes, idx, err := planNodes([]byte(n[i:]))
		if err != nil {
			return err
		}
		ourNodes, ourIdx = nodes, idx
	}
	for _, side := range []struct {
		name       string
		nodes, idx []string
	}{{"hand-written query", baseNodes, baseIdx}, {"older_variants (inner statement, via auto_explain)", ourNodes, ourIdx}} {
		if !slices.Contains(side.idx, "variants_accessed_idx") {
			return fmt.Errorf("pictrs older_variants: the %s does not use variants_accessed_idx: nodes %v (notices %d)", side.name, side.nodes, len(notices))
		}
		e.note("pictrs plan "+side.name, "pictrs older_variants plan, %s: %s on %s",
			side.name, strings.Join(side.nodes, " → "), strings.Join(side.idx, ", "))
	}
	return nil
}

func olderRows(e *env, conn *pgx.Conn, sql string, before time.Time) ([]string, error) {
	rows, err := conn.Query(e.ctx, sql, before, pictrsPage)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var h, v string
		err := r.Scan(&h, &v)
		return h + "/" + v, err
	})
}

// planNodes returns the node types of a JSON plan (EXPLAIN's array or auto_explain's object),
// top down, and the indexes it scans.
func planNodes(doc []byte) (nodes, indexes []string, err error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, nil, fmt.Errorf("plan: %w", err)
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			if t, ok := v["Node Type"].(string); ok {
				nodes = append(nodes, t)
			}
			if i, ok := v["Index Name"].(string); ok {
				indexes = append(indexes, i)
			}
			for _, k := range []string{"Plan", "Plans"} {
				if x, ok := v[k]; ok {
					walk(x)
				}
			}
		}
	}
	walk(v)
	return nodes, indexes, nil
}

func init() {
	// Streaming every hash: one op is a full pass.
	var stream [2]batchTimes
	streamNote := func(e *env) {
		of, ol := stream[0].ends(10)
		kf, kl := stream[1].ends(10)
		e.note("pictrs stream", "pictrs streaming %d hashes in batches of %d: keyset %s in all, a batch %s first 10 → %s last 10 (%.1fx); "+
			"OFFSET %s in all, a batch %s first 10 → %s last 10 (%.1fx)",
			pictrsHashes, pictrsPage,
			stream[1].total.Round(time.Millisecond), kf.Round(time.Microsecond), kl.Round(time.Microsecond), float64(kl)/float64(kf),
			stream[0].total.Round(time.Millisecond), of.Round(time.Microsecond), ol.Round(time.Microsecond), float64(ol)/float64(of))
	}
	cases = append(cases, benchCase{
		name:         fmt.Sprintf("pictrs stream %d hashes, batches of %d", pictrsHashes, pictrsPage),
		baselineName: "LIMIT/OFFSET paging",
		howdahName:   "pictrs.hashes_page (keyset)",
		baseline: func(b *testing.B, e *env) {
			conn := pictrsConn(b, e)
			for b.Loop() {
				stream[0] = streamHashes(b, e, conn, func(_ *string, offset int) (pgx.Rows, error) {
					return conn.Query(e.ctx, pictrsOffsetSQL, offset)
				})
			}
		},
		howdah: func(b *testing.B, e *env) {
			conn := pictrsConn(b, e)
			for b.Loop() {
				stream[1] = streamHashes(b, e, conn, func(after *string, _ int) (pgx.Rows, error) {
					return conn.Query(e.ctx, pictrsKeysetSQL, after)
				})
			}
			streamNote(e)
		},
	})

	// One upload: a new hash and an alias of it, two round trips.
	var uploads [2]jobsPerSecond
	emptyUp := func(b *testing.B, e *env, conn *pgx.Conn) {
		b.StopTimer()
		defer b.StartTimer()
		if _, err := conn.Exec(e.ctx, "TRUNCATE pictrs_up.hashes CASCADE"); err != nil {
			b.Fatal(err)
		}
	}
	cases = append(cases, benchCase{
		name:         "pictrs upload: create hash + alias",
		baselineName: "the same 2 INSERTs",
		howdahName:   "create_hash + create_alias",
		baseline: func(b *testing.B, e *env) {
			conn := pictrsConn(b, e)
			emptyUp(b, e, conn)
			i := 0
			for b.Loop() {
				i++
				h := "hash-" + strconv.Itoa(i)
				for _, s := range []struct {
					sql  string
					args []any
				}{{pictrsHashInsert, []any{h, "files/" + h}}, {pictrsAliasInsert, []any{"alias-" + strconv.Itoa(i), h, "token"}}} {
					tag, err := conn.Exec(e.ctx, s.sql, s.args...)
					if err != nil {
						b.Fatal(err)
					}
					if tag.RowsAffected() != 1 {
						b.Fatalf("%s: %d rows, want 1", s.sql, tag.RowsAffected())
					}
				}
			}
			uploads[0].record(b, b.N)
		},
		howdah: func(b *testing.B, e *env) {
			conn := pictrsConn(b, e)
			emptyUp(b, e, conn)
			i := 0
			for b.Loop() {
				i++
				h := "hash-" + strconv.Itoa(i)
				var created, ok string
				if err := conn.QueryRow(e.ctx, "SELECT pictrs_up.create_hash($1, $2)", h, "files/"+h).Scan(&created); err != nil {
					b.Fatal(err)
				}
				if err := conn.QueryRow(e.ctx, "SELECT pictrs_up.create_alias($1, $2, $3)", "alias-"+strconv.Itoa(i), h, "token").Scan(&ok); err != nil {
					b.Fatal(err)
				}
				if created != "created" || ok != "ok" {
					b.Fatalf("create_hash %q, create_alias %q; want created, ok", created, ok)
				}
			}
			uploads[1].record(b, b.N)
			e.note("pictrs uploads", "pictrs uploads (create_hash + create_alias, 2 round trips): %.0f uploads/s (the same INSERTs hand-written %.0f uploads/s)",
				uploads[1].rate(), uploads[0].rate())
		},
	})

	// Eviction candidates: the 1000 oldest variants accessed before pictrsBefore.
	cases = append(cases, benchCase{
		name:         fmt.Sprintf("pictrs older_variants(before, 1000), %d variants", pictrsVariants),
		baselineName: "hand-written query",
		howdahName:   "pictrs.older_variants",
		baseline: func(b *testing.B, e *env) {
			conn := pictrsConn(b, e)
			before, _ := time.Parse("2006-01-02 15:04-07", pictrsBefore)
			for b.Loop() {
				if rows, err := olderRows(e, conn, pictrsOlderSQL, before); err != nil || len(rows) != pictrsPage {
					b.Fatalf("%d rows, %v", len(rows), err)
				}
			}
		},
		howdah: func(b *testing.B, e *env) {
			conn := pictrsConn(b, e)
			before, _ := time.Parse("2006-01-02 15:04-07", pictrsBefore)
			for b.Loop() {
				if rows, err := olderRows(e, conn, pictrsOlderCall, before); err != nil || len(rows) != pictrsPage {
					b.Fatalf("%d rows, %v", len(rows), err)
				}
			}
		},
	})
}
