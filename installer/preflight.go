package installer

import (
	"context"
	"fmt"
	"path"
	"strings"
)

// advisorPreflight checks what the advisor needs of the server before it is installed:
// pg_stat_statements loaded at server start (its migration creates the extension, which is
// useless without the library), and, when the database lacks the extension, a role that may
// create it (pg_stat_statements is not a trusted extension: only a superuser may).
func advisorPreflight(ctx context.Context, db DB) error {
	var (
		role, dbname string
		super        bool
		hasExt       bool
		loaded       bool
		preload      *string // nil when this role may not read shared_preload_libraries
		major        int
	)
	err := db.QueryRow(ctx, `
		SELECT r.rolname::text, r.rolsuper, pg_catalog.current_database()::text,
		       EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_stat_statements'),
		       -- The library defines its settings only when preloaded.
		       pg_catalog.current_setting('pg_stat_statements.max', true) IS NOT NULL,
		       CASE WHEN r.rolsuper OR pg_catalog.pg_has_role(r.oid, 'pg_read_all_settings', 'USAGE')
		            THEN pg_catalog.current_setting('shared_preload_libraries') END,
		       pg_catalog.current_setting('server_version_num')::int / 10000
		  FROM pg_catalog.pg_roles r WHERE r.rolname = current_user`).
		Scan(&role, &super, &dbname, &hasExt, &loaded, &preload, &major)
	if err != nil {
		return fmt.Errorf("inspect pg_stat_statements: %w", err)
	}
	if preload != nil {
		loaded = preloads(*preload, "pg_stat_statements")
	}
	if !loaded {
		line := "shared_preload_libraries = 'pg_stat_statements'"
		keep := ""
		switch {
		case preload == nil:
			keep = " (keep the libraries already listed there, comma-separated)"
		case strings.TrimSpace(*preload) != "":
			line = fmt.Sprintf("shared_preload_libraries = '%s, pg_stat_statements'", strings.TrimSpace(*preload))
		}
		return &PreflightError{Module: "advisor",
			Problem: "the server does not load pg_stat_statements at start",
			Fix: fmt.Sprintf("set %s in postgresql.conf%s and restart PostgreSQL; the library comes with %s",
				line, keep, extensionPackage("pg_stat_statements", major))}
	}
	if !hasExt && !super {
		return &PreflightError{Module: "advisor",
			Problem: fmt.Sprintf("database %q has no pg_stat_statements extension and role %q may not create it (only a superuser may)", dbname, role),
			Fix:     fmt.Sprintf("as a superuser, run CREATE EXTENSION pg_stat_statements in database %q, then install again", dbname)}
	}
	return nil
}

// preloads reports whether a shared_preload_libraries value lists lib (by name or path).
func preloads(setting, lib string) bool {
	for _, item := range strings.Split(setting, ",") {
		item = strings.Trim(strings.TrimSpace(item), `"`)
		if strings.TrimSuffix(path.Base(item), ".so") == lib {
			return true
		}
	}
	return false
}
