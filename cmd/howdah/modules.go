package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/jackc/pgx/v5"
	"github.com/urfave/cli/v2"

	"github.com/howdah/howdah/installer"
)

// Flags are made per command: urfave/cli writes into them while parsing.
func schemaFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: "schema", Usage: "the schema of an app module instance, as `MODULE=SCHEMA` (repeatable; default: the module's own)"}
}

func jsonFlag() cli.Flag { return &cli.BoolFlag{Name: "json", Usage: "print the result as JSON"} }

func moduleList() string {
	var b strings.Builder
	for _, m := range installer.Modules() {
		fmt.Fprintf(&b, "\n   %-10s %s (schema %s)", m.Name, m.Description, m.Schema)
	}
	return b.String()
}

func installCommand() *cli.Command {
	return &cli.Command{
		Name:      "install",
		Usage:     "install modules (default: all) and the modules they need",
		ArgsUsage: "[MODULE...]",
		Description: "Installs each module with the modules it requires, applying every pending migration, " +
			"one transaction per step, under an advisory lock (a second installer waits, then finds nothing to do). " +
			"Running it again changes nothing.\n\nWith --repair it installs nothing new: when `howdah verify` finds a problem, it " +
			"recreates the code (functions, views, triggers, grants) of every installed module in one transaction, restoring " +
			"functions dropped or edited by hand, and lists what it restored and what it could not (objects made by " +
			"migrations, such as tables). It refuses while migrations are pending: run `howdah upgrade` then.\n\nModules:" + moduleList(),
		Flags: append([]cli.Flag{schemaFlag(), jsonFlag(),
			&cli.BoolFlag{Name: "repair", Usage: "recreate the code of every installed module when verify finds a problem, and say what was restored"},
		}, authenticatorFlags()...),
		Action: func(c *cli.Context) error {
			if c.Bool("repair") {
				if c.Args().Len() > 0 || len(c.StringSlice("schema")) > 0 {
					return fmt.Errorf("--repair works on every installed module: give no module names or --schema")
				}
				return withInstaller(c, func(in *installer.Installer) error {
					rep, err := in.Repair(c.Context)
					if err != nil {
						return err
					}
					return printRepair(c, rep)
				})
			}
			targets, err := parseTargets(c)
			if err != nil {
				return err
			}
			err = withInstaller(c, func(in *installer.Installer) error {
				rep, err := in.Install(c.Context, targets)
				if err != nil {
					return err
				}
				return printReport(c, rep, "installed", "nothing to do: every module asked for is installed and up to date")
			})
			if err != nil {
				return err
			}
			return setupAuthenticator(c)
		},
	}
}

func upgradeCommand() *cli.Command {
	return &cli.Command{
		Name:      "upgrade",
		Usage:     "apply newer migrations to installed modules (default: all installed)",
		ArgsUsage: "[MODULE...]",
		Flags:     []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			return withInstaller(c, func(in *installer.Installer) error {
				rep, err := in.Upgrade(c.Context, c.Args().Slice())
				if err != nil {
					return err
				}
				return printReport(c, rep, "upgraded", "nothing to do: installed modules are up to date")
			})
		},
	}
}

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show the installed version of every module and its pending steps",
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			return withInstaller(c, func(in *installer.Installer) error {
				st, err := in.Status(c.Context)
				if err != nil {
					return err
				}
				if c.Bool("json") {
					return writeJSON(c.App.Writer, st)
				}
				printStatus(c.App.Writer, st)
				return nil
			})
		},
	}
}

func printStatus(out io.Writer, st []installer.ModuleStatus) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "MODULE\tSCHEMA\tINSTALLED\tLATEST\tPENDING")
	for _, s := range st {
		installed := "no"
		if s.Installed {
			installed = fmt.Sprint(s.Version)
		}
		pending := "-"
		if len(s.Pending) > 0 {
			pending = strings.Join(s.Pending, ", ")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\n", s.Module, s.Schema, installed, s.Latest, pending)
	}
	w.Flush()
}

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "check installed modules against this binary: migration checksums and every object's definition",
		Description: "Exits 0 when every installed module is as its migrations made it, 1 when a migration file " +
			"changed after it was applied or a function, table or type was dropped or edited by hand. GRANTs and " +
			"REVOKEs made since install are listed as notes (often intended: a backend role granted USAGE on a " +
			"module's schema); with --strict they fail verify too.",
		Flags: []cli.Flag{jsonFlag(),
			&cli.BoolFlag{Name: "strict", Usage: "also exit 1 when privileges were granted or revoked since install"}},
		Action: func(c *cli.Context) error {
			return withInstaller(c, func(in *installer.Installer) error {
				problems, err := in.Verify(c.Context)
				if err != nil {
					return err
				}
				failing := 0
				for _, p := range problems {
					if !p.Privileges || c.Bool("strict") {
						failing++
					}
				}
				if c.Bool("json") {
					if problems == nil {
						problems = []installer.Problem{}
					}
					if err := writeJSON(c.App.Writer, problems); err != nil {
						return err
					}
				} else {
					for _, p := range problems {
						if p.Privileges && !c.Bool("strict") {
							fmt.Fprintln(c.App.Writer, "note:", p)
						} else {
							fmt.Fprintln(c.App.Writer, p)
						}
					}
				}
				if failing > 0 {
					return &exitError{code: 1, msg: fmt.Sprintf("verify found %d problem(s)", failing)}
				}
				if !c.Bool("json") {
					if len(problems) > 0 {
						fmt.Fprintf(c.App.Writer, "ok: every installed module matches this howdah, apart from %d privilege change(s) noted above (--strict fails on them)\n", len(problems))
					} else {
						fmt.Fprintln(c.App.Writer, "ok: every installed module matches this howdah")
					}
				}
				return nil
			})
		},
	}
}

func uninstallCommand() *cli.Command {
	return &cli.Command{
		Name:      "uninstall",
		Usage:     "remove modules and everything they created",
		ArgsUsage: "MODULE... | --all",
		Description: "Reverts every migration of the modules (dependents first) and drops their schemas, leaving " +
			"nothing of them behind. Refuses when another installed module needs one of them, and when their " +
			"tables hold rows unless --force is given. Uninstalling core (or --all) removes howdah entirely.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Usage: "drop the modules' tables even when they hold rows"},
			&cli.BoolFlag{Name: "all", Usage: "uninstall every installed module"},
			schemaFlag(), jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			targets, err := parseTargets(c)
			if err != nil {
				return err
			}
			if len(targets) == 0 && !c.Bool("all") {
				return fmt.Errorf("name the modules to uninstall, or pass --all")
			}
			return withInstaller(c, func(in *installer.Installer) error {
				if c.Bool("all") {
					insts, err := in.Installed(c.Context)
					if err != nil {
						return err
					}
					targets = nil
					for _, i := range insts {
						targets = append(targets, installer.Target{Module: i.Module, Schema: i.Schema})
					}
				}
				rep, err := in.Uninstall(c.Context, targets, c.Bool("force"))
				if err != nil {
					return err
				}
				return printReport(c, rep, "uninstalled", "nothing to do")
			})
		},
	}
}

// parseTargets reads module arguments and --schema MODULE=SCHEMA flags.
func parseTargets(c *cli.Context) ([]installer.Target, error) {
	schemas := map[string]string{}
	for _, s := range c.StringSlice("schema") {
		mod, schema, ok := strings.Cut(s, "=")
		if !ok || mod == "" || schema == "" {
			return nil, fmt.Errorf("--schema %q: write it as MODULE=SCHEMA, e.g. --schema pictrs=media", s)
		}
		schemas[mod] = schema
	}
	var targets []installer.Target
	for _, m := range c.Args().Slice() {
		targets = append(targets, installer.Target{Module: m, Schema: schemas[m]})
		delete(schemas, m)
	}
	for mod := range schemas {
		return nil, fmt.Errorf("--schema names module %q, which is not among the modules given", mod)
	}
	return targets, nil
}

// withInstaller connects to the database from the flags and runs fn with an installer on it.
func withInstaller(c *cli.Context, fn func(*installer.Installer) error) error {
	conn, err := connect(c)
	if err != nil {
		return err
	}
	defer closeConn(conn)
	return useInstaller(c, conn, fn)
}

func useInstaller(c *cli.Context, conn *pgx.Conn, fn func(*installer.Installer) error) error {
	in, err := installer.New(conn, &installer.Config{Progress: c.App.ErrWriter})
	if err != nil {
		return err
	}
	return withAdvice(c, in, fn(in))
}

// withAdvice adds to an installer error what to do about it with this command line. The
// installer is a Go API too, so its own messages name no flags or commands.
func withAdvice(c *cli.Context, in *installer.Installer, err error) error {
	var (
		notInstalled *installer.NotInstalledError
		data         *installer.DataExistsError
		ambiguous    *installer.AmbiguousInstanceError
		pending      *installer.PendingError
	)
	switch {
	case errors.As(err, &notInstalled) && c.Command.Name != "uninstall":
		schema := ""
		if m, merr := in.Registry().Module(notInstalled.Module); merr == nil && m.Schema != notInstalled.Schema {
			schema = fmt.Sprintf(" --schema %s=%s", notInstalled.Module, notInstalled.Schema)
		}
		return fmt.Errorf("%w; install it with `howdah install%s %s`", err, schema, notInstalled.Module)
	case errors.As(err, &data):
		return fmt.Errorf("%w: back it up, or pass --force to drop it anyway", err)
	case errors.As(err, &pending):
		return fmt.Errorf("%w: run `howdah upgrade`", err)
	case errors.As(err, &ambiguous):
		return fmt.Errorf("%w with --schema %s=%s", err, ambiguous.Module, ambiguous.Schemas[0])
	}
	return err
}

func printReport(c *cli.Context, rep *installer.Report, verb, nothing string) error {
	if c.Bool("json") {
		if rep.Applied == nil {
			rep.Applied = []installer.Applied{}
		}
		return writeJSON(c.App.Writer, rep)
	}
	if len(rep.Applied) == 0 {
		fmt.Fprintln(c.App.Writer, nothing)
		return nil
	}
	steps, code := map[string]int{}, map[string]bool{}
	var order []string
	for _, a := range rep.Applied {
		key := fmt.Sprintf("%s (%s)", a.Module, a.Schema)
		if _, seen := steps[key]; !seen {
			order = append(order, key)
			steps[key] = 0
		}
		if a.Direction == "code" {
			code[key] = true
		} else {
			steps[key]++
		}
	}
	for _, k := range order {
		line := fmt.Sprintf("%s %s: %d migration step(s)", verb, k, steps[k])
		if code[k] {
			line += " and its code"
		}
		fmt.Fprintln(c.App.Writer, line)
	}
	return nil
}

// printRepair prints what Repair restored and what remains; remaining problems make the
// command exit 1, as verify does.
func printRepair(c *cli.Context, rep *installer.RepairReport) error {
	if c.Bool("json") {
		if err := writeJSON(c.App.Writer, rep); err != nil {
			return err
		}
	} else {
		if len(rep.Recreated) == 0 {
			fmt.Fprintln(c.App.Writer, "nothing to repair: every installed module matches this howdah")
		}
		for _, p := range rep.Restored {
			fmt.Fprintln(c.App.Writer, "restored:", p)
		}
		for _, p := range rep.Remaining {
			fmt.Fprintln(c.App.Writer, "not repaired:", p)
		}
		if len(rep.Recreated) > 0 {
			fmt.Fprintf(c.App.Writer, "recreated the code of %s\n", strings.Join(rep.Recreated, ", "))
		}
	}
	if len(rep.Remaining) > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("repair left %d problem(s) it cannot fix (objects made by migrations): restore them from a backup", len(rep.Remaining))}
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
