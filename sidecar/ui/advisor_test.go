package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"
)

// advisorGrantsSQL are docs/advisor.md's reader and scanner grants ($1: the role), and
// pg_read_all_stats so that the role's scans see the workload the test runs as the superuser.
const advisorGrantsSQL = `
GRANT USAGE ON SCHEMA howdah_advisor TO $1;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA howdah_advisor TO $1;
GRANT EXECUTE ON FUNCTION howdah_advisor.bottlenecks(integer, bigint), howdah_advisor.query_detail(bigint, bigint),
                          howdah_advisor.ask(text, bigint), howdah_advisor.scan, howdah_advisor.prune, howdah_advisor.simulate TO $1;
GRANT pg_read_all_stats TO $1;`

// advisorData is a small advisor workload: a 20,000-row table without an index on the column
// the slow query filters, that query run 30 times, and a scan.
type advisorData struct {
	query int64 // the slow query's id
	rec   int64 // its missing_index recommendation
}

// advisorWorkload grants the operator the advisor's reader and scanner grants (the anonymous
// role gets none), runs the workload and scans it as the superuser.
func (e *env) advisorWorkload(t *testing.T) advisorData {
	t.Helper()
	for _, sql := range []string{
		strings.ReplaceAll(advisorGrantsSQL, "$1", pgx.Identifier{e.operator}.Sanitize()),
		`CREATE TABLE shop.orders (id int PRIMARY KEY, customer_id int NOT NULL, total numeric NOT NULL)`,
		`INSERT INTO shop.orders SELECT g, g % 2000, g % 97 FROM generate_series(1, 20000) g`,
		`ANALYZE shop.orders`,
		// Simulating plans the query as the caller: the operator may read the table.
		"GRANT SELECT ON shop.orders TO " + pgx.Identifier{e.operator}.Sanitize(),
		// Only this database's statements: those of the install and fixture are forgotten.
		`SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`,
	} {
		if _, err := e.conn.Exec(e.ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	for i := range 30 {
		if _, err := e.conn.Exec(e.ctx, "SELECT id, total FROM shop.orders WHERE customer_id = $1", i); err != nil {
			t.Fatal(err)
		}
	}
	var d advisorData
	if _, err := e.conn.Exec(e.ctx, "SELECT howdah_advisor.scan()"); err != nil {
		t.Fatal(err)
	}
	if err := e.conn.QueryRow(e.ctx, `SELECT r.query_id, r.rec_id FROM howdah_advisor.bottlenecks() r
		JOIN howdah_advisor.queries q ON q.id = r.query_id WHERE q.norm_sql LIKE '%shop.orders%customer_id%' AND r.type = 'missing_index'`).Scan(&d.query, &d.rec); err != nil {
		var dump string
		e.conn.QueryRow(e.ctx, `SELECT coalesce(jsonb_agg(x)::text, '[]') FROM howdah_advisor.bottlenecks() x`).Scan(&dump)
		t.Fatalf("the scan has no missing_index finding on shop.orders: %v; bottlenecks: %s", err, dump)
	}
	return d
}

// The advisor's pages over HTTP: the list with its columns, sorting and limit, the detail, a
// simulation and a question (as htmx fragments), CSRF on the forms, and readable refusals.
func TestAdvisorPages(t *testing.T) {
	e := setup(t)
	d := e.advisorWorkload(t)
	c := e.client(t)
	c.signIn(e.token(t, e.operator))
	if _, _, h := c.do("GET", "/ui/", nil, nil); h.Get("Location") != "/ui/advisor" {
		t.Fatalf("home went to %q, want the bottlenecks page", h.Get("Location"))
	}
	status, page, _ := c.do("GET", "/ui/advisor?limit=10&sort=mean_ms&dir=desc", nil, nil)
	if status != http.StatusOK || !strings.Contains(page, fmt.Sprintf(`data-query="%d"`, d.query)) ||
		!strings.Contains(page, `data-risk="low"`) || !strings.Contains(page, `aria-sort="descending"`) ||
		!strings.Contains(page, `<option value="10" selected>`) || !strings.Contains(page, "missing_index") {
		t.Fatalf("bottlenecks: %d\n%s", status, page)
	}
	csrf := c.csrf(page)
	hx := map[string]string{"HX-Request": "true", "X-CSRF-Token": csrf}

	status, page, _ = c.do("GET", fmt.Sprintf("/ui/advisor/queries/%d", d.query), nil, nil)
	if status != http.StatusOK || !strings.Contains(page, "customer_id = $1") || !strings.Contains(page, `data-testid="sparkline"`) ||
		!strings.Contains(page, "Seq Scan on shop.orders") || !strings.Contains(page, `data-copy="CREATE INDEX CONCURRENTLY ON shop.orders USING btree (customer_id)"`) ||
		!strings.Contains(page, fmt.Sprintf(`id="simulate-%d"`, d.rec)) {
		t.Fatalf("query detail: %d\n%s", status, page)
	}

	// Simulate: before/after, the labels, the write-overhead note, both plans with the scan marked.
	path := fmt.Sprintf("/ui/advisor/queries/%d/simulate", d.query)
	status, frag, _ := c.do("POST", path, url.Values{"rec_id": {fmt.Sprint(d.rec)}}, hx)
	if status != http.StatusOK || !strings.Contains(frag, `data-testid="sim-result"`) || !strings.Contains(frag, "Seq Scan →") ||
		!strings.Contains(frag, "Write overhead:") || strings.Count(frag, `data-changed="true"`) < 2 || !strings.Contains(frag, "−") {
		t.Fatalf("simulate: %d\n%s", status, frag)
	}
	// Without the CSRF token nothing runs.
	var before int
	e.conn.QueryRow(e.ctx, "SELECT count(*) FROM howdah_advisor.simulations").Scan(&before)
	if status, body, _ := c.do("POST", path, url.Values{"rec_id": {fmt.Sprint(d.rec)}}, map[string]string{"HX-Request": "true"}); status != http.StatusForbidden ||
		!strings.Contains(body, "This form was refused") {
		t.Fatalf("simulate without CSRF: %d\n%s", status, body)
	}
	var after int
	e.conn.QueryRow(e.ctx, "SELECT count(*) FROM howdah_advisor.simulations").Scan(&after)
	if after != before {
		t.Fatalf("a refused simulate ran: %d simulations, then %d", before, after)
	}
	// A recommendation that does not exist: the database's refusal, readable.
	if status, frag, _ := c.do("POST", path, url.Values{"rec_id": {"987654321"}}, hx); status != http.StatusOK ||
		!strings.Contains(frag, `data-testid="sim-problem"`) || !strings.Contains(frag, "987654321") {
		t.Fatalf("simulate of an unknown recommendation: %d\n%s", status, frag)
	}

	// Ask: the answer with its markers linked to the citations.
	status, frag, _ = c.do("POST", fmt.Sprintf("/ui/advisor/queries/%d/ask", d.query), url.Values{"question": {"why is it slow?"}}, hx)
	if status != http.StatusOK || !strings.Contains(frag, `data-testid="citations"`) || !strings.Contains(frag, `href="#cite-1"`) ||
		!strings.Contains(frag, "metrics:") {
		t.Fatalf("ask: %d\n%s", status, frag)
	}
	// Without JavaScript: an answer page.
	status, page, _ = c.do("POST", fmt.Sprintf("/ui/advisor/queries/%d/ask", d.query), url.Values{"question": {"why is it slow?"}, "csrf": {csrf}}, nil)
	if status != http.StatusOK || !strings.Contains(page, "<h1>Answer</h1>") || !strings.Contains(page, `id="cite-1"`) {
		t.Fatalf("ask without htmx: %d\n%s", status, page)
	}
	if status, frag, _ = c.do("POST", fmt.Sprintf("/ui/advisor/queries/%d/ask", d.query), url.Values{"question": {" "}}, hx); !strings.Contains(frag, "question is empty") {
		t.Fatalf("an empty question: %d\n%s", status, frag)
	}

	// Scan now: a new snapshot, the list again with the outcome.
	status, frag, _ = c.do("POST", "/ui/advisor/scan", url.Values{"limit": {"10"}}, hx)
	if m := regexp.MustCompile(`Scan finished in [^:]+: snapshot \d+\. \d+ quer(y|ies) with findings\.`).FindString(frag); status != http.StatusOK || m == "" ||
		!strings.Contains(frag, fmt.Sprintf(`data-query="%d"`, d.query)) {
		t.Fatalf("scan now: %d\n%s", status, frag)
	}

	// An unknown query: not found, readable.
	if status, page, _ := c.do("GET", "/ui/advisor/queries/987654321", nil, nil); status != http.StatusNotFound || !strings.Contains(page, "query 987654321 does not exist") {
		t.Fatalf("unknown query: %d\n%s", status, page)
	}

	// The anonymous role has no advisor grants: every page says so and what to ask for.
	a := e.client(t)
	a.signIn("")
	status, page, _ = a.do("GET", "/ui/advisor", nil, nil)
	if status != http.StatusForbidden || !strings.Contains(page, "Your role may not do this") || !strings.Contains(page, "GRANT USAGE ON SCHEMA howdah_advisor") {
		t.Fatalf("bottlenecks as anonymous: %d\n%s", status, page)
	}
	if status, page, _ := a.do("GET", fmt.Sprintf("/ui/advisor/queries/%d", d.query), nil, nil); status != http.StatusForbidden || !strings.Contains(page, "Your role may not do this") {
		t.Fatalf("query detail as anonymous: %d\n%s", status, page)
	}
	ahx := map[string]string{"HX-Request": "true", "X-CSRF-Token": a.csrf(page)}
	if _, frag, _ := a.do("POST", "/ui/advisor/scan", nil, ahx); !strings.Contains(frag, "The scan did not run") || !strings.Contains(frag, "42501") {
		t.Fatalf("scan as anonymous:\n%s", frag)
	}
}

// The advisor's pages in Chromium: the list, a detail page, a simulation with the plans side by
// side, a question with citations, and the anonymous role's refusal.
func TestBrowserAdvisor(t *testing.T) {
	e := setup(t)
	ctx := tab(t)
	d := e.advisorWorkload(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.base+"/ui/"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SetValue(chromedp.CSS("#token"), e.token(t, e.operator)),
		chromedp.Click(chromedp.CSS("#signin-token")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="bottlenecks"]`)),
	); err != nil {
		t.Fatal(err)
	}
	row := fmt.Sprintf(`[data-query="%d"]`, d.query)
	if got := text(t, ctx, row+" [data-risk]"); got != "low" {
		t.Errorf("risk badge %q, want low", got)
	}
	// Sort by mean ms (htmx swaps the table and pushes the URL), then Scan now.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-sort="mean_ms"]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the sorted list", `location.search.includes('sort=mean_ms') && document.querySelector('th[aria-sort]').textContent.includes('Mean ms')`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#scan-now"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the scan's outcome", `(document.activeElement.textContent || '').includes('Scan finished')`)
	screenshot(t, ctx, "dashboard-bottlenecks")

	// The detail page.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(row+" td.sql a")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sql"]`))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, `[data-testid="plan-facts"]`); !strings.Contains(got, "Seq Scan on shop.orders") {
		t.Errorf("plan facts %q", got)
	}
	// Copy the DDL from the keyboard: the button answers in its status.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(".rec button.copy")), chromedp.KeyEvent("\r")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the copy button's status", `document.querySelector('.rec .copied').textContent !== ''`)
	// Run simulation: Running…, then the result with the plans and the changed nodes.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.rec button[id^="simulate-"]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the simulation's result", `!!document.querySelector('[data-testid=sim-result] [data-testid=plans] li.changed')`)
	if got := text(t, ctx, `[data-testid="plan-change"]`); !strings.HasPrefix(got, "Seq Scan →") {
		t.Errorf("plan change %q", got)
	}
	if got := text(t, ctx, `[data-testid="change"]`); !strings.HasPrefix(got, "−") {
		t.Errorf("change %q, want a reduction", got)
	}
	// Ask: the answer and its citations.
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#question"), "why is it slow?"), chromedp.Click(chromedp.CSS("#ask"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the answer's citations", `document.querySelectorAll('[data-testid=citations] li').length > 0`)
	if got := text(t, ctx, `[data-testid="citations"] li`); !strings.Contains(got, "metrics:") {
		t.Errorf("first citation %q", got)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`document.querySelector('.rec').scrollIntoView()`)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "dashboard-query")

	// Anonymous: a readable refusal, not a broken page.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.base+"/ui/advisor"),
		chromedp.Click(chromedp.CSS(".who button")),
		chromedp.WaitVisible(chromedp.CSS("#signin-anon")),
		chromedp.Click(chromedp.CSS("#signin-anon")),
		chromedp.WaitVisible(chromedp.CSS(".problem")),
	); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, ".problem h2"); got != "Your role may not do this" {
		t.Fatalf("bottlenecks as anonymous: %q", got)
	}
}
