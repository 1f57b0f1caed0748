package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"

	"github.com/howdah/howdah/sidecar"
	"github.com/howdah/howdah/sidecar/auth"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the installed modules over HTTP: JSON-RPC, Server-Sent Events, health and metrics",
		Description: "Exposes every function of the installed modules' API schemas as a JSON-RPC 2.0 method at POST /rpc " +
			"(howdah.version, queue.push...), reloading the list on NOTIFY howdah_reload; streams NOTIFY channels at " +
			"GET /events?channel=a,b; answers /healthz, /readyz and /metrics. Requests run as the role of their bearer " +
			"JWT, or --anon-role without one. Stops gracefully on SIGTERM or SIGINT. See docs/sidecar.md.",
		Flags: []cli.Flag{
			dbFlag("PostgreSQL connection `URL` of the login role (the authenticator), given before or after serve; " +
				"default: $HOWDAH_DB, else $DATABASE_URL, else the PG* variables"),
			&cli.StringFlag{Name: "listen", EnvVars: []string{"HOWDAH_LISTEN"}, Value: "127.0.0.1:8080",
				Usage: "`ADDRESS` to serve HTTP on"},
			&cli.StringFlag{Name: "jwt-secret", EnvVars: []string{"HOWDAH_JWT_SECRET"},
				Usage: "HS256 `SECRET` (32 bytes or more) that verifies bearer tokens (prefer the environment variable)"},
			&cli.StringFlag{Name: "jwks-file", EnvVars: []string{"HOWDAH_JWKS_FILE"},
				Usage: "JSON Web Key Set `FILE` whose keys verify RS*/ES*/EdDSA (or HS*) tokens, chosen by kid"},
			&cli.StringFlag{Name: "anon-role", EnvVars: []string{"HOWDAH_ANON_ROLE"},
				Usage: "`ROLE` of requests without a token; without it such requests get 401"},
			&cli.StringFlag{Name: "role-claim", EnvVars: []string{"HOWDAH_ROLE_CLAIM"}, Value: auth.DefaultRoleClaim,
				Usage: "the JWT `CLAIM` naming the role"},
			&cli.DurationFlag{Name: "jwt-leeway", EnvVars: []string{"HOWDAH_JWT_LEEWAY"}, Value: auth.DefaultLeeway,
				Usage: "clock skew tolerated when checking a token's exp, nbf and iat (`DURATION`)"},
			&cli.DurationFlag{Name: "statement-timeout", EnvVars: []string{"HOWDAH_STATEMENT_TIMEOUT"}, Value: sidecar.DefaultStatementTimeout,
				Usage: "`DURATION` after which a call is cancelled (SET LOCAL statement_timeout)"},
			&cli.DurationFlag{Name: "request-timeout", EnvVars: []string{"HOWDAH_REQUEST_TIMEOUT"}, Value: sidecar.DefaultRequestTimeout,
				Usage: "`DURATION` after which a /rpc request's calls are cancelled or not run, a whole batch included"},
			&cli.IntFlag{Name: "max-response-bytes", EnvVars: []string{"HOWDAH_MAX_RESPONSE_BYTES"}, Value: sidecar.DefaultMaxResponseBytes,
				Usage: "`BYTES` of results one /rpc response may carry, a batch's together (a call over it gets an error)"},
			&cli.DurationFlag{Name: "pool-acquire-timeout", EnvVars: []string{"HOWDAH_POOL_ACQUIRE_TIMEOUT"}, Value: sidecar.DefaultAcquireTimeout,
				Usage: "`DURATION` a request waits for a free pool connection before it gets 503"},
			&cli.IntFlag{Name: "pool-max-conns", EnvVars: []string{"HOWDAH_POOL_MAX_CONNS"}, Value: sidecar.DefaultPoolMaxConns,
				Usage: "`N` connections at most for requests (one more is used for LISTEN)"},
			&cli.StringSliceFlag{Name: "events-allow", EnvVars: []string{"HOWDAH_EVENTS_ALLOW"},
				Usage: "`CHANNEL` /events may follow: a name, or a prefix ending in * (repeatable or comma-separated; replaces the default, howdah_*: any other channel is refused)"},
			&cli.DurationFlag{Name: "sse-heartbeat", EnvVars: []string{"HOWDAH_SSE_HEARTBEAT"}, Value: sidecar.DefaultHeartbeat,
				Usage: "`DURATION` between heartbeat comments on idle event streams"},
			&cli.Int64Flag{Name: "max-body-bytes", EnvVars: []string{"HOWDAH_MAX_BODY_BYTES"}, Value: sidecar.DefaultMaxBodyBytes,
				Usage: "largest /rpc request body, in `BYTES`"},
			&cli.Int64Flag{Name: "max-body-bytes-in-flight", EnvVars: []string{"HOWDAH_MAX_BODY_BYTES_IN_FLIGHT"}, Value: sidecar.DefaultMaxBodyBytesInFlight,
				Usage: "memory of the /rpc bodies being read or run at once, in `BYTES`; beyond it requests get 503"},
			&cli.IntFlag{Name: "max-connections", EnvVars: []string{"HOWDAH_MAX_CONNECTIONS"}, Value: sidecar.DefaultMaxConnections,
				Usage: "`N` HTTP connections open at once at most; more wait until one closes"},
			&cli.IntFlag{Name: "max-event-streams", EnvVars: []string{"HOWDAH_MAX_EVENT_STREAMS"},
				Usage: "`N` open /events streams at most, under --max-connections; more get 503 (default: half of --max-connections)"},
			&cli.IntFlag{Name: "max-header-bytes", EnvVars: []string{"HOWDAH_MAX_HEADER_BYTES"}, Value: sidecar.DefaultMaxHeaderBytes,
				Usage: "largest request headers, in `BYTES`"},
			&cli.DurationFlag{Name: "read-header-timeout", EnvVars: []string{"HOWDAH_READ_HEADER_TIMEOUT"}, Value: sidecar.DefaultReadHeaderTimeout,
				Usage: "`DURATION` to read a request's headers"},
			&cli.DurationFlag{Name: "read-timeout", EnvVars: []string{"HOWDAH_READ_TIMEOUT"}, Value: sidecar.DefaultReadTimeout,
				Usage: "`DURATION` to read a whole request, headers and body; a slower body gets 408"},
			&cli.DurationFlag{Name: "idle-timeout", EnvVars: []string{"HOWDAH_IDLE_TIMEOUT"}, Value: sidecar.DefaultIdleTimeout,
				Usage: "`DURATION` a keep-alive connection may wait for its next request"},
			&cli.DurationFlag{Name: "shutdown-timeout", EnvVars: []string{"HOWDAH_SHUTDOWN_TIMEOUT"}, Value: sidecar.DefaultShutdownTimeout,
				Usage: "how long to wait for in-flight requests on shutdown (`DURATION`)"},
			&cli.DurationFlag{Name: "advisor-cache-ttl", EnvVars: []string{"HOWDAH_ADVISOR_CACHE_TTL"}, Value: sidecar.DefaultAdvisorCacheTTL,
				Usage: "keep GET /bottlenecks and GET /queries/{id} answers this `DURATION` per role (a finished scan drops them); 0 turns the cache off"},
			&cli.StringFlag{Name: "log-format", EnvVars: []string{"HOWDAH_LOG_FORMAT"}, Value: "json",
				Usage: "`FORMAT` of the logs on stderr: json or console"},
			&cli.StringFlag{Name: "log-level", EnvVars: []string{"HOWDAH_LOG_LEVEL"}, Value: "info",
				Usage: "`LEVEL` of the logs: debug, info, warn or error"},
		},
		Action: runServe,
	}
}

func runServe(c *cli.Context) error {
	logger, err := newLogger(c.App.ErrWriter, c.String("log-format"), c.String("log-level"))
	if err != nil {
		return err
	}
	var allow []string
	for _, v := range c.StringSlice("events-allow") {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				allow = append(allow, p)
			}
		}
	}
	// Flags map onto the Config one to one; sidecar.New checks them and fills the defaults.
	cfg := &sidecar.Config{
		DatabaseURL:        dbURL(c, "HOWDAH_DB"),
		PoolMaxConns:       c.Int("pool-max-conns"),
		StatementTimeout:   c.Duration("statement-timeout"),
		RequestTimeout:     c.Duration("request-timeout"),
		MaxResponseBytes:   c.Int("max-response-bytes"),
		PoolAcquireTimeout: c.Duration("pool-acquire-timeout"),
		Auth: auth.Config{Secret: []byte(c.String("jwt-secret")), JWKSFile: c.String("jwks-file"),
			AnonRole: c.String("anon-role"), RoleClaim: c.String("role-claim"), Leeway: c.Duration("jwt-leeway")},
		EventsAllow:          allow,
		Heartbeat:            c.Duration("sse-heartbeat"),
		MaxBodyBytes:         c.Int64("max-body-bytes"),
		MaxBodyBytesInFlight: c.Int64("max-body-bytes-in-flight"),
		MaxConnections:       c.Int("max-connections"),
		MaxEventStreams:      c.Int("max-event-streams"),
		MaxHeaderBytes:       c.Int("max-header-bytes"),
		ReadHeaderTimeout:    c.Duration("read-header-timeout"),
		ReadTimeout:          c.Duration("read-timeout"),
		IdleTimeout:          c.Duration("idle-timeout"),
		ShutdownTimeout:      c.Duration("shutdown-timeout"),
		Logger:               logger,
	}
	switch ttl := c.Duration("advisor-cache-ttl"); {
	case ttl < 0:
		return fmt.Errorf("--advisor-cache-ttl %s is negative: use 0 to turn the cache off", ttl)
	case ttl == 0:
		cfg.AdvisorCacheTTL = -1 // off; in the Config, 0 means the default
	default:
		cfg.AdvisorCacheTTL = ttl
	}
	ctx, stop := signal.NotifyContext(c.Context, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	srv, err := sidecar.New(ctx, cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.String("listen"))
	if err != nil {
		srv.Close()
		return fmt.Errorf("--listen: %w", err)
	}
	return srv.Serve(ctx, ln)
}

func newLogger(w io.Writer, format, level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Logger{}, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	if w == nil {
		w = os.Stderr
	}
	switch format {
	case "json":
	case "console":
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
	default:
		return zerolog.Logger{}, fmt.Errorf("--log-format %q: use json or console", format)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}
