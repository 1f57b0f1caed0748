package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/howdah/howdah/internal/pgtest"
)

// The advisor verbs over a real scan: init checks the server, scan relays progress, the readers
// print tables or --json equal to the SQL functions', check fails CI on findings, and bad input
// and missing privileges (42501) get clear errors.
func TestAdvisorCLI(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	out, errOut, code := run(t, "--db", dbURL, "advisor", "init")
	if code != 0 || !strings.Contains(out, "installed core") || !strings.Contains(out, "installed advisor") ||
		!strings.Contains(out, "ok   pg_stat_statements") || !strings.Contains(out, "next: howdah advisor scan") {
		t.Fatalf("advisor init: code %d, out %q, err %q", code, out, errOut)
	}
	conn := pgtest.Connect(t, dbURL)
	for _, sql := range []string{
		"CREATE TABLE adv_cli (id int PRIMARY KEY, k int)",
		"INSERT INTO adv_cli SELECT i, i % 10 FROM generate_series(1, 1000) i",
		"SELECT count(*) FROM adv_cli WHERE k = 3",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if out, errOut, code := run(t, "--db", dbURL, "advisor", "check", "--fail-on", "missing_index"); code != 2 || !strings.Contains(errOut, "no advisor scan has finished yet") {
		t.Fatalf("check before any scan: code %d, out %q, err %q", code, out, errOut)
	}
	out, errOut, code = run(t, "--db", dbURL, "advisor", "scan", "--top", "50", "--keep", "5")
	if code != 0 || !strings.HasPrefix(out, "snapshot ") || !strings.Contains(out, " done: ") || !strings.Contains(errOut, ": ingest") {
		t.Fatalf("advisor scan: code %d, out %q, err %q", code, out, errOut)
	}
	sid, _ := strconv.ParseInt(strings.Fields(out)[1], 10, 64)
	var qid, rid int64
	if err := conn.QueryRow(ctx, `SELECT id FROM howdah_advisor.queries WHERE fingerprint = howdah_advisor.fingerprint('SELECT count(*) FROM adv_cli WHERE k = 1')`).Scan(&qid); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `INSERT INTO howdah_advisor.recommendations (snapshot_id, type, key, table_name, columns, query_ids, ddl, rationale, confidence, rank)
		VALUES ($1, 'missing_index', 'index:public.adv_cli(k)', 'public.adv_cli', '{k}', ARRAY[$2::bigint],
		        'CREATE INDEX CONCURRENTLY ON public.adv_cli USING btree (k)', 'It reads all 1000 rows. An index finds them.', 0.9, 1) RETURNING id`,
		sid, qid).Scan(&rid); err != nil {
		t.Fatal(err)
	}
	q := strconv.FormatInt(qid, 10)

	out, errOut, code = run(t, "--db", dbURL, "advisor", "bottlenecks", "--limit", "5")
	if code != 0 || !strings.Contains(out, "FIX / REASON") || !strings.Contains(out, "CREATE INDEX CONCURRENTLY ON public.adv_cli USING btree (k)") {
		t.Fatalf("advisor bottlenecks: code %d, out %q, err %q", code, out, errOut)
	}
	out, _, _ = run(t, "--db", dbURL, "advisor", "bottlenecks", "--json")
	var rows []Bottleneck
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 || rows[0].QueryID != qid || rows[0].RecID != rid ||
		rows[0].Reason != "It reads all 1000 rows." || rows[0].Calls == nil {
		t.Fatalf("advisor bottlenecks --json: %v in %s", err, out)
	}
	out, errOut, code = run(t, "--db", dbURL, "advisor", "query", q)
	if code != 0 || !strings.Contains(out, "query "+q+" (fingerprint ") || !strings.Contains(out, "finding "+strconv.FormatInt(rid, 10)+" (rank 1, missing_index") {
		t.Fatalf("advisor query: code %d, out %q, err %q", code, out, errOut)
	}
	out, _, _ = run(t, "--db", dbURL, "advisor", "query", "--json", q)
	var detail map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &detail); err != nil || detail["recommendations"] == nil || detail["metrics"] == nil {
		t.Fatalf("advisor query --json: %v in %s", err, out)
	}
	out, errOut, code = run(t, "--db", dbURL, "advisor", "ask", "--query", q, "why is it slow?")
	if code != 0 || !strings.Contains(out, "Query "+q+" (") || !strings.Contains(out, "  [1] metrics:") {
		t.Fatalf("advisor ask: code %d, out %q, err %q", code, out, errOut)
	}
	out, _, _ = run(t, "--db", dbURL, "advisor", "ask", "--json", "what is the weather?")
	var ans struct {
		Intent    string   `json:"intent"`
		CanAnswer []string `json:"can_answer"`
	}
	if err := json.Unmarshal([]byte(out), &ans); err != nil || ans.Intent != "unknown" || len(ans.CanAnswer) != 4 {
		t.Fatalf("advisor ask --json (unknown): %v in %s", err, out)
	}

	// check: findings of the types given fail it, others pass.
	out, errOut, code = run(t, "--db", dbURL, "advisor", "check", "--fail-on", "redundant_index,missing_index")
	if code != 1 || !strings.Contains(out, "#1 missing_index") || !strings.Contains(out, "CREATE INDEX CONCURRENTLY ON public.adv_cli") ||
		!strings.Contains(errOut, "check failed: snapshot "+strconv.FormatInt(sid, 10)+" has 1 finding(s) of type redundant_index, missing_index") {
		t.Fatalf("check --fail-on missing_index: code %d, out %q, err %q", code, out, errOut)
	}
	if out, errOut, code := run(t, "--db", dbURL, "advisor", "check", "--fail-on", "unused_index", "--fail-on", "stats"); code != 0 || !strings.HasPrefix(out, "ok: snapshot") {
		t.Fatalf("check --fail-on unused_index,stats: code %d, out %q, err %q", code, out, errOut)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bottlenecks", "--limit", "0"}, "lim must be from 1 to 1000, not 0 (SQLSTATE 22023)"},
		{[]string{"bottlenecks", "--snapshot", "999999"}, "snapshot 999999 does not exist (SQLSTATE P0002)"},
		{[]string{"query", "abc"}, `query ID "abc" is not an integer`},
		{[]string{"query", "987654321"}, "query 987654321 does not exist (SQLSTATE P0002)"},
		{[]string{"ask", " "}, "question is empty: ask one of the questions can_answer lists (SQLSTATE 22023)"},
		{[]string{"ask", "why", "slow"}, "ask needs one QUESTION in quotes"},
		{[]string{"simulate", "1"}, "simulate needs QUERY and REC ids"},
		{[]string{"simulate", "--mode", "fake", "1", "2"}, `--mode "fake": use hypopg or real`},
		{[]string{"check", "--fail-on", "slow_query"}, `--fail-on "slow_query" is not a finding type: use missing_index, composite_index`},
	} {
		_, errOut, code := run(t, append([]string{"--db", dbURL, "advisor"}, c.args...)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("advisor %v: code %d, stderr %q, want %q", c.args, code, errOut, c.want)
		}
	}

	// A role without the advisor's GRANTs gets 42501 and is told where the GRANT lines are.
	role := "howdah_test_advisor_cli_nogrants"
	if _, err := conn.Exec(ctx, "DROP ROLE IF EXISTS "+role+"; CREATE ROLE "+role+" LOGIN"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP ROLE IF EXISTS "+role) })
	u, _ := url.Parse(dbURL)
	u.User = url.User(role)
	for _, args := range [][]string{{"bottlenecks"}, {"query", q}, {"ask", "why is it slow"}, {"scan"}} {
		_, errOut, code := run(t, append([]string{"--db", u.String(), "advisor"}, args...)...)
		if code == 0 || !strings.Contains(errOut, "(SQLSTATE 42501)") || !strings.Contains(errOut, "docs/advisor.md, Privileges") {
			t.Errorf("advisor %v without grants: code %d, stderr %q", args, code, errOut)
		}
	}
}
