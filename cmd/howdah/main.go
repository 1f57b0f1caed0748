package main

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/howdah/howdah/internal/release"
)

func main() {
	if err := runApp(context.Background(), newApp(), os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "howdah:", err)
		os.Exit(exitCode(err))
	}
}

func newApp() *cli.App {
	return &cli.App{
		Name:    "howdah",
		Usage:   "an application back end that lives in PostgreSQL",
		Version: release.Version,
		Description: "howdah installs its modules into a database as SQL functions, types and triggers, " +
			"callable from psql.\n\nThe database comes from --db, else DATABASE_URL, else the standard " +
			"PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE variables. Global options such as --db may " +
			"come before or after the command name: howdah --db URL install = howdah install --db URL.",
		Flags: globalFlags(),
		Commands: withGlobalFlags([]*cli.Command{
			installCommand(),
			upgradeCommand(),
			statusCommand(),
			verifyCommand(),
			uninstallCommand(),
			bundleCommand(),
			demoCommand(),
			queueCommand(),
			advisorCommand(),
			playgroundCommand(),
			serveCommand(),
		}),
		HideHelpCommand:      false,
		EnableBashCompletion: true,
	}
}

// exitError carries a process exit code (1 by default).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func exitCode(err error) int {
	if e, ok := err.(*exitError); ok {
		return e.code
	}
	return 1
}
