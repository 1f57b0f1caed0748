package installer_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgcluster"
	"github.com/howdah/howdah/internal/pgtest"
)

// A module's Preflight runs before anything changes, and only while the module is not installed.
func TestModulePreflight(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mod := testModule(nil)
	refuse := errors.New("widgets need a flux capacitor")
	var calls int
	var answer error = refuse
	mod.Preflight = func(ctx context.Context, db installer.DB) error {
		calls++
		var one int
		if err := db.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
			return err
		}
		return answer
	}
	in := b.installer(t, nil, mod)
	if _, err := in.Install(b.ctx, []installer.Target{{Module: "widgets"}}); !errors.Is(err, refuse) {
		t.Fatalf("install: err = %v, want the preflight's error", err)
	}
	if got := b.scalar(t, "SELECT to_regnamespace('howdah_internal') IS NULL"); got != true {
		t.Fatal("a refused preflight left howdah_internal behind")
	}
	answer = nil
	if _, err := in.Install(b.ctx, []installer.Target{{Module: "widgets"}}); err != nil {
		t.Fatal(err)
	}
	answer = refuse
	if rep, err := in.Install(b.ctx, nil); err != nil {
		t.Fatalf("install with widgets installed: %v (preflight must not run again)", err)
	} else if len(rep.Applied) == 0 {
		t.Fatal("install of the other modules applied nothing")
	}
	if calls != 2 {
		t.Fatalf("preflight ran %d times, want 2", calls)
	}
}

// Installing the advisor creates pg_stat_statements (and hypopg, which this server has) where
// CREATE EXTENSION puts them; uninstalling it leaves both.
func TestAdvisorExtensions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	in := b.installer(t, nil)
	if _, err := in.Install(b.ctx, []installer.Target{{Module: "advisor"}}); err != nil {
		t.Fatal(err)
	}
	const exts = "SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension WHERE extname IN ('pg_stat_statements', 'hypopg')"
	if got := b.scalar(t, exts); got != "hypopg,pg_stat_statements" {
		t.Fatalf("extensions after install: %v", got)
	}
	if _, err := in.Uninstall(b.ctx, []installer.Target{{Module: "advisor"}}, false); err != nil {
		t.Fatal(err)
	}
	if got := b.scalar(t, exts); got != "hypopg,pg_stat_statements" {
		t.Fatalf("extensions after uninstall: %v, want both left", got)
	}
	if got := b.scalar(t, "SELECT to_regnamespace('howdah_advisor') IS NULL"); got != true {
		t.Fatal("uninstall left schema howdah_advisor")
	}
}

// A role that is not a superuser may install the advisor once a superuser created
// pg_stat_statements; before that the preflight says so.
func TestAdvisorPreflightNeedsTheExtension(t *testing.T) {
	t.Parallel()
	b := setup(t)
	role := "howdah_test_advisor_installer"
	for _, sql := range []string{
		"CREATE ROLE " + role + " LOGIN",
		"GRANT CREATE ON DATABASE " + pgx.Identifier{b.scalar(t, "SELECT current_database()::text").(string)}.Sanitize() + " TO " + role,
	} {
		if _, err := b.conn.Exec(b.ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		b.conn.Exec(context.Background(), "DROP OWNED BY "+role)
		b.conn.Exec(context.Background(), "DROP ROLE "+role)
	})
	cfg, _ := pgx.ParseConfig(b.url)
	cfg.User = role
	weak, err := pgx.ConnectConfig(b.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer weak.Close(b.ctx)
	target := []installer.Target{{Module: "advisor"}}
	_, err = b.installer(t, weak).Install(b.ctx, target)
	var perr *installer.PreflightError
	if !errors.As(err, &perr) || !strings.Contains(err.Error(), "CREATE EXTENSION pg_stat_statements") {
		t.Fatalf("install as %s: err = %v, want a PreflightError saying CREATE EXTENSION pg_stat_statements", role, err)
	}
	if _, err := b.conn.Exec(b.ctx, "CREATE EXTENSION pg_stat_statements"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.installer(t, weak).Install(b.ctx, target); err != nil {
		t.Fatalf("install as %s with pg_stat_statements created: %v", role, err)
	}
	if got := b.scalar(t, "SELECT count(*) FROM pg_extension WHERE extname = 'hypopg'"); got != int64(0) {
		t.Fatal("a role that is not a superuser created hypopg")
	}
}

// On a server that does not preload pg_stat_statements, installing the advisor names the line
// to add to postgresql.conf and the package; the other modules install as before.
func TestAdvisorPreflightNeedsPreload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cl, err := pgcluster.Start(ctx, &pgcluster.Config{Settings: []string{"shared_preload_libraries = ''"}})
	if errors.Is(err, pgcluster.ErrNoBinaries) {
		t.Skip("needs the local server binaries to start a server without the preload")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Destroy() })
	conn := pgtest.Connect(t, cl.URL("postgres"))
	in, err := installer.New(conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = in.Install(ctx, []installer.Target{{Module: "advisor"}})
	var perr *installer.PreflightError
	if !errors.As(err, &perr) || !strings.Contains(err.Error(), "shared_preload_libraries = 'pg_stat_statements'") ||
		!strings.Contains(err.Error(), "postgresql-contrib") || !strings.Contains(err.Error(), "restart") {
		t.Fatalf("err = %v, want a PreflightError naming the postgresql.conf line, the restart and the package", err)
	}
	if _, err := in.Install(ctx, []installer.Target{{Module: "queue"}}); err != nil {
		t.Fatalf("install queue on the same server: %v", err)
	}
}
