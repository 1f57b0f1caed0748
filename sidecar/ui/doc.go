// Package ui is the sidecar's dashboard under /ui/: server-rendered html/template pages with
// htmx (one vendored static file), no build step.
//
// Every page runs as the signed-in role through the same code path as POST /rpc
// (rpc.Dispatcher.Calls: the role switch, deadlines, limits and error mapping), so a role sees
// in the dashboard what it could see in psql. Sign-in keeps a pasted token, or the choice to be
// anonymous, in an HttpOnly, SameSite=Strict cookie; forms carry a CSRF token bound to that
// cookie by an HMAC. docs/dashboard.md describes the pages.
package ui
