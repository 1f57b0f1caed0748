package ui_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgtest"
	"github.com/howdah/howdah/sidecar"
	"github.com/howdah/howdah/sidecar/auth"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var (
	secret  = []byte("a test secret that is long enough: 0123456789")
	roleSeq atomic.Int64
)

// env is a served sidecar over a database with every module installed and demo-like data:
// schema shop (customers: 120 rows the anonymous role may read; payroll: only the operator
// may), and jobs in queues emails, images and reports, some failed with errors.
type env struct {
	ctx       context.Context
	url       string
	conn      *pgx.Conn
	srv       *sidecar.Server
	base      string
	anon      string
	operator  string
	shop      int64
	customers int64
	payroll   int64
}

// fixtureSQL makes the data; %[1]s is the anonymous role, %[2]s the operator.
const fixtureSQL = `
CREATE SCHEMA shop;
COMMENT ON SCHEMA shop IS 'example data';
CREATE TABLE shop.customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, city text, joined date);
COMMENT ON TABLE shop.customers IS 'people who buy';
INSERT INTO shop.customers (name, city, joined)
SELECT 'customer ' || g, (ARRAY['Paris', 'Lyon', 'Nantes', NULL])[1 + g %% 4], date '2024-01-01' + g FROM generate_series(1, 120) g;
CREATE TABLE shop.payroll (id int PRIMARY KEY, who text, salary numeric);
INSERT INTO shop.payroll VALUES (1, 'boss', 100000);
ANALYZE shop.customers;
GRANT USAGE ON SCHEMA shop TO %[1]s, %[2]s;
GRANT SELECT ON shop.customers TO %[1]s;
GRANT SELECT, INSERT, UPDATE ON shop.customers, shop.payroll TO %[2]s;
GRANT USAGE ON SCHEMA howdah_queue TO %[2]s;
GRANT SELECT, UPDATE ON howdah_queue.jobs TO %[2]s;

INSERT INTO howdah_queue.jobs (queue, payload, state, run_at)
SELECT q, jsonb_build_object('n', g), 'available', now() - g * interval '7 seconds'
  FROM unnest(ARRAY['emails', 'images', 'reports']) q, generate_series(1, 6) g WHERE g <= length(q);
INSERT INTO howdah_queue.jobs (queue, payload, state, attempted_at, finalized_at, attempt)
SELECT q, jsonb_build_object('n', g), 'completed', now() - (g %% 14) * interval '1 minute', now() - (g %% 14) * interval '1 minute', 1
  FROM unnest(ARRAY['emails', 'images', 'reports']) q, generate_series(1, 90) g WHERE g %% length(q) <> 0;
INSERT INTO howdah_queue.jobs (queue, payload, state, attempted_at, finalized_at, attempt, max_attempts, errors)
SELECT 'emails', jsonb_build_object('to', 'user' || g || '@example.com'), 'failed', now() - g * interval '1 minute',
       now() - g * interval '1 minute', 3, 3,
       jsonb_build_array(jsonb_build_object('attempt', 3, 'at', now(), 'error', 'smtp: 550 mailbox user' || g || '@example.com unavailable'))
  FROM generate_series(1, 3) g;
INSERT INTO howdah_queue.jobs (queue, payload, state, run_at, attempt, errors)
VALUES ('images', '{"resize": "cat.png"}', 'retryable', now() + interval '5 minutes', 1,
        '[{"attempt": 1, "at": "2026-01-01T00:00:00Z", "error": "decode: unexpected EOF"}]');
`

// setup installs every module into a fresh database, makes the roles and data, and serves a
// sidecar logged in as an authenticator that may act as the anonymous role and the operator.
func setup(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, dbURL)
	pgtest.Install(t, conn)
	return serveWith(t, ctx, dbURL, conn, true)
}

func serveWith(t *testing.T, ctx context.Context, dbURL string, conn *pgx.Conn, data bool) *env {
	n := roleSeq.Add(1)
	e := &env{ctx: ctx, url: dbURL, conn: conn,
		anon: fmt.Sprintf("howdah_ui_anon_%d", n), operator: fmt.Sprintf("howdah_ui_operator_%d", n)}
	authn := fmt.Sprintf("howdah_ui_authn_%d", n)
	for _, r := range []string{e.anon, e.operator} {
		if _, err := conn.Exec(ctx, "CREATE ROLE "+r+" NOLOGIN"); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { dropRoles(dbURL, authn, e.anon, e.operator) })
	if _, err := installer.EnsureAuthenticator(ctx, conn, authn, "", []string{e.anon, e.operator}); err != nil {
		t.Fatal(err)
	}
	if data {
		if _, err := conn.Exec(ctx, fmt.Sprintf(fixtureSQL, e.anon, e.operator)); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(ctx, `SELECT 'shop'::regnamespace::oid::bigint, 'shop.customers'::regclass::oid::bigint,
			'shop.payroll'::regclass::oid::bigint`).Scan(&e.shop, &e.customers, &e.payroll); err != nil {
			t.Fatal(err)
		}
	}
	u, _ := url.Parse(dbURL)
	u.User = url.User(authn)
	srv, err := sidecar.New(ctx, &sidecar.Config{DatabaseURL: u.String(),
		Auth:      auth.Config{Secret: secret, AnonRole: e.anon},
		Heartbeat: time.Second, ShutdownTimeout: 5 * time.Second,
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	e.srv, e.base = srv, "http://"+ln.Addr().String()
	return e
}

func dropRoles(dbURL string, names ...string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	for _, n := range names {
		conn.Exec(ctx, "DROP OWNED BY "+n)
		conn.Exec(ctx, "DROP ROLE IF EXISTS "+n)
	}
}

func (e *env) token(t testing.TB, role string) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"role": role, "exp": time.Now().Add(time.Hour).Unix()}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// client is a browser-like HTTP client: a cookie jar, no redirects followed.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func (e *env) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: e.base, http: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, form url.Values, header map[string]string) (int, string, http.Header) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token of a page.
func (c *client) csrf(page string) string {
	c.t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		c.t.Fatalf("no CSRF token in the page:\n%s", page)
	}
	return m[1]
}

// signIn signs in with a token, or anonymously when token is empty.
func (c *client) signIn(token string) {
	c.t.Helper()
	_, page, _ := c.do("GET", "/ui/signin", nil, nil)
	form := url.Values{"csrf": {c.csrf(page)}, "next": {"/ui/"}}
	if token == "" {
		form.Set("mode", "anonymous")
	} else {
		form.Set("mode", "token")
		form.Set("token", token)
	}
	status, body, h := c.do("POST", "/ui/signin", form, nil)
	if status != http.StatusSeeOther {
		c.t.Fatalf("sign-in: status %d, want 303:\n%s", status, body)
	}
	if loc := h.Get("Location"); loc != "/ui/" {
		c.t.Fatalf("sign-in went to %q, want /ui/", loc)
	}
}

// jobState reads a job's state as the superuser.
func (e *env) jobState(t testing.TB, id int64) string {
	t.Helper()
	var s string
	if err := e.conn.QueryRow(e.ctx, "SELECT state::text FROM howdah_queue.jobs WHERE id = $1", id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// failedJobs are the ids of the failed jobs, oldest first.
func (e *env) failedJobs(t testing.TB) []int64 {
	t.Helper()
	rows, err := e.conn.Query(e.ctx, "SELECT id FROM howdah_queue.jobs WHERE state = 'failed' ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
