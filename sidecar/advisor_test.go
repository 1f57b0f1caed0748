package sidecar

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/installer"
)

// advisorReaderGrants are docs/advisor.md's GRANT lines for a reader role ($1 stands for it).
const advisorReaderGrants = `
GRANT USAGE ON SCHEMA howdah_advisor TO $1;
GRANT SELECT ON ALL TABLES IN SCHEMA howdah_advisor TO $1;
GRANT EXECUTE ON FUNCTION howdah_advisor.bottlenecks(integer, bigint), howdah_advisor.query_detail(bigint, bigint),
                          howdah_advisor.ask(text, bigint) TO $1;`

// advisorScannerGrants are docs/advisor.md's GRANT lines for a scanner role, on top of a reader's.
const advisorScannerGrants = `
GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA howdah_advisor TO $1;
GRANT EXECUTE ON FUNCTION howdah_advisor.scan, howdah_advisor.prune, howdah_advisor.simulate TO $1;`

// rest sends a request to a module route and returns the status, the cache header and the body.
func (b *bundle) rest(t *testing.T, tok, method, path, contentType, body string) (int, string, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type %q, body %s", method, path, ct, raw)
	}
	return resp.StatusCode, resp.Header.Get("X-Howdah-Cache"), raw
}

// restError decodes the one JSON error shape.
func restError(t *testing.T, raw []byte) rpcError {
	t.Helper()
	var r rpcResponse
	if err := json.Unmarshal(raw, &r); err != nil || r.Error == nil || r.JSONRPC != "2.0" {
		t.Fatalf("not the JSON error shape: %s", raw)
	}
	return *r.Error
}

// The advisor's REST routes call its SQL functions as the caller's role, exactly as /rpc does:
// the same results as SQL, the same errors (42501 → 403, 22023 → 400, P0002 → 404), a cache
// per role dropped when a scan finishes, and 404 once the module is gone.
func TestAdvisorRoutes(t *testing.T) {
	b := setup(t, nil)
	ctx := b.ctx
	user := token(t, jwt.MapClaims{"role": b.roles.user, "exp": time.Now().Add(time.Hour).Unix()})
	userID := pgx.Identifier{b.roles.user}.Sanitize()
	for _, sql := range []string{
		strings.ReplaceAll(advisorReaderGrants, "$1", userID),
		"CREATE TABLE adv_http (id int PRIMARY KEY, k int)",
		"INSERT INTO adv_http SELECT i, i % 10 FROM generate_series(1, 1000) i",
		"SELECT count(*) FROM adv_http WHERE k = 3",
	} {
		if _, err := b.conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	var sid, qid, rid int64
	if err := b.conn.QueryRow(ctx, "SELECT howdah_advisor.scan(keep => NULL)").Scan(&sid); err != nil {
		t.Fatal(err)
	}
	if err := b.conn.QueryRow(ctx, `SELECT id FROM howdah_advisor.queries WHERE fingerprint = howdah_advisor.fingerprint('SELECT count(*) FROM adv_http WHERE k = 1')`).Scan(&qid); err != nil {
		t.Fatal(err)
	}
	if err := b.conn.QueryRow(ctx, `INSERT INTO howdah_advisor.recommendations (snapshot_id, type, key, table_name, columns, query_ids, ddl, rationale, confidence, rank)
		VALUES ($1, 'missing_index', 'index:public.adv_http(k)', 'public.adv_http', '{k}', ARRAY[$2::bigint],
		        'CREATE INDEX CONCURRENTLY ON public.adv_http USING btree (k)', 'It reads all 1000 rows. An index finds them.', 0.9, 1) RETURNING id`,
		sid, qid).Scan(&rid); err != nil {
		t.Fatal(err)
	}

	// Reads: the SQL function's answer as the caller's role, then from the cache.
	status, cache, body := b.rest(t, user, "GET", "/bottlenecks?limit=5", "", "")
	if want := b.asRole(t, b.roles.user, "SELECT coalesce(jsonb_agg(x), '[]') FROM howdah_advisor.bottlenecks(lim => 5) x"); status != 200 || cache != "miss" || norm(t, body) != want {
		t.Fatalf("GET /bottlenecks: %d %s %s, want %s", status, cache, body, want)
	}
	var rows []struct {
		QueryID int64  `json:"query_id"`
		RecID   int64  `json:"rec_id"`
		Reason  string `json:"reason"`
	}
	if err := json.Unmarshal(body, &rows); err != nil || len(rows) != 1 || rows[0].QueryID != qid || rows[0].RecID != rid || rows[0].Reason != "It reads all 1000 rows." {
		t.Fatalf("GET /bottlenecks rows: %s", body)
	}
	if status, cache, again := b.rest(t, user, "GET", "/bottlenecks?limit=5", "", ""); status != 200 || cache != "hit" || string(again) != string(body) {
		t.Fatalf("GET /bottlenecks again: %d %s %s", status, cache, again)
	}
	// The same method over /rpc gives the same rows.
	if st, r := b.call(t, user, "advisor.bottlenecks", map[string]any{"lim": 5}); st != 200 || norm(t, r.Result) != norm(t, body) {
		t.Fatalf("advisor.bottlenecks over /rpc: %d %s %+v", st, r.Result, r.Error)
	}
	path := "/queries/" + jsonNumber(qid)
	status, _, body = b.rest(t, user, "GET", path, "", "")
	if want := b.asRole(t, b.roles.user, "SELECT howdah_advisor.query_detail("+jsonNumber(qid)+")"); status != 200 || norm(t, body) != want {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	status, _, body = b.rest(t, user, "POST", "/chat", "application/json", `{"question": "what index should I add?"}`)
	var chat struct {
		Intent    string            `json:"intent"`
		Answer    string            `json:"answer"`
		Citations []json.RawMessage `json:"citations"`
	}
	if err := json.Unmarshal(body, &chat); status != 200 || err != nil || chat.Intent != "what_index" || len(chat.Citations) != 1 ||
		!strings.Contains(chat.Answer, "CREATE INDEX CONCURRENTLY ON public.adv_http USING btree (k)") {
		t.Fatalf("POST /chat: %d %s", status, body)
	}

	// Errors: the function's SQLSTATE through the one mapping and shape.
	for _, c := range []struct {
		tok, method, path, ctype, body string
		status, code                   int
		sqlstate, msg                  string
	}{
		{"", "GET", "/bottlenecks", "", "", 403, -32003, "42501", "permission denied"},
		{"", "POST", "/chat", "application/json", `{"question": "why?"}`, 403, -32003, "42501", "permission denied"},
		{user, "GET", "/bottlenecks?limit=0", "", "", 400, -32602, "22023", "lim must be from 1 to 1000, not 0"},
		{user, "GET", "/bottlenecks?limit=ten", "", "", 400, -32602, "", `limit must be an integer, not "ten"`},
		{user, "GET", "/queries/987654321", "", "", 404, -32004, "P0002", "query 987654321 does not exist"},
		{user, "GET", "/queries/abc", "", "", 400, -32602, "", "the query id in the path must be an integer"},
		{user, "POST", "/chat", "application/json", `{"question": " "}`, 400, -32602, "22023", "question is empty"},
		{user, "POST", "/chat", "application/json", `{"question": "why", "sql": "x"}`, 400, -32602, "", `unknown field "sql"`},
		{user, "POST", "/chat", "application/json", `[1]`, 400, -32600, "", "the body must be a JSON object"},
		{user, "POST", "/chat", "text/plain", `{"question": "why"}`, 415, -32600, "", "Content-Type: application/json"},
		{user, "GET", "/chat", "", "", 405, -32600, "", "use POST /chat"},
		{"not a token", "GET", "/bottlenecks", "", "", 401, -32001, "", ""},
	} {
		status, _, raw := b.rest(t, c.tok, c.method, c.path, c.ctype, c.body)
		e := restError(t, raw)
		if status != c.status || e.Code != c.code || !strings.Contains(e.Message, c.msg) ||
			(c.sqlstate != "" && (e.Data == nil || e.Data.SQLState != c.sqlstate)) {
			t.Errorf("%s %s %s: %d %s, want %d %d %s %q", c.method, c.path, c.body, status, raw, c.status, c.code, c.sqlstate, c.msg)
		}
	}

	// POST /simulate runs simulate(); where that stage is not installed, a stand-in does.
	standIn := b.srv.Catalog().Lookup("advisor.simulate") == nil
	if standIn {
		if _, err := b.conn.Exec(ctx, `CREATE FUNCTION howdah_advisor.simulate(query_id bigint, rec_id bigint,
				mode howdah_advisor.simulation_mode DEFAULT 'hypopg', sandbox text DEFAULT NULL)
			RETURNS howdah_advisor.simulations LANGUAGE sql AS
			'INSERT INTO howdah_advisor.simulations (snapshot_id, query_id, rec_id, mode, before_cost, after_cost)
			 SELECT r.snapshot_id, $1, $2, $3, 20, 4 FROM howdah_advisor.recommendations r WHERE r.id = $2 RETURNING *';
			NOTIFY howdah_reload`); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "advisor.simulate in the catalog", func() bool { return b.srv.Catalog().Lookup("advisor.simulate") != nil })
	}
	status, _, body = b.rest(t, "", "POST", "/simulate", "application/json", `{"query_id": `+jsonNumber(qid)+`, "rec_id": `+jsonNumber(rid)+`}`)
	if e := restError(t, body); status != 403 || e.Data == nil || e.Data.SQLState != "42501" {
		t.Errorf("POST /simulate anonymously: %d %s", status, body)
	}
	if _, err := b.conn.Exec(ctx, strings.ReplaceAll(advisorScannerGrants, "$1", userID)); err != nil {
		t.Fatal(err)
	}
	status, _, body = b.rest(t, user, "POST", "/simulate", "application/json", `{"query_id": `+jsonNumber(qid)+`, "rec_id": `+jsonNumber(rid)+`, "mode": "hypopg"}`)
	var sim struct {
		QueryID int64 `json:"query_id"`
		RecID   int64 `json:"rec_id"`
	}
	if err := json.Unmarshal(body, &sim); status != 200 || err != nil || sim.QueryID != qid || sim.RecID != rid {
		t.Errorf("POST /simulate: %d %s", status, body)
	}

	// A finished scan drops the cache.
	if _, cache, _ := b.rest(t, user, "GET", "/bottlenecks?limit=5", "", ""); cache != "hit" {
		t.Fatalf("before the scan: cache %q", cache)
	}
	if _, err := b.conn.Exec(ctx, "SELECT howdah_advisor.scan(keep => NULL)"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the cache dropped after a scan", func() bool {
		_, cache, _ := b.rest(t, user, "GET", "/bottlenecks?limit=5", "", "")
		return cache == "miss"
	})

	// Without the module, the routes say so.
	if standIn {
		if _, err := b.conn.Exec(ctx, "DROP FUNCTION howdah_advisor.simulate"); err != nil {
			t.Fatal(err)
		}
	}
	in, err := installer.New(b.conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Uninstall(ctx, []installer.Target{{Module: "advisor"}}, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "404 once the advisor is uninstalled", func() bool {
		status, _, raw := b.rest(t, user, "GET", "/queries/1", "", "")
		return status == 404 && strings.Contains(restError(t, raw).Message, "the advisor module is not installed in this database")
	})
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }
