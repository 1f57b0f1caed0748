package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/howdah/howdah/installer"
)

// authenticatorFlags are install's options for the role `howdah serve` logs in as.
func authenticatorFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "authenticator", EnvVars: []string{"HOWDAH_AUTHENTICATOR"},
			Usage: "also create (or update) the sidecar's login `ROLE`: NOINHERIT LOGIN, able to switch only into the --authenticator-grant roles"},
		&cli.StringSliceFlag{Name: "authenticator-grant", EnvVars: []string{"HOWDAH_AUTHENTICATOR_GRANT"},
			Usage:  "a `ROLE` tokens may name (or the anonymous role), granted to the authenticator (repeatable or comma-separated)",
			Action: func(c *cli.Context, _ []string) error { return needAuthenticator(c) }},
		&cli.StringFlag{Name: "authenticator-password", EnvVars: []string{"HOWDAH_AUTHENTICATOR_PASSWORD"},
			Usage:  "the authenticator's `PASSWORD` (prefer the environment variable; default: leave it unchanged)",
			Action: func(c *cli.Context, _ string) error { return needAuthenticator(c) }},
	}
}

// needAuthenticator refuses the authenticator's options without --authenticator, before
// anything is installed.
func needAuthenticator(c *cli.Context) error {
	if c.String("authenticator") == "" {
		return fmt.Errorf("--authenticator-grant and --authenticator-password need --authenticator NAME")
	}
	return nil
}

// setupAuthenticator runs after install when --authenticator is given.
func setupAuthenticator(c *cli.Context) error {
	name := c.String("authenticator")
	if name == "" {
		return nil
	}
	var roles []string
	for _, g := range c.StringSlice("authenticator-grant") {
		for _, r := range strings.Split(g, ",") {
			if r = strings.TrimSpace(r); r != "" {
				roles = append(roles, r)
			}
		}
	}
	conn, err := connect(c)
	if err != nil {
		return err
	}
	defer closeConn(conn)
	ran, err := installer.EnsureAuthenticator(c.Context, conn, name, c.String("authenticator-password"), roles)
	if err != nil {
		return fmt.Errorf("authenticator %q: %w", name, err)
	}
	for _, s := range ran {
		fmt.Fprintln(c.App.ErrWriter, s)
	}
	if !c.Bool("json") {
		fmt.Fprintf(c.App.Writer, "authenticator %s: ready (%d change(s))\n", name, len(ran))
	}
	return nil
}
