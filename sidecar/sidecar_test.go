package sidecar

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgtest"
	"github.com/howdah/howdah/internal/release"
	"github.com/howdah/howdah/sidecar/auth"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var (
	secret  = []byte("a test secret that is long enough: 0123456789")
	roleSeq atomic.Int64
)

// roles names the roles of one test; role names are cluster-wide, so each test gets its own.
type roles struct{ anon, user, stranger, authn string }

type bundle struct {
	ctx   context.Context
	url   string // as the superuser
	conn  *pgx.Conn
	roles roles
	srv   *Server
	base  string
	stop  func() error // ends Serve and returns its result
}

const fixtureSQL = `
CREATE FUNCTION howdah.t_secret() RETURNS text LANGUAGE sql AS $$ SELECT 'classified' $$;
REVOKE EXECUTE ON FUNCTION howdah.t_secret() FROM PUBLIC;
CREATE FUNCTION howdah.t_whoami() RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('user', current_user, 'claims', current_setting('request.jwt.claims', true)::jsonb) $$;
CREATE FUNCTION howdah.t_slow(s float8) RETURNS text LANGUAGE sql AS $$ SELECT 'done after ' || s FROM pg_sleep(s) $$;
`

// setup installs every module into a fresh database, creates the roles (an authenticator that
// is granted anon and user but not stranger), and serves a sidecar logged in as the
// authenticator on a real 127.0.0.1 listener. edit adjusts the config.
func setup(t *testing.T, edit func(*Config)) *bundle {
	t.Helper()
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, dbURL)
	pgtest.Install(t, conn)
	n := roleSeq.Add(1)
	r := roles{anon: fmt.Sprintf("howdah_test_anon_%d", n), user: fmt.Sprintf("howdah_test_user %d", n),
		stranger: fmt.Sprintf("howdah_test_stranger_%d", n), authn: fmt.Sprintf("howdah_test_authn_%d", n)}
	for _, name := range []string{r.anon, r.user, r.stranger} {
		if _, err := conn.Exec(ctx, "CREATE ROLE "+pgx.Identifier{name}.Sanitize()+" NOLOGIN"); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { dropRoles(dbURL, r.authn, r.anon, r.user, r.stranger) })
	if _, err := installer.EnsureAuthenticator(ctx, conn, r.authn, "", []string{r.anon, r.user}); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, fixtureSQL+"GRANT EXECUTE ON FUNCTION howdah.t_secret() TO "+pgx.Identifier{r.user}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(dbURL)
	u.User = url.User(r.authn)
	cfg := &Config{DatabaseURL: u.String(), Auth: auth.Config{Secret: secret, AnonRole: r.anon},
		Heartbeat: time.Second, ListenBackoffMax: 200 * time.Millisecond, ShutdownTimeout: 10 * time.Second,
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)}
	if edit != nil {
		edit(cfg)
	}
	b := &bundle{ctx: ctx, url: dbURL, conn: conn, roles: r}
	b.serve(t, cfg)
	return b
}

func (b *bundle) serve(t *testing.T, cfg *Config) {
	t.Helper()
	srv, err := New(b.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(b.ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once atomic.Bool
	var result error
	stop := func() error {
		if once.CompareAndSwap(false, true) {
			cancel()
			result = <-done
		}
		return result
	}
	t.Cleanup(func() { stop() })
	b.srv, b.base, b.stop = srv, "http://"+ln.Addr().String(), stop
}

func dropRoles(dbURL string, names ...string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	for _, n := range names {
		id := pgx.Identifier{n}.Sanitize()
		conn.Exec(ctx, "DROP OWNED BY "+id)
		conn.Exec(ctx, "DROP ROLE IF EXISTS "+id)
	}
}

func token(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    *struct {
		SQLState string `json:"sqlstate"`
		Hint     string `json:"hint"`
	} `json:"data"`
}

type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  json.RawMessage `json:"result"`
	Error   *rpcError       `json:"error"`
	ID      json.RawMessage `json:"id"`
}

// post sends a raw body to /rpc and decodes the JSON-RPC response.
func (b *bundle) post(t *testing.T, tok, contentType, body string) (*http.Response, rpcResponse) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+"/rpc", strings.NewReader(body))
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
	var r rpcResponse
	if resp.StatusCode != http.StatusNoContent {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q, body %s", ct, raw)
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("status %d, body is not a JSON-RPC response: %s", resp.StatusCode, raw)
		}
	}
	return resp, r
}

func (b *bundle) call(t *testing.T, tok, method string, params any) (int, rpcResponse) {
	t.Helper()
	req := map[string]any{"jsonrpc": "2.0", "id": 1, "method": method}
	if params != nil {
		req["params"] = params
	}
	body, _ := json.Marshal(req)
	resp, r := b.post(t, tok, "application/json", string(body))
	return resp.StatusCode, r
}

// asRole runs query under SET LOCAL ROLE and returns its one value as normalised JSON.
func (b *bundle) asRole(t *testing.T, role, query string) string {
	t.Helper()
	tx, err := b.conn.Begin(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(b.ctx)
	if _, err := tx.Exec(b.ctx, "SET LOCAL ROLE "+pgx.Identifier{role}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	var s string
	if err := tx.QueryRow(b.ctx, "SELECT to_jsonb(("+query+"))::text").Scan(&s); err != nil {
		t.Fatalf("%s as %s: %v", query, role, err)
	}
	return norm(t, []byte(s))
}

func norm(t *testing.T, raw []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %s", raw)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestResultsMatchSQLForTheSameRole(t *testing.T) {
	b := setup(t, nil)
	user := token(t, jwt.MapClaims{"role": b.roles.user, "exp": time.Now().Add(time.Hour).Unix()})
	for _, c := range []struct{ tok, role string }{{"", b.roles.anon}, {user, b.roles.user}} {
		for method, query := range map[string]string{
			"howdah.version":      "SELECT howdah.version()",
			"howdah.list_schemas": "SELECT howdah.list_schemas()",
		} {
			status, r := b.call(t, c.tok, method, nil)
			if status != 200 || r.Error != nil {
				t.Fatalf("%s as %s: %d %+v", method, c.role, status, r.Error)
			}
			if got, want := norm(t, r.Result), b.asRole(t, c.role, query); got != want {
				t.Errorf("%s as %s over HTTP:\n%s\nover SQL:\n%s", method, c.role, got, want)
			}
		}
	}
	// The claims and the role reach SQL.
	_, r := b.call(t, user, "howdah.t_whoami", nil)
	var who struct {
		User   string         `json:"user"`
		Claims map[string]any `json:"claims"`
	}
	if err := json.Unmarshal(r.Result, &who); err != nil || who.User != b.roles.user || who.Claims["role"] != b.roles.user {
		t.Fatalf("whoami with a token: %s (%v)", r.Result, err)
	}
	_, r = b.call(t, "", "howdah.t_whoami", nil)
	if err := json.Unmarshal(r.Result, &who); err != nil || who.User != b.roles.anon {
		t.Fatalf("whoami anonymous: %s (%v)", r.Result, err)
	}
}

func TestAuthAndPrivileges(t *testing.T) {
	b := setup(t, nil)
	user := token(t, jwt.MapClaims{"role": b.roles.user})
	status, r := b.call(t, user, "howdah.t_secret", nil)
	if status != 200 || string(r.Result) != `"classified"` {
		t.Fatalf("user calls t_secret: %d %s %+v", status, r.Result, r.Error)
	}
	// What the anonymous role may not do, an anonymous request cannot do.
	status, r = b.call(t, "", "howdah.t_secret", nil)
	if status != 403 || r.Error == nil || r.Error.Code != -32003 || r.Error.Data.SQLState != "42501" {
		t.Fatalf("anonymous t_secret: %d %+v", status, r.Error)
	}
	// A role the authenticator was not granted, a superuser, a role that does not exist and the
	// authenticator itself: the same clean 403, not a 500, that says nothing about the role.
	for _, role := range []string{b.roles.stranger, "postgres", "howdah_no_such_role", b.roles.authn} {
		body := `{"jsonrpc":"2.0","id":1,"method":"howdah.t_whoami"}`
		req, _ := http.NewRequest(http.MethodPost, b.base+"/rpc", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token(t, jwt.MapClaims{"role": role}))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := `{"jsonrpc":"2.0","error":{"code":-32003,"message":"cannot act as the token's role"},"id":1}`; resp.StatusCode != 403 || string(raw) != want {
			t.Errorf("role %q: %d %s, want 403 %s", role, resp.StatusCode, raw, want)
		}
	}
	// Expired, forged and malformed tokens: 401 with a JSON-RPC error.
	for name, tok := range map[string]string{
		"expired": token(t, jwt.MapClaims{"role": b.roles.user, "exp": time.Now().Add(-time.Hour).Unix()}),
		"forged":  user[:len(user)-4] + "AAAA",
		"garbage": "not-a-jwt",
	} {
		req, _ := http.NewRequest(http.MethodPost, b.base+"/rpc", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"howdah.version"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var r rpcResponse
		json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if resp.StatusCode != 401 || r.Error == nil || r.Error.Code != -32001 || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s token: %d %+v", name, resp.StatusCode, r.Error)
		}
	}
	if _, r := b.call(t, token(t, jwt.MapClaims{"role": b.roles.user, "exp": time.Now().Add(-time.Hour).Unix()}), "howdah.version", nil); r.Error == nil || !strings.Contains(r.Error.Message, "expired") {
		t.Errorf("expired token message: %+v", r.Error)
	}
}

func TestNoAnonymousRole(t *testing.T) {
	b := setup(t, func(c *Config) { c.Auth.AnonRole = "" })
	status, r := b.call(t, "", "howdah.version", nil)
	if status != 401 || r.Error == nil || r.Error.Code != -32001 {
		t.Fatalf("no token, no anon role: %d %+v", status, r.Error)
	}
	resp, err := http.Get(b.base + "/events?channel=jobs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("/events without a token: %d", resp.StatusCode)
	}
}

func TestHTTPErrors(t *testing.T) {
	b := setup(t, func(c *Config) { c.MaxBodyBytes = 1000 })
	cases := []struct {
		name, ctype, body string
		status, code      int
	}{
		{"garbage", "application/json", `{"jsonrpc":`, 400, -32700},
		{"not a request", "application/json", `[]`, 400, -32600},
		{"form post", "application/x-www-form-urlencoded", `{"jsonrpc":"2.0","id":1,"method":"howdah.version"}`, 415, -32600},
		// No type, or text/plain, is what a page on another origin can send without a preflight.
		{"no content type", "", `{"jsonrpc":"2.0","id":1,"method":"howdah.version"}`, 415, -32600},
		{"text/plain", "text/plain", `{"jsonrpc":"2.0","id":1,"method":"howdah.version"}`, 415, -32600},
		{"too big", "application/json", `{"jsonrpc":"2.0","id":1,"method":"howdah.version","params":{"x":"` + strings.Repeat("x", 2000) + `"}}`, 413, -32600},
		{"unknown method", "application/json", `{"jsonrpc":"2.0","id":1,"method":"howdah.nope"}`, 404, -32601},
		{"private", "application/json", `{"jsonrpc":"2.0","id":1,"method":"howdah_internal.record_step"}`, 404, -32601},
		{"bad param", "application/json; charset=utf-8", `{"jsonrpc":"2.0","id":1,"method":"howdah.get_schema","params":{"nope":1}}`, 400, -32602},
	}
	for _, c := range cases {
		resp, r := b.post(t, "", c.ctype, c.body)
		if resp.StatusCode != c.status || r.Error == nil || r.Error.Code != c.code || r.JSONRPC != "2.0" {
			t.Errorf("%s: status %d error %+v; want %d %d", c.name, resp.StatusCode, r.Error, c.status, c.code)
		}
	}
	// A batch answers 200 with one response per request that has an id.
	resp, err := http.Post(b.base+"/rpc", "application/json", strings.NewReader(
		`[{"jsonrpc":"2.0","id":1,"method":"howdah.version"},{"jsonrpc":"2.0","id":2,"method":"howdah.t_secret"},{"jsonrpc":"2.0","method":"howdah.version"}]`))
	if err != nil {
		t.Fatal(err)
	}
	var rs []rpcResponse
	json.NewDecoder(resp.Body).Decode(&rs)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(rs) != 2 || rs[0].Error != nil || rs[1].Error == nil || rs[1].Error.Code != -32003 {
		t.Fatalf("batch: %d %+v", resp.StatusCode, rs)
	}
	// Other verbs and paths answer JSON too.
	for _, c := range []struct{ method, path string }{{"GET", "/rpc"}, {"GET", "/nowhere"}, {"POST", "/events?channel=a"}} {
		req, _ := http.NewRequest(c.method, b.base+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %s", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}

func TestReloadOnNotify(t *testing.T) {
	b := setup(t, nil)
	var doc struct {
		Info struct {
			Version string `json:"version"`
		} `json:"info"`
	}
	if _, r := b.call(t, "", "rpc.discover", nil); json.Unmarshal(r.Result, &doc) != nil || doc.Info.Version != release.Version {
		t.Fatalf("rpc.discover info.version = %q, want %q", doc.Info.Version, release.Version)
	}
	if _, r := b.call(t, "", "howdah.t_new", nil); r.Error == nil || r.Error.Code != -32601 {
		t.Fatalf("before: %+v", r)
	}
	if _, err := b.conn.Exec(b.ctx, `CREATE FUNCTION howdah.t_new(x integer DEFAULT 2) RETURNS integer LANGUAGE sql AS 'SELECT x * 21';
		NOTIFY howdah_reload`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, r := b.call(t, "", "howdah.t_new", nil)
		if r.Error == nil {
			if string(r.Result) != "42" {
				t.Fatalf("t_new = %s", r.Result)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("t_new still not callable 10s after NOTIFY howdah_reload: %+v", r.Error)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stream reads SSE events (name, data) from /events.
func (b *bundle) stream(t *testing.T, tok, channels string) <-chan [2]string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+"/events?channel="+channels, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	ctx, cancel := context.WithCancel(b.ctx)
	t.Cleanup(cancel)
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("/events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan [2]string, 64)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var name, data string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "" && name != "":
				out <- [2]string{name, data}
				name, data = "", ""
			case strings.HasPrefix(line, "event: "):
				name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				data = line[len("data: "):]
			}
		}
	}()
	return out
}

func next(t *testing.T, events <-chan [2]string) [2]string {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("event stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return [2]string{}
}

func (b *bundle) metric(t *testing.T, name string) string {
	t.Helper()
	resp, err := http.Get(b.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), name+" ") {
			return strings.TrimPrefix(sc.Text(), name+" ")
		}
	}
	return ""
}

// eventsStatus opens /events?channel=channels and returns the status, closing the stream.
func (b *bundle) eventsStatus(t *testing.T, tok, channels string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+"/events?channel="+channels, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestEventsDenyByDefault(t *testing.T) {
	b := setup(t, nil)
	user := token(t, jwt.MapClaims{"role": b.roles.user})
	for _, tok := range []string{"", user} {
		for channels, want := range map[string]int{
			"howdah_queue":               200,
			"howdah_reload,howdah_queue": 200,
			"app_events":                 403,
			"howdah_queue,app_events":    403,
			"howdahx":                    403,
			"Howdah_queue":               403,
		} {
			if got := b.eventsStatus(t, tok, channels); got != want {
				t.Errorf("no --events-allow, token %t, channels %s: status %d, want %d", tok != "", channels, got, want)
			}
		}
	}
	// A list replaces the default: howdah's channels must then be listed too.
	b = setup(t, func(c *Config) { c.EventsAllow = []string{"app_*", "exact"} })
	for channels, want := range map[string]int{
		"app_events": 200, "exact": 200, "exactly": 403, "howdah_queue": 403, "other": 403,
	} {
		if got := b.eventsStatus(t, "", channels); got != want {
			t.Errorf("--events-allow app_*,exact, channels %s: status %d, want %d", channels, got, want)
		}
	}
}

// A stream opened with a token ends when the token expires, with an "expired" event; it does not
// go on reading as a role the caller may no longer use.
func TestEventStreamEndsWhenTheTokenExpires(t *testing.T) {
	b := setup(t, func(c *Config) { c.Auth.Leeway = time.Second })
	// JWT times are whole seconds: exp 2 s ahead plus 1 s of leeway ends the stream within about 3 s.
	events := b.stream(t, token(t, jwt.MapClaims{"role": b.roles.user, "exp": time.Now().Add(2 * time.Second).Unix()}), "howdah_queue")
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("the stream ended without an expired event")
			}
			if ev[0] == "expired" {
				if _, ok := <-events; ok {
					t.Fatal("the stream went on after its expired event")
				}
				return
			}
		case <-deadline:
			t.Fatal("the stream outlived its token by 30 s")
		}
	}
}

func TestEventsSurviveBackendTermination(t *testing.T) {
	b := setup(t, func(c *Config) { c.EventsAllow = []string{"howdah_*", "app_events"} })
	events := b.stream(t, token(t, jwt.MapClaims{"role": b.roles.user}), "howdah_queue,app_events")
	notify := func(ch, payload string) {
		if _, err := b.conn.Exec(b.ctx, "SELECT pg_notify($1, $2)", ch, payload); err != nil {
			t.Fatal(err)
		}
	}
	notify("howdah_queue", "wake")
	if ev := next(t, events); ev != [2]string{"howdah_queue", "wake"} {
		t.Fatalf("got %q", ev)
	}
	if got := b.metric(t, "howdah_sse_subscribers"); got != "1" {
		t.Fatalf("howdah_sse_subscribers = %q", got)
	}
	var n int
	if err := b.conn.QueryRow(b.ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'howdah serve (listen)'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminated %d LISTEN backends (%v)", n, err)
	}
	if ev := next(t, events); ev[0] != "reconnected" {
		t.Fatalf("got %q, want a reconnected event", ev)
	}
	notify("app_events", "later")
	if ev := next(t, events); ev != [2]string{"app_events", "later"} {
		t.Fatalf("after reconnect got %q", ev)
	}
	if got := b.metric(t, "howdah_listen_reconnects_total"); got != "1" {
		t.Fatalf("howdah_listen_reconnects_total = %q", got)
	}
	// Reloads still work on the new connection.
	if _, err := b.conn.Exec(b.ctx, `CREATE FUNCTION howdah.t_after() RETURNS integer LANGUAGE sql AS 'SELECT 1'; NOTIFY howdah_reload`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for b.srv.Catalog().Lookup("howdah.t_after") == nil {
		if time.Now().After(deadline) {
			t.Fatal("no reload after the reconnect")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHealthReadinessMetrics(t *testing.T) {
	b := setup(t, func(c *Config) { c.EventsAllow = []string{"howdah_*", "app"} })
	for path, want := range map[string]string{"/healthz": `"ok"`, "/readyz": `"ready"`} {
		resp, err := http.Get(b.base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte(want)) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
	b.call(t, "", "howdah.version", nil)
	b.call(t, "", "howdah.t_secret", nil)
	b.call(t, "", "no.such", nil)
	for name, want := range map[string]string{
		`howdah_rpc_calls_total{method="howdah.version",outcome="ok"}`:         "1",
		`howdah_rpc_calls_total{method="howdah.t_secret",outcome="forbidden"}`: "1",
		`howdah_rpc_calls_total{method="unknown",outcome="method_not_found"}`:  "1",
		`howdah_rpc_call_duration_seconds_count{method="howdah.version"}`:      "1",
		`howdah_listen_connected`:                 "1",
		`howdah_db_pool_connections{state="max"}`: "10",
	} {
		if got := b.metric(t, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	// The allow-list applies to /events.
	resp, err := http.Get(b.base + "/events?channel=private_stuff")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("channel outside --events-allow: %d", resp.StatusCode)
	}
	// Readiness turns 503 when the pool cannot reach the database.
	b.srv.pool.Close()
	resp, err = http.Get(b.base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("/readyz with a closed pool: %d", resp.StatusCode)
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	b := setup(t, nil)
	events := b.stream(t, "", "howdah_queue")
	type result struct {
		status int
		r      rpcResponse
	}
	results := make(chan result, 3)
	for i := 0; i < 3; i++ {
		go func() {
			body := `{"jsonrpc":"2.0","id":1,"method":"howdah.t_slow","params":{"s":0.7}}`
			resp, err := http.Post(b.base+"/rpc", "application/json", strings.NewReader(body))
			if err != nil {
				results <- result{status: -1}
				return
			}
			defer resp.Body.Close()
			var r rpcResponse
			json.NewDecoder(resp.Body).Decode(&r)
			results <- result{resp.StatusCode, r}
		}()
	}
	// Wait until the three calls are running in PostgreSQL, then stop the server.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		b.conn.QueryRow(b.ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND state = 'active' AND query LIKE '%t_slow%' AND pid <> pg_backend_pid()`).Scan(&n)
		if n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls running, want 3", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- b.stop() }()
	for i := 0; i < 3; i++ {
		res := <-results
		if res.status != 200 || res.r.Error != nil || string(res.r.Result) != `"done after 0.7"` {
			t.Fatalf("in-flight call during shutdown: %d %s %+v", res.status, res.r.Result, res.r.Error)
		}
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
	// The event stream ended, and the listener is closed.
	for range events {
	}
	if _, err := http.Get(b.base + "/healthz"); err == nil {
		t.Fatal("still serving after shutdown")
	}
	// Backends leave pg_stat_activity shortly after their client closed the connection.
	deadline = time.Now().Add(5 * time.Second)
	for {
		var left int
		b.conn.QueryRow(b.ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&left)
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections left open 5s after shutdown", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPanicsBecomeJSONErrors(t *testing.T) {
	s := &Server{}
	h := s.recoverer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := &captureWriter{header: http.Header{}}
	h.ServeHTTP(rec, &http.Request{URL: &url.URL{Path: "/x"}})
	var r rpcResponse
	if err := json.Unmarshal(rec.body.Bytes(), &r); err != nil || rec.status != 500 || r.Error == nil || r.Error.Code != -32603 ||
		strings.Contains(rec.body.String(), "boom") || strings.Contains(rec.body.String(), "goroutine") {
		t.Fatalf("panic answer: %d %s", rec.status, rec.body.String())
	}
}

type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captureWriter) Header() http.Header         { return c.header }
func (c *captureWriter) Write(b []byte) (int, error) { return c.body.Write(b) }
func (c *captureWriter) WriteHeader(s int)           { c.status = s }

func TestStartFailsClearly(t *testing.T) {
	_, err := New(context.Background(), &Config{DatabaseURL: "postgres://nobody@127.0.0.1:1/x?connect_timeout=2",
		Auth: auth.Config{AnonRole: "web_anon"}})
	if err == nil || !strings.Contains(err.Error(), "cannot reach PostgreSQL at 127.0.0.1:1") {
		t.Fatalf("unreachable database: %v", err)
	}
	// Settings are checked before connecting (the URL is unreachable on purpose).
	unreachable := "postgres://x@127.0.0.1:1/x?connect_timeout=2"
	for want, cfg := range map[string]*Config{
		"at least 32":                          {DatabaseURL: unreachable, Auth: auth.Config{Secret: []byte("short")}},
		"no way to authenticate":               {DatabaseURL: unreachable},
		"PoolMaxConns is negative":             {DatabaseURL: unreachable, PoolMaxConns: -1, Auth: auth.Config{AnonRole: "a"}},
		"Heartbeat is negative":                {DatabaseURL: unreachable, Heartbeat: -time.Second, Auth: auth.Config{AnonRole: "a"}},
		"PoolMaxConns 4294967296 is too large": {DatabaseURL: unreachable, PoolMaxConns: 1 << 32, Auth: auth.Config{AnonRole: "a"}},
	} {
		if _, err := New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v, want an error containing %q", cfg, err, want)
		}
	}
	if _, err := New(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "no way to authenticate") {
		t.Errorf("nil Config: %v", err)
	}
}

func TestConfigDefaults(t *testing.T) {
	got, err := (*Config)(nil).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := Config{PoolMaxConns: DefaultPoolMaxConns, StatementTimeout: DefaultStatementTimeout,
		RequestTimeout: DefaultRequestTimeout, PoolAcquireTimeout: DefaultAcquireTimeout, Heartbeat: DefaultHeartbeat,
		MaxBodyBytes: DefaultMaxBodyBytes, MaxBodyBytesInFlight: DefaultMaxBodyBytesInFlight, MaxConnections: DefaultMaxConnections,
		MaxEventStreams: DefaultMaxConnections / 2, MaxHeaderBytes: DefaultMaxHeaderBytes, ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadTimeout: DefaultReadTimeout, IdleTimeout: DefaultIdleTimeout,
		ShutdownTimeout: DefaultShutdownTimeout, ListenBackoffMax: DefaultListenBackoffMax, ReloadDelay: DefaultReloadDelay}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", got, want)
	}
	set := Config{PoolMaxConns: 3, StatementTimeout: time.Second, RequestTimeout: 7 * time.Second,
		PoolAcquireTimeout: 8 * time.Second, Heartbeat: 2 * time.Second, MaxBodyBytes: 5, MaxBodyBytesInFlight: 6,
		MaxConnections: 7, MaxEventStreams: 6, MaxHeaderBytes: 9, ReadHeaderTimeout: 9 * time.Second,
		ReadTimeout: 10 * time.Second, IdleTimeout: 11 * time.Second,
		ShutdownTimeout: 3 * time.Second, ListenBackoffMax: 4 * time.Second, ReloadDelay: time.Millisecond}
	if got, err := set.withDefaults(); err != nil || fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", set) {
		t.Fatalf("set values changed: %+v %v", got, err)
	}
}

func TestLoginRoleChecks(t *testing.T) {
	b := setup(t, nil)
	authnURL := b.srv.cfg.DatabaseURL
	start := func(dbURL, anon string) (string, error) {
		// New logs while the LISTEN hub's goroutine may log too: a writer safe for both.
		logs := &lockedBuffer{}
		srv, err := New(b.ctx, &Config{DatabaseURL: dbURL, Auth: auth.Config{Secret: secret, AnonRole: anon},
			Logger: zerolog.New(logs)})
		if err == nil {
			srv.Close()
		}
		return logs.String(), err
	}
	// An authenticator: no warning.
	if logs, err := start(authnURL, b.roles.anon); err != nil || strings.Contains(logs, `"level":"warn"`) {
		t.Fatalf("authenticator: %v, logs %s", err, logs)
	}
	// A superuser: started, with a warning.
	if logs, err := start(b.url, b.roles.anon); err != nil || !strings.Contains(logs, `"level":"warn"`) ||
		!strings.Contains(logs, "UNSAFE LOGIN ROLE") || !strings.Contains(logs, "is a superuser") {
		t.Fatalf("superuser: %v, logs %s", err, logs)
	}
	// BYPASSRLS.
	if _, err := b.conn.Exec(b.ctx, "ALTER ROLE "+pgx.Identifier{b.roles.authn}.Sanitize()+" BYPASSRLS"); err != nil {
		t.Fatal(err)
	}
	if logs, err := start(authnURL, b.roles.anon); err != nil || !strings.Contains(logs, "UNSAFE LOGIN ROLE") ||
		!strings.Contains(logs, "has BYPASSRLS") || strings.Contains(logs, "is a superuser") {
		t.Fatalf("bypassrls: %v, logs %s", err, logs)
	}
	// The login role as the anonymous role: refused.
	if _, err := start(authnURL, b.roles.authn); err == nil || !strings.Contains(err.Error(), "is the login role itself") {
		t.Fatalf("anonymous role = login role: %v", err)
	}
}

// lockedBuffer is a bytes.Buffer that several goroutines may write and read.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// An authenticator whose name is exactly 63 bytes, and a token naming it plus one character:
// PostgreSQL would truncate the claim to the authenticator's own name.
func TestLongRoleClaimCannotNameTheAuthenticator(t *testing.T) {
	b := setup(t, nil)
	name := fmt.Sprintf("howdah_test_authn_long_%d_", roleSeq.Add(1))
	name += strings.Repeat("x", 63-len(name))
	t.Cleanup(func() { dropRoles(b.url, name) })
	if _, err := installer.EnsureAuthenticator(b.ctx, b.conn, name, "", []string{b.roles.anon}); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(b.url)
	u.User = url.User(name)
	b.serve(t, &Config{DatabaseURL: u.String(), Auth: auth.Config{Secret: secret, AnonRole: b.roles.anon},
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	status, r := b.call(t, token(t, jwt.MapClaims{"role": name + "x"}), "howdah.t_whoami", nil)
	if status != 401 || r.Error == nil || r.Error.Code != -32001 || !strings.Contains(r.Error.Message, "at most 63 bytes") {
		t.Fatalf("a 64-byte role claim: %d %s %+v; want 401 saying role names have at most 63 bytes", status, r.Result, r.Error)
	}
}

// postWithin sends body to /rpc and fails the test when no answer comes within limit.
func (b *bundle) postWithin(t *testing.T, limit time.Duration, body string) (*http.Response, []byte) {
	t.Helper()
	client := &http.Client{Timeout: limit}
	resp, err := client.Post(b.base+"/rpc", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("no answer within %s: %v", limit, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, raw
}

// A batch of slow calls once held a pool connection for minutes: the request's deadline now
// bounds the whole batch, and the calls it stops say so.
func TestRequestDeadlineBoundsTheBatch(t *testing.T) {
	b := setup(t, func(c *Config) { c.RequestTimeout = 2 * time.Second })
	slow := func(id int) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"howdah.t_slow","params":{"s":20}}`, id)
	}
	resp, raw := b.postWithin(t, 10*time.Second, `[{"jsonrpc":"2.0","id":1,"method":"howdah.version"},`+slow(2)+`,`+slow(3)+`,
		{"jsonrpc":"2.0","method":"howdah.t_slow","params":{"s":20}}]`)
	var rs []rpcResponse
	if err := json.Unmarshal(raw, &rs); err != nil || resp.StatusCode != 200 || len(rs) != 3 {
		t.Fatalf("batch: %d %s", resp.StatusCode, raw)
	}
	if rs[0].Error != nil {
		t.Errorf("the call before the deadline: %+v", rs[0].Error)
	}
	for i, want := range map[int]string{1: "this call was cancelled", 2: "this call was not run"} {
		e := rs[i].Error
		if e == nil || e.Code != -32008 || !strings.Contains(e.Message, "deadline of 2s") || !strings.Contains(e.Message, want) {
			t.Errorf("call %s: %+v; want -32008 naming the 2s deadline and %q", rs[i].ID, e, want)
		}
	}
	if e := rs[1].Error; e == nil || e.Data == nil || e.Data.SQLState != "57014" {
		t.Errorf("the cancelled call carries no SQLSTATE 57014: %+v", e)
	}
	// A single request gets 504; PostgreSQL stopped the call, so nothing is left running.
	resp, raw = b.postWithin(t, 10*time.Second, slow(4))
	if resp.StatusCode != 504 || !bytes.Contains(raw, []byte(`"code":-32008`)) {
		t.Fatalf("single slow call: %d %s", resp.StatusCode, raw)
	}
	var running int
	if err := b.conn.QueryRow(b.ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
		AND state = 'active' AND query LIKE '%t_slow%' AND pid <> pg_backend_pid()`).Scan(&running); err != nil || running != 0 {
		t.Fatalf("%d slow calls still running after their requests were answered (%v)", running, err)
	}
	if status, r := b.call(t, "", "howdah.version", nil); status != 200 || r.Error != nil {
		t.Fatalf("after the deadline: %d %+v", status, r.Error)
	}
}

// A request that cannot get a pool connection once waited for ever: it now gets 503 with
// Retry-After once PoolAcquireTimeout has passed.
func TestPoolAcquireTimeout(t *testing.T) {
	b := setup(t, func(c *Config) { c.PoolMaxConns = 1; c.PoolAcquireTimeout = 200 * time.Millisecond })
	held, err := b.srv.Pool().Acquire(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var release sync.Once
	t.Cleanup(func() { release.Do(held.Release) })
	resp, raw := b.postWithin(t, 10*time.Second, `{"jsonrpc":"2.0","id":1,"method":"howdah.version"}`)
	var r rpcResponse
	json.Unmarshal(raw, &r)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || r.Error == nil || r.Error.Code != -32010 ||
		!strings.Contains(r.Error.Message, "no database connection became free within 200ms") {
		t.Fatalf("with the pool exhausted: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), raw)
	}
	// A batch gets the answer once, not once per call after another wait.
	resp, raw = b.postWithin(t, 10*time.Second, `[{"jsonrpc":"2.0","id":1,"method":"howdah.version"},{"jsonrpc":"2.0","id":2,"method":"howdah.version"}]`)
	var rs []rpcResponse
	if json.Unmarshal(raw, &rs) != nil || len(rs) != 2 || rs[0].Error == nil || rs[0].Error.Code != -32010 || rs[1].Error == nil || rs[1].Error.Code != -32010 {
		t.Fatalf("batch with the pool exhausted: %d %s", resp.StatusCode, raw)
	}
	if got := b.srv.Pool().Stat().CanceledAcquireCount(); got != 2 {
		t.Errorf("%d acquires gave up, want 2: the batch's second call waited again", got)
	}
	release.Do(held.Release)
	if status, r := b.call(t, "", "howdah.version", nil); status != 200 || r.Error != nil {
		t.Fatalf("after the connection came back: %d %+v", status, r.Error)
	}
}

// stall opens a connection, sends a POST /rpc declaring a body of length bytes, sends sent of
// them, and leaves the rest unsent. The connection closes at cleanup.
func (b *bundle) stall(t *testing.T, length, sent int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(b.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", length)
	if _, err := c.Write(bytes.Repeat([]byte(" "), sent)); err != nil {
		t.Fatal(err)
	}
	return c
}

// answer reads the response on a raw connection, failing after 20s.
func answer(t *testing.T, c net.Conn) (*http.Response, []byte) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, raw
}

// waitFor polls cond until it holds, failing after 20s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after 20s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A body that trickles in held memory and a descriptor for ever: ReadTimeout now cuts it off,
// while a request that was read in time may run longer, and an event stream stays open.
func TestSlowBodyIsCutOff(t *testing.T) {
	b := setup(t, func(c *Config) { c.ReadTimeout = 500 * time.Millisecond })
	c := b.stall(t, 1000, 10)
	resp, raw := answer(t, c)
	if resp.StatusCode != 408 || !bytes.Contains(raw, []byte(`"code":-32600`)) || !bytes.Contains(raw, []byte("not read within 500ms")) {
		t.Fatalf("slow body: %d %s", resp.StatusCode, raw)
	}
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatalf("the connection is still open after the 408 (read %d bytes)", n)
	}
	// Read in time, run for longer than ReadTimeout: the answer comes.
	if status, r := b.call(t, "", "howdah.t_slow", map[string]any{"s": 1.2}); status != 200 || string(r.Result) != `"done after 1.2"` {
		t.Fatalf("a call running past ReadTimeout: %d %s %+v", status, r.Result, r.Error)
	}
	// An event stream outlives ReadTimeout.
	events := b.stream(t, "", "howdah_queue")
	time.Sleep(1500 * time.Millisecond)
	if _, err := b.conn.Exec(b.ctx, "NOTIFY howdah_queue, 'later'"); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, events); ev != [2]string{"howdah_queue", "later"} {
		t.Fatalf("event stream after ReadTimeout: %q", ev)
	}
}

// 300 stalled 1 MB bodies once took the sidecar from 20 MB to 374 MB: bodies now take memory
// from MaxBodyBytesInFlight as they arrive, and requests that find it spent get 503 while
// /healthz still answers.
func TestBodyBytesInFlightAreBounded(t *testing.T) {
	const size, budget, conns = 10_000, 20_000, 10
	b := setup(t, func(c *Config) { c.MaxBodyBytes = size; c.MaxBodyBytesInFlight = budget })
	inFlight := func() int64 { return b.srv.bodies.used.Load() }
	var (
		mu      sync.Mutex
		shed    int
		peak    int64
		readers sync.WaitGroup
		stalled []net.Conn
	)
	for i := 0; i < conns; i++ {
		c := b.stall(t, size, size-1)
		stalled = append(stalled, c)
		readers.Add(1)
		go func() {
			defer readers.Done()
			c.SetReadDeadline(time.Now().Add(time.Minute))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				return // closed at cleanup: a body still being read
			}
			raw, _ := io.ReadAll(resp.Body)
			mu.Lock()
			defer mu.Unlock()
			if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !bytes.Contains(raw, []byte(`"code":-32010`)) {
				t.Errorf("over the budget: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), raw)
			}
			shed++
		}()
	}
	// Each connection ends up either shed or holding its whole body (size bytes, all but one
	// received), and never more than the budget is held.
	waitFor(t, "settled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		peak = max(peak, inFlight())
		return inFlight()%size == 0 && shed+int(inFlight()/size) == conns
	})
	if peak > budget || shed < conns-budget/size {
		t.Fatalf("%d of %d stalled bodies shed, %d bytes held at most; want at least %d shed and at most %d bytes",
			shed, conns, peak, conns-budget/size, budget)
	}
	resp, err := http.Get(b.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/healthz with the body budget spent: %d", resp.StatusCode)
	}
	if got := b.metric(t, `howdah_http_shed_total{limit="body_bytes"}`); got != fmt.Sprint(shed) {
		t.Errorf(`howdah_http_shed_total{limit="body_bytes"} = %q, want %d`, got, shed)
	}
	if got := b.metric(t, "howdah_http_body_bytes_in_flight"); got != fmt.Sprint(inFlight()) {
		t.Errorf("howdah_http_body_bytes_in_flight = %q, want %d", got, inFlight())
	}
	// The stalled bodies' memory comes back when their clients give up.
	for _, c := range stalled {
		c.Close()
	}
	readers.Wait()
	waitFor(t, "given back", func() bool { return inFlight() == 0 })
	if status, r := b.call(t, "", "howdah.version", nil); status != 200 || r.Error != nil {
		t.Fatalf("after the stalled bodies went: %d %+v", status, r.Error)
	}
}

// 21,000 connections once used every descriptor and /readyz stopped answering: at
// MaxConnections, new connections now wait until one closes.
func TestConnectionsAreCapped(t *testing.T) {
	const cap = 4
	// The idle connections below must outlive the test: a long header timeout.
	b := setup(t, func(c *Config) { c.MaxConnections = cap; c.MaxEventStreams = 1; c.ReadHeaderTimeout = time.Minute })
	addr := strings.TrimPrefix(b.base, "http://")
	var idle []net.Conn
	for i := 0; i < cap; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		idle = append(idle, c)
	}
	ll := b.srv.conns.Load()
	waitFor(t, "at the cap", func() bool { return ll.open() == cap })
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	got := make(chan int, 1)
	go func() {
		resp, err := client.Get(b.base + "/healthz")
		if err != nil {
			got <- -1
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	// A connection over the cap is not served, however long it waits...
	time.Sleep(300 * time.Millisecond)
	select {
	case status := <-got:
		t.Fatalf("a connection over the cap of %d was answered: %d", cap, status)
	default:
	}
	if n := ll.open(); n != cap {
		t.Fatalf("%d connections open, cap %d", n, cap)
	}
	// ...until one closes.
	idle[0].Close()
	if status := <-got; status != 200 {
		t.Fatalf("/healthz once a connection closed: %d", status)
	}
	for _, c := range idle[1:] {
		c.Close()
	}
	waitFor(t, "below the cap", func() bool { return ll.open() == 0 })
	resp, err := client.Get(b.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"howdah_http_connections_open 1\n", "howdah_http_connection_waits_total "} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// Event streams last for hours: at MaxEventStreams, more get 503 (they would otherwise take
// every connection), and the rest of the API still answers.
func TestEventStreamsAreCapped(t *testing.T) {
	b := setup(t, func(c *Config) { c.MaxEventStreams = 1 })
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/events?channel=howdah_queue", nil)
	first, err := http.DefaultClient.Do(req)
	if err != nil || first.StatusCode != 200 {
		t.Fatalf("first stream: %v %v", first, err)
	}
	// A stream would never end: the client gives up after 10s.
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(b.base + "/events?channel=howdah_queue")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !bytes.Contains(raw, []byte(`"code":-32010`)) {
		t.Fatalf("a stream over the cap: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), raw)
	}
	if status, r := b.call(t, "", "howdah.version", nil); status != 200 || r.Error != nil {
		t.Fatalf("/rpc with the streams at their cap: %d %+v", status, r.Error)
	}
	if got := b.metric(t, `howdah_http_shed_total{limit="event_streams"}`); got != "1" {
		t.Errorf(`howdah_http_shed_total{limit="event_streams"} = %q`, got)
	}
	cancel()
	first.Body.Close()
	waitFor(t, "closed", func() bool { return b.srv.streams.used.Load() == 0 })
	if status := b.eventsStatus(t, "", "howdah_queue"); status != 200 {
		t.Fatalf("a stream once the first closed: %d", status)
	}
}
