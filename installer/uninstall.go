package installer

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Uninstall reverts every step of the target instances, dependents first, drops their version
// tables and any schema left empty, and — when no module remains — howdah_internal itself, so
// nothing of howdah is left. It refuses when an installed module outside the targets needs a
// target, and, unless force is set, when a target's tables hold rows.
func (in *Installer) Uninstall(ctx context.Context, targets []Target, force bool) (*Report, error) {
	report := &Report{}
	err := in.locked(ctx, func() error {
		insts, err := in.Installed(ctx)
		if err != nil {
			return err
		}
		remove, err := in.resolveInstalled(insts, targets)
		if err != nil {
			return err
		}
		// Refuse to strand a dependent.
		for _, r := range remove {
			var deps []string
			for _, inst := range insts {
				m, err := in.reg.Module(inst.Module)
				if err != nil || slices.Contains(remove, inst) {
					continue
				}
				if slices.Contains(m.Requires, r.Module) {
					deps = append(deps, inst.Module)
				}
			}
			if len(deps) > 0 {
				return &DependentError{Module: r.Module, Dependents: deps}
			}
		}
		if err := in.refuseExtension(ctx, "run DROP EXTENSION howdah"); err != nil {
			return err
		}
		// Dependents first: reverse dependency order, all in one transaction.
		order, err := in.reg.order(in.reg.Names())
		if err != nil {
			return err
		}
		var plan []planned
		for _, m := range slices.Backward(order) {
			for _, r := range remove {
				if r.Module == m.Name {
					plan = append(plan, planned{mod: m, schema: r.Schema})
				}
			}
		}
		loaded, err := in.load(ctx, plan)
		if err != nil {
			return err
		}
		for _, i := range loaded {
			if err := in.checkChecksums(ctx, i.mod, i.schema, i.steps); err != nil {
				return err
			}
		}
		return pgx.BeginFunc(ctx, in.conn, func(pgx.Tx) error {
			for _, i := range loaded {
				// Checked in turn, dependents removed first: what a dependent's down migration
				// takes away (playground unschedules its pruning from the queue) is no data of the
				// module it required. A refusal rolls every removal back.
				if !force {
					if err := in.checkNoData(ctx, Instance{Module: i.mod.Name, Schema: i.schema}); err != nil {
						return err
					}
				}
				if err := in.remove(ctx, i, report); err != nil {
					return err
				}
			}
			left, err := in.Installed(ctx)
			if err != nil || len(left) > 0 {
				return err
			}
			if _, err := in.conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+InternalSchema); err != nil {
				return fmt.Errorf("drop schema %s (objects not made by howdah are in it?): %w", InternalSchema, err)
			}
			return nil
		})
	})
	return report.or(err)
}

// resolveInstalled maps targets to installed instances.
func (in *Installer) resolveInstalled(insts []Instance, targets []Target) ([]Instance, error) {
	var out []Instance
	for _, t := range targets {
		m, err := in.reg.Module(t.Module)
		if err != nil {
			return nil, err
		}
		var match []Instance
		for _, inst := range insts {
			if inst.Module == t.Module && (t.Schema == "" || inst.Schema == t.Schema) {
				match = append(match, inst)
			}
		}
		switch {
		case len(match) == 0:
			schema := t.Schema
			if schema == "" {
				schema = m.Schema
			}
			return nil, &NotInstalledError{Module: t.Module, Schema: schema}
		case len(match) > 1:
			var schemas []string
			for _, i := range match {
				schemas = append(schemas, i.Schema)
			}
			return nil, &AmbiguousInstanceError{Module: t.Module, Schemas: schemas}
		}
		if !slices.Contains(out, match[0]) {
			out = append(out, match[0])
		}
	}
	return out, nil
}

// checkNoData refuses when a table the instance created holds rows. The installer's own
// bookkeeping tables do not count.
func (in *Installer) checkNoData(ctx context.Context, inst Instance) error {
	rows, err := in.conn.Query(ctx, `
		SELECT n.nspname, c.relname, c.oid::regclass::text
		  FROM howdah_internal.objects o
		  JOIN pg_catalog.pg_class c ON c.oid = to_regclass(o.identity)
		  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		 WHERE o.module = $1 AND o.schema_name = $2 AND o.kind = 'relation' AND c.relkind IN ('r', 'p')
		   AND NOT (n.nspname = 'howdah_internal' AND c.relname IN ('modules', 'history', 'objects'))
		 ORDER BY 1, 2`, inst.Module, inst.Schema)
	if err != nil {
		return err
	}
	type table struct {
		id   pgx.Identifier
		name string
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (table, error) {
		t := table{id: make(pgx.Identifier, 2)}
		err := r.Scan(&t.id[0], &t.id[1], &t.name)
		return t, err
	})
	if err != nil {
		return err
	}
	var full []string
	for _, t := range tables {
		var has bool
		// Names come from pg_class and are quoted; no input reaches this statement.
		if err := in.conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM "+t.id.Sanitize()+")").Scan(&has); err != nil {
			return fmt.Errorf("check %s for rows: %w", t.name, err)
		}
		if has {
			full = append(full, t.name)
		}
	}
	if len(full) > 0 {
		return &DataExistsError{Module: inst.Module, Tables: full}
	}
	return nil
}

// remove drops an instance's code, reverts its migrations and drops what is left of it.
func (in *Installer) remove(ctx context.Context, i *instance, report *Report) error {
	if err := in.dropCode(ctx, i); err != nil {
		return err
	}
	if err := in.migrate(ctx, i, 0, report); err != nil {
		return err
	}
	m, schema := i.mod, i.schema
	if _, err := in.conn.Exec(ctx, "DROP TABLE IF EXISTS "+m.VersionTable(schema)); err != nil {
		return err
	}
	if schema == InternalSchema {
		return nil
	}
	// Another module still lives there (catalog shares core's schema): its own steps drop it.
	left, err := in.Installed(ctx)
	if err != nil {
		return err
	}
	for _, inst := range left {
		if inst.Schema == schema {
			return nil
		}
	}
	_, err = in.conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "2BP01" {
		return fmt.Errorf("module %q: schema %q still holds objects its migrations did not create (%s); move or drop them, then uninstall again",
			m.Name, schema, pgErr.Detail)
	}
	return err
}
