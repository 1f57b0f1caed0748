package auth

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// AuthenticatorSQL is what EnsureAuthenticator does, as SQL to run by hand (docs/sidecar.md
// shows it too): a login role that inherits nothing and may switch into the roles granted to it.
const AuthenticatorSQL = `CREATE ROLE howdah_authenticator NOINHERIT LOGIN PASSWORD '...';
GRANT web_anon TO howdah_authenticator;   -- the anonymous role, if any
GRANT web_user TO howdah_authenticator;   -- each role a token may name`

// EnsureAuthenticator creates the login role name (or makes an existing one NOINHERIT LOGIN),
// sets its password when password is not empty, and grants it each of roles, in one
// transaction. It returns the statements it ran, with the password elided. Running it again
// changes nothing. The roles must exist.
func EnsureAuthenticator(ctx context.Context, conn *pgx.Conn, name, password string, roles []string) ([]string, error) {
	if name == "" {
		return nil, fmt.Errorf("the authenticator needs a role name")
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var ran []string
	// format() on the server quotes identifiers and literals; nothing is concatenated here.
	exec := func(shown string, query string, args ...any) error {
		var stmt string
		if err := tx.QueryRow(ctx, query, args...).Scan(&stmt); err != nil {
			return err
		}
		if shown == "" {
			shown = stmt
		}
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", shown, err)
		}
		ran = append(ran, shown)
		return nil
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = $1)`, name).Scan(&exists); err != nil {
		return nil, err
	}
	verb := "CREATE"
	if exists {
		verb = "ALTER"
	}
	if err := exec("", `SELECT format('`+verb+` ROLE %I NOINHERIT LOGIN', $1::text)`, name); err != nil {
		return nil, err
	}
	if password != "" {
		shown := fmt.Sprintf("ALTER ROLE %s PASSWORD '…'", pgx.Identifier{name}.Sanitize())
		if err := exec(shown, `SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)`, name, password); err != nil {
			return nil, err
		}
	}
	for _, r := range roles {
		var granted bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_catalog.pg_auth_members m
			JOIN pg_catalog.pg_roles g ON g.oid = m.roleid JOIN pg_catalog.pg_roles u ON u.oid = m.member
			WHERE g.rolname = $1 AND u.rolname = $2)`, r, name).Scan(&granted)
		if err != nil {
			return nil, err
		}
		if granted {
			continue
		}
		if err := exec("", `SELECT format('GRANT %I TO %I', $1::text, $2::text)`, r, name); err != nil {
			return nil, err
		}
	}
	return ran, tx.Commit(ctx)
}
