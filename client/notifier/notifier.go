package notifier

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
)

// Kinds of Event.
const (
	// KindNotification is a NOTIFY on one of the subscription's channels.
	KindNotification = "notification"
	// KindReconnected is sent to every subscriber when the notifier connects after a lost
	// connection or a failed attempt (the first one included): notifications may have been
	// lost in between.
	KindReconnected = "reconnected"
)

// Event is a notification on a channel, or a Reconnected signal.
type Event struct {
	Kind    string
	Channel string
	Payload string
	// Err is, in a Reconnected event, the error that lost the connection (or failed the last
	// attempt) before this one was made.
	Err error
}

// Errors that end a subscription.
var (
	// ErrClosed means the notifier stopped (Run returned).
	ErrClosed = errors.New("the notifier stopped")
	// ErrSlow means the subscriber did not keep up: its queue was full and an event would
	// have been dropped, so the subscription was ended instead.
	ErrSlow = errors.New("subscriber too slow: events were dropped; subscribe again and re-read")
)

// Defaults of Config.
const (
	DefaultMinBackoff   = 100 * time.Millisecond
	DefaultMaxBackoff   = 10 * time.Second
	DefaultPingInterval = 30 * time.Second
	DefaultPingTimeout  = 5 * time.Second
	DefaultBuffer       = 256
	// DefaultConnectTimeout bounds a connection attempt when the connection config sets no
	// ConnectTimeout of its own.
	DefaultConnectTimeout = 10 * time.Second
)

// Config configures a Notifier. A nil Config, and every zero field, means the default;
// negative values are refused.
type Config struct {
	// Channels are listened to even while no subscriber wants them (a subscription still
	// needs to name them to receive their notifications).
	Channels []string
	// MinBackoff and MaxBackoff bound the wait between reconnection attempts, which doubles
	// from MinBackoff after each failure up to MaxBackoff; each wait is drawn at random from
	// its upper half (jitter) so that many processes losing the server together do not all
	// come back at once. Defaults 100 ms and 10 s.
	MinBackoff, MaxBackoff time.Duration
	// PingInterval is how long the connection may stay quiet before the notifier pings it, so
	// that a dead connection (a server gone without closing the socket) is noticed; default 30 s.
	PingInterval time.Duration
	// PingTimeout bounds a ping and each LISTEN or UNLISTEN; a connection that does not answer
	// in time counts as lost. Default 5 s.
	PingTimeout time.Duration
	// Buffer is each subscriber's queue length; a subscriber that falls this far behind is
	// dropped with ErrSlow. Default 256.
	Buffer int
	// Logger receives connection events (lost, ready); the zero value logs nothing.
	Logger zerolog.Logger
}

func (c *Config) withDefaults() (Config, error) {
	var out Config
	if c != nil {
		out = *c
		out.Channels = slices.Clone(c.Channels)
	}
	for _, f := range []struct {
		name  string
		value int64
	}{
		{"MinBackoff", int64(out.MinBackoff)}, {"MaxBackoff", int64(out.MaxBackoff)},
		{"PingInterval", int64(out.PingInterval)}, {"PingTimeout", int64(out.PingTimeout)},
		{"Buffer", int64(out.Buffer)},
	} {
		if f.value < 0 {
			return out, fmt.Errorf("notifier: %s is negative: use 0 for the default", f.name)
		}
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&out.MinBackoff, DefaultMinBackoff)
	def(&out.MaxBackoff, max(DefaultMaxBackoff, out.MinBackoff))
	def(&out.PingInterval, DefaultPingInterval)
	def(&out.PingTimeout, DefaultPingTimeout)
	if out.Buffer == 0 {
		out.Buffer = DefaultBuffer
	}
	if out.MinBackoff > out.MaxBackoff {
		return out, fmt.Errorf("notifier: MinBackoff %s is longer than MaxBackoff %s", out.MinBackoff, out.MaxBackoff)
	}
	for _, ch := range out.Channels {
		if err := CheckChannel(ch); err != nil {
			return out, fmt.Errorf("notifier: Channels: %w", err)
		}
	}
	return out, nil
}

// CheckChannel reports why name cannot be a channel: PostgreSQL channel names are identifiers,
// 1 to 63 bytes (a longer one would be truncated, and its notifications would never match).
// Any other name works: the notifier quotes it.
func CheckChannel(name string) error {
	switch {
	case name == "":
		return errors.New("empty channel name")
	case len(name) > 63:
		return fmt.Errorf("channel name %q is %d bytes long; PostgreSQL allows at most 63", name, len(name))
	case strings.IndexByte(name, 0) >= 0:
		return fmt.Errorf("channel name %q contains a NUL byte", name)
	}
	return nil
}

// Notifier owns one LISTEN connection and its subscribers. Make it with New, run it with Run.
type Notifier struct {
	connCfg *pgx.ConnConfig
	cfg     Config

	mu        sync.Mutex
	subs      map[*Subscription]struct{}
	byChannel map[string]map[*Subscription]struct{}
	always    map[string]bool
	listening map[string]bool // channels LISTENed on the current connection
	connected bool
	tried     bool               // the first connection attempt has ended (well or not)
	dirty     bool               // subscriptions changed since the last sync
	wake      context.CancelFunc // interrupts the current wait for notifications, if any
	changed   chan struct{}      // closed and replaced when listening or connected change
	running   bool
	closed    bool

	reconnects atomic.Uint64
	stopped    chan struct{}
}

// New returns a notifier that connects with connCfg (a copy is kept) once Run is called. The
// config must come from pgx.ParseConfig (a pool's ConnConfig does); set its application_name
// to tell the LISTEN connection apart in pg_stat_activity.
func New(connCfg *pgx.ConnConfig, cfg *Config) (*Notifier, error) {
	if connCfg == nil {
		return nil, errors.New("notifier: New needs a connection config")
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	n := &Notifier{connCfg: connCfg.Copy(), cfg: c, subs: map[*Subscription]struct{}{},
		byChannel: map[string]map[*Subscription]struct{}{}, always: map[string]bool{}, listening: map[string]bool{},
		changed: make(chan struct{}), stopped: make(chan struct{})}
	if n.connCfg.ConnectTimeout == 0 {
		n.connCfg.ConnectTimeout = DefaultConnectTimeout
	}
	for _, ch := range c.Channels {
		n.always[ch] = true
	}
	return n, nil
}

// Reconnects is the number of times the notifier connected after losing its connection or
// failing to connect (each sent subscribers a Reconnected event).
func (n *Notifier) Reconnects() uint64 { return n.reconnects.Load() }

// Subscribers is the number of open subscriptions.
func (n *Notifier) Subscribers() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.subs)
}

// Connected reports whether the notifier holds a working connection.
func (n *Notifier) Connected() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.connected
}

// Listening returns, sorted, the channels the current connection LISTENs to (none while
// disconnected).
func (n *Notifier) Listening() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]string, 0, len(n.listening))
	for ch := range n.listening {
		out = append(out, ch)
	}
	slices.Sort(out)
	return out
}

// Done is closed when Run has returned.
func (n *Notifier) Done() <-chan struct{} { return n.stopped }

// Subscription receives the events of some channels until Close.
type Subscription struct {
	n        *Notifier
	channels []string
	c        chan Event
	err      error
	ended    bool
}

// Events delivers the subscription's events; it is closed when the subscription ends (Err
// says why).
func (s *Subscription) Events() <-chan Event { return s.c }

// Err is why the subscription ended: nil after Close (or while it lasts), ErrClosed or ErrSlow.
func (s *Subscription) Err() error {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	return s.err
}

// Close ends the subscription; the notifier UNLISTENs channels nobody wants any more. It may
// be called more than once.
func (s *Subscription) Close() {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	s.n.remove(s, nil)
}

// remove drops s (n.mu held) and closes its channel with err.
func (n *Notifier) remove(s *Subscription, err error) {
	if s.ended {
		return
	}
	s.ended = true
	delete(n.subs, s)
	for _, ch := range s.channels {
		if subs := n.byChannel[ch]; subs != nil {
			delete(subs, s)
			if len(subs) == 0 {
				delete(n.byChannel, ch)
				n.markDirty()
			}
		}
	}
	s.err = err
	close(s.c)
}

// markDirty asks the connection's loop to LISTEN or UNLISTEN (n.mu held).
func (n *Notifier) markDirty() {
	n.dirty = true
	if n.wake != nil {
		n.wake()
	}
}

// signal wakes Subscribe calls waiting for a change (n.mu held).
func (n *Notifier) signal() {
	close(n.changed)
	n.changed = make(chan struct{})
}

// Subscribe registers a subscriber to channels and waits (until ctx is done) for the notifier
// to LISTEN to them, so that a NOTIFY committed after Subscribe returns is delivered. When the
// notifier cannot connect (its first attempt failed, or the connection was lost) it returns at
// once: the subscriber will get a Reconnected event once it is connected. Before Run is called
// it waits. After Run returned it fails with ErrClosed.
func (n *Notifier) Subscribe(ctx context.Context, channels ...string) (*Subscription, error) {
	for _, ch := range channels {
		if err := CheckChannel(ch); err != nil {
			return nil, err
		}
	}
	s := &Subscription{n: n, channels: slices.Compact(slices.Sorted(slices.Values(channels))), c: make(chan Event, n.cfg.Buffer)}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil, ErrClosed
	}
	n.subs[s] = struct{}{}
	for _, ch := range s.channels {
		if n.byChannel[ch] == nil {
			n.byChannel[ch] = map[*Subscription]struct{}{}
			n.markDirty()
		}
		n.byChannel[ch][s] = struct{}{}
	}
	for {
		ready := !n.connected && n.tried
		if n.connected {
			ready = true
			for _, ch := range s.channels {
				ready = ready && n.listening[ch]
			}
		}
		if ready || n.closed {
			n.mu.Unlock()
			return s, nil
		}
		changed := n.changed
		n.mu.Unlock()
		select {
		case <-changed:
			n.mu.Lock()
		case <-ctx.Done():
			s.Close()
			return nil, ctx.Err()
		}
	}
}

// Run keeps the notifier connected until ctx is done, then ends every subscription with
// ErrClosed and returns nil. Run may be called once; a second call returns an error at once.
func (n *Notifier) Run(ctx context.Context) error {
	n.mu.Lock()
	if n.running {
		n.mu.Unlock()
		return errors.New("notifier: Run was already called")
	}
	n.running = true
	n.mu.Unlock()
	defer close(n.stopped)
	defer n.shutdown()
	backoff := n.cfg.MinBackoff
	// lost: why notifications may have been missed since Run started (a connection lost or an
	// attempt failed); nil while none was.
	var lost error
	for ctx.Err() == nil {
		ready, err := n.session(ctx, lost)
		if ctx.Err() != nil {
			return nil
		}
		lost = err
		if ready {
			backoff = n.cfg.MinBackoff
		}
		wait := jitter(backoff)
		n.cfg.Logger.Warn().Err(err).Dur("retry_in", wait).Msg("LISTEN connection lost; reconnecting")
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(backoff*2, n.cfg.MaxBackoff)
	}
	return nil
}

// jitter draws a wait from [d/2, d].
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// shutdown ends every subscription with ErrClosed once Run is over.
func (n *Notifier) shutdown() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.closed, n.connected = true, false
	for s := range n.subs {
		n.remove(s, ErrClosed)
	}
	n.signal()
}

// session connects, LISTENs and delivers until the connection fails or ctx is done. ready
// says whether it got as far as LISTENing; lost is why notifications may have been missed
// before it, announced to subscribers with a Reconnected event once ready.
func (n *Notifier) session(ctx context.Context, lost error) (ready bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, n.connCfg)
	if err != nil {
		n.mu.Lock()
		n.tried = true
		n.signal()
		n.mu.Unlock()
		return false, fmt.Errorf("connect: %w", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = conn.Close(closeCtx)
		cancel()
		n.mu.Lock()
		n.connected = false
		clear(n.listening)
		n.signal()
		n.mu.Unlock()
	}()
	n.mu.Lock()
	n.connected = true
	n.dirty = true
	n.mu.Unlock()
	err = n.sync(ctx, conn)
	n.mu.Lock()
	n.tried = true
	n.signal()
	n.mu.Unlock()
	if err != nil {
		return false, err
	}
	n.cfg.Logger.Info().Bool("reconnected", lost != nil).Msg("LISTEN connection ready")
	if lost != nil {
		n.reconnects.Add(1)
		n.broadcast(Event{Kind: KindReconnected, Err: lost})
	}
	return true, n.serve(ctx, conn)
}

// serve waits for notifications on conn, LISTENs and UNLISTENs as subscribers come and go, and
// pings a quiet connection, until the connection fails or ctx is done.
func (n *Notifier) serve(ctx context.Context, conn *pgx.Conn) error {
	for {
		n.mu.Lock()
		if n.dirty {
			n.mu.Unlock()
			if err := n.sync(ctx, conn); err != nil {
				return err
			}
			continue
		}
		waitCtx, cancel := context.WithTimeout(ctx, n.cfg.PingInterval)
		n.wake = cancel
		n.mu.Unlock()
		msg, err := conn.WaitForNotification(waitCtx)
		n.mu.Lock()
		n.wake = nil
		n.mu.Unlock()
		timedOut := errors.Is(waitCtx.Err(), context.DeadlineExceeded)
		cancel()
		switch {
		case err == nil:
			n.deliver(msg.Channel, msg.Payload)
		case ctx.Err() != nil:
			return ctx.Err()
		case conn.IsClosed():
			return fmt.Errorf("wait for notifications: %w", err)
		case timedOut:
			pctx, cancel := context.WithTimeout(ctx, n.cfg.PingTimeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
		case waitCtx.Err() != nil:
			// Woken to LISTEN or UNLISTEN: loop.
		default:
			return fmt.Errorf("wait for notifications: %w", err)
		}
	}
}

// sync LISTENs and UNLISTENs until the connection matches what subscribers want.
func (n *Notifier) sync(ctx context.Context, conn *pgx.Conn) error {
	n.mu.Lock()
	n.dirty = false
	var add, drop []string
	for ch := range n.byChannel {
		if !n.listening[ch] {
			add = append(add, ch)
		}
	}
	for ch := range n.always {
		if !n.listening[ch] && n.byChannel[ch] == nil {
			add = append(add, ch)
		}
	}
	for ch := range n.listening {
		if n.byChannel[ch] == nil && !n.always[ch] {
			drop = append(drop, ch)
			// No longer counted as listened from now: a Subscribe meanwhile waits for the
			// LISTEN that follows instead of trusting an UNLISTEN in flight.
			delete(n.listening, ch)
		}
	}
	n.mu.Unlock()
	run := func(verb, ch string) error {
		cctx, cancel := context.WithTimeout(ctx, n.cfg.PingTimeout)
		defer cancel()
		if _, err := conn.Exec(cctx, verb+" "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return fmt.Errorf("%s %q: %w", strings.ToLower(verb), ch, err)
		}
		if verb == "LISTEN" {
			n.mu.Lock()
			n.listening[ch] = true
			n.mu.Unlock()
		}
		return nil
	}
	for _, ch := range add {
		if err := run("LISTEN", ch); err != nil {
			return err
		}
	}
	for _, ch := range drop {
		if err := run("UNLISTEN", ch); err != nil {
			return err
		}
	}
	n.mu.Lock()
	n.signal()
	n.mu.Unlock()
	return nil
}

func (n *Notifier) deliver(channel, payload string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ev := Event{Kind: KindNotification, Channel: channel, Payload: payload}
	for s := range n.byChannel[channel] {
		n.send(s, ev)
	}
}

func (n *Notifier) broadcast(ev Event) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for s := range n.subs {
		n.send(s, ev)
	}
}

// send queues ev for s without blocking; a full queue ends s with ErrSlow (n.mu held).
func (n *Notifier) send(s *Subscription, ev Event) {
	select {
	case s.c <- ev:
	default:
		n.remove(s, ErrSlow)
	}
}
