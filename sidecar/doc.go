// Package sidecar is howdah's HTTP server (`howdah serve`): it wires the JSON-RPC dispatcher
// (sidecar/rpc), authentication (sidecar/auth) and the LISTEN hub (sidecar/events) to HTTP,
// with /healthz, /readyz, Prometheus /metrics, structured logs and graceful shutdown. It bounds
// what clients can make it hold (limits.go): open connections, the time to read a request,
// the memory of request bodies and the number of event streams.
//
// Routes: POST /rpc (JSON-RPC 2.0), GET /events?channel=a,b (Server-Sent Events), GET /healthz,
// GET /readyz, GET /metrics, and the advisor module's routes (sidecar/advisorapi). docs/sidecar.md
// describes them for users.
package sidecar
