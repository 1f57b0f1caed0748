package installer

import (
	"context"
	"fmt"
	"strings"
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

// Status reports every registered module: its installed instances with their pending steps
// ("code" among them when the installed code is not this binary's), or one not-installed row.
func (in *Installer) Status(ctx context.Context) ([]ModuleStatus, error) {
	insts, err := in.Installed(ctx)
	if err != nil {
		return nil, err
	}
	var plan []planned
	for _, name := range in.reg.Names() {
		m, _ := in.reg.Module(name)
		found := false
		for _, inst := range insts {
			if inst.Module == name {
				found = true
				plan = append(plan, planned{mod: m, schema: inst.Schema})
			}
		}
		if !found {
			plan = append(plan, planned{mod: m, schema: m.Schema})
		}
	}
	loaded, err := in.load(ctx, plan)
	if err != nil {
		return nil, err
	}
	var out []ModuleStatus
	for _, i := range loaded {
		st := ModuleStatus{Module: i.mod.Name, Schema: i.schema, Version: i.version, Latest: int32(len(i.steps)), Pending: []string{}}
		for _, s := range i.steps {
			if s.Version > i.version {
				st.Pending = append(st.Pending, s.Description)
			}
		}
		if i.codeSum != i.code.Checksum {
			st.Pending = append(st.Pending, "code")
		}
		for _, inst := range insts {
			if inst.Module == i.mod.Name && inst.Schema == i.schema {
				st.Installed, st.UpdatedAt = true, &inst.UpdatedAt
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// Problem is one thing Verify found wrong.
type Problem struct {
	Module  string `json:"module"`
	Schema  string `json:"schema"`
	Object  string `json:"object,omitempty"`
	Message string `json:"message"`
	// Privileges marks a GRANT or REVOKE made since install: a difference that is often intended
	// (a backend role granted USAGE on a module's schema), unlike a missing or edited object.
	Privileges bool `json:"privileges,omitempty"`
}

func (p Problem) String() string {
	if p.Object != "" {
		return fmt.Sprintf("%s (%s): %s: %s", p.Module, p.Schema, p.Object, p.Message)
	}
	return fmt.Sprintf("%s (%s): %s", p.Module, p.Schema, p.Message)
}

// Verify checks every installed instance against this binary: the applied migrations'
// checksums match the embedded files, the installed code is this binary's, the version table
// agrees with the bookkeeping, and every object the module made (functions, relations, types,
// triggers, policies, schemas) still exists with the definition, owner and privileges it was
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
		addPrivileges := func(object, format string, args ...any) {
			add(object, format, args...)
			problems[len(problems)-1].Privileges = true
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
		var codeSum string
		if err := in.conn.QueryRow(ctx, `SELECT coalesce(code_checksum, '') FROM howdah_internal.modules WHERE name = $1 AND schema_name = $2`,
			inst.Module, inst.Schema).Scan(&codeSum); err != nil {
			return nil, err
		}
		code, err := m.Code(inst.Schema)
		if err != nil {
			return nil, err
		}
		if codeSum != code.Checksum {
			add("code", "differs from this howdah's (installed %.12s, this binary %.12s): upgrade to make them match", codeSum, code.Checksum)
		}
		rows, err := in.conn.Query(ctx, `
			SELECT o.kind, o.identity, f.fingerprint IS NULL, o.fingerprint IS DISTINCT FROM f.fingerprint,
			       coalesce(f.owner, ''), o.owner, g.granted, g.revoked
			  FROM howdah_internal.objects o
			  LEFT JOIN howdah_internal.fingerprints($3) f ON f.kind = o.kind AND f.identity = o.identity
			  LEFT JOIN LATERAL howdah_internal.acl_changes(o.kind, o.acl, f.acl, o.owner) g ON f.kind IS NOT NULL
			 WHERE o.module = $1 AND o.schema_name = $2
			 ORDER BY o.kind, o.identity`, inst.Module, inst.Schema, ownedSchemas(inst.Schema))
		if err != nil {
			return nil, err
		}
		count := 0
		for rows.Next() {
			var kind, identity, owner, wasOwner string
			var missing, changed bool
			var granted, revoked []string
			if err := rows.Scan(&kind, &identity, &missing, &changed, &owner, &wasOwner, &granted, &revoked); err != nil {
				return nil, err
			}
			count++
			object := kind + " " + identity
			switch {
			case missing:
				add(object, "missing: it was dropped or renamed since install")
				continue
			case changed:
				add(object, "definition changed since install (edited by hand?); `howdah verify` expects what the migrations made")
			}
			if owner != wasOwner {
				add(object, "owner changed since install: was %s, now %s", wasOwner, owner)
			}
			if len(granted) > 0 {
				addPrivileges(object, "privileges granted since install: %s", strings.Join(granted, ", "))
			}
			if len(revoked) > 0 {
				addPrivileges(object, "privileges revoked since install: %s", strings.Join(revoked, ", "))
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
