package ui

import (
	"errors"
	"net/http"
	"strings"

	"github.com/howdah/howdah/sidecar/auth"
	"github.com/howdah/howdah/sidecar/errmap"
)

// maxTokenBytes bounds a pasted token: browsers keep cookies of up to 4096 bytes.
const maxTokenBytes = 3800

// signinPageData is the sign-in page's own data.
type signinPageData struct {
	Next      string
	AnonRole  string
	Tokens    bool
	Message   string
	TokenText string
}

// reasons are the messages the sign-in page shows for ?why=: fixed texts, so that a link cannot
// make the page say anything else.
var reasons = map[string]string{
	"expired": "Your token has expired: paste a new one.",
	"invalid": "The token kept for this browser is no longer accepted: paste a new one.",
	"anon":    "Anonymous access is not available here: paste a token.",
}

// reason is the ?why= code of an authentication error.
func reason(err error) string {
	var te *auth.TokenError
	switch {
	case errors.As(err, &te) && strings.Contains(te.Reason, "expired"):
		return "expired"
	case errors.Is(err, auth.ErrNoCredentials):
		return "anon"
	}
	return "invalid"
}

func (u *UI) signinData(r *http.Request) *signinPageData {
	d := &signinPageData{Next: safeNext(r.FormValue("next")), Tokens: u.cfg.Auth.AcceptsTokens()}
	if id, err := u.cfg.Auth.Authenticate(""); err == nil {
		d.AnonRole = id.Role
	}
	return d
}

// safeNext keeps a return address only when it is a dashboard page of this host.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/ui/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/ui/"
}

func (u *UI) signinPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s := readSession(r)
	if s == nil {
		s = newSession()
		s.write(w, r)
	}
	v := &view{Title: "Sign in", CSRF: u.csrfToken(s)}
	d := u.signinData(r)
	d.Message = reasons[r.FormValue("why")]
	v.Page = d
	u.render(w, r, http.StatusOK, "signin", v)
}

func (u *UI) signin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, u.cfg.MaxFormBytes)
	s := readSession(r)
	if !u.csrfOK(r, s) {
		u.render(w, r, http.StatusForbidden, "error", &view{Title: "Refused", Error: csrfProblem()})
		return
	}
	d := u.signinData(r)
	v := &view{Title: "Sign in", CSRF: u.csrfToken(s), Page: d}
	fail := func(status int, msg string) {
		d.Message = msg
		u.render(w, r, status, "signin", v)
	}
	next := &session{mode: modeAnonymous}
	var id *auth.Identity
	var err error
	if r.PostFormValue("mode") == "anonymous" {
		if id, err = u.cfg.Auth.Authenticate(""); err != nil {
			fail(http.StatusUnauthorized, reasons["anon"])
			return
		}
	} else {
		token := strings.TrimSpace(r.PostFormValue("token"))
		if t, ok := strings.CutPrefix(token, "Bearer "); ok {
			token = strings.TrimSpace(t)
		}
		d.TokenText = ""
		switch {
		case token == "":
			fail(http.StatusBadRequest, "Paste a token (a JWT) into the box, or continue anonymously.")
			return
		case len(token) > maxTokenBytes || strings.ContainsAny(token, " \t\r\n;,\""):
			fail(http.StatusBadRequest, "That does not look like a JWT: it has spaces or separators in it, or is longer than 3800 bytes.")
			return
		}
		if id, err = u.cfg.Auth.Authenticate("Bearer " + token); err != nil {
			fail(http.StatusUnauthorized, "This token was refused: "+err.Error()+".")
			return
		}
		next.mode, next.token = modeToken, token
	}
	// The role must be one the sidecar may act as: try a call that every installation has.
	if u.cfg.Dispatcher.Catalog().Lookup("howdah.version") != nil {
		q := &request{w: w, r: r, id: id}
		if res := q.run(u, call{method: "howdah.version"})[0]; res.Err != nil {
			msg := "The database refused this role: " + res.Err.Message + "."
			if res.Err.Code == errmap.CodeForbidden {
				msg = "The sidecar may not act as role " + id.Role + ": its login role must be granted that role (docs/sidecar.md)."
			}
			fail(http.StatusForbidden, msg)
			return
		}
	}
	// A new session id on sign-in: a session id someone else planted is worth nothing after it.
	next.sid = newSession().sid
	next.write(w, r)
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (u *UI) signout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, u.cfg.MaxFormBytes)
	s := readSession(r)
	if !u.csrfOK(r, s) {
		u.render(w, r, http.StatusForbidden, "error", &view{Title: "Refused", Error: csrfProblem()})
		return
	}
	newSession().write(w, r)
	http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
}
