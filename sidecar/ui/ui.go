package ui

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"

	"github.com/rs/zerolog"

	"github.com/howdah/howdah/sidecar/auth"
	"github.com/howdah/howdah/sidecar/errmap"
	"github.com/howdah/howdah/sidecar/rpc"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// DefaultMaxFormBytes bounds a form post: the forms are a token, a CSRF token and a few ids.
const DefaultMaxFormBytes = 64 << 10

// Config configures a UI. Dispatcher and Auth are required.
type Config struct {
	// Dispatcher runs every call the pages make, as the signed-in role.
	Dispatcher *rpc.Dispatcher
	// Auth checks pasted tokens and gives the anonymous role.
	Auth *auth.Authenticator
	// Events serves the live updates of /ui/events as the signed-in identity: the sidecar's own
	// /events stream, with its limits. Nil means no live updates (pages still refresh on a timer).
	Events func(w http.ResponseWriter, r *http.Request, id *auth.Identity)
	// Key signs CSRF tokens; nil means 32 random bytes made by New (forms of pages loaded before a
	// restart are then refused with a message asking to reload).
	Key []byte
	// MaxFormBytes bounds a form post; 0 means DefaultMaxFormBytes.
	MaxFormBytes int64
	// Logger receives errors the pages hide from their readers.
	Logger zerolog.Logger
}

// UI is the dashboard's HTTP handler, mounted at /ui/.
type UI struct {
	cfg   Config
	key   []byte
	mux   *http.ServeMux
	pages map[string]*template.Template
	// static is the embedded static directory, served under /ui/static/.
	static http.Handler
}

// section is one entry of the navigation: shown when its module is installed, that is when the
// catalog of callable functions has Probe. The advisor's pages add an entry here.
type section struct {
	Name   string
	Path   string
	Module string
	Probe  string
}

var sections = []section{
	{Name: "Bottlenecks", Path: "/ui/advisor", Module: "advisor", Probe: "advisor.bottlenecks"},
	{Name: "Queues", Path: "/ui/queues", Module: "queue", Probe: "queue.stats"},
	{Name: "Catalog", Path: "/ui/catalog", Module: "catalog", Probe: "howdah.list_schemas"},
}

// New checks cfg and parses the templates.
func New(cfg *Config) (*UI, error) {
	if cfg == nil || cfg.Dispatcher == nil || cfg.Auth == nil {
		return nil, errors.New("ui: Config.Dispatcher and Config.Auth are required")
	}
	u := &UI{cfg: *cfg, key: cfg.Key}
	if u.cfg.MaxFormBytes <= 0 {
		u.cfg.MaxFormBytes = DefaultMaxFormBytes
	}
	if len(u.key) == 0 {
		u.key = make([]byte, 32)
		if _, err := rand.Read(u.key); err != nil {
			return nil, err
		}
	}
	if err := u.parse(); err != nil {
		return nil, err
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	files := http.StripPrefix("/ui/static/", http.FileServer(http.FS(sub)))
	u.static = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The page links each file with ?v=<version of this build>, so a day of caching is safe.
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
	u.routes()
	return u, nil
}

var funcs = template.FuncMap{
	"json": func(v any) string { b, _ := json.Marshal(v); return string(b) },
	"ms":   ms,
	"num":  trim,
	"pct":  func(f float64) float64 { return f * 100 },
	"inc":  func(i int) int { return i + 1 },
	"deref": func(v any) any {
		switch x := v.(type) {
		case *string:
			if x != nil {
				return *x
			}
			return ""
		case *bool:
			return x != nil && *x
		}
		return v
	},
}

// pageFiles are the templates of each page besides layout.html.
var pageFiles = map[string][]string{
	"signin": {"signin"}, "queues": {"queues"}, "catalog": {"catalog"}, "error": {"error"}, "notinstalled": {"notinstalled"},
	"advisor": {"advisor"}, "query": {"query", "advisor_parts"}, "answer": {"answer", "advisor_parts"},
}

func (u *UI) parse() error {
	u.pages = map[string]*template.Template{}
	for page, names := range pageFiles {
		files := []string{"templates/layout.html"}
		for _, n := range names {
			files = append(files, "templates/"+n+".html")
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, files...)
		if err != nil {
			return fmt.Errorf("ui: parse %s: %w", page, err)
		}
		u.pages[page] = t
	}
	return nil
}

// ServeHTTP serves the dashboard.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Pages load nothing from elsewhere and are never framed.
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
		"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	tw := &trackingWriter{ResponseWriter: w}
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		u.cfg.Logger.Error().Interface("panic", v).Bytes("stack", debug.Stack()).Str("path", r.URL.Path).Msg("dashboard handler panicked")
		if !tw.wrote {
			u.render(w, r, http.StatusInternalServerError, "error", &view{Title: "Error", Error: explain(errmap.Internal())})
		}
	}()
	u.mux.ServeHTTP(tw, r)
}

// trackingWriter notes whether a response was started, so that a panic is answered with an
// error page only when nothing was sent yet.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) { t.wrote = true; t.ResponseWriter.WriteHeader(code) }

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush (the event stream needs it).
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

func (u *UI) routes() {
	m := http.NewServeMux()
	m.Handle("GET /ui/static/", u.static)
	m.HandleFunc("GET /ui/{$}", u.home)
	m.HandleFunc("GET /ui/signin", u.signinPage)
	m.HandleFunc("POST /ui/signin", u.signin)
	m.HandleFunc("POST /ui/signout", u.signout)
	m.HandleFunc("GET /ui/events", u.events)
	m.HandleFunc("GET /ui/queues", u.page(u.queues))
	m.HandleFunc("GET /ui/queues/panel", u.page(u.queuesPanel))
	m.HandleFunc("POST /ui/queues/jobs/{id}/{action}", u.page(u.jobAction))
	m.HandleFunc("GET /ui/catalog", u.page(u.catalog))
	m.HandleFunc("GET /ui/catalog/{schema}", u.page(u.catalog))
	m.HandleFunc("GET /ui/catalog/{schema}/{table}", u.page(u.catalog))
	m.HandleFunc("GET /ui/catalog/{schema}/{table}/edit", u.page(u.editRecord))
	m.HandleFunc("POST /ui/catalog/{schema}/{table}/edit", u.page(u.editRecord))
	m.HandleFunc("GET /ui/advisor", u.page(u.advisorPage))
	m.HandleFunc("POST /ui/advisor/scan", u.page(u.scanNow))
	m.HandleFunc("GET /ui/advisor/queries/{id}", u.page(u.queryPage))
	m.HandleFunc("POST /ui/advisor/queries/{id}/simulate", u.page(u.simulateAction))
	m.HandleFunc("POST /ui/advisor/queries/{id}/ask", u.page(u.askAction))
	m.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		u.render(w, r, http.StatusNotFound, "error", &view{Title: "Not found", Error: &problem{
			Title:   "There is no page here",
			Message: fmt.Sprintf("%s %s is not a dashboard page.", r.Method, r.URL.Path),
			Try:     []string{"Use the navigation above, or start again from /ui/."},
		}})
	})
	u.mux = m
}

// request is one signed-in request: who it runs as, and the view its page fills.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	sess *session
	id   *auth.Identity
	view *view
}

// htmx reports whether the request was made by htmx for a fragment (not a history restore).
func (q *request) htmx() bool {
	return q.r.Header.Get("HX-Request") == "true" && q.r.Header.Get("HX-History-Restore-Request") != "true"
}

// page wraps a handler of signed-in pages: it reads the session, authenticates it (a missing or
// expired sign-in goes to the sign-in page), checks the CSRF token of POSTs, and fills the
// common view.
func (u *UI) page(next func(q *request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		s := readSession(r)
		if s == nil || s.mode == modeSignedOut {
			u.toSignin(w, r, "")
			return
		}
		id, err := u.identify(s)
		if err != nil {
			u.toSignin(w, r, reason(err))
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, u.cfg.MaxFormBytes)
			if !u.csrfOK(r, s) {
				u.render(w, r, http.StatusForbidden, "error", &view{Title: "Refused", Error: csrfProblem()})
				return
			}
		}
		q := &request{w: w, r: r, sess: s, id: id}
		q.view = u.newView(s, id, r)
		next(q)
	}
}

func csrfProblem() *problem {
	return &problem{
		Title:   "This form was refused",
		Message: "The request did not carry this session's CSRF token, so it may have come from another site.",
		Try:     []string{"Reload the page and submit the form again.", "If the sidecar restarted since the page was loaded, reloading fixes it too."},
	}
}

// identify authenticates a session the way /rpc authenticates a request.
func (u *UI) identify(s *session) (*auth.Identity, error) {
	switch s.mode {
	case modeAnonymous:
		return u.cfg.Auth.Authenticate("")
	case modeToken:
		return u.cfg.Auth.Authenticate("Bearer " + s.token)
	}
	return nil, errors.New("not signed in")
}

// toSignin sends the browser to the sign-in page, with why as its message and the page to
// return to.
func (u *UI) toSignin(w http.ResponseWriter, r *http.Request, why string) {
	q := url.Values{}
	if r.Method == http.MethodGet && r.URL.Path != "/ui/queues/panel" {
		q.Set("next", r.URL.RequestURI())
	}
	if why != "" {
		q.Set("why", why)
	}
	to := "/ui/signin"
	if len(q) > 0 {
		to += "?" + q.Encode()
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// home goes to the first installed section.
func (u *UI) home(w http.ResponseWriter, r *http.Request) {
	cat := u.cfg.Dispatcher.Catalog()
	for _, s := range sections {
		if cat.Lookup(s.Probe) != nil {
			http.Redirect(w, r, s.Path, http.StatusSeeOther)
			return
		}
	}
	http.Redirect(w, r, sections[0].Path, http.StatusSeeOther)
}

// view is what every page template gets.
type view struct {
	Title     string
	Nav       []navItem
	Role      string
	Anonymous bool
	SignedIn  bool
	CSRF      string
	// Error, when set, is shown instead of (or above) the page's content.
	Error *problem
	// Missing is the section whose module is not installed (page notinstalled).
	Missing *section
	// Page is the page's own data.
	Page any
}

type navItem struct {
	Name    string
	Path    string
	Current bool
}

func (u *UI) newView(s *session, id *auth.Identity, r *http.Request) *view {
	v := &view{SignedIn: id != nil, CSRF: u.csrfToken(s)}
	if id != nil {
		v.Role, v.Anonymous = id.Role, id.Anonymous
	}
	cat := u.cfg.Dispatcher.Catalog()
	for _, sec := range sections {
		if cat.Lookup(sec.Probe) != nil {
			v.Nav = append(v.Nav, navItem{Name: sec.Name, Path: sec.Path,
				Current: r.URL.Path == sec.Path || strings.HasPrefix(r.URL.Path, sec.Path+"/")})
		}
	}
	return v
}

// requireModule reports whether the section's module is installed; when it is not, it renders
// how to install it instead.
func (u *UI) requireModule(q *request, name string) bool {
	for i := range sections {
		if sections[i].Name == name && u.cfg.Dispatcher.Catalog().Lookup(sections[i].Probe) == nil {
			q.view.Title = name
			q.view.Missing = &sections[i]
			u.render(q.w, q.r, http.StatusNotFound, "notinstalled", q.view)
			return false
		}
	}
	return true
}

// render executes a page template into a buffer, so that a template error never sends half a
// page, and writes it with status.
func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	u.renderTemplate(w, status, page, "layout.html", v)
}

// renderFragment writes one named template of a page (an htmx swap target).
func (u *UI) renderFragment(w http.ResponseWriter, status int, page, name string, v *view) {
	u.renderTemplate(w, status, page, name, v)
}

func (u *UI) renderTemplate(w http.ResponseWriter, status int, page, name string, v *view) {
	var buf bytes.Buffer
	if err := u.pages[page].ExecuteTemplate(&buf, name, v); err != nil {
		u.cfg.Logger.Error().Err(err).Str("page", page).Str("template", name).Msg("dashboard template failed")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("The dashboard could not draw this page; the sidecar's log has the details.\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// call is one call a page makes: a method and its params.
type call struct {
	method string
	params map[string]any
}

// run runs calls as the request's role through the dispatcher, as /rpc runs a batch of them.
func (q *request) run(u *UI, calls ...call) []rpc.Result {
	specs := make([]rpc.CallSpec, len(calls))
	for i, c := range calls {
		specs[i].Method = c.method
		if c.params != nil {
			p, err := json.Marshal(c.params)
			if err != nil {
				panic(err) // params are built from Go values by this package
			}
			specs[i].Params = p
		}
	}
	return u.cfg.Dispatcher.Calls(q.r.Context(), rpc.Session{Role: q.id.Role, Claims: q.id.Claims}, specs...)
}

// decode reads a result into v, turning a failure into a problem.
func decode(res rpc.Result, v any) *problem {
	if res.Err != nil {
		return explain(res.Err)
	}
	if err := json.Unmarshal(res.Value, v); err != nil {
		return explain(errmap.Internal())
	}
	return nil
}

// events serves /ui/events: the sidecar's /events stream, signed in by the session cookie.
func (u *UI) events(w http.ResponseWriter, r *http.Request) {
	s := readSession(r)
	if s == nil || s.mode == modeSignedOut || u.cfg.Events == nil {
		errmap.Write(w, errmap.Unauthorized("sign in at /ui/signin first"))
		return
	}
	id, err := u.identify(s)
	if err != nil {
		errmap.Write(w, errmap.Unauthorized(err.Error()))
		return
	}
	u.cfg.Events(w, r, id)
}
