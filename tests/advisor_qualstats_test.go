package tests

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/internal/pgcluster"
	"github.com/howdah/howdah/internal/pgtest"
)

// qualstatsLibrary reports whether the server binaries have pg_qualstats' library
// ($libdir/pg_qualstats.so, Debian: postgresql-15-pg-qualstats).
func qualstatsLibrary(t *testing.T) bool {
	t.Helper()
	bindir, err := pgcluster.BinDir()
	if err != nil {
		return false
	}
	pgConfig := filepath.Join(bindir, "pg_config")
	if _, err := os.Stat(pgConfig); err != nil {
		pgConfig = "pg_config"
	}
	out, err := exec.Command(pgConfig, "--pkglibdir").Output()
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(strings.TrimSpace(string(out)), "pg_qualstats.so"))
	return err == nil
}

// qualstatsRec is one index recommendation as the test reads it.
type qualstatsRec struct {
	Type       string
	Table      string
	DDL        string
	Rationale  string
	Confidence float32
	QueryIDs   []int64
	Evidence   map[string]any
}

func qualstatsRecs(t *testing.T, conn *pgx.Conn, sid int64) map[string]qualstatsRec {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
		SELECT type::text, table_name, ddl, rationale, confidence, query_ids, evidence
		  FROM howdah_advisor.recommendations WHERE snapshot_id = $1 AND type IN ('missing_index', 'composite_index')`, sid)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]qualstatsRec{}
	var r qualstatsRec
	var ev []byte
	_, err = pgx.ForEachRow(rows, []any{&r.Type, &r.Table, &r.DDL, &r.Rationale, &r.Confidence, &r.QueryIDs, &ev}, func() error {
		r.Evidence = nil
		if err := json.Unmarshal(ev, &r.Evidence); err != nil {
			return err
		}
		out[r.DDL] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// With pg_qualstats preloaded and installed, the advisor takes index candidates from it: an
// expression predicate whose key pg_stat_statements turned into $n (payload ->> $1) becomes an
// expression index, proved by the scan's simulations on the text pg_qualstats kept; a query whose
// plan is missing gets its composite index from pg_qualstats' predicates alone (lower
// confidence); a plan-backed one pg_qualstats confirms gets a higher confidence and cites it; the
// well-indexed twin table gets nothing; and without the extension the advisor is as before.
//
// pg_qualstats must be preloaded, and the shared test server preloads only pg_stat_statements
// (its executor hooks would sample every other test's statements): this test makes a throwaway
// cluster of its own.
func TestAdvisorQualstats(t *testing.T) {
	if !qualstatsLibrary(t) {
		t.Skip("pg_qualstats is not installed on this machine (Debian: postgresql-15-pg-qualstats; `make setup` installs it)")
	}
	if os.Getenv(pgtest.EnvURL) != "" {
		t.Skip("tests run against an external server (" + pgtest.EnvURL + "): this test needs a local cluster with pg_qualstats preloaded")
	}
	t.Parallel()
	ctx := context.Background()
	cl, err := pgcluster.Start(ctx, &pgcluster.Config{Settings: []string{
		"shared_preload_libraries = 'pg_stat_statements, pg_qualstats'",
		"pg_qualstats.sample_rate = 1", // every statement (the default samples 1 / max_connections)
	}})
	if err != nil {
		t.Fatalf("start a cluster with pg_qualstats preloaded: %v", err)
	}
	t.Cleanup(func() { _ = cl.Destroy() })
	admin := pgtest.Connect(t, cl.URL("postgres"))
	if _, err := admin.Exec(ctx, "CREATE DATABASE qs TEMPLATE template0"); err != nil {
		t.Fatal(err)
	}
	conn := pgtest.Connect(t, cl.URL("qs"))
	pgtest.Install(t, conn)
	for _, sql := range []string{
		"CREATE EXTENSION pg_qualstats",
		"CREATE SCHEMA qs",
		`CREATE TABLE qs.events (id int PRIMARY KEY, kind text NOT NULL, n int NOT NULL, payload jsonb NOT NULL)`,
		`INSERT INTO qs.events SELECT g, 'k' || g % 100, g % 1000, jsonb_build_object('kind', 'x' || g % 500, 'v', g)
		   FROM generate_series(1, 50000) g`,
		// The well-indexed twin: the same data and queries, with the indexes they need.
		"CREATE TABLE qs.events_ok (LIKE qs.events INCLUDING ALL)",
		"INSERT INTO qs.events_ok SELECT * FROM qs.events",
		"CREATE INDEX ON qs.events_ok ((payload ->> 'kind'))",
		"CREATE INDEX ON qs.events_ok (n, kind)",
		"ANALYZE qs.events",
		"ANALYZE qs.events_ok",
		"SELECT pg_stat_statements_reset()",
		"SELECT pg_qualstats_reset()",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// The workload, with literals as a client sends them in the simple protocol.
	work := pgtest.Connect(t, cl.URL("qs"))
	for i := 0; i < 3; i++ {
		for _, sql := range []string{
			"SELECT count(*) FROM qs.events WHERE payload ->> 'kind' = 'x42'",
			"SELECT count(*) FROM qs.events WHERE kind = 'k7' AND n = 5",
			"SELECT count(*) FROM qs.events_ok WHERE payload ->> 'kind' = 'x42'",
			"SELECT count(*) FROM qs.events_ok WHERE kind = 'k7' AND n = 5",
		} {
			if _, err := work.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
	}

	var sid int64
	if err := conn.QueryRow(ctx, "SELECT howdah_advisor.scan(keep => NULL)").Scan(&sid); err != nil {
		t.Fatalf("scan: %v", err)
	}
	var qExpr, qComp int64
	if err := conn.QueryRow(ctx, `
		SELECT (SELECT q.id FROM howdah_advisor.queries q WHERE q.raw_sql LIKE '%qs.events WHERE payload%'),
		       (SELECT q.id FROM howdah_advisor.queries q WHERE q.raw_sql LIKE '%qs.events WHERE kind%')`).Scan(&qExpr, &qComp); err != nil {
		t.Fatalf("the workload's queries were not ingested: %v", err)
	}
	var errs []byte
	if err := conn.QueryRow(ctx, "SELECT errors FROM howdah_advisor.snapshots WHERE id = $1", sid).Scan(&errs); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(errs), "pg_qualstats") {
		t.Errorf("snapshot errors = %s, want none from pg_qualstats", errs)
	}

	// 1. The expression index, which the plans of `payload ->> $1 = $2` cannot give, proved.
	const exprDDL = "CREATE INDEX CONCURRENTLY ON qs.events USING btree ((payload ->> 'kind'::text))"
	recs := qualstatsRecs(t, conn, sid)
	r, ok := recs[exprDDL]
	if !ok {
		t.Fatalf("recommendations = %v, want %q from pg_qualstats", recs, exprDDL)
	}
	q0, _ := r.Evidence["queries"].([]any)
	ev0, _ := firstMap(q0)["qualstats"].(map[string]any)
	if r.Type != "missing_index" || !strings.HasPrefix(r.Rationale, "pg_qualstats saw payload ->> 'kind'::text = 'x42'::text on qs.events") ||
		len(r.QueryIDs) != 1 || r.QueryIDs[0] != qExpr || ev0["example_constant"] != "'x42'::text" || r.Evidence["simulations"] == nil {
		t.Errorf("expression recommendation = %+v, want a proved missing_index for query %d citing pg_qualstats and 'x42'", r, qExpr)
	}
	// 2. The composite index with the plan: plan-backed, confirmed by pg_qualstats.
	const compDDL = "CREATE INDEX CONCURRENTLY ON qs.events USING btree (n, kind)"
	r, ok = recs[compDDL]
	if !ok || r.Confidence < 0.74 || !strings.Contains(r.Rationale, "pg_qualstats agrees") {
		t.Errorf("composite recommendation = %+v (found %v), want the plan's with confidence 0.75 and \"pg_qualstats agrees\"", r, ok)
	}
	for ddl, r := range recs {
		if r.Table == "qs.events_ok" {
			t.Errorf("the well-indexed twin got %q", ddl)
		}
	}

	// 3. The composite query without a plan (not among top_k, or planning failed): from pg_qualstats alone.
	if _, err := conn.Exec(ctx, "DELETE FROM howdah_advisor.plans WHERE snapshot_id = $1 AND query_id = $2", sid, qComp); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SELECT howdah_advisor.recommend($1)", sid); err != nil {
		t.Fatal(err)
	}
	recs = qualstatsRecs(t, conn, sid)
	r, ok = recs[compDDL]
	q0, _ = r.Evidence["queries"].([]any)
	first := firstMap(q0)
	ev0, _ = first["qualstats"].(map[string]any)
	if !ok || r.Type != "composite_index" || r.Confidence > 0.71 || first["source"] != "pg_qualstats" ||
		!strings.Contains(r.Rationale, "evaluated as a filter on") || ev0["rows_evaluated"] == nil {
		t.Errorf("composite recommendation without a plan = %+v (found %v), want one from pg_qualstats (confidence 0.7 at most) citing its counts", r, ok)
	}

	// 4. Without the extension: the plans alone, as before.
	if _, err := conn.Exec(ctx, "DROP EXTENSION pg_qualstats"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SELECT howdah_advisor.recommend($1)", sid); err != nil {
		t.Fatal(err)
	}
	recs = qualstatsRecs(t, conn, sid)
	for ddl, r := range recs {
		if strings.Contains(r.Rationale, "pg_qualstats") {
			t.Errorf("without pg_qualstats: %q cites it: %s", ddl, r.Rationale)
		}
	}
	if _, ok := recs[exprDDL]; ok {
		t.Errorf("without pg_qualstats the expression index %q is still recommended", exprDDL)
	}
}

func firstMap(a []any) map[string]any {
	if len(a) == 0 {
		return nil
	}
	m, _ := a[0].(map[string]any)
	return m
}
