package rpc

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/sidecar/errmap"
)

// Call is a function call ready to run: SQL whose only inputs are text bind parameters, and
// their values (a string, or nil for SQL NULL). The SQL returns one row of one text column
// holding the JSON result.
type Call struct {
	SQL  string
	Args []any
}

// Bind checks params against the function's arguments and builds the call. Errors are -32602
// naming the parameter; a refused function gives -32601.
func (f *Function) Bind(params json.RawMessage) (*Call, *errmap.Error) {
	if f.Refusal != "" {
		return nil, errmap.New(errmap.CodeMethodNotFound, http.StatusNotFound,
			fmt.Sprintf("method %q cannot be called: %s", f.Method, f.Refusal))
	}
	if jsonKind(params) == 0 && f.bare != "" {
		return &Call{SQL: f.bare}, nil
	}
	given := make([]json.RawMessage, len(f.Args)) // nil = not given
	switch jsonKind(params) {
	case 0:
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(params, &list); err != nil {
			return nil, errmap.InvalidParams("", "params: "+err.Error())
		}
		if len(list) > len(f.Args) {
			return nil, errmap.InvalidParams("", fmt.Sprintf("%d params given by position; %s takes at most %d (%s)",
				len(list), f.Method, len(f.Args), f.argList()))
		}
		copy(given, list)
	case '{':
		var named map[string]json.RawMessage
		if err := json.Unmarshal(params, &named); err != nil {
			return nil, errmap.InvalidParams("", "params: "+err.Error())
		}
		names := make([]string, 0, len(named))
		for n := range named {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			i, ok := f.byName[n]
			if !ok {
				return nil, errmap.InvalidParams(n, fmt.Sprintf("unknown parameter %q for %s; its parameters are: %s", n, f.Method, f.argList()))
			}
			given[i] = named[n]
		}
	default:
		return nil, errmap.InvalidParams("", "params must be an object (by name) or an array (by position)")
	}

	var sql strings.Builder
	sql.Grow(len(f.head) + len(f.tail) + 64*len(f.Args))
	sql.WriteString(f.head)
	args := make([]any, 0, len(f.Args))
	first := true
	for i := range f.Args {
		a := &f.Args[i]
		raw := given[i]
		if raw == nil {
			if !a.HasDefault {
				return nil, errmap.InvalidParams(a.Name, fmt.Sprintf("missing required parameter %q (%s) for %s", a.Name, a.Type, f.Method))
			}
			continue
		}
		val, err := a.value(raw)
		if err != nil {
			return nil, err
		}
		args = append(args, val)
		if !first {
			sql.WriteString(", ")
		}
		first = false
		a.writeSQL(&sql, len(args))
	}
	sql.WriteString(f.tail)
	return &Call{SQL: sql.String(), Args: args}, nil
}

// setSQL fills head and tail, the call's SQL around its arguments, and bare, the whole call
// when no argument is required (the call without params).
func (f *Function) setSQL() {
	name := pgx.Identifier{f.Schema, f.Name}.Sanitize()
	switch {
	case f.Set:
		f.head, f.tail = "SELECT coalesce(pg_catalog.jsonb_agg(r.*), '[]')::text FROM "+name+"(", ") AS r"
	case f.ResultKind == KindVoid:
		f.head, f.tail = "SELECT NULL::text FROM "+name+"(", ")"
	case f.ResultKind == KindJSON:
		f.head, f.tail = "SELECT "+name+"(", ")::text"
	default:
		f.head, f.tail = "SELECT pg_catalog.to_jsonb("+name+"(", "))::text"
	}
	f.bare = f.head + f.tail
	for i := range f.Args {
		a := &f.Args[i]
		a.ident = pgx.Identifier{a.Name}.Sanitize()
		if !a.HasDefault {
			f.bare = ""
		}
	}
}

// writeSQL writes the argument as the n-th parameter: name => $n cast to its type.
func (a *Arg) writeSQL(sql *strings.Builder, n int) {
	if a.Variadic {
		sql.WriteString("VARIADIC ")
	}
	sql.WriteString(a.ident)
	sql.WriteString(" => ")
	p := "$" + strconv.Itoa(n) + "::text"
	switch a.Kind {
	case KindArray:
		sql.WriteString("ARRAY(SELECT pg_catalog.jsonb_array_elements_text(")
		sql.WriteString(p)
		sql.WriteString("::pg_catalog.jsonb))::")
		sql.WriteString(a.Cast)
	case KindComposite:
		sql.WriteString("pg_catalog.jsonb_populate_record(NULL::")
		sql.WriteString(a.Cast)
		sql.WriteString(", ")
		sql.WriteString(p)
		sql.WriteString("::pg_catalog.jsonb)")
	default:
		sql.WriteString(p)
		sql.WriteString("::")
		sql.WriteString(a.Cast)
	}
}

// value converts one JSON parameter into the text PostgreSQL casts to the argument's type.
func (a *Arg) value(raw json.RawMessage) (any, *errmap.Error) {
	k := jsonKind(raw)
	if k == 'n' {
		return nil, nil
	}
	wrong := func(want string) *errmap.Error {
		return errmap.InvalidParams(a.Name, fmt.Sprintf("parameter %q (%s) takes %s, not %s", a.Name, a.Type, want, kindName(k)))
	}
	switch a.Kind {
	case KindJSON:
		return string(raw), nil
	case KindArray, KindComposite:
		if a.Kind == KindArray && k != '[' {
			return nil, wrong("a JSON array")
		}
		if a.Kind == KindComposite && k != '{' {
			return nil, wrong("a JSON object")
		}
		// Elements and fields are cast from their text too: 2.0 must reach an integer as 2.
		norm, err := normaliseNumbers(raw)
		if err != nil {
			return nil, errmap.InvalidParams(a.Name, fmt.Sprintf("parameter %q: %v", a.Name, err))
		}
		return string(norm), nil
	}
	switch k {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errmap.InvalidParams(a.Name, fmt.Sprintf("parameter %q: %v", a.Name, err))
		}
		return s, nil
	case 't', 'f':
		return strings.TrimSpace(string(raw)), nil
	case '0':
		return numberText(raw), nil
	}
	return nil, wrong("a string, a number or a boolean")
}

func kindName(k byte) string {
	switch k {
	case '{':
		return "a JSON object"
	case '[':
		return "a JSON array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case '0':
		return "a number"
	}
	return "null"
}

func (f *Function) argList() string {
	if len(f.Args) == 0 {
		return "none"
	}
	parts := make([]string, len(f.Args))
	for i, a := range f.Args {
		parts[i] = a.Name + " " + a.Type
		if a.HasDefault {
			parts[i] += " (optional)"
		}
	}
	return strings.Join(parts, ", ")
}
