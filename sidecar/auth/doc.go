// Package auth authenticates sidecar requests the PostgREST way: a bearer JWT whose role claim
// names the PostgreSQL role the request runs as, or a configured anonymous role when no token
// is sent. (The authenticator role the sidecar logs in as is made by the installer:
// installer.EnsureAuthenticator.)
//
// The database decides what each role may do: the sidecar only switches into the role
// (set_config('role', ..., true), the function form of SET LOCAL ROLE) and exposes the token's
// claims as current_setting('request.jwt.claims', true). The login role should be a NOINHERIT
// authenticator that has been granted exactly the roles tokens may name.
package auth
