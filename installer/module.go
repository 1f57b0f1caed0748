package installer

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	howdahsql "github.com/howdah/howdah/sql"
)

// InternalSchema holds howdah's private objects and the installer's bookkeeping.
const InternalSchema = "howdah_internal"

// Module describes one installable unit of howdah.
type Module struct {
	// Name is the module's name, also its directory under sql/.
	Name string
	// Schema is the schema the module installs into.
	Schema string
	// SchemaChoosable allows another schema at install time (app modules), so that several
	// instances of the module can live in one database.
	SchemaChoosable bool
	// Requires names modules that must be installed first.
	Requires []string
	// Extensions names PostgreSQL extensions the module's migrations create; they must be
	// available on the server.
	Extensions []string
	// Description is one line for `howdah status` and the help text.
	Description string
	// FS holds the module's migrations as <Name>/NNN_what.sql. Nil means the embedded sql/ tree.
	FS fs.FS
	// DataMigrations are Go steps that sit in the same numbering as the SQL files.
	DataMigrations []DataMigration
	// NoBundle keeps a fixed-schema module out of the extension bundle: only `howdah install`
	// installs it (the advisor: its migrations create other extensions, which a CREATE
	// EXTENSION script cannot do, and the bundle should not require them of every database).
	NoBundle bool
	// Preflight, when set, checks what the module needs of the server before an install changes
	// anything (a library preloaded, a privilege); its error says what to change. It runs only
	// for instances not installed yet, after the installer's own checks.
	Preflight func(ctx context.Context, db DB) error
}

// DataMigration is a migration step written in Go, for data changes SQL expresses badly. It
// runs in the step's transaction; an error rolls the step back.
type DataMigration interface {
	// Version is the step's number in the module's sequence; no SQL file may have it.
	Version() int32
	// Description says what the step does, in a few words.
	Description() string
	// Apply performs the step through db, which is inside the step's transaction;
	// InstanceSchema(ctx) names the instance's schema.
	Apply(ctx context.Context, db DB) error
}

type schemaKey struct{}

// InstanceSchema returns, inside DataMigration.Apply, the schema of the instance the step
// runs for (an app module's instance may live in any schema); "" outside a data step.
func InstanceSchema(ctx context.Context) string {
	s, _ := ctx.Value(schemaKey{}).(string)
	return s
}

// DB is what a data migration may use: the transaction's connection.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (m *Module) fsys() fs.FS {
	if m.FS != nil {
		return m.FS
	}
	return howdahsql.FS
}

// Modules returns howdah's modules in dependency order.
func Modules() []*Module {
	return []*Module{
		{Name: "core", Schema: "howdah", Description: "schemas, install bookkeeping and howdah.version()"},
		{Name: "catalog", Schema: "howdah", Requires: []string{"core"}, Description: "one SQL function per API call over the catalog and records"},
		{Name: "queue", Schema: "howdah_queue", Requires: []string{"core"}, Description: "durable jobs: SKIP LOCKED claims, leases, retries, NOTIFY wake-ups"},
		{Name: "advisor", Schema: "howdah_advisor", Requires: []string{"core"}, Extensions: []string{"pg_stat_statements"},
			NoBundle: true, Preflight: advisorPreflight,
			Description: "query advisor: pg_stat_statements snapshots, normalized queries, ranked recommendations"},
		{Name: "pictrs", Schema: "pictrs", SchemaChoosable: true, Requires: []string{"core", "queue"},
			Description: "app: the repository of an image server (pict-rs): hashes, aliases, variants, access, uploads, jobs"},
		{Name: "playground", Schema: "playground", SchemaChoosable: true, Requires: []string{"core", "queue"},
			DataMigrations: []DataMigration{playgroundSplitFiles{}},
			Description:    "Beam Playground storage: SDKs, examples, content-hashed snippets, catalog cache, pipeline runs"},
	}
}

// Registry is a set of modules that can be installed together.
type Registry struct {
	mods []*Module
}

// NewRegistry checks mods (unique names, known dependencies, no cycles) and returns a registry.
func NewRegistry(mods []*Module) (*Registry, error) {
	r := &Registry{mods: mods}
	seen := map[string]bool{}
	for _, m := range mods {
		if seen[m.Name] {
			return nil, fmt.Errorf("module %q registered twice", m.Name)
		}
		seen[m.Name] = true
	}
	for _, m := range mods {
		for _, d := range m.Requires {
			if !seen[d] {
				return nil, fmt.Errorf("module %q requires unknown module %q", m.Name, d)
			}
		}
	}
	if _, err := r.order(r.Names()); err != nil {
		return nil, err
	}
	return r, nil
}

// Names lists the registered modules in registration order.
func (r *Registry) Names() []string {
	names := make([]string, len(r.mods))
	for i, m := range r.mods {
		names[i] = m.Name
	}
	return names
}

// Module returns the named module.
func (r *Registry) Module(name string) (*Module, error) {
	for _, m := range r.mods {
		if m.Name == name {
			return m, nil
		}
	}
	return nil, &UnknownModuleError{Name: name, Known: r.Names()}
}

// order returns names and everything they require, dependencies first.
func (r *Registry) order(names []string) ([]*Module, error) {
	var out []*Module
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		m, err := r.Module(name)
		if err != nil {
			return err
		}
		switch state[name] {
		case 1:
			return fmt.Errorf("module dependency cycle: %s", strings.Join(append(path, name), " → "))
		case 2:
			return nil
		}
		state[name] = 1
		deps := slices.Clone(m.Requires)
		sort.Strings(deps)
		for _, d := range deps {
			if err := visit(d, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = 2
		out = append(out, m)
		return nil
	}
	for _, n := range names {
		if err := visit(n, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var schemaNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// schemaFor returns the schema an instance of m lives in, given the schema asked for ("" means
// the default), and checks that the choice is allowed.
func (m *Module) schemaFor(asked string) (string, error) {
	if asked == "" || asked == m.Schema {
		return m.Schema, nil
	}
	if !m.SchemaChoosable {
		return "", fmt.Errorf("module %q always installs into schema %q; only app modules take a schema of your choice", m.Name, m.Schema)
	}
	if !schemaNameRE.MatchString(asked) || strings.HasPrefix(asked, "pg_") || strings.HasPrefix(asked, "howdah") {
		return "", fmt.Errorf("schema name %q for module %q: use lowercase letters, digits and _ "+
			"(at most 63, not starting with a digit, pg_ or howdah)", asked, m.Name)
	}
	return asked, nil
}

// VersionTable is the tern version table of an instance, in howdah_internal. Schema names are
// restricted to plain identifiers (schemaFor), so the name needs no quoting.
func (m *Module) VersionTable(schema string) string {
	if schema == m.Schema {
		return InternalSchema + ".version_" + m.Name
	}
	return InternalSchema + ".version_" + m.Name + "__" + schema
}

// ownedSchemas are the schemas whose objects an instance is fingerprinted over.
func ownedSchemas(schema string) []string { return []string{schema, InternalSchema} }
