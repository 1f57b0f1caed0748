package rpc

import (
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"
)

// connStateKey is the pgconn CustomData key holding a connection's *connState.
const connStateKey = "howdah_rpc"

// defaultMaxStatements bounds the call statements prepared on one connection: a function with
// n optional parameters has up to 2^n call texts, one per subset given.
const defaultMaxStatements = 256

// connState is what the dispatcher knows about one connection of the pool: the statements it
// prepared there, and for whom the session's cached plans were made.
type connState struct {
	// session is the role and claims of the last call on the connection since its plans were
	// last discarded; valid is false when that is unknown (a new connection, or one the catalog
	// was read on), and the next call then discards.
	session Session
	valid   bool
	// setup describes the settings statement once it is prepared.
	setup *pgconn.StatementDescription
	// stmts are the prepared call statements by SQL text.
	stmts map[string]*stmt
	// seq names statements; clock orders their use, for eviction.
	seq, clock uint64
}

// stmt is a prepared call statement.
type stmt struct {
	name string
	// desc is the server's description, nil until the statement was prepared with success.
	desc *pgconn.StatementDescription
	used uint64
}

// stateOf returns the state of pc, making it on first use.
func stateOf(pc *pgconn.PgConn) *connState {
	if st, ok := pc.CustomData()[connStateKey].(*connState); ok {
		return st
	}
	st := &connState{stmts: map[string]*stmt{}}
	pc.CustomData()[connStateKey] = st
	return st
}

// forgetSession marks the session's plans as made for nobody known: the next call on the
// connection discards them.
func forgetSession(pc *pgconn.PgConn) {
	if st, ok := pc.CustomData()[connStateKey].(*connState); ok {
		st.valid = false
	}
}

// lookup returns the statement for sql, and whether it must be prepared first. A new statement
// is not remembered until add; evict names the statement to close to make room for it, if any.
func (st *connState) lookup(sql string, max int) (s *stmt, prepare bool, evict string) {
	st.clock++
	if s, ok := st.stmts[sql]; ok {
		s.used = st.clock
		return s, false, ""
	}
	if len(st.stmts) >= max {
		var oldSQL string
		var old *stmt
		for k, v := range st.stmts {
			if old == nil || v.used < old.used {
				oldSQL, old = k, v
			}
		}
		delete(st.stmts, oldSQL)
		evict = old.name
	}
	st.seq++
	return &stmt{name: "howdah_call_" + strconv.FormatUint(st.seq, 10), used: st.clock}, true, evict
}
