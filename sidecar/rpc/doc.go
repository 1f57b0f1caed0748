// Package rpc is the sidecar's JSON-RPC 2.0 layer: a catalog of the functions installed
// modules expose, read from pg_proc, and a dispatcher that calls them as the request's role.
//
// A method is named after a module's API schema without its "howdah_" prefix and the function:
// howdah.version, queue.push. Only functions in schemas listed by howdah.version() are
// callable, never howdah_internal. Parameters are sent to PostgreSQL as text bind parameters and
// cast there to the argument types the catalog recorded; identifiers and type names in the SQL
// come from the catalog, never from the request. Each call runs in its own transaction, with
// the role, the JWT claims and the statement timeout set transaction-locally in front of it.
package rpc
