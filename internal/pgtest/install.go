package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/installer"
)

// Install installs every howdah module into the database conn is connected to, failing the
// test on error: the common first step of tests that exercise the modules.
func Install(tb testing.TB, conn *pgx.Conn) {
	tb.Helper()
	in, err := installer.New(conn, nil)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	if _, err := in.Install(context.Background(), nil); err != nil {
		tb.Fatalf("pgtest: install: %v", err)
	}
}
