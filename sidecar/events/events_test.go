package events

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/client/notifier"
	"github.com/howdah/howdah/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type bundle struct {
	ctx  context.Context
	conn *pgx.Conn
	hub  *notifier.Notifier
	srv  *httptest.Server
}

const appName = "howdah_test_listen"

func setup(t *testing.T, cfg *notifier.Config, hcfg *HandlerConfig) *bundle {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	url := pgtest.NewDatabase(t)
	connCfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	connCfg.RuntimeParams["application_name"] = appName
	if cfg == nil {
		cfg = &notifier.Config{}
	}
	cfg.MinBackoff, cfg.MaxBackoff = 20*time.Millisecond, 200*time.Millisecond
	h, err := notifier.New(connCfg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	go h.Run(ctx)
	srv := httptest.NewServer(Handler(h, hcfg))
	t.Cleanup(func() {
		cancel()
		<-h.Done()
		srv.Close()
	})
	return &bundle{ctx: ctx, conn: pgtest.Connect(t, url), hub: h, srv: srv}
}

// sse is a client reading events from a stream.
type sse struct {
	events chan [2]string // name, data
	resp   *http.Response
}

func (b *bundle) open(t *testing.T, query string) *sse {
	t.Helper()
	resp, err := http.Get(b.srv.URL + "/events?" + query)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	s := &sse{events: make(chan [2]string, 100), resp: resp}
	t.Cleanup(func() { resp.Body.Close() })
	go func() {
		defer close(s.events)
		r := bufio.NewReader(resp.Body)
		var name string
		var data []string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				if name != "" || data != nil {
					s.events <- [2]string{name, strings.Join(data, "\n")}
				}
				name, data = "", nil
			case strings.HasPrefix(line, ":"):
				if line == ": ping" {
					s.events <- [2]string{":ping", ""}
				}
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			}
		}
	}()
	return s
}

// next returns the next event other than heartbeats, failing after a timeout.
func (s *sse) next(t *testing.T) [2]string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatal("stream ended")
			}
			if ev[0] == ":ping" {
				continue
			}
			return ev
		case <-deadline:
			t.Fatal("no event within 10s")
		}
	}
}

func (b *bundle) notify(t *testing.T, channel, payload string) {
	t.Helper()
	if _, err := b.conn.Exec(b.ctx, "SELECT pg_notify($1, $2)", channel, payload); err != nil {
		t.Fatal(err)
	}
}

func TestNotificationsReachSubscribers(t *testing.T) {
	b := setup(t, &notifier.Config{Channels: []string{"howdah_reload"}}, &HandlerConfig{Heartbeat: 50 * time.Millisecond})
	one := b.open(t, "channel=jobs,Mixed_Case")
	two := b.open(t, "channel=jobs&channel=other")
	b.notify(t, "jobs", "first")
	b.notify(t, "Mixed_Case", "line one\nline two")
	b.notify(t, "other", "for two")
	b.notify(t, "unheard", "nobody")
	if ev := one.next(t); ev != [2]string{"jobs", "first"} {
		t.Fatalf("one got %q", ev)
	}
	if ev := one.next(t); ev != [2]string{"Mixed_Case", "line one\nline two"} {
		t.Fatalf("one got %q", ev)
	}
	if ev := two.next(t); ev != [2]string{"jobs", "first"} {
		t.Fatalf("two got %q", ev)
	}
	if ev := two.next(t); ev != [2]string{"other", "for two"} {
		t.Fatalf("two got %q", ev)
	}
	// Heartbeats flow on a quiet stream.
	select {
	case ev := <-one.events:
		if ev[0] != ":ping" {
			t.Fatalf("unexpected %q", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no heartbeat")
	}
}

func TestReconnectAfterBackendTerminated(t *testing.T) {
	b := setup(t, nil, nil)
	s := b.open(t, "channel=jobs")
	b.notify(t, "jobs", "before")
	if ev := s.next(t); ev[1] != "before" {
		t.Fatalf("got %q", ev)
	}
	var n int
	if err := b.conn.QueryRow(b.ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, appName).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminated %d backends (%v)", n, err)
	}
	if ev := s.next(t); ev[0] != notifier.KindReconnected {
		t.Fatalf("after terminate, got %q; want a reconnected event", ev)
	}
	b.notify(t, "jobs", "after")
	if ev := s.next(t); ev != [2]string{"jobs", "after"} {
		t.Fatalf("after reconnect got %q", ev)
	}
	if b.hub.Reconnects() != 1 {
		t.Fatalf("reconnects = %d", b.hub.Reconnects())
	}
}

func TestSubscribersAreCleanedUp(t *testing.T) {
	b := setup(t, nil, nil)
	s := b.open(t, "channel=jobs")
	if got := b.hub.Subscribers(); got != 1 {
		t.Fatalf("subscribers = %d", got)
	}
	s.resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for b.hub.Subscribers() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("subscriber still registered after the client left")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Still serving: a new subscriber gets notifications.
	s2 := b.open(t, "channel=jobs")
	b.notify(t, "jobs", "x")
	if ev := s2.next(t); ev[1] != "x" {
		t.Fatalf("got %q", ev)
	}
}

func TestBadRequests(t *testing.T) {
	b := setup(t, nil, &HandlerConfig{Allow: func(ch string) bool { return ch != "secret" }, MaxChannels: 2})
	cases := map[string]int{
		"":                                   400,
		"channel=":                           400,
		"channel=1abc":                       400,
		"channel=a;b":                        400,
		"channel=reconnected":                400,
		"channel=" + strings.Repeat("a", 64): 400,
		"channel=a,b,c":                      400,
		"channel=secret":                     403,
	}
	for q, want := range cases {
		resp, err := http.Get(b.srv.URL + "/events?" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%q: status %d %s, want %d JSON", q, resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
	}
}

func TestSlowSubscriberIsDropped(t *testing.T) {
	b := setup(t, &notifier.Config{Buffer: 2}, nil)
	sub, err := b.hub.Subscribe(b.ctx, "jobs")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		b.notify(t, "jobs", "x")
	}
	// Nothing reads yet: the third notification overflows the queue of 2.
	deadline := time.Now().Add(10 * time.Second)
	for b.hub.Subscribers() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("slow subscriber not dropped")
		}
		time.Sleep(10 * time.Millisecond)
	}
	n := 0
	for range sub.Events() {
		n++
	}
	if !errors.Is(sub.Err(), notifier.ErrSlow) || n != 2 {
		t.Fatalf("ended after %d events with %v", n, sub.Err())
	}
}

func TestHubStopEndsStreams(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	connCfg, _ := pgx.ParseConfig(pgtest.NewDatabase(t))
	h, err := notifier.New(connCfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	go h.Run(ctx)
	sub, err := h.Subscribe(ctx, "jobs")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-h.Done()
	if _, ok := <-sub.Events(); ok || !errors.Is(sub.Err(), notifier.ErrClosed) {
		t.Fatalf("subscription after stop: %v", sub.Err())
	}
	if _, err := h.Subscribe(context.Background(), "jobs"); !errors.Is(err, notifier.ErrClosed) {
		t.Fatalf("subscribe after stop: %v", err)
	}
}

// gate is a TCP proxy to a PostgreSQL server that drops every connection until opened.
type gate struct {
	ln   net.Listener
	open atomic.Bool
}

func newGate(t *testing.T, upstream string) *gate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !g.open.Load() {
				c.Close()
				continue
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); io.Copy(up, c); up.Close() }()
			go func() { defer wg.Done(); io.Copy(c, up); c.Close() }()
			t.Cleanup(func() { c.Close(); up.Close() })
		}
	}()
	return g
}

func TestReconnectedAfterFailedFirstConnection(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	url := pgtest.NewDatabase(t)
	connCfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	g := newGate(t, net.JoinHostPort(connCfg.Host, fmt.Sprint(connCfg.Port)))
	connCfg.Host, connCfg.Port, connCfg.Fallbacks = "127.0.0.1", uint16(g.ln.Addr().(*net.TCPAddr).Port), nil
	connCfg.ConnectTimeout = 2 * time.Second
	h, err := notifier.New(connCfg, &notifier.Config{MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go h.Run(ctx)
	t.Cleanup(func() { cancel(); <-h.Done() })
	// The server is out of reach: Subscribe returns once the first attempt failed.
	sub, err := h.Subscribe(ctx, "jobs")
	if err != nil || h.Connected() {
		t.Fatalf("subscribe while unreachable: %v, connected %v", err, h.Connected())
	}
	g.open.Store(true)
	select {
	case ev := <-sub.Events():
		if ev.Kind != notifier.KindReconnected {
			t.Fatalf("got %+v, want a reconnected event", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no reconnected event after the server became reachable")
	}
	// Now LISTENing: a notification arrives.
	conn := pgtest.Connect(t, url)
	if _, err := conn.Exec(ctx, "SELECT pg_notify('jobs', 'hello')"); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-sub.Events():
		if ev.Kind != notifier.KindNotification || ev.Payload != "hello" {
			t.Fatalf("got %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification")
	}
}
