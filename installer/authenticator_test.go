package installer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgtest"
)

func TestEnsureAuthenticator(t *testing.T) {
	ctx := context.Background()
	conn := pgtest.Connect(t, pgtest.NewDatabase(t))
	// Roles are cluster-wide: unique names, dropped at the end.
	name := "howdah_test_authn " + strings.ReplaceAll(t.Name(), "/", "_")
	for _, q := range []string{`CREATE ROLE howdah_test_web_anon NOLOGIN`, `CREATE ROLE "howdah_test_web user" NOLOGIN`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		conn.Exec(ctx, `DROP ROLE IF EXISTS `+pgx.Identifier{name}.Sanitize())
		conn.Exec(ctx, `DROP ROLE IF EXISTS howdah_test_web_anon`)
		conn.Exec(ctx, `DROP ROLE IF EXISTS "howdah_test_web user"`)
	})
	roles := []string{"howdah_test_web_anon", "howdah_test_web user"}
	ran, err := installer.EnsureAuthenticator(ctx, conn, name, "s3cret'; --", roles)
	if err != nil {
		t.Fatal(err)
	}
	if len(ran) != 4 || !strings.HasPrefix(ran[0], "CREATE ROLE") || strings.Contains(strings.Join(ran, ";"), "s3cret") {
		t.Fatalf("ran %q", ran)
	}
	var inherit, login, hasPassword bool
	var members int
	err = conn.QueryRow(ctx, `SELECT rolinherit, rolcanlogin, rolpassword IS NOT NULL,
		(SELECT count(*) FROM pg_auth_members m WHERE m.member = a.oid AND m.roleid IN (SELECT oid FROM pg_roles WHERE rolname = ANY ($2)))
		FROM pg_authid a WHERE rolname = $1`, name, roles).Scan(&inherit, &login, &hasPassword, &members)
	if err != nil || inherit || !login || !hasPassword || members != 2 {
		t.Fatalf("inherit %v login %v password %v members %d (%v)", inherit, login, hasPassword, members, err)
	}
	if ran, err = installer.EnsureAuthenticator(ctx, conn, name, "", roles); err != nil || len(ran) != 1 || !strings.HasPrefix(ran[0], "ALTER ROLE") {
		t.Fatalf("second run: %q %v", ran, err)
	}
	if _, err = installer.EnsureAuthenticator(ctx, conn, name, "", []string{"howdah_test_no_such_role"}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("unknown role: %v", err)
	}
}

func TestEnsureAuthenticatorRefusesPowerfulRoles(t *testing.T) {
	ctx := context.Background()
	conn := pgtest.Connect(t, pgtest.NewDatabase(t))
	cases := map[string]struct{ setup, want string }{
		"howdah_test_authn_super":  {`CREATE ROLE howdah_test_authn_super SUPERUSER INHERIT`, "is a superuser"},
		"howdah_test_authn_bypass": {`CREATE ROLE howdah_test_authn_bypass BYPASSRLS INHERIT`, "has BYPASSRLS"},
		"howdah_test_authn owner": {`CREATE ROLE "howdah_test_authn owner" INHERIT;
			CREATE TABLE owned (id int); ALTER TABLE owned OWNER TO "howdah_test_authn owner"`, "owns 1 object(s)"},
		"howdah_test_authn_dbowner": {`CREATE ROLE howdah_test_authn_dbowner INHERIT;
			DO $$ BEGIN EXECUTE format('ALTER DATABASE %I OWNER TO howdah_test_authn_dbowner', current_database()); END $$`, "owns 1 object(s)"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Cleanup(func() {
				conn.Exec(ctx, `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I OWNER TO postgres', current_database()); END $$`)
				conn.Exec(ctx, `DROP OWNED BY `+pgx.Identifier{name}.Sanitize())
				conn.Exec(ctx, `DROP ROLE IF EXISTS `+pgx.Identifier{name}.Sanitize())
			})
			if _, err := conn.Exec(ctx, c.setup); err != nil {
				t.Fatal(err)
			}
			ran, err := installer.EnsureAuthenticator(ctx, conn, name, "pw", nil)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "choose a new role name") || ran != nil {
				t.Fatalf("ran %q, err %v; want an error containing %q", ran, err, c.want)
			}
			// Nothing changed.
			var inherit, login, hasPassword bool
			if err := conn.QueryRow(ctx, `SELECT rolinherit, rolcanlogin, rolpassword IS NOT NULL FROM pg_authid WHERE rolname = $1`,
				name).Scan(&inherit, &login, &hasPassword); err != nil || !inherit || login || hasPassword {
				t.Fatalf("role changed: inherit %v login %v password %v (%v)", inherit, login, hasPassword, err)
			}
		})
	}
	// The bootstrap superuser, by name.
	if _, err := installer.EnsureAuthenticator(ctx, conn, "postgres", "", nil); err == nil || !strings.Contains(err.Error(), "superuser") {
		t.Fatalf("postgres as the authenticator: %v", err)
	}
	// Nor is a superuser or BYPASSRLS role handed to tokens; nothing is created.
	t.Cleanup(func() { conn.Exec(ctx, `DROP ROLE IF EXISTS howdah_test_authn_grant_bypass`) })
	if _, err := conn.Exec(ctx, `CREATE ROLE howdah_test_authn_grant_bypass NOLOGIN BYPASSRLS`); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"postgres", "howdah_test_authn_grant_bypass"} {
		_, err := installer.EnsureAuthenticator(ctx, conn, "howdah_test_authn_new", "", []string{r})
		var exists bool
		conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'howdah_test_authn_new')`).Scan(&exists)
		if err == nil || !strings.Contains(err.Error(), "bypass the database's checks") || exists {
			t.Fatalf("granting %s to a new authenticator: err %v, role created %v", r, err, exists)
		}
	}
}

// A name PostgreSQL would truncate is refused before anything is created.
func TestEnsureAuthenticatorRefusesLongNames(t *testing.T) {
	ctx := context.Background()
	conn := pgtest.Connect(t, pgtest.NewDatabase(t))
	long := "howdah_test_authn_long_" + strings.Repeat("x", 64-len("howdah_test_authn_long_"))
	for _, c := range []struct {
		name  string
		roles []string
	}{{long, nil}, {"howdah_test_authn_long_short", []string{long}}} {
		ran, err := installer.EnsureAuthenticator(ctx, conn, c.name, "", c.roles)
		if err == nil || !strings.Contains(err.Error(), "64 bytes long") || ran != nil {
			t.Fatalf("%q with roles %q: ran %q, err %v; want a refusal naming the length", c.name, c.roles, ran, err)
		}
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_roles WHERE rolname IN ($1, 'howdah_test_authn_long_short')", long[:63]).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d roles created (%v), want none", n, err)
	}
}
