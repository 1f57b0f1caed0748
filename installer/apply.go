package installer

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/tern/v2/migrate"
)

// instance is one module instance an operation works on, with what this binary carries for it
// and what the database has.
type instance struct {
	mod     *Module
	schema  string
	steps   []Step
	code    *Code
	version int32  // applied migration version; 0 when not installed
	codeSum string // checksum of the code installed; "" when none was recorded
}

func (i *instance) name() string { return fmt.Sprintf("%s (%s)", i.mod.Name, i.schema) }

// outdated reports whether the instance has pending migrations or code other than this binary's.
func (i *instance) outdated() bool {
	return int(i.version) < len(i.steps) || i.codeSum != i.code.Checksum
}

// load reads what the binary carries for each planned instance and what the database records.
func (in *Installer) load(ctx context.Context, plan []planned) ([]*instance, error) {
	type state struct {
		version int32
		codeSum string
	}
	recorded := map[[2]string]state{} // by (module, schema)
	if ok, err := in.bookkeeping(ctx); err != nil {
		return nil, err
	} else if ok {
		rows, err := in.conn.Query(ctx, `SELECT name, schema_name, version, coalesce(code_checksum, '') FROM howdah_internal.modules`)
		if err != nil {
			return nil, err
		}
		var name, schema string
		var st state
		if _, err := pgx.ForEachRow(rows, []any{&name, &schema, &st.version, &st.codeSum}, func() error {
			recorded[[2]string{name, schema}] = st
			return nil
		}); err != nil {
			return nil, err
		}
	}
	var out []*instance
	for _, p := range plan {
		steps, err := p.mod.Steps(p.schema)
		if err != nil {
			return nil, err
		}
		code, err := p.mod.Code(p.schema)
		if err != nil {
			return nil, err
		}
		inst := &instance{mod: p.mod, schema: p.schema, steps: steps, code: code}
		st := recorded[[2]string{p.mod.Name, p.schema}]
		inst.version, inst.codeSum = st.version, st.codeSum
		if int(inst.version) > len(steps) {
			return nil, fmt.Errorf("module %q in schema %q is at version %d, newer than this howdah (%d steps): upgrade the howdah binary",
				p.mod.Name, p.schema, inst.version, len(steps))
		}
		out = append(out, inst)
	}
	return out, nil
}

// withDependents adds to todo the installed instances that require one of its modules, directly
// or not: their code may call code that is about to be dropped, so theirs is recreated too.
func (in *Installer) withDependents(ctx context.Context, todo []*instance) ([]*instance, error) {
	insts, err := in.Installed(ctx)
	if err != nil {
		return nil, err
	}
	affected := map[string]bool{}
	for _, t := range todo {
		affected[t.mod.Name] = true
	}
	order, err := in.reg.order(in.reg.Names())
	if err != nil {
		return nil, err
	}
	var plan []planned
	for _, m := range order {
		if !affected[m.Name] && !slices.ContainsFunc(m.Requires, func(r string) bool { return affected[r] }) {
			continue
		}
		affected[m.Name] = true
		for _, t := range todo {
			if t.mod == m {
				plan = append(plan, planned{mod: m, schema: t.schema})
			}
		}
		for _, i := range insts {
			if i.Module == m.Name && !slices.ContainsFunc(plan, func(p planned) bool { return p.mod == m && p.schema == i.Schema }) {
				plan = append(plan, planned{mod: m, schema: i.Schema})
			}
		}
	}
	return in.load(ctx, plan)
}

// apply brings the instances (in dependency order) to this binary's migrations and code, in one
// transaction: it drops the code of every instance it touches (dependents first), then for each
// instance runs the pending migrations and creates the code. Instances already current are left
// alone; when none needs anything, nothing happens.
func (in *Installer) apply(ctx context.Context, insts []*instance, report *Report) error {
	var todo []*instance
	for _, i := range insts {
		if err := in.checkChecksums(ctx, i.mod, i.schema, i.steps); err != nil {
			return err
		}
		if i.outdated() {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	todo, err := in.withDependents(ctx, todo)
	if err != nil {
		return err
	}
	for _, i := range todo {
		if err := in.checkChecksums(ctx, i.mod, i.schema, i.steps); err != nil {
			return err
		}
	}
	if err := in.refuseExtension(ctx, fmt.Sprintf("install the extension files of howdah %s and run ALTER EXTENSION howdah UPDATE", Release)); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, in.conn, func(tx pgx.Tx) error {
		for _, i := range slices.Backward(todo) {
			if err := in.dropCode(ctx, i); err != nil {
				return err
			}
		}
		for _, i := range todo {
			if err := in.migrate(ctx, i, -1, report); err != nil {
				return err
			}
			if err := in.createCode(ctx, i, report); err != nil {
				return err
			}
		}
		return nil
	})
}

// dropCode drops the objects an instance's code made, when it has any recorded.
func (in *Installer) dropCode(ctx context.Context, i *instance) error {
	if i.codeSum == "" {
		return nil
	}
	if _, err := in.conn.Exec(ctx, "SELECT howdah_internal.drop_code($1, $2)", i.mod.Name, i.schema); err != nil {
		return &MigrationError{Module: i.mod.Name, Step: "dropping its code", Err: err}
	}
	return nil
}

// createCode runs an instance's code files in order and records them.
func (in *Installer) createCode(ctx context.Context, i *instance, report *Report) error {
	fmt.Fprintf(in.out, "%s: create code (%d file(s))\n", i.name(), len(i.code.Files))
	for _, f := range i.code.Files {
		if _, err := in.conn.Exec(ctx, f.SQL); err != nil {
			return &MigrationError{Module: i.mod.Name, Step: f.Name, Line: errorLine(f.SQL, 1, err), Err: err}
		}
	}
	_, err := in.conn.Exec(ctx, "SELECT howdah_internal.record_code($1, $2, $3, $4, $5)",
		i.mod.Name, i.schema, i.code.Checksum, Release, ownedSchemas(i.schema))
	if err != nil {
		return &MigrationError{Module: i.mod.Name, Step: "recording its code", Err: err}
	}
	i.codeSum = i.code.Checksum
	report.Applied = append(report.Applied, Applied{Module: i.mod.Name, Schema: i.schema, Version: i.version, Step: "code", Direction: "code"})
	return nil
}

// refuseExtension stops the installer from changing a database where howdah is an extension:
// objects it dropped or made would not be the extension's members.
func (in *Installer) refuseExtension(ctx context.Context, fix string) error {
	var version string
	err := in.conn.QueryRow(ctx, "SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'howdah'").Scan(&version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return &ExtensionManagedError{Version: version, Fix: fix}
}

// migrate moves one instance to target (-1 = latest) inside the caller's transaction, recording
// the steps in report.
func (in *Installer) migrate(ctx context.Context, i *instance, target int32, report *Report) error {
	if target < 0 {
		target = int32(len(i.steps))
	}
	if _, err := in.conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+InternalSchema); err != nil {
		return fmt.Errorf("create schema %s: %w", InternalSchema, err)
	}
	// The caller holds one transaction for the whole operation: all of it applies, or none.
	mig, err := migrate.NewMigratorEx(ctx, in.conn, i.mod.VersionTable(i.schema), &migrate.MigratorOptions{DisableTx: true})
	if err != nil {
		return fmt.Errorf("module %q: version table: %w", i.mod.Name, err)
	}
	for _, s := range i.steps {
		mig.Migrations = append(mig.Migrations, ternMigration(i.mod, i.schema, s))
	}
	mig.OnStart = func(seq int32, name, direction, _ string) {
		verb, v := "apply", seq
		if direction == "down" {
			verb, v = "revert", seq-1
		}
		fmt.Fprintf(in.out, "%s: %s %s\n", i.name(), verb, name)
		report.Applied = append(report.Applied, Applied{Module: i.mod.Name, Schema: i.schema, Version: v, Step: name, Direction: direction})
	}
	if err := mig.MigrateTo(ctx, target); err != nil {
		var merr *MigrationError
		if errors.As(err, &merr) {
			return merr
		}
		return fmt.Errorf("module %q: %w", i.mod.Name, err)
	}
	i.version = target
	return nil
}
