package rpc

import (
	"encoding/json"
	"strings"
)

// OpenRPC returns the OpenRPC document describing the callable methods (rpc.discover's result).
func (c *Catalog) OpenRPC() json.RawMessage { return c.openrpc }

type orDoc struct {
	OpenRPC string     `json:"openrpc"`
	Info    orInfo     `json:"info"`
	Methods []orMethod `json:"methods"`
}

type orInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

type orMethod struct {
	Name           string         `json:"name"`
	Description    string         `json:"description,omitempty"`
	ParamStructure string         `json:"paramStructure"`
	Params         []orDescriptor `json:"params"`
	Result         orDescriptor   `json:"result"`
}

type orDescriptor struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Required    bool           `json:"required,omitempty"`
	Schema      map[string]any `json:"schema"`
}

func openRPC(c *Catalog, version string) json.RawMessage {
	doc := orDoc{
		OpenRPC: "1.3.2",
		Info: orInfo{Title: "howdah", Version: version,
			Description: "Functions of the installed howdah modules (" + strings.Join(c.Schemas, ", ") + "), called over JSON-RPC 2.0."},
		Methods: []orMethod{},
	}
	for _, name := range c.names {
		f := c.methods[name]
		if f.Refusal != "" {
			continue
		}
		m := orMethod{Name: f.Method, Description: f.Comment, ParamStructure: "either", Params: []orDescriptor{}}
		for _, a := range f.Args {
			d := orDescriptor{Name: a.Name, Required: !a.HasDefault, Schema: argSchema(a)}
			d.Description = "PostgreSQL type " + a.Type
			if a.HasDefault {
				d.Description += "; default " + a.Default
			}
			m.Params = append(m.Params, d)
		}
		res := resultSchema(f)
		if f.Set {
			res = map[string]any{"type": "array", "items": res}
		}
		desc := "PostgreSQL type " + f.Result
		if f.Set {
			desc = "SETOF " + desc
		}
		m.Result = orDescriptor{Name: "result", Description: desc, Schema: res}
		doc.Methods = append(doc.Methods, m)
	}
	out, _ := json.Marshal(doc)
	return out
}

// typeSchema is the JSON schema of a scalar value of a PostgreSQL type, by name and category.
func typeSchema(typ, category string) map[string]any {
	s := map[string]any{"x-pg-type": typ}
	switch {
	case isJSONType(typ):
	case typ == "smallint" || typ == "integer" || typ == "bigint" || typ == "oid":
		s["type"] = "integer"
	case category == "N" || typ == "numeric" || typ == "real" || typ == "double precision":
		s["type"] = "number"
	case category == "B" || typ == "boolean":
		s["type"] = "boolean"
	default:
		s["type"] = "string"
	}
	return s
}

func argSchema(a Arg) map[string]any {
	switch a.Kind {
	case KindJSON:
		return map[string]any{"x-pg-type": a.Type}
	case KindArray:
		return map[string]any{"type": "array", "items": typeSchema(a.Elem, ""), "x-pg-type": a.Type}
	case KindComposite:
		return map[string]any{"type": "object", "x-pg-type": a.Type}
	}
	return typeSchema(a.Type, a.Category)
}

func resultSchema(f *Function) map[string]any {
	switch f.ResultKind {
	case KindVoid:
		return map[string]any{"type": "null"}
	case KindJSON:
		return map[string]any{"x-pg-type": f.Result}
	case KindComposite:
		props := map[string]any{}
		for _, col := range f.Columns {
			props[col.Name] = typeSchema(col.Type, "")
		}
		s := map[string]any{"type": "object", "x-pg-type": f.Result}
		if len(props) > 0 {
			s["properties"] = props
		}
		return s
	}
	if strings.HasSuffix(f.Result, "[]") {
		return map[string]any{"type": "array", "items": typeSchema(strings.TrimSuffix(f.Result, "[]"), ""), "x-pg-type": f.Result}
	}
	return typeSchema(f.Result, "")
}
