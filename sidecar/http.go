package sidecar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/howdah/howdah/sidecar/auth"
	"github.com/howdah/howdah/sidecar/errmap"
	"github.com/howdah/howdah/sidecar/events"
	"github.com/howdah/howdah/sidecar/rpc"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/rpc", s.instrument("rpc", http.HandlerFunc(s.serveRPC)))
	mux.Handle("/events", s.instrument("events", s.authenticated(s.serveEvents)))
	mux.Handle("/ui/", s.instrument("ui", s.ui))
	for path, h := range s.advisor.Routes() {
		mux.Handle(path, s.instrument("advisor", h))
	}
	mux.Handle("/healthz", s.instrument("healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})))
	mux.Handle("/readyz", s.instrument("readyz", http.HandlerFunc(s.serveReady)))
	mux.Handle("/metrics", s.instrument("metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})))
	mux.Handle("/", s.instrument("other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		errmap.Write(w, errmap.New(errmap.CodeMethodNotFound, http.StatusNotFound,
			fmt.Sprintf("no route %s %s: use POST /rpc, GET /events, /ui/ (the dashboard), /healthz, /readyz or /metrics (advisor: GET /bottlenecks, GET /queries/{id}, POST /simulate, POST /chat)", r.Method, r.URL.Path)))
	})))
	return s.recoverer(mux)
}

// serveEvents streams /events as id, within MaxEventStreams; the dashboard's /ui/events
// stream (signed in by cookie) is served by it too.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request, id *auth.Identity) {
	if !s.streams.take(1) {
		s.shed(w, "event_streams", fmt.Sprintf("%d event streams are open, as many as this sidecar allows; retry later", s.cfg.MaxEventStreams))
		return
	}
	defer s.streams.give(1)
	s.metrics.sseSubscribers.Inc()
	defer s.metrics.sseSubscribers.Dec()
	// A stream ends when its token does: it must not go on reading as a role it no longer may.
	if !id.Expires.IsZero() {
		ctx, cancel := context.WithDeadlineCause(r.Context(), id.Expires, events.ErrTokenExpired)
		defer cancel()
		r = r.WithContext(ctx)
	}
	s.sse.ServeHTTP(w, r)
}

// shed answers 503 with Retry-After: a limit of the sidecar is reached, not a fault.
func (s *Server) shed(w http.ResponseWriter, limit, msg string) {
	s.metrics.shed.WithLabelValues(limit).Inc()
	w.Header().Set("Retry-After", retryAfter)
	errmap.Write(w, errmap.New(errmap.CodeUnavailable, http.StatusServiceUnavailable, msg))
}

// retryAfter is the Retry-After of 503 answers, in seconds: the sidecar is busy, not down.
const retryAfter = "1"

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// authenticated runs next with the request's identity, or answers 401.
func (s *Server) authenticated(next func(http.ResponseWriter, *http.Request, *auth.Identity)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := s.auth.Authenticate(r.Header.Get("Authorization"))
		if err != nil {
			errmap.Write(w, errmap.Unauthorized(err.Error()))
			return
		}
		next(w, r, id)
	})
}

func (s *Server) serveRPC(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		errmap.Write(w, errmap.New(errmap.CodeInvalidRequest, http.StatusMethodNotAllowed,
			"use POST /rpc with a JSON-RPC 2.0 request as the body"))
		return
	}
	// Required, not only checked when present: a body without a type (or a text/plain one) is a
	// "simple" cross-origin request that browsers send from any page without a CORS preflight.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		errmap.Write(w, errmap.New(errmap.CodeInvalidRequest, http.StatusUnsupportedMediaType,
			"send the request with Content-Type: application/json"))
		return
	}
	id, err := s.auth.Authenticate(r.Header.Get("Authorization"))
	if err != nil {
		errmap.Write(w, errmap.Unauthorized(err.Error()))
		return
	}
	body, done, ok := s.readRequestBody(w, r)
	// The body's memory counts until the response is written.
	defer done()
	if !ok {
		return
	}
	status, out := s.disp.Handle(r.Context(), rpc.Session{Role: id.Role, Claims: id.Claims}, body)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfter)
	}
	if out == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(out)
}

// readRequestBody reads a request body within MaxBodyBytes and the in-flight budget. On failure
// it has answered (413, 503, 408 or 400) and returns ok false. done gives the body's share of
// the budget back: call it once the response is written.
func (s *Server) readRequestBody(w http.ResponseWriter, r *http.Request) (body []byte, done func(), ok bool) {
	body, taken, err := readBody(r.Body, r.ContentLength, s.cfg.MaxBodyBytes, &s.bodies)
	done = func() { s.bodies.give(taken) }
	if err == nil {
		return body, done, true
	}
	// The rest of the body is not wanted: close the connection after the answer rather
	// than read the body to its end first.
	w.Header().Set("Connection", "close")
	var ne net.Error
	switch {
	case errors.Is(err, errBodyTooLarge):
		errmap.Write(w, errmap.New(errmap.CodeInvalidRequest, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("the body is larger than %d bytes", s.cfg.MaxBodyBytes)))
	case errors.Is(err, errBusy):
		s.shed(w, "body_bytes", "too many request bodies are being read or run; retry later")
	case errors.As(err, &ne) && ne.Timeout():
		errmap.Write(w, errmap.New(errmap.CodeInvalidRequest, http.StatusRequestTimeout,
			fmt.Sprintf("the request was not read within %s: send the body at once", s.cfg.ReadTimeout)))
	default:
		errmap.Write(w, errmap.New(errmap.CodeParse, http.StatusBadRequest, "could not read the body"))
	}
	return nil, done, false
}

// session authenticates a request for the module routes, as /rpc does.
func (s *Server) session(r *http.Request) (rpc.Session, *errmap.Error) {
	id, err := s.auth.Authenticate(r.Header.Get("Authorization"))
	if err != nil {
		return rpc.Session{}, errmap.Unauthorized(err.Error())
	}
	return rpc.Session{Role: id.Role, Claims: id.Claims}, nil
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		errmap.Write(w, errmap.New(errmap.CodeUnavailable, http.StatusServiceUnavailable, "shutting down"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var one int
	if err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		s.log.Warn().Err(err).Msg("readiness check failed")
		errmap.Write(w, errmap.New(errmap.CodeUnavailable, http.StatusServiceUnavailable, "the database does not answer"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "methods": s.disp.Catalog().Len(), "listen": s.hub.Connected()})
}

// recorder notes the status a handler wrote.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush on the real writer (SSE needs it).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// instrument counts and logs requests to a route.
func (s *Server) instrument(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		defer func() {
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			s.metrics.http.WithLabelValues(route, fmt.Sprint(status)).Inc()
			ev := s.log.Debug()
			if route == "rpc" || route == "events" || status >= 400 {
				ev = s.log.Info()
			}
			ev.Str("method", r.Method).Str("path", r.URL.Path).Int("status", status).
				Dur("duration", time.Since(start)).Str("remote", r.RemoteAddr).Msg("request")
		}()
		next.ServeHTTP(rec, r)
	})
}

// recoverer turns a panic into a logged stack and a JSON-RPC internal error, never a trace
// sent to the client.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error().Interface("panic", v).Bytes("stack", debug.Stack()).Str("path", r.URL.Path).Msg("handler panicked")
			if rec.status == 0 {
				errmap.Write(w, errmap.Internal())
			}
		}()
		next.ServeHTTP(rec, r)
	})
}
