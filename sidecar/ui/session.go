package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// CookieName is the dashboard's session cookie: "<sid>.<mode>[.<token>]", where sid is a random
// session id (what CSRF tokens are bound to), mode is one of the mode* constants and token is
// the JWT pasted at sign-in. It is HttpOnly (scripts cannot read the token), SameSite=Strict
// (other sites' requests do not carry it), Secure on TLS connections, and lasts as long as the
// browser session.
const CookieName = "howdah_ui"

// CSRFField is the form field, and CSRFHeader the header, that carry the CSRF token.
const (
	CSRFField  = "csrf"
	CSRFHeader = "X-CSRF-Token"
)

const (
	modeSignedOut = "n"
	modeAnonymous = "a"
	modeToken     = "t"
)

// session is what the cookie holds.
type session struct {
	sid   string
	mode  string
	token string
}

// readSession returns the request's session, or nil when the cookie is missing or malformed.
func readSession(r *http.Request) *session {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil
	}
	parts := strings.SplitN(c.Value, ".", 3)
	if len(parts) < 2 || len(parts[0]) != 22 {
		return nil
	}
	s := &session{sid: parts[0], mode: parts[1]}
	switch {
	case s.mode == modeToken && len(parts) == 3 && parts[2] != "":
		s.token = parts[2]
	case (s.mode == modeSignedOut || s.mode == modeAnonymous) && len(parts) == 2:
	default:
		return nil
	}
	return s
}

// newSession is a signed-out session with a fresh id.
func newSession() *session {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return &session{sid: base64.RawURLEncoding.EncodeToString(b[:]), mode: modeSignedOut}
}

// write sets the cookie.
func (s *session) write(w http.ResponseWriter, r *http.Request) {
	v := s.sid + "." + s.mode
	if s.mode == modeToken {
		v += "." + s.token
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: v, Path: "/ui/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

// csrfToken is the CSRF token of a session: an HMAC of its id under the dashboard's key, so that
// a page of another site can neither read nor compute it (synchronizer token pattern, with the
// state in the cookie rather than on the server).
func (u *UI) csrfToken(s *session) string {
	m := hmac.New(sha256.New, u.key)
	m.Write([]byte("csrf:" + s.sid))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfOK checks a state-changing request: the token in the form (or the header htmx sends) must
// be the session's, and an Origin header, when the browser sends one, must be this host.
func (u *UI) csrfOK(r *http.Request, s *session) bool {
	if s == nil {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		ou, err := url.Parse(o)
		if err != nil || ou.Host != r.Host {
			return false
		}
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue(CSRFField)
	}
	want := u.csrfToken(s)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
