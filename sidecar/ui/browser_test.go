package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/howdah/howdah/internal/pgtest"
)

// ScreenshotsEnv names the directory the browser tests write their screenshots to (make
// screenshots sets it to docs/img); unset, they write none.
const ScreenshotsEnv = "HOWDAH_SCREENSHOTS"

// browserNames are the executables looked for, in order: Debian's chromium first.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

// The one browser of this test binary, started on first use and shared by the tests (each gets
// a tab of its own); pgtest.Main stops it at the end.
var browser struct {
	once sync.Once
	ctx  context.Context
	skip string
}

// tab returns a new tab of the shared headless browser, or skips the test when no browser can
// be found.
func tab(t *testing.T) context.Context {
	t.Helper()
	browser.once.Do(func() {
		var path string
		for _, n := range browserNames {
			if p, err := exec.LookPath(n); err == nil {
				path = p
				break
			}
		}
		if path == "" {
			browser.skip = "no Chromium found (looked for " + strings.Join(browserNames, ", ") +
				"): install it with make setup (Debian: apt-get install chromium) to run the browser tests"
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
			chromedp.WindowSize(1200, 800), chromedp.Flag("disable-gpu", true))
		if os.Geteuid() == 0 {
			opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(alloc)
		if err := chromedp.Do(ctx); err != nil {
			cancel()
			cancelAlloc()
			browser.skip = fmt.Sprintf("Chromium at %s does not start: %v", path, err)
			return
		}
		browser.ctx = ctx
		pgtest.AtExit(func() { cancel(); cancelAlloc() })
	})
	if browser.skip != "" {
		t.Skip(browser.skip)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelT)
	// The tabs share the browser's cookies, and cookies ignore the port: without this a test
	// would start signed in to the previous test's sidecar.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// screenshot writes the tab's page as name.png into $HOWDAH_SCREENSHOTS, when it is set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv(ScreenshotsEnv)
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// text is the text of the first element matching sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// waitFor waits until the JavaScript expression is true (a deadline, not a timed assertion:
// the test fails only when it never becomes true).
func waitFor(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		page, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		t.Fatalf("waiting for %s: %v\npage: %s", what, err, page)
	}
}

func count(queue, state string) string {
	return fmt.Sprintf(`document.querySelector('[data-queue=%q] [data-state=%q]')`, queue, state)
}

func TestBrowserQueues(t *testing.T) {
	e := setup(t)
	ctx := tab(t)
	failed := e.failedJobs(t)
	// Sign in with a token: paste it, submit; back to the queues page.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.base+"/ui/queues"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SetValue(chromedp.CSS("#token"), e.token(t, e.operator)),
		chromedp.Click(chromedp.CSS("#signin-token")),
		chromedp.WaitVisible(chromedp.CSS(`[data-queue="emails"]`)),
	); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, `[data-testid="role"]`); got != e.operator {
		t.Fatalf("signed in as %q, want %q", got, e.operator)
	}
	if got := text(t, ctx, `[data-queue="emails"] [data-state="failed"]`); got != "3" {
		t.Fatalf("emails failed = %s, want 3", got)
	}
	waitFor(t, ctx, "the live stream to open", `document.querySelector('#live-status').textContent === 'Live'`)
	screenshot(t, ctx, "dashboard-queues")

	// Retry from the page: the panel comes back with the outcome, focused, and the new counts.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf("#retry-%d", failed[2])))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the retry's outcome", fmt.Sprintf(`(document.activeElement.textContent || '').includes('Job %d is available again.')`, failed[2]))
	if got := text(t, ctx, `[data-queue="emails"] [data-state="failed"]`); got != "2" {
		t.Fatalf("after the retry, emails failed = %s, want 2", got)
	}
	if s := e.jobState(t, failed[2]); s != "available" {
		t.Fatalf("job %d is %s, want available", failed[2], s)
	}

	// Someone else retries a job (psql): the page follows through /ui/events, without a reload.
	if _, err := e.conn.Exec(e.ctx, "SELECT howdah_queue.retry($1)", failed[1]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the live update of the counts", count("emails", "failed")+`.textContent.trim() === '1'`)
	if got := text(t, ctx, `[data-queue="emails"] [data-state="available"]`); got != "8" {
		t.Errorf("emails available = %s, want 8 (6 + 2 retried)", got)
	}
}

func TestBrowserCatalog(t *testing.T) {
	e := setup(t)
	ctx := tab(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.base+"/ui/signin"),
		chromedp.WaitVisible(chromedp.CSS("#signin-anon")),
		// The first Tab reaches the skip link.
		chromedp.KeyEvent("\t"),
	); err != nil {
		t.Fatal(err)
	}
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.className`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#signin-anon")),
		// Signed in (the sign-in page's own main would not wait for the redirect, which the
		// next navigation would then abort).
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="role"]`)),
		chromedp.Navigate(fmt.Sprintf("%s/ui/catalog/%d", e.base, e.shop)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="tables"]`)),
	); err != nil {
		t.Fatal(err)
	}
	if focused != "skip" {
		t.Errorf("the first Tab focused %q, want the skip link", focused)
	}
	if tables := text(t, ctx, `[data-testid="tables"]`); !strings.Contains(tables, "customers") || strings.Contains(tables, "payroll") {
		t.Fatalf("the anonymous role's tables are %q: want customers and not payroll", tables)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="tables"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="count"]`)),
	); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, `[data-testid="count"]`); got != "Records 1–50 of 120" {
		t.Fatalf("count %q", got)
	}
	// Page: htmx swaps the records and pushes the URL.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#page-next"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "page 2", `document.querySelector('[data-testid=count]').textContent.includes('Records 51–100 of 120') && location.search === '?page=2'`)
	// Filter.
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#f-col"), "2"),
		chromedp.SetValue(chromedp.CSS("#f-op"), "icontains"),
		chromedp.SetValue(chromedp.CSS("#f-value"), "customer 1"),
		chromedp.Click(chromedp.CSS("#f-apply")),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the filtered records", `document.querySelector('[data-testid=count]').textContent.includes('of 32')`)
	// Sort by the name column, descending after two clicks.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`th:nth-child(2) a`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "ascending sort", `document.querySelector('th:nth-child(2)').getAttribute('aria-sort') === 'ascending'`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`window.scrollTo(0, 0)`)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "dashboard-catalog")
	// A table the role has no privilege on: a readable refusal, no data.
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/ui/catalog/%d/%d", e.base, e.shop, e.payroll)),
		chromedp.WaitVisible(chromedp.CSS(".problem"))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, ".problem h2"); got != "Your role may not do this" {
		t.Fatalf("payroll as anonymous: %q", got)
	}
}

func TestBrowserForgedPost(t *testing.T) {
	e := setup(t)
	ctx := tab(t)
	id := e.failedJobs(t)[0]
	// Another site's page that posts the retry form to the dashboard as soon as it loads.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>win a prize</title><form id="f" method="post" action="%s/ui/queues/jobs/%d/retry"></form>
<script>document.getElementById('f').submit()</script>`, e.base, id)
	}))
	defer evil.Close()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.base+"/ui/signin?next=/ui/queues"),
		chromedp.SetValue(chromedp.CSS("#token"), e.token(t, e.operator)),
		chromedp.Click(chromedp.CSS("#signin-token")),
		chromedp.WaitVisible(chromedp.CSS(`[data-queue="emails"]`)),
		chromedp.Navigate(evil.URL),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the dashboard's answer to the forged form", `location.pathname.startsWith('/ui/')`)
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	// 127.0.0.1 on another port is the same site, so the SameSite cookie goes along: the CSRF
	// token is what refuses the form.
	if !strings.Contains(body, "This form was refused") {
		t.Fatalf("the forged POST was answered with:\n%s", body)
	}
	if s := e.jobState(t, id); s != "failed" {
		t.Fatalf("job %d is %s after a forged POST, want failed", id, s)
	}
}
