package notifier_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
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

const appName = "howdah_notifier_test"

// bundle is what a test needs: a fresh database, a connection to send NOTIFY and look at
// pg_stat_activity, and a running notifier.
type bundle struct {
	ctx  context.Context
	url  string
	conn *pgx.Conn
	n    *notifier.Notifier
}

// setup starts a notifier on a fresh database (through connCfg when given) and stops it when
// the test ends.
func setup(t *testing.T, cfg *notifier.Config, connCfg func(*pgx.ConnConfig)) *bundle {
	t.Helper()
	url := pgtest.NewDatabase(t)
	cc, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cc.RuntimeParams["application_name"] = appName
	if connCfg != nil {
		connCfg(cc)
	}
	if cfg == nil {
		cfg = &notifier.Config{}
	}
	cfg.MinBackoff, cfg.MaxBackoff = 20*time.Millisecond, 100*time.Millisecond
	n, err := notifier.New(cc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go n.Run(ctx)
	t.Cleanup(func() { cancel(); <-n.Done() })
	return &bundle{ctx: ctx, url: url, conn: pgtest.Connect(t, url), n: n}
}

func (b *bundle) notify(t *testing.T, channel, payload string) {
	t.Helper()
	if _, err := b.conn.Exec(b.ctx, "SELECT pg_notify($1, $2)", channel, payload); err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) subscribe(t *testing.T, channels ...string) *notifier.Subscription {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := b.n.Subscribe(ctx, channels...)
	if err != nil {
		t.Fatalf("subscribe %q: %v", channels, err)
	}
	t.Cleanup(s.Close)
	return s
}

// listeners counts the backends of the notifier's application_name in the test's database.
func (b *bundle) listeners(t *testing.T) int {
	t.Helper()
	var n int
	if err := b.conn.QueryRow(b.ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, appName).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// next returns the subscription's next event, failing after a timeout.
func next(t *testing.T, s *notifier.Subscription) notifier.Event {
	t.Helper()
	select {
	case ev, ok := <-s.Events():
		if !ok {
			t.Fatalf("subscription ended: %v", s.Err())
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	panic("unreachable")
}

// quiet checks that s receives nothing for a while.
func quiet(t *testing.T, s *notifier.Subscription, d time.Duration) {
	t.Helper()
	select {
	case ev := <-s.Events():
		t.Fatalf("unexpected %+v", ev)
	case <-time.After(d):
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Forty channels over eight subscriptions share one connection; each subscriber gets the
// notifications of its own channels and no others, whatever the channel's spelling.
func TestManyChannelsOneConnection(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, nil)
	odd := []string{`Mixed Case`, `with "quotes"`, `semi;colon`, `ünïcödé`, strings.Repeat("x", 63)}
	var subs []*notifier.Subscription
	var want [][]string
	for i := range 8 {
		var chans []string
		for j := range 5 {
			chans = append(chans, fmt.Sprintf("ch_%d_%d", i, j))
		}
		if i < len(odd) {
			chans[0] = odd[i]
		}
		chans = append(chans, "shared")
		subs = append(subs, b.subscribe(t, chans...))
		want = append(want, chans)
	}
	if got := len(b.n.Listening()); got != 8*5+1 {
		t.Fatalf("listening to %d channels, want 41", got)
	}
	if n := b.listeners(t); n != 1 {
		t.Fatalf("%d LISTEN backends, want 1", n)
	}
	for i, chans := range want {
		for _, ch := range chans[:5] {
			b.notify(t, ch, fmt.Sprintf("for %d", i))
		}
	}
	b.notify(t, "shared", "all")
	for i, s := range subs {
		for _, ch := range want[i] {
			payload := fmt.Sprintf("for %d", i)
			if ch == "shared" {
				payload = "all"
			}
			if ev := next(t, s); ev != (notifier.Event{Kind: notifier.KindNotification, Channel: ch, Payload: payload}) {
				t.Fatalf("subscriber %d got %+v, want %q on %q", i, ev, payload, ch)
			}
		}
		quiet(t, s, 20*time.Millisecond)
	}
}

// The last subscriber of a channel leaving UNLISTENs it (on the server, not only in the
// notifier's books); a channel another subscriber still follows stays.
func TestLastSubscriberLeavingUnlistens(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, nil)
	a1 := b.subscribe(t, "a")
	a2 := b.subscribe(t, "a", "b")
	if got := b.n.Listening(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("listening to %q", got)
	}
	a1.Close()
	a1.Close() // twice is fine
	if _, ok := <-a1.Events(); ok || a1.Err() != nil {
		t.Fatalf("closed subscription: events still open or err %v", a1.Err())
	}
	time.Sleep(50 * time.Millisecond)
	if got := b.n.Listening(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("after one of two subscribers of a left, listening to %q", got)
	}
	b.notify(t, "a", "still")
	if ev := next(t, a2); ev.Payload != "still" {
		t.Fatalf("got %+v", ev)
	}
	a2.Close()
	waitFor(t, "a and b to be UNLISTENed", func() bool { return len(b.n.Listening()) == 0 })
	// The server saw it: the notifier's backend ran UNLISTEN last.
	var last string
	if err := b.conn.QueryRow(b.ctx, `SELECT query FROM pg_stat_activity WHERE application_name = $1
		AND datname = current_database()`, appName).Scan(&last); err != nil || !strings.HasPrefix(last, "UNLISTEN ") {
		t.Fatalf("the notifier's backend last ran %q (%v), want an UNLISTEN", last, err)
	}
	if b.n.Subscribers() != 0 {
		t.Fatalf("%d subscribers left", b.n.Subscribers())
	}
	// And LISTENs again for a newcomer.
	c := b.subscribe(t, "a")
	b.notify(t, "a", "again")
	if ev := next(t, c); ev.Payload != "again" {
		t.Fatalf("got %+v", ev)
	}
}

// A subscriber that does not read is dropped with ErrSlow once its queue is full; the others
// get every notification meanwhile.
func TestSlowSubscriberDoesNotBlockOthers(t *testing.T) {
	t.Parallel()
	b := setup(t, &notifier.Config{Buffer: 3}, nil)
	slow := b.subscribe(t, "busy")
	fast := b.subscribe(t, "busy")
	for i := range 10 {
		b.notify(t, "busy", fmt.Sprint(i))
		if ev := next(t, fast); ev.Payload != fmt.Sprint(i) {
			t.Fatalf("fast subscriber got %+v, want %d", ev, i)
		}
	}
	n := 0
	for range slow.Events() {
		n++
	}
	if !errors.Is(slow.Err(), notifier.ErrSlow) || n != 3 {
		t.Fatalf("slow subscriber ended after %d events with %v; want 3 then ErrSlow", n, slow.Err())
	}
	if b.n.Subscribers() != 1 {
		t.Fatalf("%d subscribers, want the fast one", b.n.Subscribers())
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	cc, err := pgx.ParseConfig("postgres://localhost/x")
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]*notifier.Config{
		"MinBackoff is negative":                  {MinBackoff: -1},
		"PingTimeout is negative":                 {PingTimeout: -time.Second},
		"Buffer is negative":                      {Buffer: -1},
		"MinBackoff 2s is longer than MaxBackoff": {MinBackoff: 2 * time.Second, MaxBackoff: time.Second},
		"empty channel name":                      {Channels: []string{""}},
		"at most 63":                              {Channels: []string{strings.Repeat("y", 64)}},
	} {
		if _, err := notifier.New(cc, cfg); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("New(%+v) = %v, want an error containing %q", cfg, err, name)
		}
	}
	if _, err := notifier.New(nil, nil); err == nil {
		t.Error("New without a connection config succeeded")
	}
	n, err := notifier.New(cc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Subscribe(context.Background(), "ok", strings.Repeat("z", 64)); err == nil || !strings.Contains(err.Error(), "at most 63") {
		t.Errorf("Subscribe to a 64-byte channel: %v", err)
	}
	if n.Subscribers() != 0 {
		t.Error("a refused Subscribe left a subscriber")
	}
}

func TestRunEndsSubscriptions(t *testing.T) {
	t.Parallel()
	cc, err := pgx.ParseConfig(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	n, err := notifier.New(cc, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go n.Run(ctx)
	s, err := n.Subscribe(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Run(ctx); err == nil {
		t.Fatal("a second Run succeeded")
	}
	cancel()
	<-n.Done()
	if _, ok := <-s.Events(); ok || !errors.Is(s.Err(), notifier.ErrClosed) {
		t.Fatalf("after Run returned: %v", s.Err())
	}
	if _, err := n.Subscribe(context.Background(), "x"); !errors.Is(err, notifier.ErrClosed) {
		t.Fatalf("Subscribe after Run returned: %v", err)
	}
	if n.Connected() {
		t.Fatal("still connected")
	}
}

// gate is a TCP proxy to PostgreSQL: while shut it drops new connections; cut closes the
// connections it carries, freeze silently drops their traffic from then on (a dead network path:
// nothing reaches either side, and no side learns it).
type gate struct {
	ln    net.Listener
	shut  atomic.Bool
	mu    sync.Mutex
	pipes []*pipe
}

type pipe struct {
	client, server net.Conn
	frozen         atomic.Bool
}

func newGate(t *testing.T, upstream string) *gate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); g.cut(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if g.shut.Load() {
				c.Close()
				continue
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			p := &pipe{client: c, server: up}
			g.mu.Lock()
			g.pipes = append(g.pipes, p)
			g.mu.Unlock()
			wg.Add(2)
			go func() { defer wg.Done(); p.copy(up, c) }()
			go func() { defer wg.Done(); p.copy(c, up) }()
		}
	}()
	return g
}

func (p *pipe) copy(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.frozen.Load() {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				src.Close()
			}
			return
		}
	}
}

// cut closes every connection carried so far.
func (g *gate) cut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range g.pipes {
		p.client.Close()
		p.server.Close()
	}
	g.pipes = nil
}

// freeze drops the traffic of every connection carried so far, without closing them.
func (g *gate) freeze() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range g.pipes {
		p.frozen.Store(true)
	}
}

func throughGate(t *testing.T, g **gate) func(*pgx.ConnConfig) {
	return func(cc *pgx.ConnConfig) {
		*g = newGate(t, net.JoinHostPort(cc.Host, fmt.Sprint(cc.Port)))
		cc.Host, cc.Port, cc.Fallbacks = "127.0.0.1", uint16((*g).ln.Addr().(*net.TCPAddr).Port), nil
		cc.ConnectTimeout = 2 * time.Second
	}
}

// The connection is cut and the server stays out of reach for a while: the notifier retries
// with backoff, then reconnects, tells every subscriber (with the error that lost the
// connection), LISTENs again to every channel and delivers.
func TestReconnectThroughGate(t *testing.T) {
	t.Parallel()
	var g *gate
	b := setup(t, nil, throughGate(t, &g))
	s1 := b.subscribe(t, "one")
	s2 := b.subscribe(t, "two", "one")
	b.notify(t, "one", "before")
	if ev := next(t, s1); ev.Payload != "before" {
		t.Fatalf("got %+v", ev)
	}
	if ev := next(t, s2); ev.Payload != "before" {
		t.Fatalf("got %+v", ev)
	}
	g.shut.Store(true)
	g.cut()
	waitFor(t, "the notifier to notice", func() bool { return !b.n.Connected() })
	b.notify(t, "one", "lost") // nobody LISTENs: lost, hence the Reconnected event
	// A few attempts fail against the shut gate.
	time.Sleep(300 * time.Millisecond)
	if b.n.Connected() || b.n.Reconnects() != 0 {
		t.Fatalf("connected %v, reconnects %d while the gate is shut", b.n.Connected(), b.n.Reconnects())
	}
	// Subscribing while disconnected returns at once.
	s3 := b.subscribe(t, "three")
	g.shut.Store(false)
	for _, s := range []*notifier.Subscription{s1, s2, s3} {
		ev := next(t, s)
		if ev.Kind != notifier.KindReconnected || ev.Err == nil {
			t.Fatalf("got %+v, want a reconnected event carrying the error", ev)
		}
	}
	if got := b.n.Listening(); !slices.Equal(got, []string{"one", "three", "two"}) {
		t.Fatalf("listening to %q after reconnecting", got)
	}
	b.notify(t, "two", "after")
	b.notify(t, "three", "after")
	if ev := next(t, s2); ev != (notifier.Event{Kind: notifier.KindNotification, Channel: "two", Payload: "after"}) {
		t.Fatalf("got %+v", ev)
	}
	if ev := next(t, s3); ev.Channel != "three" {
		t.Fatalf("got %+v", ev)
	}
	if b.n.Reconnects() != 1 {
		t.Fatalf("reconnects = %d, want 1", b.n.Reconnects())
	}
}

// A connection whose traffic silently vanishes (no FIN, no RST: a dead network path) is caught
// by the ping of a quiet connection, and replaced.
func TestPingDetectsDeadConnection(t *testing.T) {
	t.Parallel()
	var g *gate
	b := setup(t, &notifier.Config{PingInterval: 100 * time.Millisecond, PingTimeout: 300 * time.Millisecond}, throughGate(t, &g))
	s := b.subscribe(t, "jobs")
	g.freeze()
	ev := next(t, s)
	if ev.Kind != notifier.KindReconnected || ev.Err == nil || !strings.Contains(ev.Err.Error(), "ping") {
		t.Fatalf("got %+v, want a reconnected event after a failed ping", ev)
	}
	b.notify(t, "jobs", "after")
	if ev := next(t, s); ev.Payload != "after" {
		t.Fatalf("got %+v", ev)
	}
}

// The first attempt fails: Subscribe returns at once, and the subscriber gets Reconnected when
// the server becomes reachable, since notifications sent meanwhile were lost.
func TestReconnectedAfterFailedFirstConnection(t *testing.T) {
	t.Parallel()
	var g *gate
	b := setup(t, nil, func(cc *pgx.ConnConfig) {
		throughGate(t, &g)(cc)
		g.shut.Store(true)
	})
	s := b.subscribe(t, "jobs")
	if b.n.Connected() {
		t.Fatal("connected through a shut gate")
	}
	g.shut.Store(false)
	if ev := next(t, s); ev.Kind != notifier.KindReconnected {
		t.Fatalf("got %+v, want reconnected", ev)
	}
	b.notify(t, "jobs", "hello")
	if ev := next(t, s); ev.Payload != "hello" {
		t.Fatalf("got %+v", ev)
	}
}
