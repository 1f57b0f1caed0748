package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/howdah/howdah/sidecar/errmap"
)

// Session is who a request runs as: the role to switch to and the claims SQL can read.
type Session struct {
	// Role is applied with set_config('role', Role, true), the function form of SET LOCAL ROLE.
	Role string
	// Claims is a JSON object, readable as current_setting('request.jwt.claims', true).
	Claims string
}

// Outcome is reported to Config.Observe after each call.
type Outcome struct {
	// Method is the method name, or "unknown" for one the catalog does not have (to bound label
	// cardinality), or "invalid" for a request that could not be decoded.
	Method string
	// Code is 0 for success, else the JSON-RPC error code.
	Code     int
	Duration time.Duration
}

// Defaults of Config.
const (
	// DefaultStatementTimeout bounds one call.
	DefaultStatementTimeout = 30 * time.Second
	// DefaultRequestTimeout bounds a whole request: long enough for one call that waited the
	// whole DefaultAcquireTimeout and then ran its whole DefaultStatementTimeout, and shorter
	// than the 60 s after which common reverse proxies (nginx's proxy_read_timeout, cloud load
	// balancers' idle timeouts) give up, so that the client reads the sidecar's error rather
	// than the proxy's.
	DefaultRequestTimeout = 45 * time.Second
	// DefaultAcquireTimeout bounds the wait for a pool connection (PostgREST waits as long).
	DefaultAcquireTimeout = 10 * time.Second
	// DefaultMaxResponseBytes bounds one response: a result is held about twice while it is
	// answered (as read from the server, and in the response), so some 130 MB at the most.
	DefaultMaxResponseBytes = 64 << 20
)

// deadlineGrace is how long past the request's deadline its context lives. At the deadline
// the running call is stopped by PostgreSQL (its statement_timeout is clipped to the time
// left), which keeps the connection; cancelling through the context is the backstop, and it
// costs the connection.
const deadlineGrace = time.Second

// Config configures a Dispatcher. A nil Config means defaults.
type Config struct {
	// StatementTimeout bounds each call (SET LOCAL statement_timeout); 0 means
	// DefaultStatementTimeout.
	StatementTimeout time.Duration
	// RequestTimeout bounds each Handle, a whole batch included: a call still running at the
	// deadline is cancelled and the calls after it are not run, each answered with a
	// CodeTimeout error naming the deadline. 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// AcquireTimeout bounds the wait for a pool connection; a request that waited that long
	// gets CodeUnavailable (HTTP 503), and so do the calls of its batch after it. 0 means
	// DefaultAcquireTimeout.
	AcquireTimeout time.Duration
	// MaxResponseBytes bounds the results of one request, a batch's together: a call whose
	// result would pass it gets CodeInvalidRequest (HTTP 400) naming the limit, and its result
	// is not kept. 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int
	// Version is the OpenRPC document's info.version (the sidecar gives the howdah release);
	// empty means "0".
	Version string
	// Logger receives internal errors; the zero value logs nothing.
	Logger zerolog.Logger
	// Observe, when set, is called after each call (for metrics).
	Observe func(Outcome)
}

// Dispatcher runs JSON-RPC requests against the functions of the current catalog.
type Dispatcher struct {
	pool    *pgxpool.Pool
	cfg     Config
	catalog atomic.Pointer[Catalog]
	// maxStmts bounds the call statements prepared on each connection.
	maxStmts int
}

// New returns a Dispatcher calling functions through pool, starting with an empty catalog
// (call Reload).
func New(pool *pgxpool.Pool, cfg *Config) *Dispatcher {
	d := &Dispatcher{pool: pool, maxStmts: defaultMaxStatements}
	if cfg != nil {
		d.cfg = *cfg
	}
	for _, f := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&d.cfg.StatementTimeout, DefaultStatementTimeout}, {&d.cfg.RequestTimeout, DefaultRequestTimeout},
		{&d.cfg.AcquireTimeout, DefaultAcquireTimeout},
	} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	if d.cfg.MaxResponseBytes <= 0 {
		d.cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if d.cfg.Version == "" {
		d.cfg.Version = "0"
	}
	d.catalog.Store(newCatalog(nil, nil, d.cfg.Version))
	return d
}

// Catalog returns the catalog in use.
func (d *Dispatcher) Catalog() *Catalog { return d.catalog.Load() }

// Reload reads the catalog again and swaps it in; on error the old one stays.
func (d *Dispatcher) Reload(ctx context.Context) (*Catalog, error) {
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	// The read runs as the login role and may cache plans for it: the next call on this
	// connection must discard them.
	forgetSession(conn.Conn().PgConn())
	c, err := Load(ctx, conn, d.cfg.Version)
	if err != nil {
		return nil, err
	}
	d.catalog.Store(c)
	return c, nil
}

// Handle runs a request body as sess and returns the HTTP status and the response body (nil
// when every request was a notification).
func (d *Dispatcher) Handle(ctx context.Context, sess Session, body []byte) (int, []byte) {
	start := time.Now()
	reqs, batch, derr := Decode(body)
	if derr != nil {
		d.observe(Outcome{Method: "invalid", Code: derr.Code, Duration: time.Since(start)})
		return derr.Status, AppendError(nil, nil, derr)
	}
	var out []byte
	status := http.StatusOK
	if batch {
		out = append(out, '[')
	}
	wrote := false
	d.runAll(ctx, start, sess, reqs, func(r *Request, result json.RawMessage, rerr *errmap.Error) *errmap.Error {
		if rerr == nil && len(out)+len(result) > d.cfg.MaxResponseBytes {
			result, rerr = nil, d.tooLarge(len(result))
		}
		if r.Notification() {
			return rerr
		}
		if wrote {
			out = append(out, ',')
		}
		wrote = true
		if rerr != nil {
			out = AppendError(out, r.ID, rerr)
			if !batch {
				status = rerr.Status
			}
		} else {
			if out == nil {
				out = make([]byte, 0, len(result)+len(r.ID)+32)
			}
			out = AppendResult(out, r.ID, result)
		}
		return rerr
	})
	if !wrote {
		return http.StatusNoContent, nil
	}
	if batch {
		out = append(out, ']')
	}
	return status, out
}

// Call runs one method as sess and returns its JSON result: the same catalog, pool, deadline
// (RequestTimeout), statement timeout, role switching, response limit and error mapping as a
// JSON-RPC request holding that one call. Module REST routes (sidecar/advisorapi) use it, so
// that they behave exactly as /rpc does. params is a JSON object, an array, or nil.
func (d *Dispatcher) Call(ctx context.Context, sess Session, method string, params json.RawMessage) (json.RawMessage, *errmap.Error) {
	r := d.Calls(ctx, sess, CallSpec{Method: method, Params: params})[0]
	return r.Value, r.Err
}

// CallSpec is one call of Calls: a method and its params (an object or an array, nil for none).
type CallSpec struct {
	Method string
	Params json.RawMessage
}

// Result is the outcome of one call of Calls: Value, or Err.
type Result struct {
	Value json.RawMessage
	Err   *errmap.Error
}

// Calls runs calls as sess exactly as Handle runs a batch of them (the catalog's functions
// only, one pool connection, the request deadline, the statement timeout, the role switch, the
// response limit and the error mapping), for callers in this process: the dashboard.
func (d *Dispatcher) Calls(ctx context.Context, sess Session, calls ...CallSpec) []Result {
	reqs := make([]Request, len(calls))
	for i, c := range calls {
		reqs[i] = Request{Method: c.Method, Params: c.Params, ID: json.RawMessage(strconv.Itoa(i))}
	}
	out := make([]Result, len(calls))
	size, i := 0, 0
	d.runAll(ctx, time.Now(), sess, reqs, func(_ *Request, result json.RawMessage, rerr *errmap.Error) *errmap.Error {
		if rerr == nil && size+len(result) > d.cfg.MaxResponseBytes {
			result, rerr = nil, d.tooLarge(len(result))
		}
		size += len(result)
		out[i] = Result{Value: result, Err: rerr}
		i++
		return rerr
	})
	return out
}

// runAll runs reqs in order as sess, on one connection and within one request deadline
// counted from start, and hands each outcome to done, which returns the error to report to
// Observe (done may turn a result into an error).
func (d *Dispatcher) runAll(ctx context.Context, start time.Time, sess Session, reqs []Request,
	done func(r *Request, result json.RawMessage, rerr *errmap.Error) *errmap.Error) {
	cat := d.catalog.Load()
	h := &handling{deadline: start.Add(d.cfg.RequestTimeout)}
	ctx, cancel := context.WithDeadline(ctx, h.deadline.Add(deadlineGrace))
	defer cancel()
	defer func() {
		if h.conn != nil {
			h.conn.Release()
		}
	}()
	for i := range reqs {
		r := &reqs[i]
		t0 := time.Now()
		if i > 0 {
			start = t0
		}
		result, rerr := d.call(ctx, cat, sess, r, h)
		rerr = done(r, result, rerr)
		label := "invalid"
		if r.Err == nil {
			label = "unknown"
			if r.Method == DiscoverMethod || cat.Lookup(r.Method) != nil {
				label = r.Method
			}
		}
		code := 0
		if rerr != nil {
			code = rerr.Code
		}
		d.observe(Outcome{Method: label, Code: code, Duration: time.Since(start)})
	}
}

func (d *Dispatcher) observe(o Outcome) {
	if d.cfg.Observe != nil {
		d.cfg.Observe(o)
	}
}

// handling is the state of one Handle: the connection its calls share, its deadline, and the
// error that ends the batch early when the pool had no connection to give.
type handling struct {
	conn     *pgxpool.Conn
	deadline time.Time
	busy     *errmap.Error
}

// deadlineError answers a call that the request's deadline cancelled (ran) or left unrun.
func (d *Dispatcher) deadlineError(ran bool) *errmap.Error {
	what := "this call was not run"
	if ran {
		what = "this call was cancelled"
	}
	return errmap.New(errmap.CodeTimeout, http.StatusGatewayTimeout, fmt.Sprintf(
		"the request ran past its deadline of %s: %s; send fewer or faster calls per request", d.cfg.RequestTimeout, what))
}

// tooLarge answers a call whose result would make the response larger than MaxResponseBytes.
func (d *Dispatcher) tooLarge(n int) *errmap.Error {
	return errmap.New(errmap.CodeInvalidRequest, http.StatusBadRequest, fmt.Sprintf(
		"the result is %d bytes, more than this server sends in one response (%d with the calls before it): ask for less (a smaller lim, a filter) or over several requests",
		n, d.cfg.MaxResponseBytes))
}

// busyError answers a call that got no pool connection within AcquireTimeout.
func (d *Dispatcher) busyError() *errmap.Error {
	return errmap.New(errmap.CodeUnavailable, http.StatusServiceUnavailable, fmt.Sprintf(
		"no database connection became free within %s: the server is busy; retry later", d.cfg.AcquireTimeout))
}

// acquire takes a pool connection for the request within AcquireTimeout and the deadline.
func (d *Dispatcher) acquire(ctx context.Context, h *handling) *errmap.Error {
	wait := min(d.cfg.AcquireTimeout, time.Until(h.deadline))
	actx, cancel := context.WithTimeout(ctx, wait)
	pc, err := d.pool.Acquire(actx)
	cancel()
	switch {
	case err == nil:
		h.conn = pc
		return nil
	case ctx.Err() == nil && !time.Now().Before(h.deadline):
		return d.deadlineError(false)
	case ctx.Err() == nil && actx.Err() != nil:
		// The pool is saturated: answer now rather than queue without end; the rest of the
		// batch would wait as long again, so it gets the same answer.
		d.cfg.Logger.Warn().Dur("waited", wait).Int32("pool_max_conns", d.pool.Config().MaxConns).
			Msg("no pool connection became free: request refused")
		h.busy = d.busyError()
		return h.busy
	default:
		d.cfg.Logger.Error().Err(err).Msg("acquire a connection")
		return errmap.From(err)
	}
}

// call runs one request, acquiring h.conn on first need.
func (d *Dispatcher) call(ctx context.Context, cat *Catalog, sess Session, r *Request, h *handling) (json.RawMessage, *errmap.Error) {
	if r.Err != nil {
		return nil, r.Err
	}
	if r.Method == DiscoverMethod {
		return cat.OpenRPC(), nil
	}
	f := cat.Lookup(r.Method)
	if f == nil {
		return nil, errmap.New(errmap.CodeMethodNotFound, http.StatusNotFound,
			"method not found: "+strconv.Quote(r.Method)+"; rpc.discover lists the methods")
	}
	c, berr := f.Bind(r.Params)
	if berr != nil {
		return nil, berr
	}
	if h.busy != nil {
		return nil, h.busy
	}
	// The statement timeout is clipped to the time left, so that PostgreSQL itself stops a call
	// still running at the deadline.
	timeout, clipped := d.cfg.StatementTimeout, false
	if left := time.Until(h.deadline); left < timeout {
		timeout, clipped = left, true
	}
	if timeout < time.Millisecond {
		return nil, d.deadlineError(false)
	}
	timeoutMs := strconv.FormatInt(timeout.Milliseconds(), 10)
	var res json.RawMessage
	var err error
	for attempt := 0; ; attempt++ {
		if h.conn == nil {
			if e := d.acquire(ctx, h); e != nil {
				return nil, e
			}
		}
		res, err = d.run(ctx, h.conn.Conn(), sess, c, timeoutMs)
		var why string
		switch {
		case errors.Is(err, errStatementsLost):
			// The connection's prepared statements, pgx's cache included, are no longer what
			// their owners think.
			why = "a function deallocated the connection's prepared statements; closing the connection"
		case errors.Is(err, errSetupCanceled):
			// A session-level statement_timeout a function left behind stopped the settings.
			why = "the session settings were cancelled (a statement_timeout a function left on the session?); closing the connection"
		}
		if why == "" {
			break
		}
		// Close the connection: nothing ran, so the call is tried once more on another.
		d.cfg.Logger.Warn().Str("method", r.Method).Err(err).Msg(why)
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		h.conn.Conn().Close(cctx)
		cancel()
		h.conn.Release()
		h.conn = nil
		if attempt > 0 {
			break
		}
	}
	if err != nil {
		var se *setupError
		if errors.As(err, &se) {
			return nil, se.e
		}
		var tl *resultTooLargeError
		if errors.As(err, &tl) {
			return nil, d.tooLarge(tl.size)
		}
		if h.conn != nil && h.conn.Conn().IsClosed() {
			h.conn.Release()
			h.conn = nil
		}
		// Stopped at the deadline: by the clipped statement_timeout (57014), or by the context.
		var pe *pgconn.PgError
		isPg := errors.As(err, &pe)
		if clipped && !time.Now().Before(h.deadline) && (isPg && pe.Code == "57014" || !isPg && ctx.Err() != nil) {
			e := d.deadlineError(true)
			if isPg {
				e.Data = &errmap.Data{SQLState: pe.Code}
			}
			return nil, e
		}
		e := errmap.From(err)
		if e.Code == errmap.CodeInternal || e.Code == errmap.CodeUnavailable {
			// The caller got no details: the log has all of them.
			ev := d.cfg.Logger.Error().Err(err).Str("method", r.Method)
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				ev = ev.Str("sqlstate", pe.Code).Str("detail", pe.Detail).Str("hint", pe.Hint).Str("where", pe.Where)
			}
			ev.Msg("call failed")
		}
		return nil, e
	}
	return res, nil
}

// ErrRoleRefused is the error of a request whose role the login role cannot switch into, or
// that names the login role itself: 403 with a fixed message and no data.
func ErrRoleRefused() *errmap.Error {
	return errmap.New(errmap.CodeForbidden, http.StatusForbidden, "cannot act as the token's role")
}

// setupError is a failure to apply the session (role, claims): an authorization problem.
type setupError struct{ e *errmap.Error }

func (s *setupError) Error() string { return s.e.Message }

// errStatementsLost is the error of a call whose prepared statement is gone from the server:
// a function ran DEALLOCATE. Such a call failed at Bind, before running.
var errStatementsLost = errors.New("the connection's prepared statements were deallocated")

// errSetupCanceled is the error of a call whose session settings were cancelled before the call
// ran (57014): a session-level statement_timeout left by an earlier function stops even them, so
// the connection is closed and the call tried once more on another.
var errSetupCanceled = errors.New("the session settings were cancelled")

// statementLost reports whether err says that a statement the pipeline named does not exist
// (SQLSTATE 26000 with no context: the same error raised inside a function has one).
func statementLost(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "26000" && pe.Where == ""
}

const setupStmt = "howdah_session"

// maxRoleNameLen is the longest role name PostgreSQL keeps, in bytes.
const maxRoleNameLen = 63

const setupSQL = `SELECT pg_catalog.set_config('role', $1, true), pg_catalog.set_config('request.jwt.claims', $2, true),
       pg_catalog.set_config('statement_timeout', $3, true)`

// run sends the session settings and the call in one round trip: one pipeline ending in a
// single Sync, so both statements run in one implicit transaction; the settings are
// transaction-local, and an error in either rolls back both.
//
// Both are prepared statements of the connection, prepared in the pipeline on their first use
// there, after the settings, so that the call's text is analysed as the request's role. A plan
// must not serve a role other than the one it was made for: PostgreSQL checks EXECUTE on a
// simple SQL function for the planning role and then inlines it into the plan, and checks USAGE
// on the schemas a statement names when it analyses the statement, so a cached plan or query
// tree reused under another role skips both checks. The same holds one level down, for the
// plans PL/pgSQL caches for each statement of a function for the life of the session. So when
// the role or the claims differ from the last call's on this connection, the pipeline runs
// DISCARD PLANS after the settings and before the call: it invalidates every cached plan of the
// session, the prepared statements' (which are then analysed and planned again, as the new
// role) and PL/pgSQL's included, and is allowed in a transaction.
func (d *Dispatcher) run(ctx context.Context, conn *pgx.Conn, sess Session, c *Call, timeoutMs string) (json.RawMessage, error) {
	pc := conn.PgConn()
	// Acting as the login role itself would give the request what only the sidecar may do:
	// refuse it like "none" (session_authorization is reported by the server at connect).
	if sess.Role == pc.ParameterStatus("session_authorization") {
		d.cfg.Logger.Warn().Str("role", sess.Role).Msg("refused a request whose role is the sidecar's login role")
		return nil, &setupError{ErrRoleRefused()}
	}
	// PostgreSQL truncates a role name to 63 bytes (NAMEDATALEN - 1), so a longer one would run
	// as whatever role its first 63 bytes name, the login role included. sidecar/auth refuses
	// such claims with a clear 401; this guards every other way in.
	if len(sess.Role) > maxRoleNameLen {
		d.cfg.Logger.Warn().Str("role", sess.Role).Msg("refused a request whose role name is longer than 63 bytes")
		return nil, &setupError{ErrRoleRefused()}
	}
	params := make([][]byte, len(c.Args))
	for i, a := range c.Args {
		if s, ok := a.(string); ok {
			params[i] = []byte(s)
		}
	}
	st := stateOf(pc)
	discard := !st.valid || st.session != sess
	call, prepare, evict := st.lookup(c.SQL, d.maxStmts)

	p := pc.StartPipeline(ctx)
	if evict != "" {
		// First, where nothing can fail before it: a statement missing from the map must be
		// gone from the server too.
		p.SendDeallocate(evict)
	}
	settings := [][]byte{[]byte(sess.Role), []byte(sess.Claims), []byte(timeoutMs)}
	if st.setup == nil {
		p.SendPrepare(setupStmt, setupSQL, nil)
		p.SendQueryPrepared(setupStmt, settings, nil, nil)
	} else {
		p.SendQueryStatement(st.setup, settings, nil, nil)
	}
	if discard {
		p.SendQueryParams("DISCARD PLANS", nil, nil, nil, nil)
	}
	if prepare {
		p.SendPrepare(call.name, c.SQL, nil)
		p.SendQueryPrepared(call.name, params, nil, nil)
	} else {
		p.SendQueryStatement(call.desc, params, nil, nil)
	}
	if err := p.Sync(); err != nil {
		p.Close()
		return nil, err
	}
	// The results come in the order of the requests; after an error the server skips to the
	// Sync, and Close reads up to it.
	var (
		serr, cerr error
		out        []byte
		null       bool
		tooLarge   int
	)
	next := func() (any, error) {
		res, err := p.GetResults()
		if rr, ok := res.(*pgconn.ResultReader); ok && err == nil {
			_, err = rr.Close()
		}
		return res, err
	}
	if evict != "" {
		_, cerr = next()
	}
	if cerr == nil && st.setup == nil {
		var res any
		if res, cerr = next(); cerr == nil {
			st.setup = named(res, setupStmt, setupSQL)
		}
	}
	if cerr == nil {
		_, serr = next()
	}
	if cerr == nil && serr == nil && discard {
		if _, cerr = next(); cerr == nil {
			// The plans are gone whatever happens to the call; plans made from here on are
			// made for this session.
			st.session, st.valid = sess, true
		}
	}
	if cerr == nil && serr == nil && prepare {
		var res any
		if res, cerr = p.GetResults(); cerr == nil {
			if call.desc = named(res, call.name, c.SQL); call.desc != nil {
				st.stmts[c.SQL] = call
			}
		}
	}
	if cerr == nil && serr == nil {
		res, err := p.GetResults()
		if rr, ok := res.(*pgconn.ResultReader); ok && err == nil {
			for rr.NextRow() {
				if v := rr.Values()[0]; v == nil {
					null = true
				} else if len(v) > d.cfg.MaxResponseBytes {
					tooLarge = len(v) // not copied: Handle refuses it
				} else {
					out = append(out[:0], v...)
				}
			}
			_, err = rr.Close()
		} else if err == nil {
			err = fmt.Errorf("pipeline: unexpected result %T for the call", res)
		}
		cerr = err
	}
	closeErr := p.Close()
	if statementLost(serr) || statementLost(cerr) {
		return nil, fmt.Errorf("%w: %w", errStatementsLost, errors.Join(serr, cerr))
	}
	if serr != nil {
		var pe *pgconn.PgError
		if errors.As(serr, &pe) && pe.Code == "57014" {
			return nil, fmt.Errorf("%w: %w", errSetupCanceled, serr)
		}
		if errors.As(serr, &pe) {
			// One answer whatever the reason (no such role, not granted...): the caller must not
			// learn which roles exist. The log has the server's words.
			d.cfg.Logger.Warn().Str("role", sess.Role).Str("sqlstate", pe.Code).Str("error", pe.Message).
				Str("detail", pe.Detail).Str("hint", pe.Hint).Msg("cannot switch into the request's role")
			return nil, &setupError{ErrRoleRefused()}
		}
		return nil, serr
	}
	if cerr != nil {
		return nil, cerr
	}
	if closeErr != nil {
		return nil, closeErr
	}
	if tooLarge > 0 {
		return nil, &resultTooLargeError{size: tooLarge}
	}
	if null || out == nil {
		return json.RawMessage("null"), nil
	}
	return json.RawMessage(out), nil
}

// resultTooLargeError is a call whose result alone is larger than MaxResponseBytes; it ran.
type resultTooLargeError struct{ size int }

func (e *resultTooLargeError) Error() string { return fmt.Sprintf("result of %d bytes", e.size) }

// named returns the description of a statement the pipeline prepared, or nil when res is not
// one; the pipeline leaves the name and the text out.
func named(res any, name, sql string) *pgconn.StatementDescription {
	sd, ok := res.(*pgconn.StatementDescription)
	if !ok {
		return nil
	}
	sd.Name, sd.SQL = name, sql
	return sd
}
