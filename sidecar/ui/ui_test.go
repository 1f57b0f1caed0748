package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgtest"
)

func TestSignIn(t *testing.T) {
	e := setup(t)
	t.Run("pages need a sign-in", func(t *testing.T) {
		c := e.client(t)
		status, _, h := c.do("GET", "/ui/queues", nil, nil)
		if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/ui/signin?next=%2Fui%2Fqueues") {
			t.Fatalf("status %d, Location %q: want 303 to the sign-in page", status, h.Get("Location"))
		}
	})
	t.Run("token", func(t *testing.T) {
		c := e.client(t)
		c.signIn(e.token(t, e.operator))
		status, page, _ := c.do("GET", "/ui/queues", nil, nil)
		if status != http.StatusOK || !strings.Contains(page, e.operator) || !strings.Contains(page, `data-queue="emails"`) {
			t.Fatalf("queues page as the operator: status %d\n%s", status, page)
		}
		cookie := c.http.Jar.Cookies(mustURL(t, e.base+"/ui/"))
		if len(cookie) != 1 {
			t.Fatalf("cookies %v, want the session cookie", cookie)
		}
	})
	t.Run("cookie attributes", func(t *testing.T) {
		c := e.client(t)
		_, _, h := c.do("GET", "/ui/signin", nil, nil)
		sc := h.Get("Set-Cookie")
		for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/ui/"} {
			if !strings.Contains(sc, want) {
				t.Errorf("Set-Cookie %q lacks %s", sc, want)
			}
		}
	})
	t.Run("bad token", func(t *testing.T) {
		c := e.client(t)
		_, page, _ := c.do("GET", "/ui/signin", nil, nil)
		status, body, _ := c.do("POST", "/ui/signin", url.Values{"csrf": {c.csrf(page)}, "mode": {"token"}, "token": {"not.a.jwt"}}, nil)
		if status != http.StatusUnauthorized || !strings.Contains(body, "This token was refused: invalid token: malformed token.") {
			t.Fatalf("status %d, want 401 with the reason:\n%s", status, body)
		}
	})
	t.Run("a role the sidecar may not act as", func(t *testing.T) {
		c := e.client(t)
		_, page, _ := c.do("GET", "/ui/signin", nil, nil)
		status, body, _ := c.do("POST", "/ui/signin", url.Values{"csrf": {c.csrf(page)}, "mode": {"token"}, "token": {e.token(t, "postgres")}}, nil)
		if status != http.StatusForbidden || !strings.Contains(body, "may not act as role postgres") {
			t.Fatalf("status %d, want 403 naming the role:\n%s", status, body)
		}
	})
	t.Run("sign out", func(t *testing.T) {
		c := e.client(t)
		c.signIn("")
		_, page, _ := c.do("GET", "/ui/catalog", nil, nil)
		status, _, h := c.do("POST", "/ui/signout", url.Values{"csrf": {c.csrf(page)}}, nil)
		if status != http.StatusSeeOther || h.Get("Location") != "/ui/signin" {
			t.Fatalf("sign out: %d %q", status, h.Get("Location"))
		}
		if status, _, _ := c.do("GET", "/ui/catalog", nil, nil); status != http.StatusSeeOther {
			t.Fatalf("after sign-out the catalog answered %d, want 303 to sign in", status)
		}
	})
}

func TestForgedPostIsRefused(t *testing.T) {
	e := setup(t)
	c := e.client(t)
	c.signIn(e.token(t, e.operator))
	_, page, _ := c.do("GET", "/ui/queues", nil, nil)
	good := c.csrf(page)
	id := e.failedJobs(t)[0]
	path := fmt.Sprintf("/ui/queues/jobs/%d/retry", id)
	for _, tc := range []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"no token", url.Values{}, nil},
		{"another token", url.Values{"csrf": {strings.Repeat("A", len(good))}}, nil},
		{"the token of another session", url.Values{"csrf": {otherSessionToken(t, e)}}, nil},
		{"the right token from another origin", url.Values{"csrf": {good}}, map[string]string{"Origin": "http://evil.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := c.do("POST", path, tc.form, tc.header)
			if status != http.StatusForbidden || !strings.Contains(body, "This form was refused") {
				t.Fatalf("status %d, want 403 with an explanation:\n%s", status, body)
			}
			if s := e.jobState(t, id); s != "failed" {
				t.Fatalf("job %d is %s after a refused POST, want failed", id, s)
			}
		})
	}
	t.Run("sign-in form too", func(t *testing.T) {
		fresh := e.client(t)
		fresh.do("GET", "/ui/signin", nil, nil)
		status, _, _ := fresh.do("POST", "/ui/signin", url.Values{"mode": {"anonymous"}}, nil)
		if status != http.StatusForbidden {
			t.Fatalf("sign-in without the CSRF token: %d, want 403", status)
		}
	})
	t.Run("with the token the retry runs", func(t *testing.T) {
		status, body, h := c.do("POST", path, url.Values{"csrf": {good}}, nil)
		if status != http.StatusSeeOther || h.Get("Location") != "/ui/queues" {
			t.Fatalf("status %d, want 303:\n%s", status, body)
		}
		if s := e.jobState(t, id); s != "available" {
			t.Fatalf("job %d is %s, want available", id, s)
		}
	})
	t.Run("through htmx: the header, and the panel back", func(t *testing.T) {
		id := e.failedJobs(t)[0]
		status, body, _ := c.do("POST", fmt.Sprintf("/ui/queues/jobs/%d/retry", id), url.Values{},
			map[string]string{"X-CSRF-Token": good, "HX-Request": "true"})
		if status != http.StatusOK || !strings.Contains(body, fmt.Sprintf("Job %d is available again.", id)) || strings.Contains(body, "<html") {
			t.Fatalf("status %d, want the panel with the outcome:\n%s", status, body)
		}
	})
}

// otherSessionToken is a valid CSRF token, of another browser's session.
func otherSessionToken(t *testing.T, e *env) string {
	o := e.client(t)
	_, page, _ := o.do("GET", "/ui/signin", nil, nil)
	return o.csrf(page)
}

func TestErrorsAreReadable(t *testing.T) {
	e := setup(t)
	anon := e.client(t)
	anon.signIn("")
	t.Run("anonymous does not see a table it has no privilege on", func(t *testing.T) {
		status, page, _ := anon.do("GET", fmt.Sprintf("/ui/catalog/%d", e.shop), nil, nil)
		if status != http.StatusOK || !strings.Contains(page, ">customers</a>") || strings.Contains(page, "payroll") {
			t.Fatalf("status %d: want customers listed and payroll not:\n%s", status, page)
		}
		status, page, _ = anon.do("GET", fmt.Sprintf("/ui/catalog/%d/%d", e.shop, e.payroll), nil, nil)
		if status != http.StatusForbidden || !strings.Contains(page, "Your role may not do this") ||
			!strings.Contains(page, "permission denied for table shop.payroll") || !strings.Contains(page, "42501") ||
			strings.Contains(page, "boss") {
			t.Fatalf("status %d: want a readable 403:\n%s", status, page)
		}
	})
	t.Run("a role without queue privileges", func(t *testing.T) {
		status, page, _ := anon.do("GET", "/ui/queues", nil, nil)
		if status != http.StatusForbidden || !strings.Contains(page, "Your role may not do this") || !strings.Contains(page, "What to try") {
			t.Fatalf("status %d: want a readable 403:\n%s", status, page)
		}
	})
	t.Run("a bad filter value names its column", func(t *testing.T) {
		status, page, _ := anon.do("GET", fmt.Sprintf("/ui/catalog/%d/%d?col=1&op=%%3E&value=many", e.shop, e.customers), nil, nil)
		if status != http.StatusBadRequest || !strings.Contains(page, "The database refused the request") || !strings.Contains(page, `id="f-value"`) {
			t.Fatalf("status %d: want the error and the filter form to fix it:\n%s", status, page)
		}
	})
	t.Run("unknown page", func(t *testing.T) {
		status, page, _ := anon.do("GET", "/ui/nope", nil, nil)
		if status != http.StatusNotFound || !strings.Contains(page, "There is no page here") {
			t.Fatalf("status %d:\n%s", status, page)
		}
	})
}

func TestRecordsPagingFilterSort(t *testing.T) {
	e := setup(t)
	c := e.client(t)
	c.signIn("")
	base := fmt.Sprintf("/ui/catalog/%d/%d", e.shop, e.customers)
	for _, tc := range []struct{ query, want, first string }{
		{"", "Records 1–50 of 120", "customer 1<"},
		{"?page=3", "Records 101–120 of 120", "customer 101<"},
		{"?col=2&op=icontains&value=CUSTOMER+11", "Records 1–11 of 11", "customer 11<"},
		{"?sort=1&dir=desc&size=25", "Records 1–25 of 120", "customer 120<"},
		{"?col=3&op=is_null", "Records 1–30 of 30", "customer 3<"},
	} {
		status, page, _ := c.do("GET", base+tc.query, nil, nil)
		if status != http.StatusOK || !strings.Contains(page, tc.want) {
			t.Fatalf("%s: status %d, want %q:\n%s", tc.query, status, tc.want, page)
		}
		first := strings.Index(page, "<tbody><tr>")
		if first < 0 || !strings.Contains(page[first:first+200], tc.first) {
			t.Errorf("%s: the first row is not %q", tc.query, tc.first)
		}
	}
}

func TestModuleNotInstalled(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, dbURL)
	in, err := installer.New(conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Install(ctx, []installer.Target{{Module: "catalog"}}); err != nil {
		t.Fatal(err)
	}
	e := serveWith(t, ctx, dbURL, conn, false)
	c := e.client(t)
	c.signIn("")
	status, page, _ := c.do("GET", "/ui/queues", nil, nil)
	if status != http.StatusNotFound || !strings.Contains(page, "The queue module is not installed") ||
		!strings.Contains(page, `howdah install --db "$DATABASE_URL" queue`) {
		t.Fatalf("status %d: want how to install the queue module:\n%s", status, page)
	}
	if strings.Contains(page, `href="/ui/queues"`) {
		t.Errorf("the navigation links the queues page of a database without the module")
	}
	if _, _, h := c.do("GET", "/ui/", nil, nil); h.Get("Location") != "/ui/catalog" {
		t.Errorf("home went to %q, want the first installed section, /ui/catalog", h.Get("Location"))
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestHeadersStaticAndEvents(t *testing.T) {
	e := setup(t)
	c := e.client(t)
	status, body, h := c.do("GET", "/ui/static/htmx.min.js", nil, nil)
	if status != http.StatusOK || !strings.HasPrefix(body, "/*! htmx 2.0.11") || !strings.Contains(h.Get("Cache-Control"), "max-age") {
		t.Fatalf("htmx.min.js: %d, Cache-Control %q, starts %q", status, h.Get("Cache-Control"), body[:min(40, len(body))])
	}
	_, _, h = c.do("GET", "/ui/signin", nil, nil)
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	// The event stream needs a signed-in session, like every page.
	if status, body, _ := c.do("GET", "/ui/events?channel=howdah_queue", nil, nil); status != http.StatusUnauthorized {
		t.Fatalf("/ui/events before sign-in: %d %s", status, body)
	}
	// Signed in, it is the /events stream, with its checks.
	c.signIn(e.token(t, e.operator))
	if status, body, _ := c.do("GET", "/ui/events?channel=not_howdahs", nil, nil); status != http.StatusForbidden || !strings.Contains(body, "not open to subscribers") {
		t.Fatalf("/ui/events of a channel --events-allow does not open: %d %s", status, body)
	}
}

func TestEditRecord(t *testing.T) {
	e := setup(t)
	base := fmt.Sprintf("/ui/catalog/%d/%d", e.shop, e.customers)
	t.Run("a read-only role gets no edit links", func(t *testing.T) {
		anon := e.client(t)
		anon.signIn("")
		_, page, _ := anon.do("GET", base, nil, nil)
		if strings.Contains(page, `data-testid="edit"`) || !strings.Contains(page, "Read-only for your role.") {
			t.Fatalf("the anonymous role's records page offers editing:\n%s", page)
		}
	})
	op := e.client(t)
	op.signIn(e.token(t, e.operator))
	_, page, _ := op.do("GET", base+"?sort=1", nil, nil)
	i := strings.Index(page, `data-testid="edit"`)
	if i < 0 {
		t.Fatalf("the operator (UPDATE on customers) gets no edit links:\n%s", page)
	}
	href := page[strings.LastIndex(page[:i], `href="`)+len(`href="`):]
	href = strings.ReplaceAll(href[:strings.Index(href, `"`)], "&amp;", "&")
	status, form, _ := op.do("GET", href, nil, nil)
	if status != http.StatusOK || !strings.Contains(form, `value="customer 1"`) || !strings.Contains(form, `name="c3"`) {
		t.Fatalf("edit form: %d\n%s", status, form)
	}
	u := mustURL(t, e.base+href)
	post := func(t *testing.T, fields url.Values) (int, string, http.Header) {
		t.Helper()
		f := url.Values{"csrf": {op.csrf(form)}, "id": {u.Query().Get("id")}, "back": {u.Query().Get("back")},
			"o2": {"customer 1"}, "o3": {"Lyon"}, "o4": {"2024-01-02"}}
		for k, v := range fields {
			f[k] = v
		}
		return op.do("POST", u.Path, f, nil)
	}
	t.Run("a bad value is refused, naming its column, and nothing changes", func(t *testing.T) {
		status, body, _ := post(t, url.Values{"c3": {"Lyon"}, "c4": {"not a date"}})
		if status != http.StatusBadRequest || !strings.Contains(body, "The database refused the request") || !strings.Contains(body, `value="not a date"`) || !strings.Contains(problemOf(body), "joined") {
			t.Fatalf("status %d:\n%s", status, body)
		}
		var joined string
		e.conn.QueryRow(e.ctx, "SELECT joined::text FROM shop.customers WHERE id = 1").Scan(&joined)
		if joined != "2024-01-02" {
			t.Fatalf("joined is %s after a refused edit", joined)
		}
	})
	t.Run("without the CSRF token nothing changes", func(t *testing.T) {
		status, _, _ := op.do("POST", u.Path, url.Values{"id": {u.Query().Get("id")}, "c3": {"Forged"}, "o3": {"Lyon"}}, nil)
		if status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", status)
		}
	})
	t.Run("only changed fields are sent", func(t *testing.T) {
		// Someone else renames the customer meanwhile; the form changes the city only.
		if _, err := e.conn.Exec(e.ctx, "UPDATE shop.customers SET name = 'renamed' WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		status, body, h := post(t, url.Values{"c2": {"customer 1"}, "c3": {"Paris"}, "c4": {"2024-01-02"}, "n3": nil})
		if status != http.StatusSeeOther || h.Get("Location") != u.Query().Get("back") {
			t.Fatalf("status %d, Location %q:\n%s", status, h.Get("Location"), body)
		}
		var name, city string
		e.conn.QueryRow(e.ctx, "SELECT name, city FROM shop.customers WHERE id = 1").Scan(&name, &city)
		if name != "renamed" || city != "Paris" {
			t.Fatalf("name %q, city %q: want renamed, Paris", name, city)
		}
	})
	t.Run("NULL", func(t *testing.T) {
		status, _, _ := post(t, url.Values{"c2": {"customer 1"}, "c3": {"Lyon"}, "n3": {"on"}, "c4": {"2024-01-02"}})
		var isNull bool
		e.conn.QueryRow(e.ctx, "SELECT city IS NULL FROM shop.customers WHERE id = 1").Scan(&isNull)
		if status != http.StatusSeeOther || !isNull {
			t.Fatalf("status %d, city null %v", status, isNull)
		}
	})
	t.Run("a role without UPDATE changes nothing", func(t *testing.T) {
		anon := e.client(t)
		anon.signIn("")
		_, page, _ := anon.do("GET", base, nil, nil)
		status, body, _ := anon.do("POST", u.Path, url.Values{"csrf": {anon.csrf(page)}, "id": {u.Query().Get("id")}, "c2": {"x"}, "o2": {"y"}}, nil)
		// The anonymous role may not change any column, so the form sends nothing: patch_record
		// of an empty rec changes nothing.
		var name string
		e.conn.QueryRow(e.ctx, "SELECT name FROM shop.customers WHERE id = 1").Scan(&name)
		if name != "renamed" || (status != http.StatusSeeOther && status != http.StatusForbidden) {
			t.Fatalf("status %d, name %q:\n%s", status, name, body)
		}
	})
}

// problemOf is the problem section of a page, or "".
func problemOf(page string) string {
	i := strings.Index(page, `<section class="problem"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(page[i:], "</section>")
	return page[i : i+j]
}
