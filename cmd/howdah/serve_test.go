package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/howdah/howdah/internal/pgtest"
)

func TestServeAnswersAndStops(t *testing.T) {
	url := pgtest.NewDatabase(t)
	if _, errOut, code := run(t, "--db", url, "install", "--authenticator", "howdah_test_cli_authn",
		"--authenticator-grant", "pg_read_all_stats", "--authenticator-password", "pw"); code != 0 {
		t.Fatalf("install --authenticator: %d %s", code, errOut)
	} else if !strings.Contains(errOut, `CREATE ROLE howdah_test_cli_authn NOINHERIT LOGIN`) ||
		!strings.Contains(errOut, "GRANT pg_read_all_stats TO howdah_test_cli_authn") || strings.Contains(errOut, "pw") {
		t.Fatalf("install --authenticator printed %q", errOut)
	}
	conn := pgtest.Connect(t, url)
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP ROLE IF EXISTS howdah_test_cli_authn") })
	if _, err := conn.Exec(context.Background(), "CREATE ROLE howdah_test_cli_anon NOLOGIN"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP ROLE IF EXISTS howdah_test_cli_anon") })
	var inherit bool
	if err := conn.QueryRow(context.Background(), `SELECT rolinherit FROM pg_roles WHERE rolname = 'howdah_test_cli_authn'`).Scan(&inherit); err != nil || inherit {
		t.Fatalf("authenticator: inherit %v (%v)", inherit, err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	app := newApp()
	var logs bytes.Buffer
	app.Writer, app.ErrWriter = &bytes.Buffer{}, &lockedWriter{w: &logs, mu: make(chan struct{}, 1)}
	app.ExitErrHandler = func(*cli.Context, error) {}
	t.Setenv("HOWDAH_ANON_ROLE", "howdah_test_cli_anon")
	done := make(chan error, 1)
	go func() {
		done <- app.RunContext(ctx, []string{"howdah", "serve", "--db", url, "--listen", addr, "--log-level", "debug"})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready: %v", err)
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	resp, err := http.Post("http://"+addr+"/rpc", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"howdah.version"}`))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Result []struct {
			Module string `json:"module"`
		} `json:"result"`
	}
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(r.Result) == 0 || r.Result[0].Module == "" {
		t.Fatalf("howdah.version over HTTP: %d %+v", resp.StatusCode, r)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	// Logged in as a superuser: warned.
	for _, want := range []string{`"message":"catalog loaded"`, `"message":"serving"`, `"message":"stopped"`, `UNSAFE LOGIN ROLE`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
}

func TestServeRefusesBadSettings(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--db", "postgres://x@127.0.0.1:1/x", "--anon-role", "a", "--log-format", "xml"}, "--log-format"},
		{[]string{"serve", "--db", "postgres://x@127.0.0.1:1/x", "--anon-role", "a", "--log-level", "loud"}, "--log-level"},
		{[]string{"serve", "--db", "postgres://x@127.0.0.1:1/x"}, "no way to authenticate"},
		{[]string{"serve", "--db", "postgres://x@127.0.0.1:1/x", "--jwt-secret", "short"}, "at least 32"},
		{[]string{"serve", "--db", "postgres://x@127.0.0.1:1/x", "--anon-role", "a", "--jwt-leeway", "-1s"}, "leeway -1s is negative"},
		{[]string{"serve", "--db", "postgres://x@127.0.0.1:1/x", "--anon-role", "a", "--max-connections", "10", "--max-event-streams", "10"}, "MaxEventStreams 10 is not under MaxConnections 10"},
		{[]string{"serve", "--db", "postgres://x@127.0.0.1:1/x", "--anon-role", "a", "--max-body-bytes-in-flight", "1000"}, "MaxBodyBytesInFlight 1000 is under MaxBodyBytes"},
		{[]string{"serve", "--db", "postgres://x@127.0.0.1:1/x?connect_timeout=2", "--anon-role", "a", "--listen", "127.0.0.1:0"}, "cannot reach PostgreSQL"},
		{[]string{"install", "--authenticator-grant", "x"}, "need --authenticator"},
	}
	for _, c := range cases {
		if _, errOut, code := run(t, c.args...); code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: code %d, stderr %q; want %q", c.args, code, errOut, c.want)
		}
	}
}

// lockedWriter serialises writes from the server's goroutines.
type lockedWriter struct {
	mu chan struct{}
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu <- struct{}{}
	defer func() { <-l.mu }()
	return l.w.Write(p)
}
