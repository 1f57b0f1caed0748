package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/howdah/howdah/extension"
)

func bundleCommand() *cli.Command {
	return &cli.Command{
		Name:  "bundle",
		Usage: "generate the PostgreSQL extension bundle (howdah.control, howdah--VERSION.sql) from sql/",
		Description: "Writes the extension files into --out. Copy them into `pg_config --sharedir`/extension " +
			"to use CREATE EXTENSION howdah, or run the .sql file with psql -1 -f. With --check, writes " +
			"nothing and fails when the files in --out are out of date.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Value: "extension", Usage: "`DIR` to write the bundle into"},
			&cli.BoolFlag{Name: "check", Usage: "only check that the bundle in --out is up to date"},
		},
		Action: func(c *cli.Context) error {
			dir := c.String("out")
			if c.Bool("check") {
				stale, err := extension.Stale(dir)
				if err != nil {
					return err
				}
				if len(stale) > 0 {
					return fmt.Errorf("extension bundle in %s is stale (%s): run `make extension`", dir, strings.Join(stale, ", "))
				}
				fmt.Fprintf(c.App.Writer, "extension bundle in %s is up to date\n", dir)
				return nil
			}
			if err := extension.Write(dir); err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "wrote %s and %s in %s\n", extension.ControlFile, extension.ScriptFile, dir)
			return nil
		},
	}
}
