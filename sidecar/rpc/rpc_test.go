package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/howdah/howdah/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type bundle struct {
	ctx  context.Context
	url  string
	conn *pgx.Conn
	pool *pgxpool.Pool
	d    *Dispatcher
}

// setup makes a fresh database with every module installed, a pool and a dispatcher whose
// catalog is loaded, after running extraSQL (fixtures).
func setup(t *testing.T, cfg *Config, extraSQL string) *bundle {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, url)
	t.Cleanup(func() { dropTestRoles(url) })
	if _, err := conn.Exec(ctx, `CREATE ROLE howdah_test_rpc_admin SUPERUSER NOLOGIN`); err != nil {
		t.Fatal(err)
	}
	pgtest.Install(t, conn)
	if extraSQL != "" {
		if _, err := conn.Exec(ctx, extraSQL); err != nil {
			t.Fatalf("fixture: %v", err)
		}
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	d := New(pool, cfg)
	if _, err := d.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	return &bundle{ctx: ctx, url: url, conn: conn, pool: pool, d: d}
}

// dropTestRoles drops the roles this package's tests create (names start with
// howdah_test_rpc_), which outlive the test's database otherwise.
func dropTestRoles(url string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	var names []string
	conn.QueryRow(ctx, `SELECT coalesce(array_agg(rolname), '{}') FROM pg_roles WHERE rolname LIKE 'howdah\_test\_rpc\_%'`).Scan(&names)
	for _, n := range names {
		conn.Exec(ctx, "DROP OWNED BY "+pgx.Identifier{n}.Sanitize())
		conn.Exec(ctx, "DROP ROLE "+pgx.Identifier{n}.Sanitize())
	}
}

// superuser is the session most tests call as: a superuser other than the login role (the
// dispatcher refuses the login role itself), created by setup.
var superuser = Session{Role: "howdah_test_rpc_admin", Claims: `{"role":"howdah_test_rpc_admin"}`}

type response struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Data    *struct {
			SQLState  string `json:"sqlstate"`
			Message   string `json:"message"`
			Detail    string `json:"detail"`
			Hint      string `json:"hint"`
			Parameter string `json:"parameter"`
		} `json:"data"`
	} `json:"error"`
	ID json.RawMessage `json:"id"`
}

func (b *bundle) call(t *testing.T, sess Session, method string, params any) (int, response) {
	t.Helper()
	req := map[string]any{"jsonrpc": "2.0", "id": 1, "method": method}
	if params != nil {
		req["params"] = params
	}
	body, _ := json.Marshal(req)
	status, out := b.d.Handle(b.ctx, sess, body)
	var r response
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%s: response is not JSON: %v: %s", method, err, out)
	}
	return status, r
}

// sqlJSON runs query and returns its single jsonb-compatible value as normalised JSON.
func (b *bundle) sqlJSON(t *testing.T, query string, args ...any) string {
	t.Helper()
	var s string
	if err := b.conn.QueryRow(b.ctx, "SELECT to_jsonb(("+query+"))::text", args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return normalise(t, []byte(s))
}

func normalise(t *testing.T, raw []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, raw)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestCatalogFunctionsMatchSQL(t *testing.T) {
	b := setup(t, nil, `CREATE SCHEMA "we;ird ""s"""; CREATE TABLE "we;ird ""s""".t (id int)`)
	var sch uint32
	if err := b.conn.QueryRow(b.ctx, `SELECT oid FROM pg_namespace WHERE nspname = 'we;ird "s"'`).Scan(&sch); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		method string
		params any
		sql    string
		args   []any
	}{
		{"howdah.version", nil, "SELECT howdah.version()", nil},
		{"howdah.list_schemas", nil, "SELECT howdah.list_schemas()", nil},
		{"howdah.list_schemas", []any{}, "SELECT howdah.list_schemas()", nil},
		{"howdah.get_schema", map[string]any{"sch": sch}, "SELECT howdah.get_schema($1)", []any{sch}},
		{"howdah.get_schema", []any{sch}, "SELECT howdah.get_schema($1)", []any{sch}},
		{"howdah.get_schema_table_details", map[string]any{"sch": fmt.Sprint(sch)}, "SELECT howdah.get_schema_table_details($1)", []any{sch}},
	}
	for _, c := range cases {
		status, r := b.call(t, superuser, c.method, c.params)
		if status != http.StatusOK || r.Error != nil {
			t.Fatalf("%s %v: status %d, error %+v", c.method, c.params, status, r.Error)
		}
		if got, want := normalise(t, r.Result), b.sqlJSON(t, c.sql, c.args...); got != want {
			t.Errorf("%s %v:\n got %s\nwant %s", c.method, c.params, got, want)
		}
		if string(r.ID) != "1" {
			t.Errorf("id = %s", r.ID)
		}
	}

	// Defaults, a quoted reserved-word parameter name and an array parameter.
	status, r := b.call(t, superuser, "howdah.add_schema", map[string]any{"name": `new "one"; drop`, "description": "made over RPC"})
	if status != http.StatusOK || r.Error != nil {
		t.Fatalf("add_schema: %d %+v", status, r.Error)
	}
	var added struct {
		OID         uint32 `json:"oid"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal(r.Result, &added); err != nil || added.OID == 0 || added.Description != "made over RPC" {
		t.Fatalf("add_schema result %s (%v)", r.Result, err)
	}
	status, r = b.call(t, superuser, "howdah.drop_schemas", map[string]any{"schemas": []uint32{added.OID}, "cascade": true})
	if status != http.StatusOK || r.Error != nil || string(r.Result) != "1" {
		t.Fatalf("drop_schemas: %d %+v %s", status, r.Error, r.Result)
	}
	var gone bool
	if err := b.conn.QueryRow(b.ctx, `SELECT NOT EXISTS (SELECT FROM pg_namespace WHERE oid = $1)`, added.OID).Scan(&gone); err != nil || !gone {
		t.Fatalf("schema still there after drop_schemas (%v)", err)
	}
}

const shapesSQL = `
CREATE FUNCTION howdah.t_setof(n integer DEFAULT 3) RETURNS SETOF integer LANGUAGE sql AS $$ SELECT generate_series(1, n) $$;
CREATE FUNCTION howdah.t_table(prefix text) RETURNS TABLE (r integer, label text)
    LANGUAGE sql AS $$ VALUES (1, prefix || 'a'), (2, prefix || 'b') $$;
CREATE TYPE howdah.t_pair AS (a integer, b text);
CREATE FUNCTION howdah.t_composite(p howdah.t_pair) RETURNS howdah.t_pair LANGUAGE sql AS $$ SELECT (p).a + 1, upper((p).b) $$;
CREATE FUNCTION howdah.t_out(x integer, OUT doubled integer, OUT text_form text) LANGUAGE sql AS $$ SELECT x * 2, x::text $$;
CREATE FUNCTION howdah.t_text(s text, n numeric DEFAULT 1.5, flag boolean DEFAULT true) RETURNS text
    LANGUAGE sql AS $$ SELECT s || '/' || n || '/' || flag $$;
CREATE FUNCTION howdah.t_json(j json) RETURNS json LANGUAGE sql AS $$ SELECT j $$;
CREATE FUNCTION howdah.t_null() RETURNS text LANGUAGE sql AS $$ SELECT NULL::text $$;
CREATE FUNCTION howdah.t_ints(xs integer[]) RETURNS integer LANGUAGE sql AS $$ SELECT sum(x)::integer FROM unnest(xs) x $$;
CREATE FUNCTION howdah.t_variadic(VARIADIC xs text[]) RETURNS text LANGUAGE sql AS $$ SELECT array_to_string(xs, '+') $$;
CREATE FUNCTION howdah.t_overload(a integer) RETURNS integer LANGUAGE sql AS $$ SELECT a $$;
CREATE FUNCTION howdah.t_overload(a text) RETURNS text LANGUAGE sql AS $$ SELECT a $$;
CREATE FUNCTION howdah.t_unnamed(integer) RETURNS integer LANGUAGE sql AS $$ SELECT $1 $$;
CREATE FUNCTION howdah.t_poly(a anyelement) RETURNS anyelement LANGUAGE sql AS $$ SELECT a $$;
CREATE FUNCTION howdah.t_sleep(s float8) RETURNS void LANGUAGE sql AS $$ SELECT pg_sleep(s) $$;
CREATE FUNCTION howdah.t_raise() RETURNS void LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'nope', DETAIL = 'the detail', HINT = 'the hint'; END $$;
CREATE FUNCTION howdah.t_raise_code(code text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION USING ERRCODE = code, MESSAGE = 'raised ' || code, DETAIL = 'secret detail', HINT = 'secret hint'; END $$;
CREATE FUNCTION howdah.t_fixed(c character, b bit, cs character[] DEFAULT '{}', v bit varying DEFAULT NULL) RETURNS text
    LANGUAGE sql AS $$ SELECT c || '/' || b::text || '/' || array_to_string(cs, ',') || '/' || coalesce(v::text, '-') $$;
CREATE FUNCTION howdah.t_nums(i integer, o oid DEFAULT 0, b bigint DEFAULT 0, xs integer[] DEFAULT '{}',
    p howdah.t_pair DEFAULT NULL, f float8 DEFAULT 0, n numeric DEFAULT 0) RETURNS text
    LANGUAGE sql AS $$ SELECT concat_ws('/', i, o, b, xs, (p).a, f, n) $$;
CREATE FUNCTION howdah.t_claims() RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('user', current_user, 'claims', current_setting('request.jwt.claims', true)::jsonb) $$;
CREATE FUNCTION howdah_internal.t_private() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
CREATE SCHEMA elsewhere;
CREATE FUNCTION elsewhere.t_other() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
COMMENT ON FUNCTION howdah.t_table(text) IS 'Two labelled rows.';
`

func TestResultShapesAndConversions(t *testing.T) {
	b := setup(t, nil, shapesSQL)
	cases := []struct {
		method string
		params any
		want   string
	}{
		{"howdah.t_setof", nil, `[1,2,3]`},
		{"howdah.t_setof", map[string]any{"n": 0}, `[]`},
		{"howdah.t_table", []any{"x"}, `[{"label":"xa","r":1},{"label":"xb","r":2}]`},
		{"howdah.t_composite", map[string]any{"p": map[string]any{"a": 1, "b": "q"}}, `{"a":2,"b":"Q"}`},
		{"howdah.t_out", map[string]any{"x": 21}, `{"doubled":42,"text_form":"21"}`},
		{"howdah.t_text", map[string]any{"s": "it's; \"quoted\" ✓"}, `"it's; \"quoted\" ✓/1.5/true"`},
		{"howdah.t_text", []any{"a", 2, false}, `"a/2/false"`},
		{"howdah.t_text", map[string]any{"s": "a", "n": nil}, `null`},
		{"howdah.t_json", map[string]any{"j": map[string]any{"k": []any{1, "two", nil}}}, `{"k":[1,"two",null]}`},
		{"howdah.t_null", nil, `null`},
		{"howdah.t_ints", map[string]any{"xs": []any{1, 2, nil, 4}}, `7`},
		{"howdah.t_variadic", map[string]any{"xs": []string{"a", "b"}}, `"a+b"`},
		{"howdah.t_claims", nil, `{"claims":{"role":"howdah_test_rpc_admin"},"user":"howdah_test_rpc_admin"}`},
		// character and bit arguments keep their whole value (a cast to character or bit would
		// mean character(1) and bit(1)).
		{"howdah.t_fixed", map[string]any{"c": "abc", "b": "101", "cs": []string{"xyz", "é✓"}, "v": "0110"}, `"abc/101/xyz,é✓/0110"`},
		{"howdah.t_fixed", []any{"a", "1"}, `"a/1//-"`},
		// Integral JSON numbers reach integer types however they are written, exactly.
		{"howdah.t_nums", json.RawMessage(`{"i": 2.0, "o": 1.6676e4, "b": 9.007199254740993e15, "xs": [1.0, 2e0, null, -3],
			"p": {"a": 4.00, "b": "x"}, "f": 1.5, "n": 1e-3}`), `"2/16676/9007199254740993/{1,2,NULL,-3}/4/1.5/0.001"`},
		{"howdah.t_nums", json.RawMessage(`[-0.0, 4294967295.0]`), `"0/4294967295/0/{}/0/0"`},
	}
	for _, c := range cases {
		status, r := b.call(t, superuser, c.method, c.params)
		if status != http.StatusOK || r.Error != nil {
			t.Errorf("%s %v: status %d, error %+v", c.method, c.params, status, r.Error)
			continue
		}
		if got := normalise(t, r.Result); got != c.want {
			t.Errorf("%s %v = %s, want %s", c.method, c.params, got, c.want)
		}
	}
}

func TestDisplayAndCastTypes(t *testing.T) {
	b := setup(t, nil, shapesSQL)
	f := b.d.Catalog().Lookup("howdah.t_fixed")
	var got []string
	for _, a := range f.Args {
		got = append(got, a.Type+" as "+a.Cast)
	}
	if want := `character as bpchar, bit as "bit", character[] as bpchar[], bit varying as bit varying`; strings.Join(got, ", ") != want {
		t.Fatalf("t_fixed arguments: %s, want %s", strings.Join(got, ", "), want)
	}
	if doc := string(b.d.Catalog().OpenRPC()); !strings.Contains(doc, `"PostgreSQL type character"`) || !strings.Contains(doc, `"PostgreSQL type bit"`) {
		t.Fatalf("OpenRPC does not show the display types")
	}
}

func TestErrors(t *testing.T) {
	var logs syncBuffer
	b := setup(t, &Config{StatementTimeout: 200 * time.Millisecond, Logger: zerolog.New(&logs)}, shapesSQL)
	cases := []struct {
		name, method string
		params       any
		status, code int
		sqlstate     string
		contains     string
		param        string
	}{
		{"unknown method", "howdah.nope", nil, 404, -32601, "", `"howdah.nope"`, ""},
		{"private schema", "internal.t_private", nil, 404, -32601, "", "method not found", ""},
		{"private schema by its name", "howdah_internal.t_private", nil, 404, -32601, "", "method not found", ""},
		{"not an API schema", "elsewhere.t_other", nil, 404, -32601, "", "method not found", ""},
		{"overload", "howdah.t_overload", []any{1}, 404, -32601, "", "2 functions answer", ""},
		{"unnamed", "howdah.t_unnamed", []any{1}, 404, -32601, "", "unnamed arguments", ""},
		{"polymorphic", "howdah.t_poly", []any{1}, 404, -32601, "", "pseudo-type", ""},
		{"missing", "howdah.get_schema", map[string]any{}, 400, -32602, "", `missing required parameter "sch"`, "sch"},
		{"unknown param", "howdah.get_schema", map[string]any{"sch": 1, "schema": 2}, 400, -32602, "", `unknown parameter "schema"`, "schema"},
		{"too many", "howdah.get_schema", []any{1, 2}, 400, -32602, "", "at most 1", ""},
		{"object for scalar", "howdah.get_schema", map[string]any{"sch": map[string]any{}}, 400, -32602, "", "not a JSON object", "sch"},
		{"scalar for array", "howdah.t_ints", map[string]any{"xs": 3}, 400, -32602, "", "a JSON array", "xs"},
		{"bad input syntax", "howdah.get_schema", map[string]any{"sch": "twelve"}, 400, -32602, "22P02", "invalid input syntax", ""},
		{"not an integer", "howdah.t_nums", map[string]any{"i": 2.5}, 400, -32602, "22P02", `"2.5"`, ""},
		{"unknown schema oid", "howdah.get_schema", map[string]any{"sch": 1}, 404, -32004, "3F000", "", ""},
		{"raise", "howdah.t_raise", nil, 400, -32000, "P0001", "nope", ""},
		{"timeout", "howdah.t_sleep", []any{5}, 504, -32008, "57014", "statement timeout", ""},
		{"prerequisite state", "howdah.t_raise_code", []any{"55000"}, 409, -32009, "55000", "raised 55000", ""},
		{"dependent objects", "howdah.t_raise_code", []any{"2BP01"}, 409, -32009, "2BP01", "raised 2BP01", ""},
		{"feature not supported", "howdah.t_raise_code", []any{"0A000"}, 400, -32000, "0A000", "raised 0A000", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, r := b.call(t, superuser, c.method, c.params)
			if r.Error == nil {
				t.Fatalf("no error; result %s", r.Result)
			}
			if status != c.status || r.Error.Code != c.code || !strings.Contains(r.Error.Message, c.contains) {
				t.Fatalf("status %d code %d message %q; want %d %d containing %q", status, r.Error.Code, r.Error.Message, c.status, c.code, c.contains)
			}
			var sqlstate, param string
			if r.Error.Data != nil {
				sqlstate, param = r.Error.Data.SQLState, r.Error.Data.Parameter
			}
			if sqlstate != c.sqlstate || param != c.param {
				t.Fatalf("data sqlstate %q parameter %q; want %q %q", sqlstate, param, c.sqlstate, c.param)
			}
		})
	}
	// Documented errors of real functions: a table without a key (55000), a schema that is not
	// empty (2BP01).
	var sch, tab uint32
	if _, err := b.conn.Exec(b.ctx, `CREATE SCHEMA "t full"; CREATE TABLE "t full".nokey (a int)`); err != nil {
		t.Fatal(err)
	}
	if err := b.conn.QueryRow(b.ctx, `SELECT '"t full"'::regnamespace::oid, '"t full".nokey'::regclass::oid`).Scan(&sch, &tab); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method       string
		params       any
		status, code int
		sqlstate     string
	}{
		{"howdah.get_record", map[string]any{"tab": tab, "id": 1}, 409, -32009, "55000"},
		{"howdah.drop_schemas", map[string]any{"schemas": []uint32{sch}}, 409, -32009, "2BP01"},
	} {
		status, r := b.call(t, superuser, c.method, c.params)
		if r.Error == nil || status != c.status || r.Error.Code != c.code || r.Error.Data == nil || r.Error.Data.SQLState != c.sqlstate {
			t.Errorf("%s %v: %d %s %+v; want %d %d %s", c.method, c.params, status, r.Result, r.Error, c.status, c.code, c.sqlstate)
		}
	}
	// An internal (unmapped) error says nothing but its SQLSTATE; the log has the rest.
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "howdah.t_raise_code", "params": []string{"XX000"}})
	if status, out := b.d.Handle(b.ctx, superuser, body); status != 500 ||
		string(out) != `{"jsonrpc":"2.0","error":{"code":-32603,"message":"internal error","data":{"sqlstate":"XX000"}},"id":1}` {
		t.Errorf("unmapped SQLSTATE: %d %s", status, out)
	}
	if log := logs.String(); !strings.Contains(log, "raised XX000") || !strings.Contains(log, "secret detail") || !strings.Contains(log, "secret hint") {
		t.Errorf("the log lacks the internal error: %s", log)
	}
	// The detail and hint of a raised error come through; the connection stays usable.
	_, r := b.call(t, superuser, "howdah.t_raise", nil)
	if d := r.Error.Data; d.Detail != "the detail" || d.Hint != "the hint" || d.Message != "nope" {
		t.Fatalf("data = %+v", d)
	}
	if _, r := b.call(t, superuser, "howdah.t_setof", nil); r.Error != nil {
		t.Fatalf("call after errors: %+v", r.Error)
	}
}

func TestRolesAndPrivileges(t *testing.T) {
	b := setup(t, nil, shapesSQL+`
CREATE ROLE howdah_test_rpc_reader NOLOGIN;
CREATE ROLE howdah_test_rpc_stranger NOLOGIN;
REVOKE EXECUTE ON FUNCTION howdah.t_setof(integer) FROM PUBLIC;
CREATE ROLE howdah_test_rpc_auth LOGIN NOINHERIT;
GRANT howdah_test_rpc_reader TO howdah_test_rpc_auth;
CREATE ROLE howdah_test_rpc_other NOLOGIN;
GRANT howdah_test_rpc_other TO howdah_test_rpc_auth;
CREATE FUNCTION howdah.t_inlined() RETURNS text LANGUAGE sql AS $$ SELECT 'classified' $$;
REVOKE EXECUTE ON FUNCTION howdah.t_inlined() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION howdah.t_inlined() TO howdah_test_rpc_reader;
CREATE FUNCTION howdah.t_nested_secret() RETURNS text LANGUAGE sql AS $$ SELECT 'nested secret' $$;
REVOKE EXECUTE ON FUNCTION howdah.t_nested_secret() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION howdah.t_nested_secret() TO howdah_test_rpc_reader;
CREATE FUNCTION howdah.t_wrap() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN howdah.t_nested_secret(); END $$;`)
	// Log in as the authenticator from here on.
	cfg, _ := pgxpool.ParseConfig(b.url)
	cfg.ConnConfig.User = "howdah_test_rpc_auth"
	cfg.MaxConns = 1 // every call on one connection: settings must not leak from one to the next
	pool, err := pgxpool.NewWithConfig(b.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	var logs syncBuffer
	b.d = New(pool, &Config{Logger: zerolog.New(&logs)})
	if _, err := b.d.Reload(b.ctx); err != nil {
		t.Fatal(err)
	}
	reader := Session{Role: "howdah_test_rpc_reader", Claims: `{"role":"howdah_test_rpc_reader","sub":"u1"}`}

	_, r := b.call(t, reader, "howdah.t_claims", nil)
	if r.Error != nil || normalise(t, r.Result) != `{"claims":{"role":"howdah_test_rpc_reader","sub":"u1"},"user":"howdah_test_rpc_reader"}` {
		t.Fatalf("claims as reader: %s %+v", r.Result, r.Error)
	}
	status, r := b.call(t, reader, "howdah.t_setof", nil)
	if status != 403 || r.Error == nil || r.Error.Code != -32003 || r.Error.Data.SQLState != "42501" {
		t.Fatalf("no EXECUTE: status %d %+v", status, r.Error)
	}
	// Roles the authenticator may not act as, whether they exist or not, and the authenticator
	// itself: one answer, with nothing about the role, and the server's message in the log.
	for _, role := range []string{"howdah_test_rpc_stranger", "postgres", "no such role", "howdah_test_rpc_auth"} {
		logs.Reset()
		body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "howdah.t_claims"})
		status, out := b.d.Handle(b.ctx, Session{Role: role, Claims: "{}"}, body)
		if want := `{"jsonrpc":"2.0","error":{"code":-32003,"message":"cannot act as the token's role"},"id":1}`; status != 403 || string(out) != want {
			t.Fatalf("role %q: status %d %s, want 403 %s", role, status, out, want)
		}
		if log := logs.String(); !strings.Contains(log, `"level":"warn"`) || !strings.Contains(log, role) {
			t.Fatalf("role %q: no warning in the log: %s", role, log)
		}
	}
	if log := logs.String(); !strings.Contains(log, "login role") {
		t.Fatalf("the authenticator's own role: log %s", log)
	}
	b.call(t, Session{Role: "no such role", Claims: "{}"}, "howdah.version", nil)
	if log := logs.String(); !strings.Contains(log, `does not exist`) {
		t.Fatalf("the server's message is not logged: %s", log)
	}
	// A simple SQL function is inlined into the plan after an EXECUTE check for the planning
	// role; a plan cached for one role must never serve another.
	other := Session{Role: "howdah_test_rpc_other", Claims: "{}"}
	for i := 0; i < 3; i++ {
		if _, r = b.call(t, reader, "howdah.t_inlined", nil); r.Error != nil || string(r.Result) != `"classified"` {
			t.Fatalf("reader calls t_inlined: %s %+v", r.Result, r.Error)
		}
		if status, r = b.call(t, other, "howdah.t_inlined", nil); status != 403 || r.Error == nil || r.Error.Data.SQLState != "42501" {
			t.Fatalf("other role calls t_inlined after reader (call %d): %d %s %+v", i, status, r.Result, r.Error)
		}
	}
	// One level down: PL/pgSQL caches the plan of its statements for the session, with the SQL
	// function inlined after an EXECUTE check for the role that planned it.
	for i := 0; i < 3; i++ {
		for j := 0; j < 2; j++ {
			if _, r = b.call(t, reader, "howdah.t_wrap", nil); r.Error != nil || string(r.Result) != `"nested secret"` {
				t.Fatalf("reader calls t_wrap: %s %+v", r.Result, r.Error)
			}
		}
		if status, r = b.call(t, other, "howdah.t_wrap", nil); status != 403 || r.Error == nil || r.Error.Data.SQLState != "42501" {
			t.Fatalf("other role calls t_wrap after reader (round %d): %d %s %+v", i, status, r.Result, r.Error)
		}
	}
	// The same role with other claims: plans are discarded too (a function wrongly declared
	// IMMUTABLE over the claims would be folded into a cached plan).
	if _, err := b.conn.Exec(b.ctx, `CREATE FUNCTION howdah.t_sub() RETURNS text LANGUAGE sql IMMUTABLE AS
		$$ SELECT current_setting('request.jwt.claims', true)::jsonb ->> 'sub' $$;
		CREATE FUNCTION howdah.t_wrap_sub() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN howdah.t_sub(); END $$`); err != nil {
		t.Fatal(err)
	}
	if _, err := b.d.Reload(b.ctx); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"u1", "u1", "u2", "u2", "u1"} {
		s := Session{Role: reader.Role, Claims: `{"sub":"` + sub + `"}`}
		if _, r = b.call(t, s, "howdah.t_wrap_sub", nil); r.Error != nil || string(r.Result) != `"`+sub+`"` {
			t.Fatalf("t_wrap_sub as %s: %s %+v", sub, r.Result, r.Error)
		}
	}
	if _, r = b.call(t, Session{Role: other.Role, Claims: `{"x":1}`}, "howdah.t_claims", nil); r.Error != nil ||
		normalise(t, r.Result) != `{"claims":{"x":1},"user":"howdah_test_rpc_other"}` {
		t.Fatalf("role or claims leaked into the next call on the connection: %s %+v", r.Result, r.Error)
	}
	// The same role over SQL sees the same thing.
	var viaSQL string
	if err := b.conn.QueryRow(b.ctx, `SELECT howdah.version()::text`).Scan(&viaSQL); err != nil {
		t.Fatal(err)
	}
	if _, r = b.call(t, reader, "howdah.version", nil); normalise(t, r.Result) != normalise(t, []byte(viaSQL)) {
		t.Fatalf("version as reader %s, via SQL %s", r.Result, viaSQL)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Reset()
}

func TestBatchAndNotifications(t *testing.T) {
	b := setup(t, nil, shapesSQL)
	body := `[
		{"jsonrpc":"2.0","id":"a","method":"howdah.t_setof","params":{"n":2}},
		{"jsonrpc":"2.0","method":"howdah.t_setof"},
		{"jsonrpc":"2.0","id":7,"method":"howdah.t_raise"},
		{"jsonrpc":"1.0","id":8,"method":"howdah.t_setof"},
		42,
		{"jsonrpc":"2.0","id":9,"method":"rpc.discover"}
	]`
	status, out := b.d.Handle(b.ctx, superuser, []byte(body))
	var rs []response
	if err := json.Unmarshal(out, &rs); err != nil || status != 200 {
		t.Fatalf("status %d, %v: %s", status, err, out)
	}
	if len(rs) != 5 {
		t.Fatalf("%d responses, want 5 (the notification gets none): %s", len(rs), out)
	}
	if string(rs[0].ID) != `"a"` || string(rs[0].Result) != "[1, 2]" && normalise(t, rs[0].Result) != "[1,2]" {
		t.Errorf("first: %s %s", rs[0].ID, rs[0].Result)
	}
	if string(rs[1].ID) != "7" || rs[1].Error == nil || rs[1].Error.Code != -32000 {
		t.Errorf("second: %+v", rs[1])
	}
	if string(rs[2].ID) != "8" || rs[2].Error == nil || rs[2].Error.Code != -32600 {
		t.Errorf("third: %+v", rs[2])
	}
	if string(rs[3].ID) != "null" || rs[3].Error == nil || rs[3].Error.Code != -32600 {
		t.Errorf("fourth: %+v", rs[3])
	}
	var doc struct {
		Methods []struct {
			Name        string `json:"name"`
			Description string `json:"description"`
			Params      []struct {
				Name     string `json:"name"`
				Required bool   `json:"required"`
			} `json:"params"`
		} `json:"methods"`
	}
	if err := json.Unmarshal(rs[4].Result, &doc); err != nil {
		t.Fatalf("discover: %v", err)
	}
	found := map[string]bool{}
	for _, m := range doc.Methods {
		found[m.Name] = true
		if m.Name == "howdah.t_table" && (m.Description != "Two labelled rows." || len(m.Params) != 1 || !m.Params[0].Required) {
			t.Errorf("t_table in OpenRPC: %+v", m)
		}
		if m.Name == "howdah.add_schema" && (len(m.Params) != 3 || !m.Params[0].Required || m.Params[1].Required) {
			t.Errorf("add_schema in OpenRPC: %+v", m)
		}
	}
	for _, want := range []string{"howdah.version", "howdah.list_schemas", "howdah.t_table"} {
		if !found[want] {
			t.Errorf("rpc.discover lacks %s", want)
		}
	}
	for _, not := range []string{"howdah.t_overload", "internal.t_private", "howdah_internal.t_private", "elsewhere.t_other"} {
		if found[not] {
			t.Errorf("rpc.discover lists %s", not)
		}
	}

	// Only notifications: no body.
	status, out = b.d.Handle(b.ctx, superuser, []byte(`{"jsonrpc":"2.0","method":"howdah.t_setof"}`))
	if status != http.StatusNoContent || out != nil {
		t.Fatalf("notification: %d %s", status, out)
	}
}

func TestVersionPerDispatcher(t *testing.T) {
	b := setup(t, nil, "")
	version := func(d *Dispatcher) string {
		var doc struct {
			Info struct {
				Version string `json:"version"`
			} `json:"info"`
		}
		if err := json.Unmarshal(d.Catalog().OpenRPC(), &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Info.Version
	}
	one, two := New(b.pool, &Config{Version: "1.2.3"}), New(b.pool, &Config{Version: "4.5.6"})
	for _, d := range []*Dispatcher{one, two} {
		if _, err := d.Reload(b.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if v1, v2, v0 := version(one), version(two), version(b.d); v1 != "1.2.3" || v2 != "4.5.6" || v0 != "0" {
		t.Fatalf("versions %q %q %q", v1, v2, v0)
	}
}

func TestReload(t *testing.T) {
	b := setup(t, nil, "")
	if _, r := b.call(t, superuser, "howdah.t_later", nil); r.Error == nil || r.Error.Code != -32601 {
		t.Fatalf("before: %+v", r)
	}
	if _, err := b.conn.Exec(b.ctx, `CREATE FUNCTION howdah.t_later() RETURNS integer LANGUAGE sql AS 'SELECT 5'`); err != nil {
		t.Fatal(err)
	}
	if _, err := b.d.Reload(b.ctx); err != nil {
		t.Fatal(err)
	}
	if _, r := b.call(t, superuser, "howdah.t_later", nil); r.Error != nil || string(r.Result) != "5" {
		t.Fatalf("after reload: %+v %s", r.Error, r.Result)
	}
}

func TestEmptyCatalogWithoutCore(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	c, err := Load(ctx, pool, "0")
	if err != nil || c.Len() != 0 {
		t.Fatalf("catalog without howdah: %v, %d methods", err, c.Len())
	}
}

// Functions of an extension other than howdah's own are not served, even in an API schema.
// (Functions of howdah's own extension are: extension/serve_test.go serves a CREATE EXTENSION
// install.)
func TestCatalogSkipsOtherExtensions(t *testing.T) {
	// The advisor's install may have created pg_stat_statements already: move it.
	b := setup(t, nil, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements; ALTER EXTENSION pg_stat_statements SET SCHEMA howdah_queue`)
	if b.d.Catalog().Lookup("queue.push") == nil {
		t.Fatalf("queue.push is not served")
	}
	for _, m := range b.d.Catalog().Methods() {
		if strings.HasPrefix(m, "queue.pg_stat_statements") {
			t.Errorf("extension function %s is served", m)
		}
	}
}

// PostgreSQL truncates a role name to 63 bytes: a longer session role must be refused, not
// run as the role its first 63 bytes name (sidecar/auth refuses such claims first).
func TestRoleOver63BytesIsRefused(t *testing.T) {
	role := "howdah_test_rpc_" + strings.Repeat("x", 63-len("howdah_test_rpc_"))
	b := setup(t, nil, "CREATE ROLE "+role+" NOLOGIN")
	if status, r := b.call(t, Session{Role: role, Claims: "{}"}, "howdah.version", nil); status != 200 || r.Error != nil {
		t.Fatalf("the 63-byte role: %d %+v", status, r.Error)
	}
	if status, r := b.call(t, Session{Role: role + "x", Claims: "{}"}, "howdah.version", nil); status != 403 || r.Error == nil || r.Error.Code != -32003 {
		t.Fatalf("the 63-byte role plus one byte: %d %s %+v, want 403", status, r.Result, r.Error)
	}
}

// TestPreparedCalls covers the statements the dispatcher prepares on each connection: made as
// the request's role, never reused by another role without being analysed and planned again,
// bounded in number, and recovered from when a function deallocates them.
func TestPreparedCalls(t *testing.T) {
	b := setup(t, nil, shapesSQL+`
CREATE ROLE howdah_test_rpc_p_auth LOGIN NOINHERIT;
CREATE ROLE howdah_test_rpc_p_user NOLOGIN;
CREATE ROLE howdah_test_rpc_p_nobody NOLOGIN;
GRANT howdah_test_rpc_p_user, howdah_test_rpc_p_nobody TO howdah_test_rpc_p_auth;
GRANT USAGE ON SCHEMA howdah_queue TO howdah_test_rpc_p_user;
CREATE FUNCTION howdah_queue.t_usage() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN 'used'; END $$;
CREATE FUNCTION howdah.t_deallocate() RETURNS text LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DEALLOCATE ALL'; RETURN 'gone'; END $$;
CREATE FUNCTION howdah.t_forge() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('request.jwt.claims', '{"sub":"forged"}', false);
    PERFORM set_config('statement_timeout', '1', false);
    -- JIT for every statement makes the next call's settings take more than that 1 ms.
    PERFORM set_config('jit', 'on', false);
    PERFORM set_config('jit_above_cost', '0', false);
    RESET ROLE;
    RETURN 'forged';
END $$;`)
	cfg, _ := pgxpool.ParseConfig(b.url)
	cfg.ConnConfig.User = "howdah_test_rpc_p_auth"
	cfg.MaxConns = 1 // every call on one connection
	pool, err := pgxpool.NewWithConfig(b.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	var logs syncBuffer
	b.d = New(pool, &Config{Logger: zerolog.New(&logs)})
	if _, err := b.d.Reload(b.ctx); err != nil {
		t.Fatal(err)
	}
	user := Session{Role: "howdah_test_rpc_p_user", Claims: `{"sub":"u"}`}
	nobody := Session{Role: "howdah_test_rpc_p_nobody", Claims: `{"sub":"n"}`}

	t.Run("schema usage", func(t *testing.T) {
		// PostgreSQL checks USAGE on a schema when it analyses a statement naming it, and the
		// login role has none on howdah_queue: the statement must be analysed as the request's
		// role, and again for each other role.
		for i := 0; i < 3; i++ {
			for j := 0; j < 2; j++ {
				if _, r := b.call(t, user, "queue.t_usage", nil); r.Error != nil || string(r.Result) != `"used"` {
					t.Fatalf("round %d: user: %s %+v", i, r.Result, r.Error)
				}
			}
			if status, r := b.call(t, nobody, "queue.t_usage", nil); status != 403 || r.Error == nil || r.Error.Data.SQLState != "42501" {
				t.Fatalf("round %d: a role without USAGE on the schema after one with: %d %s %+v", i, status, r.Result, r.Error)
			}
		}
	})

	prepared := func(t *testing.T) (calls, all int) {
		t.Helper()
		conn, err := pool.Acquire(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Release()
		// The simple protocol: pgx's own prepared statements are gone too after DEALLOCATE ALL.
		if err := conn.QueryRow(b.ctx, `SELECT count(*) FILTER (WHERE name LIKE 'howdah\_call\_%'), count(*)
			FROM pg_prepared_statements`, pgx.QueryExecModeSimpleProtocol).Scan(&calls, &all); err != nil {
			t.Fatal(err)
		}
		return calls, all
	}

	t.Run("bounded", func(t *testing.T) {
		b.d.maxStmts = 3
		defer func() { b.d.maxStmts = defaultMaxStatements }()
		// Each subset of parameters given is a statement of its own.
		params := []map[string]any{
			{"s": "a"}, {"s": "b", "n": 2}, {"s": "c", "flag": false}, {"s": "d", "n": 3, "flag": false}, {"s": "e"},
			{"s": "f", "n": 4}, {"s": "g"},
		}
		wants := []string{"a/1.5/true", "b/2/true", "c/1.5/false", "d/3/false", "e/1.5/true", "f/4/true", "g/1.5/true"}
		for round := 0; round < 2; round++ {
			for i, p := range params {
				if _, r := b.call(t, user, "howdah.t_text", p); r.Error != nil || string(r.Result) != `"`+wants[i]+`"` {
					t.Fatalf("t_text %v: %s %+v, want %q", p, r.Result, r.Error, wants[i])
				}
			}
		}
		if calls, _ := prepared(t); calls > 3 {
			t.Fatalf("%d call statements prepared on the connection; at most 3 allowed", calls)
		}
	})

	t.Run("session settings a function leaves", func(t *testing.T) {
		// Settings a function makes for the session outlive its transaction: the next call with
		// the same role and claims must still run with its own (so they are set on every call,
		// not only when they change).
		if _, r := b.call(t, user, "howdah.t_forge", nil); r.Error != nil || string(r.Result) != `"forged"` {
			t.Fatalf("t_forge: %s %+v", r.Result, r.Error)
		}
		if _, r := b.call(t, user, "howdah.t_claims", nil); r.Error != nil ||
			normalise(t, r.Result) != `{"claims":{"sub":"u"},"user":"howdah_test_rpc_p_user"}` {
			t.Fatalf("after t_forge: %s %+v", r.Result, r.Error)
		}
		if _, r := b.call(t, user, "howdah.t_sleep", []any{0.05}); r.Error != nil {
			t.Fatalf("after t_forge set statement_timeout to 1 ms for the session: %+v", r.Error)
		}
		// The connection may still carry t_forge's settings (when the calls above were quick
		// enough): the test's own statements below must not run under them.
		pool.Reset()
	})

	t.Run("deallocated by a function", func(t *testing.T) {
		if _, r := b.call(t, user, "howdah.t_deallocate", nil); r.Error != nil || string(r.Result) != `"gone"` {
			t.Fatalf("t_deallocate: %s %+v", r.Result, r.Error)
		}
		if _, all := prepared(t); all != 0 {
			t.Fatalf("%d statements left after DEALLOCATE ALL", all)
		}
		logs.Reset()
		for i := 0; i < 3; i++ {
			if _, r := b.call(t, user, "howdah.t_claims", nil); r.Error != nil ||
				normalise(t, r.Result) != `{"claims":{"sub":"u"},"user":"howdah_test_rpc_p_user"}` {
				t.Fatalf("call %d after DEALLOCATE ALL: %s %+v", i, r.Result, r.Error)
			}
		}
		if log := logs.String(); !strings.Contains(log, "deallocated") {
			t.Fatalf("no warning in the log: %s", log)
		}
		// The same SQLSTATE raised by a function is the function's error: the call ran, and is
		// not run again.
		logs.Reset()
		if _, r := b.call(t, user, "howdah.t_raise_code", []string{"26000"}); r.Error == nil || r.Error.Code != -32603 {
			t.Fatalf("26000 raised by a function: %s %+v", r.Result, r.Error)
		}
		if log := logs.String(); strings.Contains(log, "deallocated") || strings.Count(log, "raised 26000") != 1 {
			t.Fatalf("26000 raised by a function was taken for lost statements: %s", log)
		}
	})
}

// A response carries at most MaxResponseBytes of results: a call over it gets an error naming
// the limit, in a batch too, and smaller calls still answer.
func TestResponseSizeIsBounded(t *testing.T) {
	b := setup(t, &Config{MaxResponseBytes: 1000}, `CREATE FUNCTION howdah.t_big(n integer) RETURNS text LANGUAGE sql RETURN repeat('x', n);
GRANT EXECUTE ON FUNCTION howdah.t_big(integer) TO PUBLIC;`)
	if status, r := b.call(t, superuser, "howdah.t_big", map[string]any{"n": 900}); status != 200 || r.Error != nil {
		t.Fatalf("900 bytes: %d %+v", status, r.Error)
	}
	status, r := b.call(t, superuser, "howdah.t_big", map[string]any{"n": 5000})
	if status != 400 || r.Error == nil || r.Error.Code != -32600 || !strings.Contains(r.Error.Message, "more than this server sends in one response (1000") {
		t.Fatalf("5000 bytes: %d %s %+v, want 400 naming the limit", status, r.Result, r.Error)
	}
	// Two results that fit alone but not together.
	status, out := b.d.Handle(b.ctx, superuser, []byte(`[{"jsonrpc":"2.0","id":1,"method":"howdah.t_big","params":{"n":600}},
		{"jsonrpc":"2.0","id":2,"method":"howdah.t_big","params":{"n":600}}]`))
	var rs []response
	if err := json.Unmarshal(out, &rs); err != nil || status != 200 || len(rs) != 2 {
		t.Fatalf("batch: %d %s (%v)", status, out, err)
	}
	if rs[0].Error != nil || rs[1].Error == nil || !strings.Contains(rs[1].Error.Message, "more than this server sends") {
		t.Fatalf("batch: first %+v, second %+v; want the second refused", rs[0].Error, rs[1].Error)
	}
	if len(out) > 1000+300 {
		t.Fatalf("batch response is %d bytes", len(out))
	}
}
