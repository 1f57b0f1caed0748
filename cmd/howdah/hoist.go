package main

import (
	"context"
	"strings"

	"github.com/urfave/cli/v2"
)

// runApp runs the CLI with the flags written after positional arguments moved in front of them.
func runApp(ctx context.Context, app *cli.App, args []string) error {
	return app.RunContext(ctx, hoistFlags(app, args))
}

// hoistFlags moves the flags of the command being run that come after its first positional
// argument in front of its positional arguments: urfave/cli v2 stops reading flags at the first
// positional argument, and people write `howdah install core --db URL` as often as
// `howdah install --db URL core`. Only the command's own flag names move (with their value when
// they take one); anything after "--", and words that are not its flags (a negative number, say),
// stay where they are.
func hoistFlags(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	flags, cmds := app.Flags, app.Commands
	i := 1
	// The command path: flags and command names up to the first positional argument.
	for i < len(args) {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if n := flagWords(flags, args[i:]); n > 0 {
			out = append(out, args[i:i+n]...)
			i += n
			continue
		}
		if c := findCommand(cmds, a); c != nil {
			out = append(out, a)
			flags, cmds = c.Flags, c.Subcommands
			i++
			continue
		}
		break
	}
	var hoisted, positional []string
	for i < len(args) {
		if args[i] == "--" {
			positional = append(positional, args[i:]...)
			break
		}
		if n := flagWords(flags, args[i:]); n > 0 {
			hoisted = append(hoisted, args[i:i+n]...)
			i += n
			continue
		}
		positional = append(positional, args[i])
		i++
	}
	return append(append(out, hoisted...), positional...)
}

// flagWords is how many words at the start of rest make one of flags: 0 when rest[0] is not one
// of them or lacks its value, 1 for a boolean or a --name=value, 2 for a flag and its value.
func flagWords(flags []cli.Flag, rest []string) int {
	a := rest[0]
	if len(a) < 2 || a[0] != '-' {
		return 0
	}
	name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			switch _, isBool := f.(*cli.BoolFlag); {
			case isBool || hasValue:
				return 1
			case len(rest) < 2:
				return 0 // its value is missing: left in place, not given the next argument's
			}
			return 2
		}
	}
	return 0
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}
