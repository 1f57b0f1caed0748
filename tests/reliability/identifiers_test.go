package reliability

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/howdah/howdah/sidecar/rpc"
)

// hostileIdents are names an attacker writes where the API expects an identifier: quotes and
// SQL that would break out of a quoted or unquoted name, names of system objects, dollar
// quotes, format verbs, NUL and control characters, unicode, names longer than PostgreSQL's
// 63 bytes. The short suite sends the first shortIdents of them.
var hostileIdents = []string{
	`"; DROP TABLE fixture.secret; --`,
	`a" OR "1"="1`,
	"a\x00b",
	strings.Repeat("n", 64),
	`pg_catalog.pg_authid`,
	`$$; DROP TABLE fixture.open; $$`,
	`'; DROP TABLE fixture.open; --`,
	"é\u202edrop\u200b😀",
	// full only from here
	`'`, `"`, `""`, `\`, `%I%L%s%1$s`, `$1`, `$tag$ x $tag$`, `fixture.secret`, `fixture.open; DROP SCHEMA fixture CASCADE`,
	`"fixture"."secret"`, `pg_catalog`, `howdah_internal`, `public`, ``, ` `, "a\nb\tc\r", `..`, `*`, `16384`, `-1`,
	strings.Repeat("é", 40), strings.Repeat("x", 300), `1; SELECT pg_sleep(10)`, `current_user`, `ARRAY[1]`, `\x00`, `U&"\0000"`,
}

const shortIdents = 8

// jsonIdentArgs are the jsonb parameters whose contents name columns, types, roles, queues or
// objects, with the shapes (docs/catalog*.md) that put a hostile name h where a name goes:
// keys of a record, "column"/"name"/"type"/"role" members of column, constraint, order,
// filter, grouping, search, privilege and job specs. Each also gets {h: h}. Other jsonb
// parameters (ids, payloads) carry values.
var jsonIdentArgs = map[string]func(h string) []any{
	"rec": func(h string) []any { return []any{map[string]any{h: "x"}} },
	"patch": func(h string) []any {
		return []any{map[string]any{"name": h}, map[string]any{"columns": []any{map[string]any{"column": h, "name": h}}}}
	},
	"columns": func(h string) []any {
		return []any{[]any{map[string]any{"column": h, "type": "text"}}, []any{map[string]any{"column": "c", "type": h}}}
	},
	"changes": func(h string) []any {
		return []any{[]any{map[string]any{"column": h, "name": "x"}}, []any{map[string]any{"column": 2, "name": h}}, []any{map[string]any{"column": 2, "type": h}}}
	},
	"constraints": func(h string) []any {
		return []any{[]any{map[string]any{"type": "unique", "columns": []any{h}}}, []any{map[string]any{"name": h, "type": "unique", "columns": []any{2}}},
			[]any{map[string]any{"type": "foreign_key", "columns": []any{2}, "referent_table_oid": 1, "referent_columns": []any{h}}}}
	},
	"order": func(h string) []any { return []any{[]any{map[string]any{"column": h}}} },
	"filter": func(h string) []any {
		return []any{map[string]any{"and": []any{map[string]any{"column": h, "op": "=", "value": 1}}},
			map[string]any{"or": []any{map[string]any{"column": 2, "op": h, "value": h}}}}
	},
	"grouping": func(h string) []any { return []any{map[string]any{"columns": []any{h}}} },
	"search":   func(h string) []any { return []any{[]any{map[string]any{"column": h, "value": "x"}}} },
	"spec": func(h string) []any {
		return []any{[]any{map[string]any{"role": h, "direct": []any{"SELECT"}}}, []any{map[string]any{"role": "public", "direct": []any{h}}}}
	},
	"meta": func(h string) []any {
		return []any{map[string]any{"preview_template": "{" + h + "}"}, map[string]any{"column_order": []any{h}}}
	},
	"display_options": func(h string) []any { return nil },
	"jobs":            func(h string) []any { return []any{[]any{map[string]any{"queue": h, "payload": map[string]any{}}}} },
}

// identKind says whether a parameter (from rpc.discover) is identifier-bearing, and how a
// hostile name goes into it: "string" (the name as the value), "strings" (in a one-element
// array), "json" (as keys and name members of a jsonb value). The rule:
//   - a parameter of a type that names objects: oid and reg* types and their arrays (tab, sch,
//     tables, schemas, constraints, owner) — a name sent where an oid is expected;
//   - every text, name, varchar or enum parameter and text[] (queue, name, worker_id, sandbox,
//     search_path, exclude, tags, mode, state, and free text such as sql and cron, which the
//     type cannot tell from a name);
//   - jsonb parameters in jsonIdentArgs.
//
// Numbers, booleans, intervals and timestamps are values, not names: left out.
func identKind(name string, schema map[string]any) string {
	pg, _ := schema["x-pg-type"].(string)
	typ, _ := schema["type"].(string)
	base := strings.TrimSuffix(pg, "[]")
	naming := base == "oid" || strings.HasPrefix(base, "reg") || base == "text" || base == "name" ||
		base == "character varying" || base == "character" ||
		(typ == "string" && strings.Contains(base, ".")) // an enum of ours (howdah_queue.job_state)
	switch {
	case pg == "jsonb" || pg == "json":
		if jsonIdentArgs[name] != nil {
			return "json"
		}
	case strings.HasSuffix(pg, "[]") && naming:
		return "strings"
	case naming:
		return "string"
	}
	return ""
}

// hostileValues are the values a hostile name h takes in parameter `name` of the kind.
func hostileValues(name, kind, h string) []any {
	switch kind {
	case "strings":
		return []any{[]string{h}}
	case "json":
		return append(jsonIdentArgs[name](h), map[string]any{h: h})
	}
	return []any{h}
}

// testHostileIdentifiers sends hostile names in every identifier-bearing parameter of every
// method rpc.discover lists, one parameter at a time with the other required ones valid, as
// the anonymous role (no grant) and as a reader (SELECT on fixture.open, so that the names
// reach the code behind the privilege checks on that table). Invariants: every answer is a
// JSON-RPC error or a normal result, never a 500 that shows internals; no result shows a row
// of fixture.secret; every table's rows are unchanged.
func testHostileIdentifiers(t *testing.T, s *served) {
	start := time.Now()
	reader := strings.Replace(s.anon, "anon", "reader", 1)
	for _, sql := range []string{
		"CREATE ROLE " + reader + " NOLOGIN",
		"GRANT USAGE ON SCHEMA fixture TO " + reader,
		"GRANT SELECT ON fixture.open TO " + reader,
		"GRANT " + reader + " TO " + s.authn,
	} {
		if _, err := s.conn.Exec(s.ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	t.Cleanup(func() {
		s.conn.Exec(s.ctx, "DROP OWNED BY "+reader)
		s.conn.Exec(s.ctx, "DROP ROLE IF EXISTS "+reader)
	})
	var openOID uint32
	if err := s.conn.QueryRow(s.ctx, "SELECT 'fixture.open'::regclass::oid").Scan(&openOID); err != nil {
		t.Fatal(err)
	}
	before := tableChecksums(t, s.conn)

	// The methods and parameters, as a client sees them.
	status, r := s.call(t, "", "rpc.discover", map[string]any{})
	if status != http.StatusOK || r.Error != nil {
		t.Fatalf("rpc.discover: %d %+v", status, r.Error)
	}
	var doc struct {
		Methods []struct {
			Name   string `json:"name"`
			Params []struct {
				Name     string         `json:"name"`
				Required bool           `json:"required"`
				Schema   map[string]any `json:"schema"`
			} `json:"params"`
		} `json:"methods"`
	}
	if err := json.Unmarshal(r.Result, &doc); err != nil || len(doc.Methods) == 0 {
		t.Fatalf("rpc.discover: %v, %d methods", err, len(doc.Methods))
	}
	names := hostileIdents
	if !full() {
		names = hostileIdents[:shortIdents]
	}

	type call struct {
		method, param, who, bearer string
		params                     map[string]any
	}
	var calls []call
	cat := s.srv.Catalog()
	methods, params := 0, 0
	var skipped []string
	for _, m := range doc.Methods {
		f := cat.Lookup(m.Name)
		if f == nil {
			t.Errorf("rpc.discover lists %s, which the catalog does not know", m.Name)
			continue
		}
		argOf := map[string]rpc.Arg{}
		for _, a := range f.Args {
			argOf[a.Name] = a
		}
		counted := false
		for _, p := range m.Params {
			kind := identKind(p.Name, p.Schema)
			if kind == "" {
				continue
			}
			if !counted {
				methods++
				counted = true
			}
			params++
			for _, who := range []string{"anon", "reader"} {
				bearer := ""
				if who == "reader" {
					bearer = token(t, jwt.MapClaims{"role": reader, "exp": time.Now().Add(time.Hour).Unix()})
				}
				for _, h := range names {
					for _, v := range hostileValues(p.Name, kind, h) {
						args := map[string]any{}
						for _, q := range m.Params {
							if q.Required && q.Name != p.Name {
								args[q.Name] = s.argValue(argOf[q.Name])
								if who == "reader" && q.Name == "tab" {
									args[q.Name] = openOID // the table the reader may read
								}
							}
						}
						args[p.Name] = v
						calls = append(calls, call{m.Name, p.Name, who, bearer, args})
					}
				}
			}
		}
		if !counted {
			skipped = append(skipped, m.Name)
		}
	}

	statuses := map[string]int{} // "who status"
	var mu sync.Mutex
	var failures, internal atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(calls); i = int(next.Add(1)) - 1 {
				c := calls[i]
				body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": i, "method": c.method, "params": c.params})
				if err != nil {
					t.Error(err)
					continue
				}
				status, out, err := s.post(t, c.bearer, body)
				if err == nil {
					err = checkAnswer(status, out)
				}
				if err == nil && len(out) == 0 {
					err = fmt.Errorf("status %d with no answer to a call with an id", status)
				}
				if err == nil && status == http.StatusOK && strings.Contains(string(out), "secret ") {
					err = fmt.Errorf("a result shows rows of fixture.secret: %.200s", out)
				}
				if status == http.StatusInternalServerError {
					// Not a leak (checkAnswer passed), but a hostile name should be a client
					// error: reported with the method, and counted.
					internal.Add(1)
					t.Logf("%s.%s as %s: 500 for %.300s: %.300s", c.method, c.param, c.who, body, out)
				}
				if err != nil {
					if failures.Add(1) <= 10 {
						t.Errorf("%s, hostile %s as %s: %v\nbody: %.300s", c.method, c.param, c.who, err, body)
					}
					continue
				}
				mu.Lock()
				statuses[fmt.Sprintf("%s %d", c.who, status)]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	// Still serving, and no row of any table changed.
	if status, r := s.call(t, "", "howdah.version", map[string]any{}); status != http.StatusOK || r.Error != nil {
		t.Errorf("howdah.version after the hostile names: %d %+v", status, r.Error)
	}
	sameChecksums(t, before, tableChecksums(t, s.conn))
	if internal.Load() > 0 {
		t.Errorf("%d hostile names answered 500 (internal error) instead of a client error: see the log", internal.Load())
	}

	var st []string
	for key, n := range statuses {
		st = append(st, fmt.Sprintf("%s×%d", key, n))
	}
	sort.Strings(st)
	report(t, "hostile identifiers", "%d calls: %d hostile names in %d identifier-bearing parameters of %d methods (of %d; none in %s), as anon and as a reader: statuses %s, bad answers %d, 500s %d; table checksums unchanged: %v; %.1fs",
		len(calls), len(names), params, methods, len(doc.Methods), strings.Join(skipped, ", "), strings.Join(st, " "), failures.Load(), internal.Load(), !t.Failed(), time.Since(start).Seconds())
}
