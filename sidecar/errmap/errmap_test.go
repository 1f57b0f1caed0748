package errmap

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// docRow is how docs/sidecar.md prints a rule.
func docRow(r Rule) string {
	match := "any other"
	switch len(r.Match) {
	case 5:
		match = "`" + r.Match + "`"
	case 2:
		match = "`" + r.Match + "…`"
	}
	return fmt.Sprintf("| %s | %d | %d | %s |", match, r.Code, r.Status, r.Meaning)
}

func TestDocsListTheTable(t *testing.T) {
	doc, err := os.ReadFile("../../docs/sidecar.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range append(Table, Fallback) {
		if !strings.Contains(string(doc), docRow(r)+"\n") {
			t.Errorf("docs/sidecar.md lacks the row\n%s", docRow(r))
		}
	}
}

func TestLookup(t *testing.T) {
	cases := map[string]int{
		"42501": CodeForbidden, "22023": CodeInvalidParams, "22P02": CodeInvalidParams, "P0001": CodeApplication,
		"23505": CodeConflict, "23502": CodeInvalidParams, "42P01": CodeNotFound, "42601": CodeApplication,
		"57014": CodeTimeout, "57P01": CodeUnavailable, "XX000": CodeInternal, "": CodeInternal, "4": CodeInternal,
		"55000": CodeConflict, "55006": CodeInternal, "2BP01": CodeConflict, "2B000": CodeConflict, "0A000": CodeApplication,
	}
	for code, want := range cases {
		if got := Lookup(code).Code; got != want {
			t.Errorf("Lookup(%q) = %d, want %d", code, got, want)
		}
	}
	seen := map[string]bool{}
	for _, r := range Table {
		if seen[r.Match] || (len(r.Match) != 2 && len(r.Match) != 5) {
			t.Errorf("rule %q duplicated or malformed", r.Match)
		}
		seen[r.Match] = true
	}
	e := From(fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "P0001", Message: "m", Detail: "d", Hint: "h"}))
	if e.Code != CodeApplication || e.Message != "m" || e.Data.Detail != "d" || e.Data.Hint != "h" || e.Data.SQLState != "P0001" {
		t.Errorf("From(PgError) = %+v", e)
	}
	if e := From(fmt.Errorf("secret internals")); e.Code != CodeInternal || strings.Contains(e.Message, "secret") {
		t.Errorf("From(other) = %+v", e)
	}
	// Internal errors from the server carry their SQLSTATE and nothing else.
	for _, code := range []string{"XX000", "58030", "53400", "F0000"} {
		e := From(&pgconn.PgError{Code: code, Message: "secret m", Detail: "secret d", Hint: "secret h", Where: "secret w"})
		if body, _ := json.Marshal(e); e.Status != 500 ||
			string(body) != `{"code":-32603,"message":"internal error","data":{"sqlstate":"`+code+`"}}` {
			t.Errorf("From(PgError %s) = %d %s", code, e.Status, body)
		}
	}
	w := httptest.NewRecorder()
	Write(w, Unauthorized("no"))
	if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != "Bearer" ||
		strings.TrimSpace(w.Body.String()) != `{"jsonrpc":"2.0","error":{"code":-32001,"message":"no"},"id":null}` {
		t.Errorf("Write: %d %q", w.Code, w.Body.String())
	}
}
