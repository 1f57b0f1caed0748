package reliability

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/howdah/howdah/sidecar/errmap"
	"github.com/howdah/howdah/sidecar/rpc"
)

// argValue gives a plausible JSON value for an argument, aimed at what the anon role may not
// touch: fixture.secret, schema fixture, the queue.
func (s *served) argValue(a rpc.Arg) any {
	switch a.Name {
	case "tab":
		return s.secretOID
	case "sch":
		return s.fixtureSchOID
	case "tables":
		return []uint32{s.secretOID}
	case "schemas":
		return []uint32{s.fixtureSchOID}
	case "id":
		if a.Kind == rpc.KindJSON {
			return 1
		}
	case "ids":
		if a.Kind == rpc.KindJSON {
			return []int{1}
		}
	case "rec":
		return map[string]any{"note": "x"}
	case "patch":
		return map[string]any{"name": "renamed"}
	case "columns", "changes", "constraints":
		if a.Kind == rpc.KindJSON {
			return []any{map[string]any{"name": "c", "type": "text"}}
		}
	case "jobs":
		return []any{map[string]any{"queue": "fixture", "payload": map[string]any{}}}
	case "queue":
		return "fixture"
	case "cron":
		return "* * * * *"
	case "sql":
		return "SELECT id FROM fixture.secret WHERE id = 1"
	case "owner":
		return s.anon
	case "state":
		return "available"
	}
	switch {
	case a.Kind == rpc.KindJSON:
		return map[string]any{}
	case a.Kind == rpc.KindArray && strings.Contains(a.Cast, "text"):
		return []string{"x"}
	case a.Kind == rpc.KindArray:
		return []int{1}
	case strings.Contains(a.Cast, "int") || a.Cast == "oid" || strings.Contains(a.Cast, "numeric"):
		return 1
	case a.Cast == "boolean":
		return false
	case a.Cast == "interval":
		return "1 hour"
	case strings.Contains(a.Cast, "timestamp"):
		return "2026-01-01T00:00:00Z"
	}
	return "x"
}

// sqlCall calls f as role over a plain SQL session (what psql does), with the same arguments
// as JSON, and returns the SQLSTATE ("" on success).
func (s *served) sqlCall(t *testing.T, role string, f *rpc.Function, args map[string]any) string {
	t.Helper()
	var params []string
	var values []any
	for _, a := range f.Args {
		v, ok := args[a.Name]
		if !ok {
			continue
		}
		b, _ := json.Marshal(v)
		values = append(values, string(b))
		n := len(values)
		var expr string
		switch a.Kind {
		case rpc.KindJSON:
			expr = fmt.Sprintf("$%d::jsonb::%s", n, a.Cast)
		case rpc.KindArray:
			expr = fmt.Sprintf("ARRAY(SELECT jsonb_array_elements_text($%d::jsonb))::%s", n, a.Cast)
		default:
			expr = fmt.Sprintf("($%d::jsonb #>> '{}')::%s", n, a.Cast)
		}
		params = append(params, pgx.Identifier{a.Name}.Sanitize()+" => "+expr)
	}
	sql := fmt.Sprintf("SELECT * FROM %s.%s(%s)", pgx.Identifier{f.Schema}.Sanitize(), pgx.Identifier{f.Name}.Sanitize(), strings.Join(params, ", "))
	tx, err := s.conn.Begin(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(s.ctx)
	if _, err := tx.Exec(s.ctx, "SET LOCAL ROLE "+pgx.Identifier{role}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(s.ctx, sql, values...)
	if err == nil {
		for rows.Next() {
		}
		rows.Close()
		err = rows.Err()
	}
	var pe *pgconn.PgError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pe):
		return pe.Code
	}
	t.Fatalf("%s: %v", sql, err)
	return ""
}

func testPrivilegeMatrix(t *testing.T, s *served) {
	start := time.Now()
	cat := s.srv.Catalog()
	var forbidden, allowed, otherErr, mismatches int
	outcomes := map[string]int{}
	for _, m := range cat.Methods() {
		f := cat.Lookup(m)
		if f == nil {
			continue
		}
		args := map[string]any{}
		callable := true
		for _, a := range f.Args {
			if a.Kind == rpc.KindPseudo || a.Kind == rpc.KindComposite {
				callable = false
			}
			if !a.HasDefault || a.Name == "queue" || a.Name == "tab" || a.Name == "sch" {
				args[a.Name] = s.argValue(a)
			}
		}
		if !callable {
			t.Logf("%s: not callable over HTTP (pseudo or composite argument), skipped", m)
			continue
		}
		state := s.sqlCall(t, s.anon, f, args)
		status, resp := s.call(t, "", m, args) // no token: the anon role
		httpState := ""
		if resp.Error != nil {
			if resp.Error.Data == nil || resp.Error.Data.SQLState == "" {
				t.Errorf("%s: HTTP error without a SQLSTATE: %d %+v", m, status, resp.Error)
				continue
			}
			httpState = resp.Error.Data.SQLState
			if rule := errmap.Lookup(httpState); rule.Status != status || rule.Code != resp.Error.Code {
				t.Errorf("%s: SQLSTATE %s answered HTTP %d / %d, the mapping says %d / %d", m, httpState, status, resp.Error.Code, rule.Status, rule.Code)
			}
		} else if status != http.StatusOK {
			t.Errorf("%s: HTTP %d without an error", m, status)
		}
		if state != httpState {
			mismatches++
			t.Errorf("%s as a role without grants: SQL says %q, HTTP says %q (status %d): the two must agree", m, state, httpState, status)
		}
		key := state
		switch state {
		case "42501":
			forbidden++
		case "":
			allowed++
			key = "ok"
			// A call that succeeds must not have shown the anon role a row of fixture.secret.
			if strings.Contains(string(resp.Result), "secret ") {
				t.Errorf("%s returned rows of fixture.secret to a role without privileges: %.200s", m, resp.Result)
			}
		default:
			otherErr++
		}
		outcomes[key]++
		t.Logf("%s: %s", m, key)
	}
	// Functions that read or change fixture.secret or the queue must refuse.
	for _, m := range []string{"howdah.list_records", "howdah.get_record", "howdah.search_records", "howdah.add_record",
		"howdah.patch_record", "howdah.delete_records", "howdah.add_columns", "howdah.drop_tables", "queue.push", "queue.claim", "queue.list"} {
		f := cat.Lookup(m)
		if f == nil {
			t.Errorf("%s is not exposed", m)
			continue
		}
		args := map[string]any{}
		for _, a := range f.Args {
			if !a.HasDefault || a.Name == "queue" || a.Name == "tab" {
				args[a.Name] = s.argValue(a)
			}
		}
		if state := s.sqlCall(t, s.anon, f, args); state != "42501" {
			t.Errorf("%s as a role without grants: SQLSTATE %q, want 42501", m, state)
		}
	}
	var keys []string
	for k, n := range outcomes {
		keys = append(keys, fmt.Sprintf("%s×%d", k, n))
	}
	sort.Strings(keys)
	report(t, "privileges", "%d exposed functions called as a role without grants over SQL and HTTP: 42501 %d, allowed %d (public catalog reads), other refusals %d; outcomes %s; mismatches between SQL and HTTP: %d; %.1fs",
		forbidden+allowed+otherErr, forbidden, allowed, otherErr, strings.Join(keys, " "), mismatches, time.Since(start).Seconds())
}
