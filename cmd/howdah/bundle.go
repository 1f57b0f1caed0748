package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/howdah/howdah/extension"
	"github.com/howdah/howdah/installer"
)

func bundleCommand() *cli.Command {
	return &cli.Command{
		Name:  "bundle",
		Usage: "generate the PostgreSQL extension bundle (howdah.control, howdah--VERSION.sql, update scripts) from sql/",
		Description: "Writes the extension files into --out: the control file, the install script of this release and " +
			"the update script from the previous release. Copy them into `pg_config --sharedir`/extension " +
			"to use CREATE EXTENSION howdah (ALTER EXTENSION howdah UPDATE to upgrade), or run the install " +
			"script with psql -1 -f. Released scripts (listed in released.sha256) are never rewritten. " +
			"With --check, writes nothing and fails when the files in --out are out of date or a released " +
			"file or migration step has changed. With --freeze, marks this release's scripts as released.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Value: "extension", Usage: "`DIR` to write the bundle into"},
			&cli.BoolFlag{Name: "check", Usage: "only check that the bundle in --out is up to date and releases are intact"},
			&cli.BoolFlag{Name: "freeze", Usage: "mark this release's scripts as released (once, when tagging " + installer.Release + ")"},
		},
		Action: func(c *cli.Context) error {
			dir := c.String("out")
			switch {
			case c.Bool("check"):
				stale, err := extension.New(dir).Stale()
				if err != nil {
					return err
				}
				if len(stale) > 0 {
					return fmt.Errorf("extension bundle in %s is stale (%s): run `make extension`", dir, strings.Join(stale, ", "))
				}
				problems, err := extension.New(dir).CheckReleased()
				if err != nil {
					return err
				}
				if len(problems) > 0 {
					return fmt.Errorf("released files changed:\n  %s", strings.Join(problems, "\n  "))
				}
				fmt.Fprintf(c.App.Writer, "extension bundle in %s is up to date\n", dir)
			case c.Bool("freeze"):
				added, err := extension.New(dir).Freeze()
				if err != nil {
					return err
				}
				fmt.Fprintf(c.App.Writer, "froze %s in %s/%s\n", strings.Join(added, ", "), dir, extension.ReleasedFile)
			default:
				if err := extension.New(dir).Write(); err != nil {
					return err
				}
				fmt.Fprintf(c.App.Writer, "wrote the bundle of howdah %s in %s\n", installer.Release, dir)
			}
			return nil
		},
	}
}
