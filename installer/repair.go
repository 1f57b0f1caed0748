package installer

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// RepairReport says what Repair did.
type RepairReport struct {
	// Restored lists the problems Verify found before the repair that are gone after it.
	Restored []Problem `json:"restored"`
	// Remaining lists the problems still there: those repair cannot fix, such as a table or a
	// function made by a migration that was dropped by hand (restore those from a backup).
	Remaining []Problem `json:"remaining"`
	// Recreated names the instances whose code was recreated, as "module (schema)".
	Recreated []string `json:"recreated"`
}

// PendingError refuses a repair of a database that has migrations or code this binary would
// apply first: repair recreates the code that is installed, and that code is only known to be
// the binary's when nothing is pending.
type PendingError struct {
	// Pending lists the instances with pending work, as "module (schema): what".
	Pending []string
}

func (e *PendingError) Error() string {
	return fmt.Sprintf("cannot repair while migrations or code are pending (%v): upgrade first, which recreates the code too", e.Pending)
}

// Repair recreates the code (functions, views, triggers, policies, grants) of every installed
// instance, in one transaction under the installer's lock: the objects a module's code made are
// dropped and its code files run again, exactly as an upgrade does. It restores functions
// dropped or edited by hand and privileges changed on them; it cannot restore what migrations
// made (tables, types, their rows). When Verify finds nothing, nothing is done. It refuses
// (PendingError) when an instance has pending migrations or code other than this binary's, and
// (ChecksumError) when an applied migration's file changed.
func (in *Installer) Repair(ctx context.Context) (*RepairReport, error) {
	if err := in.preflight(ctx, nil); err != nil {
		return nil, err
	}
	report := &RepairReport{Restored: []Problem{}, Remaining: []Problem{}, Recreated: []string{}}
	err := in.locked(ctx, func() error {
		insts, err := in.Installed(ctx)
		if err != nil {
			return err
		}
		order, err := in.reg.order(in.reg.Names())
		if err != nil {
			return err
		}
		var plan []planned
		for _, m := range order {
			for _, inst := range insts {
				if inst.Module == m.Name {
					plan = append(plan, planned{mod: m, schema: inst.Schema})
				}
			}
		}
		loaded, err := in.load(ctx, plan)
		if err != nil {
			return err
		}
		var pending []string
		for _, i := range loaded {
			if err := in.checkChecksums(ctx, i.mod, i.schema, i.steps); err != nil {
				return err
			}
			if int(i.version) < len(i.steps) {
				pending = append(pending, fmt.Sprintf("%s: %d migration step(s)", i.name(), len(i.steps)-int(i.version)))
			} else if i.codeSum != i.code.Checksum {
				pending = append(pending, i.name()+": code")
			}
		}
		if len(pending) > 0 {
			return &PendingError{Pending: pending}
		}
		before, err := in.Verify(ctx)
		if err != nil {
			return err
		}
		if len(before) == 0 {
			return nil
		}
		if err := in.refuseExtension(ctx, "reinstall the extension (DROP EXTENSION howdah; CREATE EXTENSION howdah) or restore the objects from a backup"); err != nil {
			return err
		}
		return pgx.BeginFunc(ctx, in.conn, func(tx pgx.Tx) error {
			for _, i := range slices.Backward(loaded) {
				if err := in.dropCode(ctx, i); err != nil {
					return err
				}
			}
			discard := &Report{}
			for _, i := range loaded {
				if err := in.createCode(ctx, i, discard); err != nil {
					return err
				}
				report.Recreated = append(report.Recreated, i.name())
			}
			after, err := in.Verify(ctx)
			if err != nil {
				return err
			}
			for _, p := range before {
				if !slices.Contains(after, p) {
					report.Restored = append(report.Restored, p)
				}
			}
			report.Remaining = append(report.Remaining, after...)
			return nil
		})
	})
	if err != nil {
		return &RepairReport{Restored: []Problem{}, Remaining: []Problem{}, Recreated: []string{}}, err
	}
	return report, nil
}
