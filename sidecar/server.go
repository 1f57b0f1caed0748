package sidecar

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/howdah/howdah/client/notifier"
	"github.com/howdah/howdah/internal/release"
	"github.com/howdah/howdah/sidecar/advisorapi"
	"github.com/howdah/howdah/sidecar/auth"
	"github.com/howdah/howdah/sidecar/events"
	"github.com/howdah/howdah/sidecar/rpc"
	"github.com/howdah/howdah/sidecar/ui"
)

// Defaults of Config: a zero field means its default.
const (
	DefaultPoolMaxConns     = 10
	DefaultStatementTimeout = rpc.DefaultStatementTimeout
	DefaultRequestTimeout   = rpc.DefaultRequestTimeout
	DefaultAcquireTimeout   = rpc.DefaultAcquireTimeout
	DefaultMaxResponseBytes = rpc.DefaultMaxResponseBytes
	DefaultHeartbeat        = 15 * time.Second
	DefaultMaxBodyBytes     = 1 << 20
	// DefaultMaxBodyBytesInFlight holds 16 bodies of the largest size; JSON decoding costs a few
	// times a body's size on top, so bodies stay well under 100 MB of heap.
	DefaultMaxBodyBytesInFlight = 16 << 20
	// DefaultMaxConnections costs some 30 KB each when idle (goroutine, buffers), up to
	// MaxHeaderBytes more while headers arrive; far under the usual open-file limits.
	DefaultMaxConnections    = 1024
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout lets a 1 MB body arrive at 35 KB/s.
	DefaultReadTimeout      = 30 * time.Second
	DefaultIdleTimeout      = 2 * time.Minute
	DefaultShutdownTimeout  = 30 * time.Second
	DefaultListenBackoffMax = 10 * time.Second
	DefaultReloadDelay      = 50 * time.Millisecond
	DefaultAdvisorCacheTTL  = advisorapi.DefaultCacheTTL
)

// Config configures a Server. A nil Config, and each zero field, means the default (the
// Default* constants); negative numbers are refused.
type Config struct {
	// DatabaseURL is the connection string of the login role (the authenticator); empty means
	// the PG* environment variables.
	DatabaseURL string
	// PoolMaxConns bounds the request pool. The LISTEN hub uses one more connection.
	PoolMaxConns int
	// StatementTimeout bounds each RPC call (SET LOCAL statement_timeout).
	StatementTimeout time.Duration
	// MaxResponseBytes bounds the results of one /rpc response, a batch's together; a call
	// whose result would pass it gets a JSON-RPC error (400) instead. 0 means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int
	// RequestTimeout bounds running the calls of one /rpc request, a whole batch included: a
	// call still running at the deadline is cancelled and the rest are not run; each gets
	// error -32008 naming the deadline.
	RequestTimeout time.Duration
	// PoolAcquireTimeout bounds a request's wait for a pool connection; after it the request
	// gets 503 (-32010) with Retry-After instead of queueing without end.
	PoolAcquireTimeout time.Duration
	// Auth configures tokens and the anonymous role. It must allow some way in: an anonymous
	// role, a JWT secret or a JWKS file.
	Auth auth.Config
	// EventsAllow lists the channels /events may follow: exact names, or prefixes ending in
	// "*". Empty means DefaultEventsAllow: howdah's own channels only. PostgreSQL has no
	// privileges on channels, so every authenticated caller may follow what this allows.
	EventsAllow []string
	// Heartbeat is the interval of heartbeat comments on SSE streams.
	Heartbeat time.Duration
	// MaxBodyBytes bounds a /rpc request body.
	MaxBodyBytes int64
	// MaxBodyBytesInFlight bounds the memory of the /rpc bodies being read or run at once: a
	// body takes its share as it arrives and gives it back when its response is written. A
	// request that finds it spent gets 503 with Retry-After. At least MaxBodyBytes.
	MaxBodyBytesInFlight int64
	// MaxConnections bounds the HTTP connections open at once (Serve only): at the cap, new
	// connections wait in the kernel's backlog until one closes. Keep it under the process's
	// open-file limit (ulimit -n), which must also cover the pool's connections.
	MaxConnections int
	// MaxEventStreams bounds the open /events streams, which last for hours; more get 503 with
	// Retry-After. It must be under MaxConnections, so that streams cannot take every
	// connection; 0 means half of MaxConnections.
	MaxEventStreams int
	// MaxHeaderBytes bounds a request's headers (Serve only).
	MaxHeaderBytes int
	// ReadHeaderTimeout bounds reading a request's headers (Serve only).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, headers and body (Serve only): a body still
	// arriving then is cut off with 408 and the connection closed. Once a request is read, its
	// handling may last longer: RequestTimeout bounds /rpc, /events streams stay open.
	ReadTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that waited this long for its next request
	// (Serve only).
	IdleTimeout time.Duration
	// ShutdownTimeout bounds the wait for in-flight requests on shutdown.
	ShutdownTimeout time.Duration
	// ListenBackoffMax bounds the wait between LISTEN reconnection attempts.
	ListenBackoffMax time.Duration
	// ReloadDelay groups bursts of howdah_reload notifications into one reload.
	ReloadDelay time.Duration
	// AdvisorCacheTTL is how long GET /bottlenecks and GET /queries/{id} answers are kept, per
	// role, path and query string; a finished scan drops them all (notification
	// howdah_advisor). 0 means DefaultAdvisorCacheTTL; a negative value turns the cache off.
	AdvisorCacheTTL time.Duration
	// Logger receives the server's logs; the zero value logs nothing.
	Logger zerolog.Logger
}

// withDefaults checks c and returns a copy with the defaults filled in.
func (c *Config) withDefaults() (Config, error) {
	var out Config
	if c != nil {
		out = *c
	}
	for _, f := range []struct {
		name     string
		negative bool
	}{
		{"PoolMaxConns", out.PoolMaxConns < 0}, {"StatementTimeout", out.StatementTimeout < 0},
		{"RequestTimeout", out.RequestTimeout < 0}, {"MaxResponseBytes", out.MaxResponseBytes < 0}, {"PoolAcquireTimeout", out.PoolAcquireTimeout < 0},
		{"Heartbeat", out.Heartbeat < 0}, {"MaxBodyBytes", out.MaxBodyBytes < 0},
		{"ShutdownTimeout", out.ShutdownTimeout < 0}, {"ListenBackoffMax", out.ListenBackoffMax < 0},
		{"ReloadDelay", out.ReloadDelay < 0}, {"MaxBodyBytesInFlight", out.MaxBodyBytesInFlight < 0},
		{"MaxConnections", out.MaxConnections < 0}, {"MaxEventStreams", out.MaxEventStreams < 0},
		{"MaxHeaderBytes", out.MaxHeaderBytes < 0}, {"ReadHeaderTimeout", out.ReadHeaderTimeout < 0},
		{"ReadTimeout", out.ReadTimeout < 0}, {"IdleTimeout", out.IdleTimeout < 0},
	} {
		if f.negative {
			return out, fmt.Errorf("%s is negative: use 0 for the default", f.name)
		}
	}
	if out.PoolMaxConns > math.MaxInt32 {
		return out, fmt.Errorf("PoolMaxConns %d is too large", out.PoolMaxConns)
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if out.PoolMaxConns == 0 {
		out.PoolMaxConns = DefaultPoolMaxConns
	}
	if out.MaxBodyBytes == 0 {
		out.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if out.MaxBodyBytesInFlight == 0 {
		out.MaxBodyBytesInFlight = max(DefaultMaxBodyBytesInFlight, out.MaxBodyBytes)
	}
	if out.MaxBodyBytesInFlight < out.MaxBodyBytes {
		return out, fmt.Errorf("MaxBodyBytesInFlight %d is under MaxBodyBytes %d: no body of the largest size would ever be read",
			out.MaxBodyBytesInFlight, out.MaxBodyBytes)
	}
	if out.MaxConnections == 0 {
		out.MaxConnections = DefaultMaxConnections
	}
	if out.MaxEventStreams == 0 {
		out.MaxEventStreams = max(out.MaxConnections/2, 1)
	}
	if out.MaxEventStreams >= out.MaxConnections {
		return out, fmt.Errorf("MaxEventStreams %d is not under MaxConnections %d: event streams could take every connection",
			out.MaxEventStreams, out.MaxConnections)
	}
	if out.MaxHeaderBytes == 0 {
		out.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	def(&out.StatementTimeout, DefaultStatementTimeout)
	def(&out.RequestTimeout, DefaultRequestTimeout)
	def(&out.PoolAcquireTimeout, DefaultAcquireTimeout)
	def(&out.Heartbeat, DefaultHeartbeat)
	def(&out.ShutdownTimeout, DefaultShutdownTimeout)
	def(&out.ListenBackoffMax, DefaultListenBackoffMax)
	def(&out.ReloadDelay, DefaultReloadDelay)
	def(&out.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&out.ReadTimeout, DefaultReadTimeout)
	def(&out.IdleTimeout, DefaultIdleTimeout)
	return out, nil
}

// Server is a running sidecar: pool, catalog, hub and HTTP handler.
type Server struct {
	cfg     Config
	log     zerolog.Logger
	pool    *pgxpool.Pool
	disp    *rpc.Dispatcher
	advisor *advisorapi.API
	auth    *auth.Authenticator
	hub     *notifier.Notifier
	metrics *metrics
	handler http.Handler
	sse     http.Handler
	ui      *ui.UI

	// bodies is MaxBodyBytesInFlight, streams MaxEventStreams; conns is Serve's listener.
	bodies  budget
	streams budget
	conns   atomic.Pointer[limitListener]

	hubCancel context.CancelFunc
	bg        sync.WaitGroup
	draining  atomic.Bool
	closeOnce sync.Once
}

// New connects to the database, reads the catalog and starts the LISTEN hub. Close (or Serve
// returning) releases everything.
func New(ctx context.Context, cfg *Config) (*Server, error) {
	full, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: full, log: full.Logger}
	s.bodies.max, s.streams.max = full.MaxBodyBytesInFlight, int64(full.MaxEventStreams)
	c := &s.cfg
	if s.auth, err = auth.New(&c.Auth); err != nil {
		return nil, err
	}
	if c.Auth.AnonRole == "" && !s.auth.AcceptsTokens() {
		return nil, errors.New("no way to authenticate: configure an anonymous role, a JWT secret or a JWKS file " +
			"(howdah serve: --anon-role, --jwt-secret or --jwks-file; see docs/sidecar.md)")
	}
	pcfg, err := pgxpool.ParseConfig(c.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("invalid database URL: %w", err)
	}
	pcfg.MaxConns = int32(c.PoolMaxConns)
	pcfg.MaxConnIdleTime = 5 * time.Minute
	pcfg.MaxConnLifetime = time.Hour
	pcfg.HealthCheckPeriod = 30 * time.Second
	if _, ok := pcfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		pcfg.ConnConfig.RuntimeParams["application_name"] = "howdah serve"
	}
	listenCfg := pcfg.ConnConfig.Copy()
	listenCfg.RuntimeParams["application_name"] = pcfg.ConnConfig.RuntimeParams["application_name"] + " (listen)"
	if s.pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
		return nil, fmt.Errorf("database pool: %w", err)
	}
	if err := s.pool.Ping(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s:%d, database %q, user %q: %w",
			pcfg.ConnConfig.Host, pcfg.ConnConfig.Port, pcfg.ConnConfig.Database, pcfg.ConnConfig.User, err)
	}
	if err := s.checkLoginRole(ctx); err != nil {
		s.pool.Close()
		return nil, err
	}
	var m *metrics
	s.disp = rpc.New(s.pool, &rpc.Config{StatementTimeout: c.StatementTimeout, RequestTimeout: c.RequestTimeout,
		MaxResponseBytes: c.MaxResponseBytes,
		AcquireTimeout:   c.PoolAcquireTimeout, Logger: s.log, Version: release.Version,
		Observe: func(o rpc.Outcome) { m.observe(o) }})
	s.hub, err = notifier.New(listenCfg, &notifier.Config{Channels: []string{release.ReloadChannel}, Logger: s.log,
		MinBackoff: min(notifier.DefaultMinBackoff, c.ListenBackoffMax), MaxBackoff: c.ListenBackoffMax})
	if err != nil {
		s.pool.Close()
		return nil, err
	}
	s.metrics = newMetrics(s.pool, s.hub, s.disp)
	s.metrics.limits(s)
	m = s.metrics
	hubCtx, cancel := context.WithCancel(context.Background())
	s.hubCancel = cancel
	s.bg.Add(1)
	go func() { defer s.bg.Done(); s.hub.Run(hubCtx) }()
	// LISTEN first, read the catalog second: a change in between is then not missed.
	sub, err := s.hub.Subscribe(ctx, release.ReloadChannel)
	if err == nil {
		var cat *rpc.Catalog
		if cat, err = s.disp.Reload(ctx); err == nil {
			s.log.Info().Int("methods", cat.Len()).Strs("schemas", cat.Schemas).Msg("catalog loaded")
		} else {
			err = fmt.Errorf("read the function catalog: %w", err)
		}
	}
	if err != nil {
		cancel()
		s.bg.Wait()
		s.pool.Close()
		return nil, err
	}
	s.bg.Add(1)
	go func() { defer s.bg.Done(); s.reloadLoop(hubCtx, sub) }()
	s.advisor = advisorapi.New(s.disp, advisorapi.Config{Session: s.session, ReadBody: s.readRequestBody, CacheTTL: c.AdvisorCacheTTL})
	if c.AdvisorCacheTTL >= 0 {
		asub, err := s.hub.Subscribe(ctx, advisorapi.Channel)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.bg.Add(1)
		go func() { defer s.bg.Done(); s.advisorCacheLoop(hubCtx, asub) }()
	}
	s.sse = events.Handler(s.hub, &events.HandlerConfig{Heartbeat: c.Heartbeat, Allow: s.channelAllowed})
	if s.ui, err = ui.New(&ui.Config{Dispatcher: s.disp, Auth: s.auth, Events: s.serveEvents, Logger: s.log}); err != nil {
		s.Close()
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// checkLoginRole warns when the login role is a superuser (it may switch into any role, so a
// token can name any role and the database protects nothing) or has BYPASSRLS (an
// authenticator needs no power of its own), and refuses an anonymous role that is the login
// role itself.
func (s *Server) checkLoginRole(ctx context.Context) error {
	var (
		login         string
		super, bypass bool
	)
	if err := s.pool.QueryRow(ctx, `SELECT r.rolname::text, r.rolsuper, r.rolbypassrls
		FROM pg_catalog.pg_roles r WHERE r.rolname = session_user`).Scan(&login, &super, &bypass); err != nil {
		return fmt.Errorf("read the login role: %w", err)
	}
	if s.cfg.Auth.AnonRole == login {
		return fmt.Errorf("the anonymous role %q is the login role itself: create a role for anonymous requests "+
			"and grant it to %q", login, login)
	}
	var what []string
	if super {
		what = append(what, "is a superuser (it may switch into any role, so a token can name any role and the database protects nothing)")
	}
	if bypass {
		what = append(what, "has BYPASSRLS (an authenticator should have no power of its own)")
	}
	if len(what) > 0 {
		s.log.Warn().Str("login_role", login).Bool("superuser", super).Bool("bypassrls", bypass).
			Msg("UNSAFE LOGIN ROLE: the sidecar's login role " + strings.Join(what, " and ") +
				"; log in as an authenticator made with `howdah install --authenticator NAME` (docs/sidecar.md)")
	}
	return nil
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Pool is the request pool (for tests and benchmarks).
func (s *Server) Pool() *pgxpool.Pool { return s.pool }

// Notifier is the server's LISTEN notifier (one connection for /events and catalog reloads).
func (s *Server) Notifier() *notifier.Notifier { return s.hub }

// Catalog is the current function catalog.
func (s *Server) Catalog() *rpc.Catalog { return s.disp.Catalog() }

// reloadLoop re-reads the catalog on howdah_reload and after the hub reconnects.
func (s *Server) reloadLoop(ctx context.Context, sub *notifier.Subscription) {
	for {
		for range sub.Events() {
			// Let a burst (an install sends one per step) settle, then drain it.
			select {
			case <-time.After(s.cfg.ReloadDelay):
			case <-ctx.Done():
				sub.Close()
				return
			}
		drain:
			for {
				select {
				case _, ok := <-sub.Events():
					if !ok {
						break drain
					}
				default:
					break drain
				}
			}
			s.reload(ctx)
		}
		if ctx.Err() != nil || errors.Is(sub.Err(), notifier.ErrClosed) {
			return
		}
		// Dropped as too slow: subscribe again and reload, since notifications were lost.
		var err error
		if sub, err = s.hub.Subscribe(ctx, release.ReloadChannel); err != nil {
			return
		}
		s.reload(ctx)
	}
}

// advisorCacheLoop drops the advisor routes' cache when a scan finishes, and after a lost
// subscription (notifications may have been missed).
func (s *Server) advisorCacheLoop(ctx context.Context, sub *notifier.Subscription) {
	for {
		for range sub.Events() {
			s.advisor.Invalidate()
		}
		if ctx.Err() != nil || errors.Is(sub.Err(), notifier.ErrClosed) {
			return
		}
		var err error
		if sub, err = s.hub.Subscribe(ctx, advisorapi.Channel); err != nil {
			return
		}
		s.advisor.Invalidate()
	}
}

func (s *Server) reload(ctx context.Context) {
	cat, err := s.disp.Reload(ctx)
	if err != nil {
		s.metrics.reloads.WithLabelValues("error").Inc()
		s.log.Error().Err(err).Msg("catalog reload failed; keeping the previous catalog")
		return
	}
	s.metrics.reloads.WithLabelValues("ok").Inc()
	s.log.Info().Int("methods", cat.Len()).Strs("schemas", cat.Schemas).Msg("catalog reloaded")
}

// Serve answers HTTP on ln until ctx is done, then shuts down gracefully: /readyz turns 503,
// event streams end, in-flight requests finish (up to ShutdownTimeout), and the connections
// close. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// ReadTimeout bounds reading a request only: net/http lifts the read deadline once the body
	// has been read (when its background read of the connection starts), so /rpc calls and
	// /events streams may run longer (TestSlowBodyIsCutOff checks both).
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ErrorLog:          nil,
	}
	ll := newLimitListener(ln, s.cfg.MaxConnections)
	s.conns.Store(ll)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ll) }()
	s.log.Info().Str("listen", ln.Addr().String()).Msg("serving")
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	s.log.Info().Msg("shutting down: draining in-flight requests")
	s.draining.Store(true)
	// End the event streams first: they never finish on their own.
	s.hubCancel()
	<-s.hub.Done()
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	s.Close()
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	s.log.Info().Msg("stopped")
	return nil
}

// Close stops the hub and closes the pool. Serve calls it; call it yourself when you use
// Handler without Serve.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.draining.Store(true)
		s.hubCancel()
		s.bg.Wait()
		s.pool.Close()
	})
}

// DefaultEventsAllow is what /events may follow when Config.EventsAllow is empty: the
// channels of howdah's modules (howdah_queue, howdah_reload...). Any other channel must be
// allowed explicitly, since its payloads may be private.
var DefaultEventsAllow = []string{"howdah_*"}

// channelAllowed applies Config.EventsAllow (DefaultEventsAllow when empty): deny by default.
func (s *Server) channelAllowed(ch string) bool {
	allow := s.cfg.EventsAllow
	if len(allow) == 0 {
		allow = DefaultEventsAllow
	}
	for _, p := range allow {
		if prefix, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(ch, prefix) || p == ch {
			return true
		}
	}
	return false
}
