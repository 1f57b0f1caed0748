package installer

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/internal/release"
)

// lockKey is the session advisory lock every installer operation holds ("howdah" in ASCII).
const lockKey int64 = 0x686f77646168

// ReloadChannel is notified after every change so that running sidecars re-read the catalog
// (defined in internal/release, which the sidecar imports instead of the installer).
const ReloadChannel = release.ReloadChannel

// Release is the version of this howdah build, also the extension bundle's version.
const Release = release.Version

// MinServerVersion is the oldest PostgreSQL howdah supports (server_version_num).
const MinServerVersion = 150000

// Config configures an Installer. A nil Config means defaults.
type Config struct {
	// Modules is the set of modules to work with; nil means Modules().
	Modules []*Module
	// Progress receives one line per step applied or reverted; nil means silence.
	Progress io.Writer
}

// Installer works on one database through one connection.
type Installer struct {
	conn *pgx.Conn
	reg  *Registry
	out  io.Writer
}

// New returns an Installer for the database conn is connected to.
func New(conn *pgx.Conn, cfg *Config) (*Installer, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	mods := cfg.Modules
	if mods == nil {
		mods = Modules()
	}
	reg, err := NewRegistry(mods)
	if err != nil {
		return nil, err
	}
	out := cfg.Progress
	if out == nil {
		out = io.Discard
	}
	return &Installer{conn: conn, reg: reg, out: out}, nil
}

// Registry returns the modules this installer knows.
func (in *Installer) Registry() *Registry { return in.reg }

// Target names a module instance: a module, and the schema for modules that let you choose one
// ("" means the module's default).
type Target struct {
	Module string
	Schema string
}

// Instance is an installed module instance as recorded in howdah_internal.modules.
type Instance struct {
	Module    string    `json:"module"`
	Schema    string    `json:"schema"`
	Version   int32     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Applied is one step run by Install, Upgrade or Uninstall.
type Applied struct {
	Module    string `json:"module"`
	Schema    string `json:"schema"`
	Version   int32  `json:"version"`
	Step      string `json:"step"`
	Direction string `json:"direction"`
}

// Report lists what an operation changed; empty means nothing needed doing.
type Report struct {
	Applied []Applied `json:"applied"`
}

// Install installs the targets and the modules they require, dependencies first, applying
// every pending migration and (re)creating the code of every instance that changes, all in one
// transaction. With no targets it installs every module. Running it again changes nothing.
func (in *Installer) Install(ctx context.Context, targets []Target) (*Report, error) {
	if len(targets) == 0 {
		for _, n := range in.reg.Names() {
			targets = append(targets, Target{Module: n})
		}
	}
	plan, err := in.plan(targets)
	if err != nil {
		return nil, err
	}
	if err := in.preflight(ctx, plan); err != nil {
		return nil, err
	}
	report := &Report{}
	err = in.locked(ctx, func() error {
		insts, err := in.load(ctx, plan)
		if err != nil {
			return err
		}
		return in.apply(ctx, insts, report)
	})
	return report.or(err)
}

// Upgrade brings installed modules to this binary's migrations and code: the named ones (and
// the installed modules that require them), or all with no names.
func (in *Installer) Upgrade(ctx context.Context, modules []string) (*Report, error) {
	if err := in.preflight(ctx, nil); err != nil {
		return nil, err
	}
	report := &Report{}
	err := in.locked(ctx, func() error {
		insts, err := in.Installed(ctx)
		if err != nil {
			return err
		}
		for _, name := range modules {
			m, err := in.reg.Module(name)
			if err != nil {
				return err
			}
			if !hasModule(insts, name) {
				return &NotInstalledError{Module: name, Schema: m.Schema}
			}
		}
		order, err := in.reg.order(in.reg.Names())
		if err != nil {
			return err
		}
		var plan []planned
		for _, m := range order {
			if len(modules) > 0 && !slices.Contains(modules, m.Name) {
				continue
			}
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
		return in.apply(ctx, loaded, report)
	})
	return report.or(err)
}

// or returns the report, or an empty one with err: a failed operation rolled back as a whole.
func (r *Report) or(err error) (*Report, error) {
	if err != nil {
		return &Report{}, err
	}
	return r, nil
}

type planned struct {
	mod    *Module
	schema string
}

// plan orders targets and their dependencies, dependencies first, each once.
func (in *Installer) plan(targets []Target) ([]planned, error) {
	names := make([]string, len(targets))
	asked := map[string]string{}
	for i, t := range targets {
		names[i] = t.Module
		if t.Schema != "" {
			asked[t.Module] = t.Schema
		}
	}
	mods, err := in.reg.order(names)
	if err != nil {
		return nil, err
	}
	var plan []planned
	for _, m := range mods {
		schema, err := m.schemaFor(asked[m.Name])
		if err != nil {
			return nil, err
		}
		plan = append(plan, planned{mod: m, schema: schema})
	}
	return plan, nil
}

// preflight checks, before anything changes, the server version, the extensions the planned
// modules need, that the role may create their schemas (or create in them when they exist),
// and what each module not installed yet checks for itself (Module.Preflight).
func (in *Installer) preflight(ctx context.Context, plan []planned) error {
	var (
		version  int
		role, db string
		onDB     bool
	)
	err := in.conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int, current_user, current_database(),
		has_database_privilege(current_database(), 'CREATE')`).Scan(&version, &role, &db, &onDB)
	if err != nil {
		return fmt.Errorf("inspect server: %w", err)
	}
	if version < MinServerVersion {
		return fmt.Errorf("howdah needs PostgreSQL 15 or newer; this server is version %d", version)
	}
	schemas := []string{InternalSchema}
	for _, p := range plan {
		if err := in.checkExtensions(ctx, p.mod, version/10000); err != nil {
			return err
		}
		if !slices.Contains(schemas, p.schema) {
			schemas = append(schemas, p.schema)
		}
	}
	for _, schema := range schemas {
		var exists, onSchema bool
		err := in.conn.QueryRow(ctx, `SELECT to_regnamespace($1) IS NOT NULL,
			to_regnamespace($1) IS NOT NULL AND has_schema_privilege($1, 'CREATE')`, schema).Scan(&exists, &onSchema)
		if err != nil {
			return err
		}
		switch {
		case !exists && !onDB:
			return &PrivilegeError{Role: role, Privilege: "CREATE", On: fmt.Sprintf("database %q (to create schema %q)", db, schema),
				Fix: fmt.Sprintf("run as the database owner or a superuser, or GRANT CREATE ON DATABASE %s TO %s",
					pgx.Identifier{db}.Sanitize(), pgx.Identifier{role}.Sanitize())}
		case exists && !onSchema:
			return &PrivilegeError{Role: role, Privilege: "CREATE", On: fmt.Sprintf("schema %q", schema),
				Fix: "run as the role that installed howdah (the schema's owner) or a superuser"}
		}
	}
	return in.modulePreflights(ctx, plan)
}

// modulePreflights runs the Preflight check of every planned module instance not installed yet.
func (in *Installer) modulePreflights(ctx context.Context, plan []planned) error {
	var (
		insts []Instance
		read  bool
	)
	for _, p := range plan {
		if p.mod.Preflight == nil {
			continue
		}
		if !read {
			var err error
			if insts, err = in.Installed(ctx); err != nil {
				return err
			}
			read = true
		}
		if slices.ContainsFunc(insts, func(i Instance) bool { return i.Module == p.mod.Name && i.Schema == p.schema }) {
			continue
		}
		if err := p.mod.Preflight(ctx, in.conn); err != nil {
			return err
		}
	}
	return nil
}

// locked runs fn holding the installer's advisory lock, so installers never interleave.
func (in *Installer) locked(ctx context.Context, fn func() error) error {
	var got bool
	if err := in.conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", lockKey).Scan(&got); err != nil {
		return fmt.Errorf("take the installer lock: %w", err)
	}
	if !got {
		fmt.Fprintln(in.out, "waiting for another howdah installer working on this database to finish…")
		if _, err := in.conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
			return fmt.Errorf("take the installer lock: %w", err)
		}
	}
	defer in.conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey)
	err := fn()
	// Notify even after a failure: steps before the failing one did commit.
	if _, nerr := in.conn.Exec(ctx, "SELECT pg_notify($1, '')", ReloadChannel); err == nil {
		err = nerr
	}
	return err
}

func (in *Installer) checkExtensions(ctx context.Context, m *Module, major int) error {
	for _, ext := range m.Extensions {
		var ok bool
		err := in.conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_catalog.pg_available_extensions WHERE name = $1)`, ext).Scan(&ok)
		if err != nil {
			return err
		}
		if !ok {
			return &ExtensionError{Module: m.Name, Extension: ext, Package: extensionPackage(ext, major)}
		}
	}
	return nil
}

// checkChecksums refuses to go on when an applied step's file has changed since.
func (in *Installer) checkChecksums(ctx context.Context, m *Module, schema string, steps []Step) error {
	applied, err := in.appliedChecksums(ctx, m, schema)
	if err != nil {
		return err
	}
	for _, s := range steps {
		if sum, ok := applied[s.Version]; ok && sum != s.Checksum {
			return &ChecksumError{Module: m.Name, Step: s.Description, Applied: sum, Embedded: s.Checksum}
		}
	}
	return nil
}

// appliedChecksums maps each currently applied version of an instance to the checksum it was
// applied with (the latest "up" record).
func (in *Installer) appliedChecksums(ctx context.Context, m *Module, schema string) (map[int32]string, error) {
	out := map[int32]string{}
	if ok, err := in.bookkeeping(ctx); err != nil || !ok {
		return out, err
	}
	rows, err := in.conn.Query(ctx, `
		SELECT DISTINCT ON (h.version) h.version, h.checksum
		  FROM howdah_internal.history h
		  JOIN howdah_internal.modules i ON i.name = h.module AND i.schema_name = h.schema_name
		 WHERE h.module = $1 AND h.schema_name = $2 AND h.direction = 'up' AND h.version <= i.version
		 ORDER BY h.version, h.id DESC`, m.Name, schema)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var v int32
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			return nil, err
		}
		out[v] = sum
	}
	return out, rows.Err()
}

// bookkeeping reports whether core's tables exist yet.
func (in *Installer) bookkeeping(ctx context.Context) (bool, error) {
	var ok bool
	err := in.conn.QueryRow(ctx, "SELECT to_regclass('howdah_internal.modules') IS NOT NULL").Scan(&ok)
	return ok, err
}

// Installed lists the installed module instances.
func (in *Installer) Installed(ctx context.Context) ([]Instance, error) {
	if ok, err := in.bookkeeping(ctx); err != nil || !ok {
		return nil, err
	}
	rows, err := in.conn.Query(ctx, `SELECT name, schema_name, version, updated_at FROM howdah_internal.modules ORDER BY name, schema_name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Instance, error) {
		var i Instance
		err := r.Scan(&i.Module, &i.Schema, &i.Version, &i.UpdatedAt)
		return i, err
	})
}

func hasModule(insts []Instance, name string) bool {
	for _, i := range insts {
		if i.Module == name {
			return true
		}
	}
	return false
}
