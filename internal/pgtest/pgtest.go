package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/internal/pgcluster"
)

// ErrNoPostgres is returned when no server can be found or started.
var ErrNoPostgres = errors.New("no PostgreSQL available: set HOWDAH_TEST_DATABASE_URL to a server URL, " +
	"or install the server binaries (Debian: apt-get install postgresql-15 postgresql-contrib; then `make setup` " +
	"for hypopg, pgtap and plpgsql_check), or start a Docker engine")

// EnvURL names the environment variable that points the tests at an existing server.
const EnvURL = "HOWDAH_TEST_DATABASE_URL"

// Server is a running PostgreSQL that tests may create databases on.
type Server struct {
	// URL connects as a superuser to the server's maintenance database.
	URL string
	// Cluster is set when the server is a local cluster made from the server binaries.
	Cluster *pgcluster.Cluster

	stop func() error
}

// Start finds or starts a server in the documented order: HOWDAH_TEST_DATABASE_URL, local
// binaries, Docker. Stop releases it.
func Start(ctx context.Context) (*Server, error) {
	if u := os.Getenv(EnvURL); u != "" {
		if !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
			return nil, fmt.Errorf("%s must be a postgres:// URL, got %q", EnvURL, u)
		}
		return &Server{URL: u, stop: func() error { return nil }}, nil
	}
	c, err := pgcluster.Start(ctx, nil)
	if err == nil {
		return &Server{URL: c.URL("postgres"), Cluster: c, stop: c.Destroy}, nil
	}
	if !errors.Is(err, pgcluster.ErrNoBinaries) {
		return nil, err
	}
	ct, derr := startContainer(ctx)
	if derr != nil {
		return nil, fmt.Errorf("%w (docker: %v)", ErrNoPostgres, derr)
	}
	return &Server{URL: ct.url, stop: ct.purge}, nil
}

// Stop shuts down what Start started (nothing for an external server).
func (s *Server) Stop() error { return s.stop() }

// DatabaseURL is the URL of database dbname on this server, with the same credentials.
func (s *Server) DatabaseURL(dbname string) string {
	u, err := url.Parse(s.URL)
	if err != nil {
		return s.URL
	}
	u.Path = "/" + dbname
	return u.String()
}

// CreateDatabase makes a new empty database and returns its URL.
func (s *Server) CreateDatabase(ctx context.Context, dbname string) (string, error) {
	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{dbname}.Sanitize()+" TEMPLATE template0"); err != nil {
		return "", fmt.Errorf("create database %q: %w", dbname, err)
	}
	return s.DatabaseURL(dbname), nil
}

// DropDatabase removes a database, ending its sessions first.
func (s *Server) DropDatabase(ctx context.Context, dbname string) error {
	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{dbname}.Sanitize()+" WITH (FORCE)")
	return err
}

var (
	shared struct {
		once sync.Once
		srv  *Server
		err  error
	}
	mainActive atomic.Bool
	dbSeq      atomic.Int64
	atExitMu   sync.Mutex
	atExit     []func()
)

// AtExit runs fn after the tests of the package (last added, first run), before Main stops the
// shared server: for package-wide resources such as a browser the tests share.
func AtExit(fn func()) {
	atExitMu.Lock()
	defer atExitMu.Unlock()
	atExit = append(atExit, fn)
}

// Main runs a test package's tests and then stops the shared server if one was started. Call
// it from TestMain; it does not return.
func Main(m *testing.M) {
	mainActive.Store(true)
	code := m.Run()
	atExitMu.Lock()
	fns := atExit
	atExitMu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stop server:", err)
		}
	}
	os.Exit(code)
}

// SharedServer is the package-wide server, started on first use.
func SharedServer(tb testing.TB) *Server {
	tb.Helper()
	if !mainActive.Load() {
		tb.Fatal("pgtest: add `func TestMain(m *testing.M) { pgtest.Main(m) }` to this test package so the server is stopped at the end")
	}
	shared.once.Do(func() { shared.srv, shared.err = Start(context.Background()) })
	if shared.err != nil {
		tb.Fatalf("pgtest: %v", shared.err)
	}
	return shared.srv
}

// NewDatabase creates a fresh database on the shared server for this test, drops it when the
// test ends, and returns its URL.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	srv := SharedServer(tb)
	name := fmt.Sprintf("howdah_test_%d_%d", os.Getpid(), dbSeq.Add(1))
	u, err := srv.CreateDatabase(context.Background(), name)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		if err := srv.DropDatabase(context.Background(), name); err != nil {
			tb.Errorf("pgtest: drop database %q: %v", name, err)
		}
	})
	return u
}

// Connect opens a connection to url that is closed when the test ends.
func Connect(tb testing.TB, url string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		tb.Fatalf("pgtest: connect: %v", err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
