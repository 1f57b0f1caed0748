// Package errmap is the sidecar's one table from PostgreSQL SQLSTATEs to JSON-RPC error codes and
// HTTP statuses, and the one JSON error shape every endpoint answers with.
//
// An error object always has a JSON-RPC code and a message; errors that came from PostgreSQL
// also carry, in data, the SQLSTATE, message, detail and hint the server sent. docs/sidecar.md
// prints the same table; a test checks that the two agree.
package errmap
