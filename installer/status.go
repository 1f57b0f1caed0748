package installer

import (
	"context"
	"fmt"
	"time"
)

// ModuleStatus is one row of `howdah status`: a module instance, or a module not installed.
type ModuleStatus struct {
	Module    string     `json:"module"`
	Schema    string     `json:"schema"`
	Installed bool       `json:"installed"`
	Version   int32      `json:"version"`
	Latest    int32      `json:"latest"`
	Pending   []string   `json:"pending"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// Status reports every registered module: its installed instances with their pending steps, or
// one not-installed row.
func (in *Installer) Status(ctx context.Context) ([]ModuleStatus, error) {
	insts, err := in.Installed(ctx)
	if err != nil {
		return nil, err
	}
	var out []ModuleStatus
	for _, name := range in.reg.Names() {
		m, _ := in.reg.Module(name)
		found := false
		for _, inst := range insts {
			if inst.Module != name {
				continue
			}
			found = true
			st, err := statusOf(m, inst.Schema, inst.Version)
			if err != nil {
				return nil, err
			}
			st.Installed, st.UpdatedAt = true, &inst.UpdatedAt
			out = append(out, st)
		}
		if !found {
			st, err := statusOf(m, m.Schema, 0)
			if err != nil {
				return nil, err
			}
			out = append(out, st)
		}
	}
	return out, nil
}

func statusOf(m *Module, schema string, version int32) (ModuleStatus, error) {
	steps, err := m.Steps(schema)
	if err != nil {
		return ModuleStatus{}, err
	}
	st := ModuleStatus{Module: m.Name, Schema: schema, Version: version, Latest: int32(len(steps)), Pending: []string{}}
	for _, s := range steps {
		if s.Version > version {
			st.Pending = append(st.Pending, s.Description)
		}
	}
	return st, nil
}

// Problem is one thing Verify found wrong.
type Problem struct {
	Module  string `json:"module"`
	Schema  string `json:"schema"`
	Object  string `json:"object,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Object != "" {
		return fmt.Sprintf("%s (%s): %s: %s", p.Module, p.Schema, p.Object, p.Message)
	}
	return fmt.Sprintf("%s (%s): %s", p.Module, p.Schema, p.Message)
}

// Verify checks every installed instance against this binary: the applied migrations'
// checksums match the embedded files, the version table agrees with the bookkeeping, and every
// function, relation and type the module created still exists with the definition it was
// installed with. It returns the problems found; none means the database is as installed.
func (in *Installer) Verify(ctx context.Context) ([]Problem, error) {
	insts, err := in.Installed(ctx)
	if err != nil {
		return nil, err
	}
	var problems []Problem
	for _, inst := range insts {
		add := func(object, format string, args ...any) {
			problems = append(problems, Problem{Module: inst.Module, Schema: inst.Schema, Object: object, Message: fmt.Sprintf(format, args...)})
		}
		m, err := in.reg.Module(inst.Module)
		if err != nil {
			add("", "installed, but this howdah does not know the module")
			continue
		}
		steps, err := m.Steps(inst.Schema)
		if err != nil {
			return nil, err
		}
		if int(inst.Version) > len(steps) {
			add("", "at version %d, newer than this howdah (%d steps)", inst.Version, len(steps))
		}
		var tableVersion int32
		if err := in.conn.QueryRow(ctx, "SELECT version FROM "+m.VersionTable(inst.Schema)).Scan(&tableVersion); err != nil {
			add(m.VersionTable(inst.Schema), "version table unreadable: %v", err)
		} else if tableVersion != inst.Version {
			add(m.VersionTable(inst.Schema), "says version %d but the bookkeeping says %d", tableVersion, inst.Version)
		}
		applied, err := in.appliedChecksums(ctx, m, inst.Schema)
		if err != nil {
			return nil, err
		}
		for _, s := range steps {
			if s.Version > inst.Version {
				break
			}
			sum, ok := applied[s.Version]
			switch {
			case !ok:
				add(s.Description, "applied, but not in howdah_internal.history")
			case sum != s.Checksum:
				add(s.Description, "changed after it was applied (applied checksum %.12s, now %.12s)", sum, s.Checksum)
			}
		}
		rows, err := in.conn.Query(ctx, `
			SELECT o.kind, o.identity, f.fingerprint IS NULL, o.fingerprint IS DISTINCT FROM f.fingerprint
			  FROM howdah_internal.objects o
			  LEFT JOIN howdah_internal.fingerprints($3) f ON f.kind = o.kind AND f.identity = o.identity
			 WHERE o.module = $1 AND o.schema_name = $2
			 ORDER BY o.kind, o.identity`, inst.Module, inst.Schema, ownedSchemas(inst.Schema))
		if err != nil {
			return nil, err
		}
		count := 0
		for rows.Next() {
			var kind, identity string
			var missing, changed bool
			if err := rows.Scan(&kind, &identity, &missing, &changed); err != nil {
				return nil, err
			}
			count++
			switch {
			case missing:
				add(kind+" "+identity, "missing: it was dropped or renamed since install")
			case changed:
				add(kind+" "+identity, "definition changed since install (edited by hand?); `howdah verify` expects what the migrations made")
			}
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if count == 0 {
			add("", "no objects recorded for this module")
		}
	}
	return problems, nil
}
