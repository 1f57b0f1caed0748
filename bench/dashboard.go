package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	osexec "os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/sidecar"
	"github.com/howdah/howdah/sidecar/auth"
)

// dashboardSeed is demo-like data: a shop schema (customers with 1,000 rows) and three queues
// with jobs in every state, some failed with errors, finished over the last 15 minutes.
const dashboardSeed = `
CREATE SCHEMA shop;
CREATE TABLE shop.customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, email text, city text, joined date);
INSERT INTO shop.customers (name, email, city, joined)
SELECT 'customer ' || g, 'c' || g || '@example.com', (ARRAY['Paris', 'Lyon', 'Nantes', NULL])[1 + g % 4], date '2024-01-01' + g % 700
  FROM generate_series(1, 1000) g;
CREATE TABLE shop.products (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text NOT NULL, price numeric(10,2));
CREATE TABLE shop.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer bigint REFERENCES shop.customers, product bigint REFERENCES shop.products, quantity int);
ANALYZE shop.customers;
INSERT INTO howdah_queue.jobs (queue, payload, state, run_at)
SELECT q, jsonb_build_object('n', g), 'available', now() - g * interval '3 seconds'
  FROM unnest(ARRAY['emails', 'images', 'reports']) q, generate_series(1, 20) g;
INSERT INTO howdah_queue.jobs (queue, payload, state, attempted_at, finalized_at, attempt)
SELECT q, jsonb_build_object('n', g), 'completed', now() - (g % 15) * interval '1 minute', now() - (g % 15) * interval '1 minute', 1
  FROM unnest(ARRAY['emails', 'images', 'reports']) q, generate_series(1, 2000) g;
INSERT INTO howdah_queue.jobs (queue, payload, state, attempted_at, finalized_at, attempt, max_attempts, errors)
SELECT 'emails', jsonb_build_object('n', g), 'failed', now() - g * interval '1 minute', now() - g * interval '1 minute', 3, 3,
       jsonb_build_array(jsonb_build_object('attempt', 3, 'at', now(), 'error', 'smtp: 550 mailbox unavailable'))
  FROM generate_series(1, 20) g;
ANALYZE howdah_queue.jobs;
`

// dashboardAdvisorSeed is a small advisor workload for the advisor's pages: a 100,000-row table
// whose lookups by customer read it all (no index), pg_stat_statements reset for this database
// only, and simulations not rate-limited (the simulation case runs many).
const dashboardAdvisorSeed = `
CREATE TABLE shop.sales (id bigint PRIMARY KEY, customer_id int NOT NULL, total numeric NOT NULL, note text);
INSERT INTO shop.sales SELECT g, g % 5000, g % 97, 'n' || g % 13 FROM generate_series(1, 100000) g;
ANALYZE shop.sales;
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET howdah_advisor.simulations_per_minute = 0', current_database()); END $$;
SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0);
`

// dashboardSetup is a sidecar over demo-like data and a Chromium tab signed in to its dashboard.
type dashboardSetup struct {
	base   string
	blank  string // a one-line page of a plain HTTP server: the browser's floor
	client *http.Client
	tab    context.Context
	shop   int64
	cust   int64
	// The advisor's data: the listed queries, and the simulated one with its finding.
	advQueries []int64
	simQuery   int64
	simRec     int64
}

// The dashboard's pages in Chromium: the time from navigation to the load event (time/op), and
// first contentful paint read from the Performance API (printed after the table, goal 300 ms),
// beside the JSON API's time for the same data: one POST /rpc batch of the calls the page makes.
func init() {
	browser := chromiumPath()
	if browser == "" {
		fmt.Fprintln(os.Stderr, "bench: no Chromium found (make setup installs Debian's chromium): the dashboard cases are left out")
		return
	}
	get := func(b *testing.B, e *env) *dashboardSetup { return dashboardOnce(b, e, browser) }
	for _, p := range []struct {
		name  string
		path  func(*dashboardSetup) string
		batch func(*dashboardSetup) string
	}{
		{"queues", func(*dashboardSetup) string { return "/ui/queues" }, func(*dashboardSetup) string {
			return `[{"jsonrpc":"2.0","id":1,"method":"queue.stats"},
				{"jsonrpc":"2.0","id":2,"method":"queue.throughput","params":{"minutes":15}},
				{"jsonrpc":"2.0","id":3,"method":"queue.list","params":{"state":"failed","max_rows":20}},
				{"jsonrpc":"2.0","id":4,"method":"queue.list","params":{"state":"retryable","max_rows":20}}]`
		}},
		{"bottlenecks", func(*dashboardSetup) string { return "/ui/advisor" }, func(s *dashboardSetup) string {
			calls := []string{`{"jsonrpc":"2.0","id":0,"method":"advisor.bottlenecks","params":{"lim":20}}`}
			for i, q := range s.advQueries {
				calls = append(calls, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"advisor.query_detail","params":{"query_id":%d}}`, i+1, q))
			}
			return "[" + strings.Join(calls, ",") + "]"
		}},
		{"catalog records", func(s *dashboardSetup) string { return fmt.Sprintf("/ui/catalog/%d/%d", s.shop, s.cust) },
			func(s *dashboardSetup) string {
				return fmt.Sprintf(`[{"jsonrpc":"2.0","id":1,"method":"howdah.list_schemas"},
				{"jsonrpc":"2.0","id":2,"method":"howdah.get_schema_table_details","params":{"sch":%d}},
				{"jsonrpc":"2.0","id":3,"method":"howdah.list_records","params":{"tab":%d,"lim":50,"off":0}}]`, s.shop, s.cust)
			}},
	} {
		var api, fcp, html, floor []time.Duration
		cases = append(cases, benchCase{
			name:         "dashboard " + p.name + " page",
			baselineName: "POST /rpc batch",
			howdahName:   "Chromium load",
			baseline: func(b *testing.B, e *env) {
				s := get(b, e)
				body := []byte(p.batch(s))
				api = api[:0]
				for range b.N {
					t0 := time.Now()
					resp, err := s.client.Post(s.base+"/rpc", "application/json", bytes.NewReader(body))
					if err != nil {
						fatalf(b, "%v", err)
					}
					out, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || bytes.Contains(out, []byte(`"error":{`)) {
						fatalf(b, "rpc batch: %d %s", resp.StatusCode, out)
					}
					api = append(api, time.Since(t0))
				}
			},
			howdah: func(b *testing.B, e *env) {
				s := get(b, e)
				url := s.base + p.path(s)
				fcp, html, floor = fcp[:0], html[:0], floor[:0]
				for range b.N {
					if err := chromedp.Do(s.tab, chromedp.Navigate(url)); err != nil {
						fatalf(b, "%v", err)
					}
					b.StopTimer()
					ms, err := chromedp.Run(s.tab, chromedp.Evaluate[float64](fcpJS, chromedp.EvalAwaitPromise))
					if err != nil || ms < 0 {
						fatalf(b, "no first-contentful-paint entry (%v)", err)
					}
					fcp = append(fcp, time.Duration(ms*float64(time.Millisecond)))
					// The HTML's own time, request sent to last byte: what the sidecar spends.
					hms, err := chromedp.Run(s.tab, chromedp.Evaluate[float64](
						`(n => n.responseEnd - n.requestStart)(performance.getEntriesByType('navigation')[0])`))
					if err != nil {
						fatalf(b, "navigation timing: %v", err)
					}
					html = append(html, time.Duration(hms*float64(time.Millisecond)))
					// The floor: a one-line page from a plain server, painted by the same browser
					// on the same machine under the same load.
					if err := chromedp.Do(s.tab, chromedp.Navigate(s.blank)); err != nil {
						fatalf(b, "%v", err)
					}
					bms, err := chromedp.Run(s.tab, chromedp.Evaluate[float64](fcpJS, chromedp.EvalAwaitPromise))
					if err != nil || bms < 0 {
						fatalf(b, "no first-contentful-paint entry on the blank page (%v)", err)
					}
					floor = append(floor, time.Duration(bms*float64(time.Millisecond)))
					b.StartTimer()
				}
				e.note("dashboard "+p.name, "dashboard %s page: first contentful paint p50 %s, p90 %s (goal ≤ 300 ms) over %d loads; "+
					"its HTML p50 %s; the JSON API's batch of the same calls p50 %s; a one-line static page's first contentful paint p50 %s",
					p.name, pct(fcp, 50), pct(fcp, 90), len(fcp), pct(html, 50), pct(api, 50), pct(floor, 50))
			},
		})
	}
}

// simClickJS clicks the page's Run simulation button for recommendation %d and waits until the
// result with the plan diff is in the page (and a frame is drawn), giving the ms from the click:
// -2 when the page shows an error instead, -1 when nothing comes within 10 s.
const simClickJS = `new Promise(done => {
  const button = document.querySelector('#simulate-%d');
  if (!button) { done(-3); return; }
  const box = document.querySelector('#sim-%d');
  const t0 = performance.now();
  const seen = () => {
    if (box.querySelector('[data-testid=plans] li.changed')) { obs.disconnect(); requestAnimationFrame(() => done(performance.now() - t0)); }
    else if (box.querySelector('[data-testid=sim-problem]')) { obs.disconnect(); done(-2); }
  };
  const obs = new MutationObserver(seen);
  obs.observe(box, {childList: true, subtree: true});
  button.click();
  setTimeout(() => done(-1), 10000);
})`

// The advisor's simulation in the dashboard: click Run simulation on the query detail page until
// the before/after numbers and both plans with the changed nodes are drawn (goal ≤ 1 s), beside
// POST /simulate's own time for the same simulation.
func init() {
	browser := chromiumPath()
	if browser == "" {
		return
	}
	var rest, click []time.Duration
	cases = append(cases, benchCase{
		name:         "dashboard simulation click-to-result",
		baselineName: "POST /simulate",
		howdahName:   "Chromium click",
		baseline: func(b *testing.B, e *env) {
			s := dashboardOnce(b, e, browser)
			body := fmt.Sprintf(`{"query_id": %d, "rec_id": %d}`, s.simQuery, s.simRec)
			rest = rest[:0]
			for range b.N {
				t0 := time.Now()
				resp, err := s.client.Post(s.base+"/simulate", "application/json", strings.NewReader(body))
				if err != nil {
					fatalf(b, "%v", err)
				}
				out, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !bytes.Contains(out, []byte(`"after_plan"`)) {
					fatalf(b, "POST /simulate: %d %s", resp.StatusCode, out)
				}
				rest = append(rest, time.Since(t0))
			}
		},
		howdah: func(b *testing.B, e *env) {
			s := dashboardOnce(b, e, browser)
			page := fmt.Sprintf("%s/ui/advisor/queries/%d", s.base, s.simQuery)
			js := fmt.Sprintf(simClickJS, s.simRec, s.simRec)
			click = click[:0]
			for range b.N {
				b.StopTimer()
				if err := chromedp.Do(s.tab, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#simulate-%d", s.simRec)))); err != nil {
					fatalf(b, "%v", err)
				}
				b.StartTimer()
				ms, err := chromedp.Run(s.tab, chromedp.Evaluate[float64](js, chromedp.EvalAwaitPromise))
				if err != nil || ms < 0 {
					fatalf(b, "no simulation result in the page (%v, %v)", ms, err)
				}
				click = append(click, time.Duration(ms*float64(time.Millisecond)))
			}
			e.note("dashboard simulation", "dashboard simulation: click to the result with both plans drawn p50 %s, p90 %s (goal ≤ 1 s) over %d clicks; "+
				"POST /simulate p50 %s, p90 %s", pct(click, 50), pct(click, 90), len(click), pct(rest, 50), pct(rest, 90))
		},
	})
}

// The dashboard cases share one setup, made by the first that runs.
var (
	dashboardSetupOnce sync.Once
	dashboardShared    *dashboardSetup
)

func dashboardOnce(b *testing.B, e *env, browser string) *dashboardSetup {
	dashboardSetupOnce.Do(func() { dashboardShared = newDashboardSetup(b, e, browser) })
	if dashboardShared == nil {
		fatalf(b, "dashboard bench setup failed")
	}
	b.ResetTimer()
	return dashboardShared
}

// fcpJS waits for the page's first-contentful-paint entry (headless Chromium may paint after the
// load event) and gives its startTime in ms, or -1 when none comes within 5 s.
const fcpJS = `new Promise(done => {
  const now = performance.getEntriesByName('first-contentful-paint')[0];
  if (now) { done(now.startTime); return; }
  new PerformanceObserver(list => {
    const e = list.getEntriesByName('first-contentful-paint')[0];
    if (e) { done(e.startTime); }
  }).observe({type: 'paint', buffered: true});
  setTimeout(() => done(-1), 5000);
})`

// pct is the p-th percentile of ds, rounded to 0.1 ms.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)].Round(100 * time.Microsecond)
}

// chromiumPath is the browser the dashboard cases drive, or "" when none is installed.
func chromiumPath() string {
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := osexec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

func newDashboardSetup(b *testing.B, e *env, path string) *dashboardSetup {
	url := e.freshDB(b)
	conn := connect(b, e, url)
	defer conn.Close(e.ctx)
	in, err := installer.New(conn, nil)
	if err != nil {
		fatalf(b, "%v", err)
	}
	if _, err := in.Install(e.ctx, nil); err != nil {
		fatalf(b, "%v", err)
	}
	if _, err := conn.Exec(e.ctx, dashboardSeed+dashboardAdvisorSeed); err != nil {
		fatalf(b, "%v", err)
	}
	// Three lookups that read the whole table (each with a missing-index finding) and one that
	// an index serves (no finding).
	for i := range 30 {
		for _, q := range []string{"SELECT id, total FROM shop.sales WHERE customer_id = $1", "SELECT id, note FROM shop.sales WHERE total = $1",
			"SELECT count(*) FROM shop.sales WHERE customer_id = $1 AND note = 'n' || $1", "SELECT total FROM shop.sales WHERE id = $1"} {
			if _, err := conn.Exec(e.ctx, q, i); err != nil {
				fatalf(b, "%s: %v", q, err)
			}
		}
	}
	// As in the rpc cases, the anonymous role is a superuser, so both sides see everything.
	if _, err := conn.Exec(e.ctx, `DO $$ BEGIN CREATE ROLE howdah_bench_ui SUPERUSER NOLOGIN;
		EXCEPTION WHEN duplicate_object THEN NULL; END $$`); err != nil {
		fatalf(b, "%v", err)
	}
	s := &dashboardSetup{client: &http.Client{}}
	if err := conn.QueryRow(e.ctx, `SELECT 'shop'::regnamespace::oid::bigint, 'shop.customers'::regclass::oid::bigint`).Scan(&s.shop, &s.cust); err != nil {
		fatalf(b, "%v", err)
	}
	if _, err := conn.Exec(e.ctx, "SELECT howdah_advisor.scan()"); err != nil {
		fatalf(b, "advisor scan: %v", err)
	}
	if err := conn.QueryRow(e.ctx, `SELECT array_agg(query_id ORDER BY rank) FROM howdah_advisor.bottlenecks(lim => 20)`).Scan(&s.advQueries); err != nil {
		fatalf(b, "bottlenecks: %v", err)
	}
	if err := conn.QueryRow(e.ctx, `SELECT r.query_id, r.rec_id FROM howdah_advisor.bottlenecks(lim => 20) r
		JOIN howdah_advisor.queries q ON q.id = r.query_id WHERE q.norm_sql LIKE '%shop.sales%' AND r.type = 'missing_index'`).Scan(&s.simQuery, &s.simRec); err != nil {
		fatalf(b, "the scan found no missing index on shop.sales: %v", err)
	}
	e.note("dashboard advisor data", "dashboard advisor data: %d queries with findings on the bottlenecks page (a 100,000-row table, four lookups × 30 calls, one scan)", len(s.advQueries))
	srv, err := sidecar.New(e.ctx, &sidecar.Config{DatabaseURL: url, Auth: auth.Config{AnonRole: "howdah_bench_ui"},
		Logger: zerolog.New(io.Discard)})
	if err != nil {
		fatalf(b, "%v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatalf(b, "%v", err)
	}
	go srv.Serve(context.Background(), ln)
	s.base = "http://" + ln.Addr().String()
	bln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatalf(b, "%v", err)
	}
	go http.Serve(bln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><title>blank</title><p>a one-line page</p>")
	}))
	s.blank = "http://" + bln.Addr().String() + "/"
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(1200, 800))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	alloc, _ := chromedp.NewExecAllocator(context.Background(), opts...)
	s.tab, _ = chromedp.NewContext(alloc)
	// Sign in anonymously once; the static files are then cached, as for anyone who came back.
	if err := chromedp.Do(s.tab, chromedp.Navigate(s.base+"/ui/signin"), chromedp.Click(chromedp.CSS("#signin-anon")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="bottlenecks"]`))); err != nil {
		fatalf(b, "Chromium at %s does not run the dashboard: %v", path, err)
	}
	return s
}
