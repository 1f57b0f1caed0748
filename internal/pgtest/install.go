package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/installer"
)

// Install installs the named howdah modules (every one when none is named, with what they
// require) into the database conn is connected to, failing the test on error: the common first step of tests that exercise the modules.
func Install(tb testing.TB, conn *pgx.Conn, modules ...string) {
	tb.Helper()
	in, err := installer.New(conn, nil)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	var targets []installer.Target
	for _, m := range modules {
		targets = append(targets, installer.Target{Module: m})
	}
	if _, err := in.Install(context.Background(), targets); err != nil {
		tb.Fatalf("pgtest: install: %v", err)
	}
}
