package advisorapi

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/howdah/howdah/sidecar/errmap"
	"github.com/howdah/howdah/sidecar/rpc"
)

// Channel is the notification scan() sends when it finishes (payload: the snapshot id); the
// sidecar calls Invalidate on it.
const Channel = "howdah_advisor"

// DefaultCacheTTL is how long a GET answer is served from the cache when Config.CacheTTL is 0.
const DefaultCacheTTL = 3 * time.Minute

// maxCacheEntries bounds the cache: when it is full, it is emptied before the next answer is kept.
const maxCacheEntries = 1024

// Dispatcher runs one call the way /rpc does (*rpc.Dispatcher).
type Dispatcher interface {
	Call(ctx context.Context, sess rpc.Session, method string, params json.RawMessage) (json.RawMessage, *errmap.Error)
	Catalog() *rpc.Catalog
}

// Config configures an API. The sidecar supplies Session and ReadBody, so that these routes
// authenticate and read bodies with its code and limits.
type Config struct {
	// Session authenticates a request: the role and claims to run as, or the error to answer
	// (401).
	Session func(r *http.Request) (rpc.Session, *errmap.Error)
	// ReadBody reads a POST body within the sidecar's limits. On failure it has written the
	// answer and returns ok false; done releases the body's share of the in-flight budget
	// once the response is written.
	ReadBody func(w http.ResponseWriter, r *http.Request) (body []byte, done func(), ok bool)
	// CacheTTL is how long GET answers are kept: 0 means DefaultCacheTTL, a negative value
	// turns the cache off.
	CacheTTL time.Duration
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// API serves the advisor routes.
type API struct {
	d   Dispatcher
	cfg Config
	mu  sync.Mutex
	// gen counts invalidations: an answer computed across one is not kept.
	gen     uint64
	entries map[string]entry
}

type entry struct {
	body    json.RawMessage
	expires time.Time
}

// New returns the API over d.
func New(d Dispatcher, cfg Config) *API {
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &API{d: d, cfg: cfg, entries: map[string]entry{}}
}

// Routes lists the routes and their handlers, for the sidecar's mux.
func (a *API) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"/bottlenecks": a.get("advisor.bottlenecks", func(r *http.Request) (map[string]any, *errmap.Error) {
			p := map[string]any{}
			if err := intParam(r, "limit", "lim", p); err != nil {
				return nil, err
			}
			return p, intParam(r, "snapshot_id", "snapshot_id", p)
		}),
		"/queries/{id}": a.get("advisor.query_detail", func(r *http.Request) (map[string]any, *errmap.Error) {
			id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
			if err != nil {
				return nil, errmap.InvalidParams("query_id", fmt.Sprintf("the query id in the path must be an integer, not %q", r.PathValue("id")))
			}
			p := map[string]any{"query_id": id}
			return p, intParam(r, "snapshot_id", "snapshot_id", p)
		}),
		"/simulate": a.post("advisor.simulate", []string{"query_id", "rec_id", "mode", "sandbox"}),
		"/chat":     a.post("advisor.ask", []string{"question", "query_id"}),
	}
}

// Invalidate drops every cached answer (a scan finished).
func (a *API) Invalidate() {
	a.mu.Lock()
	a.gen++
	clear(a.entries)
	a.mu.Unlock()
}

// intParam copies the query-string integer `name` into p[param] when it is given.
func intParam(r *http.Request, name, param string, p map[string]any) *errmap.Error {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return errmap.InvalidParams(param, fmt.Sprintf("%s must be an integer, not %q", name, v))
	}
	p[param] = n
	return nil
}

// installed answers 404 and returns false when the catalog lacks method (the advisor module is
// not installed, or the function not yet: simulate comes with its own code file).
func (a *API) installed(w http.ResponseWriter, method string) bool {
	if a.d.Catalog().Lookup(method) != nil {
		return true
	}
	msg := "the advisor module is not installed in this database: install it with `howdah install advisor`"
	if a.d.Catalog().Lookup("advisor.bottlenecks") != nil {
		msg = fmt.Sprintf("%s is not in this database: upgrade the advisor module with `howdah upgrade advisor`", method)
	}
	errmap.Write(w, errmap.New(errmap.CodeMethodNotFound, http.StatusNotFound, msg))
	return false
}

func onlyMethod(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method || method == http.MethodGet && r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", method)
	errmap.Write(w, errmap.New(errmap.CodeInvalidRequest, http.StatusMethodNotAllowed, fmt.Sprintf("use %s %s", method, r.URL.Path)))
	return false
}

func (a *API) get(method string, params func(*http.Request) (map[string]any, *errmap.Error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !onlyMethod(w, r, http.MethodGet) || !a.installed(w, method) {
			return
		}
		sess, aerr := a.cfg.Session(r)
		if aerr != nil {
			errmap.Write(w, aerr)
			return
		}
		p, perr := params(r)
		if perr != nil {
			errmap.Write(w, perr)
			return
		}
		// The key holds the role: a role never reads another's answer. Authentication ran
		// above, so an expired token is refused even when its answer is cached.
		key := sess.Role + "\x00" + r.URL.Path + "?" + r.URL.RawQuery
		if body, ok := a.lookup(key); ok {
			w.Header().Set("X-Howdah-Cache", "hit")
			writeResult(w, body)
			return
		}
		gen := a.generation()
		raw, _ := json.Marshal(p)
		body, cerr := a.d.Call(r.Context(), sess, method, raw)
		if cerr != nil {
			errmap.Write(w, cerr)
			return
		}
		a.store(key, body, gen)
		w.Header().Set("X-Howdah-Cache", "miss")
		writeResult(w, body)
	})
}

func (a *API) post(method string, fields []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !onlyMethod(w, r, http.MethodPost) || !a.installed(w, method) {
			return
		}
		// As for /rpc: a body without this type is a "simple" cross-origin request that any
		// page could send without a CORS preflight.
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			errmap.Write(w, errmap.New(errmap.CodeInvalidRequest, http.StatusUnsupportedMediaType, "send the body with Content-Type: application/json"))
			return
		}
		sess, aerr := a.cfg.Session(r)
		if aerr != nil {
			errmap.Write(w, aerr)
			return
		}
		body, done, ok := a.cfg.ReadBody(w, r)
		defer done()
		if !ok {
			return
		}
		var in map[string]json.RawMessage
		if err := json.Unmarshal(body, &in); err != nil || in == nil {
			errmap.Write(w, errmap.New(errmap.CodeInvalidRequest, http.StatusBadRequest,
				fmt.Sprintf("the body must be a JSON object with the fields %v", fields)))
			return
		}
		allowed := map[string]bool{}
		for _, f := range fields {
			allowed[f] = true
		}
		for k := range in {
			if !allowed[k] {
				errmap.Write(w, errmap.InvalidParams(k, fmt.Sprintf("unknown field %q: %s %s takes %v", k, r.Method, r.URL.Path, fields)))
				return
			}
		}
		res, cerr := a.d.Call(r.Context(), sess, method, body)
		if cerr != nil {
			errmap.Write(w, cerr)
			return
		}
		writeResult(w, res)
	})
}

func writeResult(w http.ResponseWriter, body json.RawMessage) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(append(body, '\n'))
}

func (a *API) generation() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.gen
}

func (a *API) lookup(key string) (json.RawMessage, bool) {
	if a.cfg.CacheTTL < 0 {
		return nil, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.entries[key]
	if !ok {
		return nil, false
	}
	if !a.cfg.Now().Before(e.expires) {
		delete(a.entries, key)
		return nil, false
	}
	return e.body, true
}

// store keeps an answer unless the cache was invalidated since gen (the answer may predate the
// scan that invalidated it).
func (a *API) store(key string, body json.RawMessage, gen uint64) {
	if a.cfg.CacheTTL < 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen != gen {
		return
	}
	if len(a.entries) >= maxCacheEntries {
		clear(a.entries)
	}
	a.entries[key] = entry{body: body, expires: a.cfg.Now().Add(a.cfg.CacheTTL)}
}
