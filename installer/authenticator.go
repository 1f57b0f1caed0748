package installer

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// AuthenticatorSQL is what EnsureAuthenticator does, as SQL to run by hand (docs/sidecar.md
// shows it too): a login role that inherits nothing and may switch into the roles granted to it.
// The sidecar (howdah serve) logs in as this role and switches into the role of each request.
const AuthenticatorSQL = `CREATE ROLE howdah_authenticator NOINHERIT LOGIN PASSWORD '...';
GRANT web_anon TO howdah_authenticator;   -- the anonymous role, if any
GRANT web_user TO howdah_authenticator;   -- each role a token may name`

// maxRoleNameLen is the longest role name PostgreSQL keeps, in bytes (NAMEDATALEN - 1).
const maxRoleNameLen = 63

// EnsureAuthenticator creates the login role name (or makes an existing one NOINHERIT LOGIN;
// it refuses an existing role that is a superuser, has BYPASSRLS or owns objects in the
// database), sets its password when password is not empty, and grants it each of roles, in one
// transaction. It returns the statements it ran, with the password elided. Running it again
// changes nothing. The roles must exist and must not be superusers or have BYPASSRLS.
func EnsureAuthenticator(ctx context.Context, conn *pgx.Conn, name, password string, roles []string) ([]string, error) {
	if name == "" {
		return nil, fmt.Errorf("the authenticator needs a role name")
	}
	// PostgreSQL would truncate a longer name (with only a notice), creating a role other than
	// the one named, and the sidecar refuses role names over 63 bytes anyway.
	for _, r := range append([]string{name}, roles...) {
		if len(r) > maxRoleNameLen {
			return nil, fmt.Errorf("role name %q is %d bytes long; PostgreSQL keeps at most %d", r, len(r), maxRoleNameLen)
		}
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
	var (
		exists, super, bypass bool
		owns                  int
	)
	err = tx.QueryRow(ctx, `SELECT true, r.rolsuper, r.rolbypassrls,
			(SELECT count(*)::int FROM pg_catalog.pg_shdepend d
			  WHERE d.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass AND d.refobjid = r.oid AND d.deptype = 'o'
			    AND (d.dbid = db.oid OR (d.classid = 'pg_catalog.pg_database'::pg_catalog.regclass AND d.objid = db.oid)))
		  FROM pg_catalog.pg_roles r, pg_catalog.pg_database db
		 WHERE r.rolname = $1 AND db.datname = pg_catalog.current_database()`, name).Scan(&exists, &super, &bypass, &owns)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	// An existing role is changed only when it is fit to be an authenticator: one that can do
	// everything, or that owns objects here (an application's owner role), would keep those
	// powers, and NOINHERIT would silently change how its other users work.
	switch {
	case super:
		return nil, fmt.Errorf("role %q is a superuser: every role switch succeeds for it, so the database would protect nothing; "+
			"choose a new role name for the authenticator", name)
	case bypass:
		return nil, fmt.Errorf("role %q has BYPASSRLS: row-level security would not apply to it; "+
			"choose a new role name for the authenticator", name)
	case owns > 0:
		return nil, fmt.Errorf("role %q owns %d object(s) in this database (the database itself, schemas, tables, functions...): "+
			"an owner keeps its privileges on them, and it may be used for other work that NOINHERIT would break; "+
			"choose a new role name for the authenticator", name, owns)
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
		var granted, powerful bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_catalog.pg_auth_members m
			JOIN pg_catalog.pg_roles g ON g.oid = m.roleid JOIN pg_catalog.pg_roles u ON u.oid = m.member
			WHERE g.rolname = $1 AND u.rolname = $2),
			coalesce((SELECT g.rolsuper OR g.rolbypassrls FROM pg_catalog.pg_roles g WHERE g.rolname = $1), false)`,
			r, name).Scan(&granted, &powerful)
		if err != nil {
			return nil, err
		}
		// A token naming such a role would act with no privilege checks or without row-level
		// security: refuse to hand it out.
		if powerful {
			return nil, fmt.Errorf("role %q is a superuser or has BYPASSRLS: tokens naming it would bypass the database's checks; "+
				"grant the authenticator ordinary roles only", r)
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
