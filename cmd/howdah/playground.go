package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/urfave/cli/v2"
)

var playgroundSchemaRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

func playgroundCommand() *cli.Command {
	return &cli.Command{
		Name:  "playground",
		Usage: "manage a Beam Playground instance (the playground module): import a catalog",
		Description: "Works on one instance of the playground module (--schema, default playground) through its " +
			"SQL functions; see docs/playground.md.",
		Subcommands: []*cli.Command{{
			Name:      "import",
			Usage:     "load SDKs, datasets, examples, their code and precompiled outputs from FILE.json (idempotent: a refresh)",
			ArgsUsage: "FILE.json",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "schema", Value: "playground", Usage: "the instance's `SCHEMA`"},
			},
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return fmt.Errorf("give one catalog file: howdah playground import FILE.json")
				}
				doc, err := os.ReadFile(c.Args().First())
				if err != nil {
					return err
				}
				conn, err := connect(c)
				if err != nil {
					return err
				}
				defer closeConn(conn)
				return playgroundImport(c.Context, conn, c.String("schema"), doc, c.App.Writer)
			},
		}},
	}
}

// playgroundImport loads a catalog document into the instance in schema and prints the counts.
func playgroundImport(ctx context.Context, conn *pgx.Conn, schema string, doc []byte, w io.Writer) error {
	if !playgroundSchemaRE.MatchString(schema) {
		return fmt.Errorf("schema %q: use lowercase letters, digits and _", schema)
	}
	var counts string
	err := conn.QueryRow(ctx, `SELECT `+pgx.Identifier{schema, "import_catalog"}.Sanitize()+`(doc => $1::jsonb)::text`, string(doc)).Scan(&counts)
	if err != nil {
		return fmt.Errorf("import into %s: %w", schema, err)
	}
	fmt.Fprintf(w, "imported into schema %s: %s\n", schema, counts)
	return nil
}
