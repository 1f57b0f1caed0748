package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/urfave/cli/v2"
)

// connect opens the database named by --db / DATABASE_URL / PG* variables.
func connect(c *cli.Context) (*pgx.Conn, error) {
	url := c.String("db")
	cfg, err := pgx.ParseConfig(url)
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
