package main

import (
	"context"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/urfave/cli/v2"
)

// envDatabaseURL is the environment variable that names the database when --db is not given.
const envDatabaseURL = "DATABASE_URL"

// dbFlag is --db with the given usage. Every command declares its own copy (see
// withGlobalFlags), so the flag may come before or after the command name. The copies carry no
// EnvVars: urfave/cli would then report an environment value as set at every level, and
// dbURL could no longer tell a --db typed before the command from one in the environment.
func dbFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: "db", Usage: usage}
}

// globalFlags are the flags accepted before the command name and after the name of every
// command and subcommand. Made afresh per command: urfave/cli writes into flags while parsing.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		dbFlag("PostgreSQL connection `URL` (postgres://user@host:port/dbname); default: $" + envDatabaseURL +
			", else the PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE variables"),
	}
}

// withGlobalFlags adds the global flags to every command of the tree that does not declare a
// flag of the same name itself (serve has its own --db usage).
func withGlobalFlags(cmds []*cli.Command) []*cli.Command {
	for _, cmd := range cmds {
		for _, g := range globalFlags() {
			if !hasFlag(cmd.Flags, g.Names()[0]) {
				cmd.Flags = append(cmd.Flags, g)
			}
		}
		withGlobalFlags(cmd.Subcommands)
	}
	return cmds
}

func hasFlag(flags []cli.Flag, name string) bool {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

// dbURL resolves the database: the --db given closest to the end of the command line
// (`howdah --db A queue push --db B` uses B), else the first of envs and then DATABASE_URL
// that is set, else "" (pgx then reads the PG* variables).
func dbURL(c *cli.Context, envs ...string) string {
	// Every level declares --db, so IsSet on a context asks about that level's command line.
	for _, ctx := range c.Lineage() {
		if ctx.IsSet("db") {
			return ctx.String("db")
		}
	}
	for _, env := range append(envs, envDatabaseURL) {
		if v := os.Getenv(env); v != "" {
			return v
		}
	}
	return ""
}

// connect opens the database named by --db / DATABASE_URL / PG* variables.
func connect(c *cli.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dbURL(c))
	if err != nil {
		return nil, fmt.Errorf("invalid connection string in --db or DATABASE_URL: %w", err)
	}
	conn, err := pgx.ConnectConfig(c.Context, cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to PostgreSQL at %s:%d, database %q, user %q: %w\n"+
			"set --db, DATABASE_URL or PGHOST/PGPORT/PGUSER/PGDATABASE to a reachable server",
			cfg.Host, cfg.Port, cfg.Database, cfg.User, err)
	}
	return conn, nil
}

func closeConn(conn *pgx.Conn) { _ = conn.Close(context.Background()) }
