package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// DiscoverMethod is the built-in method that returns the OpenRPC document.
const DiscoverMethod = "rpc.discover"

// Kinds of argument and result values, deciding how JSON is converted.
const (
	KindScalar    = "scalar"    // sent as text and cast (numbers, strings, booleans, oids, regroles...)
	KindJSON      = "json"      // json, jsonb, or a domain over them: the JSON value as is
	KindArray     = "array"     // a one-dimensional array, from a JSON array
	KindComposite = "composite" // a composite type, from a JSON object (jsonb_populate_record)
	KindPseudo    = "pseudo"    // polymorphic and other pseudo-types: not callable
	KindVoid      = "void"      // result only: returns JSON null
)

// Arg is one input argument of a function.
type Arg struct {
	Name string `json:"name"`
	// Type is the argument type as format_type prints it with only pg_catalog on the search
	// path (schema-qualified where needed), for people: "character", "bit".
	Type string `json:"type"`
	// Cast is the type to cast the argument's text to: format_type with typmod -1, quoted and
	// qualified so that it can be written into SQL as is, and with no implied length ("bpchar"
	// and "bit" in quotes, where the display form "character" and bit would mean length 1).
	Cast string `json:"cast"`
	// Kind says how a JSON value becomes this type.
	Kind string `json:"kind"`
	// Elem is the element type of an array argument.
	Elem string `json:"elem,omitempty"`
	// Default is the default expression; empty means the argument is required.
	Default string `json:"default,omitempty"`
	// HasDefault reports whether the argument may be left out.
	HasDefault bool `json:"has_default"`
	// Variadic marks a VARIADIC argument (sent as a JSON array).
	Variadic bool `json:"variadic,omitempty"`
	// Category is pg_type.typcategory (N numeric, B boolean, S string...), for the OpenRPC schema.
	Category string `json:"category"`

	ident string // Name quoted for SQL
}

// Column is one output column of a function returning a row or a table.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Function is one callable function of an API schema.
type Function struct {
	// Method is the JSON-RPC method name: API name "." function name.
	Method string
	Schema string
	Name   string
	OID    uint32
	// Signature is the function's regprocedure text, for messages.
	Signature string
	Args      []Arg
	// Result is the return type as format_type prints it; Set reports RETURNS SETOF/TABLE.
	Result     string
	ResultKind string
	Set        bool
	// Columns lists OUT/TABLE columns, when there are any.
	Columns []Column
	// Comment is the function's COMMENT.
	Comment string
	// Refusal, when set, says why the method cannot be called (overloaded, unnamed or
	// polymorphic arguments...).
	Refusal string

	byName map[string]int
	// head and tail surround the arguments in the call's SQL; bare is the call without
	// arguments, when none is required (see setSQL).
	head, tail, bare string
}

// Catalog is the set of methods read from the database at one moment. It is immutable.
type Catalog struct {
	methods map[string]*Function
	names   []string
	// Schemas are the API schemas the catalog was read from.
	Schemas []string
	openrpc json.RawMessage
}

// Lookup returns the function behind a method, or nil.
func (c *Catalog) Lookup(method string) *Function { return c.methods[method] }

// Methods lists the method names, sorted, callable or not.
func (c *Catalog) Methods() []string { return c.names }

// Len is the number of methods.
func (c *Catalog) Len() int { return len(c.names) }

// APIName is the API name of a schema: the schema without a leading "howdah_".
func APIName(schema string) string {
	if s, ok := strings.CutPrefix(schema, "howdah_"); ok && s != "" {
		return s
	}
	return schema
}

// Querier is what Load needs: a connection, a pool or a transaction.
type Querier interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// ExtensionName is the name of howdah's own PostgreSQL extension (the bundle in extension/).
// Functions that belong to it are served like those `howdah install` made; functions of any
// other extension are not, even in an API schema.
const ExtensionName = "howdah"

// catalogSQL lists every function of the installed modules' API schemas with its arguments
// ($1 is ExtensionName). It runs with search_path = pg_catalog so that format_type qualifies
// every type outside pg_catalog, whatever role later calls the function.
const catalogSQL = `
WITH api AS (
    SELECT DISTINCT e.value ->> 'schema' AS nspname
      FROM pg_catalog.jsonb_array_elements(howdah.version()) AS e
)
SELECT n.nspname::text, p.proname::text, p.oid, p.oid::pg_catalog.regprocedure::text,
       p.proretset, pg_catalog.format_type(p.prorettype, NULL), rt.typtype::text,
       CASE WHEN rt.typtype = 'd' THEN pg_catalog.format_type(rt.typbasetype, NULL) END,
       coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), ''),
       coalesce((
           SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                      'name', coalesce(a.name, ''), 'mode', coalesce(a.mode, 'i'),
                      'type', pg_catalog.format_type(a.typ, NULL), 'cast', pg_catalog.format_type(a.typ, -1),
                      'typtype', t.typtype::text,
                      'category', t.typcategory::text,
                      'base', CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, NULL) END,
                      'elem', CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 AND t.typtype = 'b'
                                   THEN pg_catalog.format_type(t.typelem, NULL) END,
                      'default', pg_catalog.pg_get_function_arg_default(p.oid, a.n::int))
                  ORDER BY a.n)
             FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]), p.proargmodes::text[], p.proargnames)
                      WITH ORDINALITY AS a(typ, mode, name, n)
             JOIN pg_catalog.pg_type t ON t.oid = a.typ), '[]')
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_catalog.pg_type rt ON rt.oid = p.prorettype
 WHERE n.nspname IN (SELECT nspname FROM api)
   AND n.nspname <> 'howdah_internal'
   AND p.prokind = 'f'
   AND p.prorettype NOT IN ('pg_catalog.trigger'::pg_catalog.regtype, 'pg_catalog.event_trigger'::pg_catalog.regtype,
                            'pg_catalog.internal'::pg_catalog.regtype, 'pg_catalog.cstring'::pg_catalog.regtype)
   AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                     JOIN pg_catalog.pg_extension x ON x.oid = d.refobjid
                    WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid AND d.deptype = 'e'
                      AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND x.extname <> $1)
 ORDER BY n.nspname, p.proname, p.oid`

type rawArg struct {
	Name     string  `json:"name"`
	Mode     string  `json:"mode"`
	Type     string  `json:"type"`
	Cast     string  `json:"cast"`
	TypType  string  `json:"typtype"`
	Category string  `json:"category"`
	Base     *string `json:"base"`
	Elem     *string `json:"elem"`
	Default  *string `json:"default"`
}

// Load reads the catalog. With no howdah.version() (core not installed) it returns an empty
// catalog. The read runs in a read-only transaction of its own. version is written into the
// OpenRPC document's info.version.
func Load(ctx context.Context, db Querier, version string) (*Catalog, error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SET TRANSACTION READ ONLY; SET LOCAL search_path = pg_catalog`); err != nil {
		return nil, err
	}
	var present bool
	if err := tx.QueryRow(ctx, `SELECT to_regprocedure('howdah.version()') IS NOT NULL`).Scan(&present); err != nil {
		return nil, err
	}
	var fns []*Function
	var schemas []string
	if present {
		if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT e.value ->> 'schema'), '{}')
			FROM jsonb_array_elements(howdah.version()) e`).Scan(&schemas); err != nil {
			return nil, fmt.Errorf("read the installed modules: %w", err)
		}
		rows, err := tx.Query(ctx, catalogSQL, ExtensionName)
		if err != nil {
			return nil, fmt.Errorf("read the functions of the API schemas: %w", err)
		}
		for rows.Next() {
			var (
				f       Function
				rt      string
				rtBase  *string
				argJSON []byte
			)
			if err := rows.Scan(&f.Schema, &f.Name, &f.OID, &f.Signature, &f.Set, &f.Result, &rt, &rtBase, &f.Comment, &argJSON); err != nil {
				rows.Close()
				return nil, err
			}
			var args []rawArg
			if err := json.Unmarshal(argJSON, &args); err != nil {
				rows.Close()
				return nil, fmt.Errorf("function %s: arguments: %w", f.Signature, err)
			}
			f.ResultKind = resultKind(f.Result, rt, rtBase)
			f.build(args)
			fns = append(fns, &f)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	sort.Strings(schemas)
	return newCatalog(schemas, fns, version), nil
}

func isJSONType(t string) bool { return t == "jsonb" || t == "json" }

func resultKind(typ, typtype string, base *string) string {
	switch {
	case typ == "void":
		return KindVoid
	case isJSONType(typ) || (base != nil && isJSONType(*base)):
		return KindJSON
	case typ == "record":
		return KindComposite
	case typtype == "p":
		return KindPseudo
	case typtype == "c":
		return KindComposite
	}
	return KindScalar
}

// build fills Args, Columns and Refusal from the raw argument list.
func (f *Function) build(args []rawArg) {
	f.byName = map[string]int{}
	var unnamed bool
	for _, a := range args {
		switch a.Mode {
		case "o", "t":
			f.Columns = append(f.Columns, Column{Name: a.Name, Type: a.Type})
			continue
		}
		arg := Arg{Name: a.Name, Type: a.Type, Cast: a.Cast, Category: a.Category, Variadic: a.Mode == "v"}
		if a.Default != nil {
			arg.Default, arg.HasDefault = *a.Default, true
		}
		switch {
		case isJSONType(a.Type) || (a.Base != nil && isJSONType(*a.Base)):
			arg.Kind = KindJSON
		case a.TypType == "p":
			arg.Kind = KindPseudo
		case a.Elem != nil:
			arg.Kind, arg.Elem = KindArray, *a.Elem
		case a.TypType == "c":
			arg.Kind = KindComposite
		default:
			arg.Kind = KindScalar
		}
		if a.Name == "" {
			unnamed = true
		}
		if arg.Kind == KindPseudo && f.Refusal == "" {
			f.Refusal = fmt.Sprintf("argument %q has the pseudo-type %s, which JSON cannot be cast to", a.Name, a.Type)
		}
		f.byName[a.Name] = len(f.Args)
		f.Args = append(f.Args, arg)
	}
	switch {
	case unnamed:
		f.Refusal = "it has unnamed arguments; howdah exposes functions whose arguments all have names"
	case f.ResultKind == KindPseudo:
		f.Refusal = fmt.Sprintf("it returns the pseudo-type %s", f.Result)
	case f.Result == "record" && len(f.Columns) == 0:
		f.Refusal = "it returns record without OUT or TABLE columns, which needs a column definition list"
	}
	f.setSQL()
}

func newCatalog(schemas []string, fns []*Function, version string) *Catalog {
	c := &Catalog{methods: map[string]*Function{}, Schemas: schemas}
	groups := map[string][]*Function{}
	for _, f := range fns {
		f.Method = APIName(f.Schema) + "." + f.Name
		groups[f.Method] = append(groups[f.Method], f)
	}
	for method, g := range groups {
		f := g[0]
		if len(g) > 1 {
			// Overloads (or two schemas with the same API name): refuse rather than guess.
			sigs := make([]string, len(g))
			for i, o := range g {
				sigs[i] = o.Signature
			}
			f.Refusal = fmt.Sprintf("%d functions answer to this name (%s); howdah exposes only names with one "+
				"function: use DEFAULT parameters instead of overloads", len(g), strings.Join(sigs, ", "))
		}
		c.methods[method] = f
		c.names = append(c.names, method)
	}
	sort.Strings(c.names)
	c.openrpc = openRPC(c, version)
	return c
}
