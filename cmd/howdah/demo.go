package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/urfave/cli/v2"

	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/advisorseed"
	"github.com/howdah/howdah/internal/pgcluster"
	"github.com/howdah/howdah/internal/playgroundsample"
)

const demoDB = "howdah_demo"

// demoSeed is the demo's example data; it needs the catalog module.
//
//go:embed demo_seed.sql
var demoSeed string

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "start a throwaway PostgreSQL, install every module into it and print how to connect",
		Description: "Makes a PostgreSQL cluster from the local server binaries in --dir (reused when it exists), " +
			"creates the database howdah_demo, installs every module and prints its status and a psql command. " +
			"The server keeps running; `howdah demo --stop` stops it, --destroy also removes --dir. " +
			"No Docker needed; as root the server runs as the postgres user.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Value: filepath.Join(os.TempDir(), "howdah-demo"), Usage: "`DIR` for the demo cluster"},
			&cli.IntFlag{Name: "port", Usage: "TCP port for a new demo cluster (default: a free one)"},
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8080", Usage: "`ADDRESS` of the demo's howdah serve (port 0: a free one)"},
			&cli.Float64Flag{Name: "advisor-scale", Value: 0.5, Usage: "scale `N` of the advisor's seeded workload (howdah advisor seed --scale); 0 skips it"},
			&cli.BoolFlag{Name: "stop", Usage: "stop the demo server"},
			&cli.BoolFlag{Name: "destroy", Usage: "stop the demo server and delete its directory"},
		},
		Action: func(c *cli.Context) error {
			ctx := c.Context
			if c.Bool("stop") || c.Bool("destroy") {
				return stopDemo(c)
			}
			cl, err := pgcluster.Start(ctx, &pgcluster.Config{Dir: c.String("dir"), Port: c.Int("port")})
			if err != nil {
				return err
			}
			url := cl.URL(demoDB)
			if err := ensureDatabase(ctx, cl.URL("postgres"), demoDB); err != nil {
				return err
			}
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				return err
			}
			defer closeConn(conn)
			return useInstaller(c, conn, func(in *installer.Installer) error {
				if _, err := in.Install(ctx, nil); err != nil {
					if ce := (*installer.ChecksumError)(nil); errors.As(err, &ce) {
						return fmt.Errorf("%w\nthe demo in %s was made by another build of howdah: remove it with howdah demo --destroy, then run the demo again", err, cl.Dir)
					}
					return err
				}
				if err := seedDemo(ctx, conn, c.App.Writer); err != nil {
					return err
				}
				if err := playgroundImport(ctx, conn, "playground", playgroundsample.Catalog, c.App.Writer); err != nil {
					return err
				}
				advisorRes, err := seedDemoAdvisor(c, conn, url)
				if err != nil {
					return err
				}
				st, err := in.Status(ctx)
				if err != nil {
					return err
				}
				if _, err := conn.Exec(ctx, demoOperatorSQL); err != nil {
					return fmt.Errorf("make the demo's operator role: %w", err)
				}
				if _, err := installer.EnsureAuthenticator(ctx, conn, demoAuthenticator, "", []string{demoWebRole, demoOperatorRole}); err != nil {
					return err
				}
				secret, err := demoSecret(cl.Dir)
				if err != nil {
					return err
				}
				token, err := demoToken(secret, demoOperatorRole)
				if err != nil {
					return err
				}
				serveURL, err := withUser(url, demoAuthenticator)
				if err != nil {
					return err
				}
				addr, err := startDemoServer(ctx, cl.Dir, serveURL, c.String("listen"), secret)
				if err != nil {
					return err
				}
				var orders uint32
				if err := conn.QueryRow(ctx, "SELECT 'shop.orders'::regclass::oid").Scan(&orders); err != nil {
					return err
				}
				w := c.App.Writer
				fmt.Fprintf(w, "\nhowdah demo is ready: PostgreSQL on 127.0.0.1:%d, data in %s\n\n", cl.Port, cl.Dir)
				printStatus(w, st)
				fmt.Fprintf(w, "\nConnect:\n  psql %q -c 'SELECT howdah.version()'\n", url)
				fmt.Fprintf(w, "  psql %q -c \"SELECT jsonb_pretty(howdah.get_schema_table_details('shop'::regnamespace)::jsonb)\"\n", url)
				fmt.Fprintf(w, "  export DATABASE_URL=%q   # then: howdah status | verify | queue stats ...\n", url)
				fmt.Fprintf(w, "\nhowdah serve is answering on http://%s (logged in as %s; anonymous requests run as %s; log in %s):\n",
					addr, demoAuthenticator, demoWebRole, filepath.Join(cl.Dir, demoServeLog))
				fmt.Fprintf(w, "  curl -s http://%s/rpc -H 'Content-Type: application/json' -d '{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"howdah.list_records\", \"params\": {\"tab\": %d, \"lim\": 3}}'\n", addr, orders)
				fmt.Fprintf(w, "  curl -s http://%s/rpc -H 'Content-Type: application/json' -d '{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"rpc.discover\"}'\n", addr)
				fmt.Fprintf(w, "  curl -sN 'http://%s/events?channel=howdah_queue'   # then push a job from psql\n", addr)
				fmt.Fprintf(w, "  http://%s/metrics\n", addr)
				fmt.Fprintf(w, "\nThe advisor has a demo workload in schema %s (made by howdah advisor seed; docs/advisor.md explains it); with DATABASE_URL set as above, try in order:\n", demoAdvisorSchema)
				fmt.Fprintln(w, "  howdah advisor scan                                # a snapshot: statements, plans, recommendations proved with HypoPG")
				fmt.Fprintln(w, "  howdah advisor bottlenecks                         # the top of it, ranked, with the DDL of each fix")
				fmt.Fprintln(w, "  howdah advisor simulate QUERY REC                  # QUERY and REC from bottlenecks: the before/after of one fix")
				fmt.Fprintln(w, "  howdah advisor ask \"why is query QUERY slow?\"      # also: what index should I add, what changed since the last scan")
				if advisorRes != nil && len(advisorRes.Snapshots) == 2 {
					fmt.Fprintf(w, "  (the seed took snapshots %d and %d around a latency spike and a lock wait: howdah advisor bottlenecks --snapshot %d, "+
						"ask \"what changed since the last scan?\" before your own scan shows them)\n", advisorRes.Snapshots[0], advisorRes.Snapshots[1], advisorRes.Snapshots[1])
				}
				fmt.Fprintf(w, "\nThe dashboard: http://%s/ui/\n", addr)
				fmt.Fprintf(w, "  continue anonymously (%s: the example data, read-only), or sign in as %s (queues: retry, cancel) with this token:\n  %s\n",
					demoWebRole, demoOperatorRole, token)
				if c.IsSet("dir") {
					fmt.Fprintf(w, "Stop it with howdah demo --dir %s --stop; remove it with --destroy instead of --stop.\n", cl.Dir)
				} else {
					fmt.Fprintf(w, "Stop it with `make demo-stop` (or howdah demo --stop); remove it with howdah demo --destroy.\n")
				}
				return nil
			})
		},
	}
}

func stopDemo(c *cli.Context) error {
	cl, err := pgcluster.Open(c.String("dir"))
	if err != nil {
		return err
	}
	if stopped, err := stopDemoServer(cl.Dir); err != nil {
		return err
	} else if stopped {
		fmt.Fprintln(c.App.Writer, "howdah serve stopped")
	}
	if c.Bool("destroy") {
		if err := cl.Destroy(); err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "demo server stopped and %s removed\n", cl.Dir)
		return nil
	}
	if !cl.Running(c.Context) {
		fmt.Fprintln(c.App.Writer, "demo server is not running")
		return nil
	}
	if err := cl.Stop(); err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, "demo server stopped")
	return nil
}

func ensureDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer closeConn(conn)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil || exists {
		return err
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

// withUser is dbURL with another user name (the demo cluster trusts local connections).
func withUser(dbURL, user string) (string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", err
	}
	u.User = url.User(user)
	return u.String(), nil
}

// seedDemo loads the example data once: not when schema shop already exists.
func seedDemo(ctx context.Context, conn *pgx.Conn, w io.Writer) error {
	var seeded bool
	if err := conn.QueryRow(ctx, "SELECT to_regnamespace('shop') IS NOT NULL").Scan(&seeded); err != nil || seeded {
		return err
	}
	if _, err := conn.Exec(ctx, demoSeed); err != nil {
		return fmt.Errorf("seed the demo data: %w", err)
	}
	fmt.Fprintln(w, "seeded example data: schema shop (customers, products, orders)")
	return nil
}

// demoAdvisorSchema is the schema of the demo's seeded advisor workload.
const demoAdvisorSchema = "advisor_seed"

// seedDemoAdvisor runs the advisor's seed (schema, data, workload, two scans) once: not when
// its schema already exists. A smaller scale than seed's default keeps the demo short.
func seedDemoAdvisor(c *cli.Context, conn *pgx.Conn, url string) (*advisorseed.Result, error) {
	scale := c.Float64("advisor-scale")
	if scale == 0 {
		return nil, nil
	}
	var seeded bool
	if err := conn.QueryRow(c.Context, "SELECT to_regnamespace($1) IS NOT NULL", demoAdvisorSchema).Scan(&seeded); err != nil {
		return nil, err
	}
	if seeded {
		fmt.Fprintf(c.App.Writer, "advisor workload: schema %s is there from an earlier run (howdah advisor seed makes it afresh)\n", demoAdvisorSchema)
		return nil, nil
	}
	res, err := advisorseed.Run(c.Context, url, &advisorseed.Config{Schema: demoAdvisorSchema, Scale: scale, Duration: 6 * time.Second, Out: c.App.ErrWriter})
	if err != nil {
		return nil, fmt.Errorf("seed the advisor workload: %w", err)
	}
	fmt.Fprintf(c.App.Writer, "seeded the advisor workload: schema %s (%d orders, %d events) in %.1f s, advisor snapshots %v\n",
		res.Schema, res.Rows["orders"], res.Rows["events"], res.Total.Seconds(), res.Snapshots)
	return res, nil
}
