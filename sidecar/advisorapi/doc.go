// Package advisorapi is the advisor module's REST routes in `howdah serve`: GET /bottlenecks,
// GET /queries/{id}, POST /simulate and POST /chat. Each route is one call of an advisor SQL
// function (bottlenecks, query_detail, simulate, ask) made through the JSON-RPC dispatcher, so it
// runs exactly as the same call to POST /rpc would: the caller's role and claims, the request
// deadline and statement timeout, the response limit, and the SQLSTATE → HTTP status mapping
// with the one JSON error shape (sidecar/errmap). The routes answer 404 while the advisor module
// is not installed. The GET routes' answers are cached for a TTL, per role, path and query
// string, and dropped when a scan finishes (the howdah_advisor notification).
package advisorapi
