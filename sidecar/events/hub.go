package events

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
)

// Kinds of Event.
const (
	KindNotification = "notification"
	// KindReconnected is sent to every subscriber when the hub connects after a lost
	// connection or a failed attempt (the first one included): notifications may have been
	// lost in between.
	KindReconnected = "reconnected"
)

// Event is a notification on a channel, or a Reconnected signal.
type Event struct {
	Kind    string
	Channel string
	Payload string
}

// Errors that end a subscription.
var (
	// ErrClosed: the hub stopped.
	ErrClosed = errors.New("the event hub stopped")
	// ErrSlow: the subscriber did not keep up and events were about to be dropped.
	ErrSlow = errors.New("subscriber too slow: events were dropped; reconnect and re-read")
)

var channelRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// ValidChannel reports whether name is a channel subscribers may ask for: letters, digits and
// _, not starting with a digit, at most 63 bytes, and not the reserved "reconnected".
func ValidChannel(name string) bool { return channelRE.MatchString(name) && name != KindReconnected }

// Config configures a Hub. A nil Config means defaults.
type Config struct {
	// Channels are always listened to (howdah_reload, for instance).
	Channels []string
	// MinBackoff and MaxBackoff bound the wait between reconnection attempts; 0 means 100ms and 10s.
	MinBackoff, MaxBackoff time.Duration
	// PingInterval is how long the connection may stay quiet before the hub checks it; 0 means 30s.
	PingInterval time.Duration
	// Buffer is each subscriber's queue length; 0 means 256.
	Buffer int
	// Logger receives connection events.
	Logger zerolog.Logger
}

// Hub owns the LISTEN connection and the subscribers.
type Hub struct {
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
	wake      context.CancelFunc // interrupts the current wait, if any
	changed   chan struct{}      // closed and replaced when listening or connected change
	closed    bool

	reconnects atomic.Uint64
	stopped    chan struct{}
}

// New returns a hub that connects with connCfg once Run is called.
func New(connCfg *pgx.ConnConfig, cfg *Config) *Hub {
	h := &Hub{connCfg: connCfg, subs: map[*Subscription]struct{}{}, byChannel: map[string]map[*Subscription]struct{}{},
		always: map[string]bool{}, listening: map[string]bool{}, changed: make(chan struct{}), stopped: make(chan struct{})}
	if cfg != nil {
		h.cfg = *cfg
	}
	if h.cfg.MinBackoff <= 0 {
		h.cfg.MinBackoff = 100 * time.Millisecond
	}
	if h.cfg.MaxBackoff <= 0 {
		h.cfg.MaxBackoff = 10 * time.Second
	}
	if h.cfg.PingInterval <= 0 {
		h.cfg.PingInterval = 30 * time.Second
	}
	if h.cfg.Buffer <= 0 {
		h.cfg.Buffer = 256
	}
	for _, c := range h.cfg.Channels {
		h.always[c] = true
	}
	return h
}

// Reconnects is the number of times the hub connected after losing its connection or failing
// to connect (each sent subscribers a Reconnected event).
func (h *Hub) Reconnects() uint64 { return h.reconnects.Load() }

// Subscribers is the number of open subscriptions.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Connected reports whether the hub holds a working connection.
func (h *Hub) Connected() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.connected
}

// Subscription receives the events of some channels until Close.
type Subscription struct {
	hub      *Hub
	channels []string
	c        chan Event
	once     sync.Once
	err      error
}

// Events delivers the subscription's events; it is closed when the subscription ends (Err says why).
func (s *Subscription) Events() <-chan Event { return s.c }

// Err is why the subscription ended: nil after Close, ErrClosed or ErrSlow.
func (s *Subscription) Err() error {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.err
}

// Close ends the subscription; the hub UNLISTENs channels nobody wants any more.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.remove(s, nil)
}

// remove drops s (h.mu held) and closes its channel with err.
func (h *Hub) remove(s *Subscription, err error) {
	if _, ok := h.subs[s]; !ok {
		return
	}
	delete(h.subs, s)
	for _, ch := range s.channels {
		delete(h.byChannel[ch], s)
		if len(h.byChannel[ch]) == 0 {
			delete(h.byChannel, ch)
			h.markDirty()
		}
	}
	s.err = err
	s.once.Do(func() { close(s.c) })
}

func (h *Hub) markDirty() {
	h.dirty = true
	if h.wake != nil {
		h.wake()
	}
}

// Subscribe registers a subscriber to channels and waits (until ctx is done) for the hub to
// LISTEN to them, so that a NOTIFY sent after Subscribe returns is delivered. When the hub has
// lost its connection it returns at once: the subscriber will get a Reconnected event.
func (h *Hub) Subscribe(ctx context.Context, channels ...string) (*Subscription, error) {
	for _, c := range channels {
		if !ValidChannel(c) {
			return nil, fmt.Errorf("invalid channel name %q: use letters, digits and _ (at most 63, not starting with a digit)", c)
		}
	}
	s := &Subscription{hub: h, channels: channels, c: make(chan Event, h.cfg.Buffer)}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	h.subs[s] = struct{}{}
	for _, ch := range channels {
		if h.byChannel[ch] == nil {
			h.byChannel[ch] = map[*Subscription]struct{}{}
			h.markDirty()
		}
		h.byChannel[ch][s] = struct{}{}
	}
	for {
		ready := !h.connected && h.tried
		if h.connected {
			ready = true
			for _, ch := range channels {
				ready = ready && h.listening[ch]
			}
		}
		if ready || h.closed {
			h.mu.Unlock()
			return s, nil
		}
		changed := h.changed
		h.mu.Unlock()
		select {
		case <-changed:
			h.mu.Lock()
		case <-ctx.Done():
			s.Close()
			return nil, ctx.Err()
		}
	}
}

// signal wakes Subscribe calls waiting for a change (h.mu held).
func (h *Hub) signal() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// Run keeps the hub connected until ctx is done, then ends every subscription with ErrClosed.
func (h *Hub) Run(ctx context.Context) {
	defer close(h.stopped)
	defer func() {
		h.mu.Lock()
		h.closed, h.connected = true, false
		for s := range h.subs {
			h.remove(s, ErrClosed)
		}
		h.signal()
		h.mu.Unlock()
	}()
	backoff := h.cfg.MinBackoff
	// missed: notifications may have been lost since Run started, because a connection was
	// lost or an attempt failed (subscribers may have subscribed meanwhile).
	missed := false
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, h.connCfg)
		if err != nil {
			missed = true
			h.mu.Lock()
			h.tried = true
			h.signal()
			h.mu.Unlock()
		} else {
			if missed {
				h.reconnects.Add(1)
			}
			err = h.serve(ctx, conn, missed)
			conn.Close(context.Background())
			missed = true
			backoff = h.cfg.MinBackoff
		}
		h.mu.Lock()
		h.connected = false
		clear(h.listening)
		h.signal()
		h.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		h.cfg.Logger.Warn().Err(err).Dur("retry_in", backoff).Msg("LISTEN connection lost; reconnecting")
		jitter := time.Duration(rand.Int64N(int64(backoff)/4 + 1))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff + jitter):
		}
		backoff = min(backoff*2, h.cfg.MaxBackoff)
	}
}

// Done is closed when Run has returned.
func (h *Hub) Done() <-chan struct{} { return h.stopped }

// serve listens on conn until it fails or ctx is done.
func (h *Hub) serve(ctx context.Context, conn *pgx.Conn, reconnected bool) error {
	h.mu.Lock()
	h.connected = true
	h.dirty = true
	h.mu.Unlock()
	err := h.sync(ctx, conn)
	h.mu.Lock()
	h.tried = true
	h.signal()
	h.mu.Unlock()
	if err != nil {
		return err
	}
	h.cfg.Logger.Info().Bool("reconnected", reconnected).Msg("LISTEN connection ready")
	if reconnected {
		h.broadcast(Event{Kind: KindReconnected})
	}
	for {
		h.mu.Lock()
		if h.dirty {
			h.mu.Unlock()
			if err := h.sync(ctx, conn); err != nil {
				return err
			}
			continue
		}
		waitCtx, cancel := context.WithTimeout(ctx, h.cfg.PingInterval)
		h.wake = cancel
		h.mu.Unlock()
		n, err := conn.WaitForNotification(waitCtx)
		h.mu.Lock()
		h.wake = nil
		h.mu.Unlock()
		timedOut := errors.Is(waitCtx.Err(), context.DeadlineExceeded)
		cancel()
		switch {
		case err == nil:
			h.deliver(n.Channel, n.Payload)
		case ctx.Err() != nil:
			return ctx.Err()
		case conn.IsClosed():
			return err
		case timedOut:
			if err := conn.Ping(ctx); err != nil {
				return err
			}
		case waitCtx.Err() != nil:
			// Woken to LISTEN or UNLISTEN: loop.
		default:
			return err
		}
	}
}

// sync LISTENs and UNLISTENs until the connection matches what subscribers want.
func (h *Hub) sync(ctx context.Context, conn *pgx.Conn) error {
	h.mu.Lock()
	h.dirty = false
	var add, drop []string
	for ch := range h.byChannel {
		if !h.listening[ch] {
			add = append(add, ch)
		}
	}
	for ch := range h.always {
		if !h.listening[ch] && h.byChannel[ch] == nil {
			add = append(add, ch)
		}
	}
	for ch := range h.listening {
		if h.byChannel[ch] == nil && !h.always[ch] {
			drop = append(drop, ch)
		}
	}
	h.mu.Unlock()
	for _, ch := range add {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return fmt.Errorf("listen %q: %w", ch, err)
		}
	}
	for _, ch := range drop {
		if _, err := conn.Exec(ctx, "UNLISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return fmt.Errorf("unlisten %q: %w", ch, err)
		}
	}
	h.mu.Lock()
	for _, ch := range add {
		h.listening[ch] = true
	}
	for _, ch := range drop {
		delete(h.listening, ch)
	}
	h.signal()
	h.mu.Unlock()
	return nil
}

func (h *Hub) deliver(channel, payload string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ev := Event{Kind: KindNotification, Channel: channel, Payload: payload}
	for s := range h.byChannel[channel] {
		h.send(s, ev)
	}
}

func (h *Hub) broadcast(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		h.send(s, ev)
	}
}

// send queues ev for s without blocking; a full queue ends s with ErrSlow (h.mu held).
func (h *Hub) send(s *Subscription, ev Event) {
	select {
	case s.c <- ev:
	default:
		h.remove(s, ErrSlow)
	}
}
