package errmap

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/jackc/pgx/v5/pgconn"
)

// JSON-RPC 2.0 error codes: the five the specification defines, then howdah's own, in the
// range the specification leaves to servers (-32000 to -32099).
const (
	CodeParse          = -32700 // the body is not JSON
	CodeInvalidRequest = -32600 // JSON, but not a JSON-RPC request
	CodeMethodNotFound = -32601 // no such method, or not callable
	CodeInvalidParams  = -32602 // missing, unknown or ill-typed parameters
	CodeInternal       = -32603 // a fault in the sidecar or the server, not the caller's

	CodeApplication  = -32000 // the function refused the call (RAISE with P0001 and the like)
	CodeUnauthorized = -32001 // no usable credentials: missing, invalid or expired token
	CodeForbidden    = -32003 // the role may not do this (privileges, role switching)
	CodeNotFound     = -32004 // the object the call names does not exist
	CodeTimeout      = -32008 // the statement ran past the request's statement timeout
	CodeConflict     = -32009 // a conflict with the data's state (uniqueness, foreign keys, dependents, a job's state, serialization): retry or change the input
	CodeUnavailable  = -32010 // the database cannot take requests now
)

// Error is a JSON-RPC error object, with the HTTP status a single request failing with it gets.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    *Data  `json:"data,omitempty"`
	// Status is the HTTP status of a single (non-batch) request that failed with this error.
	Status int `json:"-"`
}

// Data carries what the server said about an error, and the parameter a params error is about.
type Data struct {
	SQLState  string `json:"sqlstate,omitempty"`
	Message   string `json:"message,omitempty"`
	Detail    string `json:"detail,omitempty"`
	Hint      string `json:"hint,omitempty"`
	Parameter string `json:"parameter,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Rule maps SQLSTATEs to a JSON-RPC code and an HTTP status. Match is a full five-character
// SQLSTATE, or a two-character class.
type Rule struct {
	Match   string
	Code    int
	Status  int
	Meaning string
}

// Table is the mapping, most specific first: an exact SQLSTATE wins over its class; a SQLSTATE
// in no listed class gets Fallback.
var Table = []Rule{
	{"42501", CodeForbidden, http.StatusForbidden, "insufficient privilege"},
	{"42883", CodeMethodNotFound, http.StatusNotFound, "undefined function (dropped since the catalog was read)"},
	{"42P01", CodeNotFound, http.StatusNotFound, "undefined table"},
	{"42704", CodeNotFound, http.StatusNotFound, "undefined object"},
	{"42703", CodeInvalidParams, http.StatusBadRequest, "undefined column named in the input"},
	{"3F000", CodeNotFound, http.StatusNotFound, "invalid schema name"},
	{"02000", CodeNotFound, http.StatusNotFound, "no data"},
	{"P0002", CodeNotFound, http.StatusNotFound, "no data found"},
	{"P0001", CodeApplication, http.StatusBadRequest, "raised by the function"},
	{"23505", CodeConflict, http.StatusConflict, "unique violation"},
	{"23503", CodeConflict, http.StatusConflict, "foreign key violation"},
	{"23P01", CodeConflict, http.StatusConflict, "exclusion violation"},
	{"40001", CodeConflict, http.StatusConflict, "serialization failure: retry"},
	{"40P01", CodeConflict, http.StatusConflict, "deadlock: retry"},
	{"55P03", CodeConflict, http.StatusConflict, "lock not available"},
	{"55000", CodeConflict, http.StatusConflict, "object not in prerequisite state (a queue job in the wrong state, records of a table without a primary key)"},
	{"0A000", CodeApplication, http.StatusBadRequest, "feature not supported"},
	{"57014", CodeTimeout, http.StatusGatewayTimeout, "statement timeout or cancel"},
	{"25006", CodeForbidden, http.StatusMethodNotAllowed, "read-only transaction"},
	{"53400", CodeInternal, http.StatusInternalServerError, "configuration limit exceeded"},
	{"22", CodeInvalidParams, http.StatusBadRequest, "data exception (22023 invalid parameter value, 22P02 bad input syntax...)"},
	{"23", CodeInvalidParams, http.StatusBadRequest, "other integrity violations (not null, check)"},
	{"2B", CodeConflict, http.StatusConflict, "dependent objects still exist (2BP01: drop without cascade)"},
	{"28", CodeForbidden, http.StatusForbidden, "invalid authorization"},
	{"0L", CodeForbidden, http.StatusForbidden, "invalid grantor"},
	{"0P", CodeForbidden, http.StatusForbidden, "invalid role specification"},
	{"42", CodeApplication, http.StatusBadRequest, "other syntax or access rule errors"},
	{"P0", CodeApplication, http.StatusBadRequest, "other PL/pgSQL errors"},
	{"08", CodeUnavailable, http.StatusServiceUnavailable, "connection exception"},
	{"53", CodeUnavailable, http.StatusServiceUnavailable, "insufficient resources"},
	{"57", CodeUnavailable, http.StatusServiceUnavailable, "operator intervention (shutdown)"},
}

// Fallback is the rule for SQLSTATEs no row of Table matches (classes 09, 0A, 25, 2D, 38, 39,
// 3B, 40, 54, 55, 58, F0, HV, XX...).
var Fallback = Rule{"", CodeInternal, http.StatusInternalServerError, "anything else"}

var exact, class = func() (map[string]Rule, map[string]Rule) {
	e, c := map[string]Rule{}, map[string]Rule{}
	for _, r := range Table {
		if len(r.Match) == 5 {
			e[r.Match] = r
		} else {
			c[r.Match] = r
		}
	}
	return e, c
}()

// Lookup returns the rule for a SQLSTATE.
func Lookup(sqlstate string) Rule {
	if r, ok := exact[sqlstate]; ok {
		return r
	}
	if len(sqlstate) >= 2 {
		if r, ok := class[sqlstate[:2]]; ok {
			return r
		}
	}
	return Fallback
}

// FromPg turns a PostgreSQL error into an error object through Table, keeping what the server
// said, except for internal errors (Fallback, and any rule with CodeInternal): those carry only
// the SQLSTATE, since their text may hold internals (log the PgError instead).
func FromPg(pe *pgconn.PgError) *Error {
	r := Lookup(pe.Code)
	if r.Code == CodeInternal {
		return &Error{Code: r.Code, Message: InternalMessage, Status: r.Status, Data: &Data{SQLState: pe.Code}}
	}
	return &Error{Code: r.Code, Message: pe.Message, Status: r.Status,
		Data: &Data{SQLState: pe.Code, Message: pe.Message, Detail: pe.Detail, Hint: pe.Hint}}
}

// InternalMessage is the message of every internal error.
const InternalMessage = "internal error"

// From turns any error into an error object: PostgreSQL errors through Table, deadlines into
// CodeTimeout, anything else into CodeInternal without its text (which may hold internals; log it).
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return FromPg(pe)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: CodeTimeout, Message: "the request took too long", Status: http.StatusGatewayTimeout}
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return &Error{Code: CodeUnavailable, Message: "the database is not reachable", Status: http.StatusServiceUnavailable}
	}
	return Internal()
}

// Internal is the error object for faults the caller cannot fix.
func Internal() *Error {
	return &Error{Code: CodeInternal, Message: InternalMessage, Status: http.StatusInternalServerError}
}

// New returns an error object with a code, a status and a message.
func New(code, status int, msg string) *Error {
	return &Error{Code: code, Message: msg, Status: status}
}

// InvalidParams is a -32602 error about one parameter.
func InvalidParams(param, msg string) *Error {
	e := New(CodeInvalidParams, http.StatusBadRequest, msg)
	if param != "" {
		e.Data = &Data{Parameter: param}
	}
	return e
}

// Unauthorized is a -32001 error with HTTP 401.
func Unauthorized(msg string) *Error { return New(CodeUnauthorized, http.StatusUnauthorized, msg) }

// Response is a JSON-RPC response carrying only an error, with a null id: the shape of every
// error the sidecar sends outside a JSON-RPC exchange (auth, /events, panics).
type Response struct {
	JSONRPC string          `json:"jsonrpc"`
	Error   *Error          `json:"error"`
	ID      json.RawMessage `json:"id"`
}

// Write sends e as a JSON-RPC error response with a null id and e's HTTP status.
func Write(w http.ResponseWriter, e *Error) {
	body, _ := json.Marshal(Response{JSONRPC: "2.0", Error: e, ID: json.RawMessage("null")})
	w.Header().Set("Content-Type", "application/json")
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer`)
	}
	w.WriteHeader(e.Status)
	w.Write(append(body, '\n'))
}
