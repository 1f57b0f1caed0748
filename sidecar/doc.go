// Package sidecar is howdah's HTTP server (`howdah serve`): it wires the JSON-RPC dispatcher
// (sidecar/rpc), authentication (sidecar/auth) and the LISTEN hub (sidecar/events) to HTTP,
// with /healthz, /readyz, Prometheus /metrics, structured logs and graceful shutdown.
//
// Routes: POST /rpc (JSON-RPC 2.0), GET /events?channel=a,b (Server-Sent Events), GET /healthz,
// GET /readyz, GET /metrics. docs/sidecar.md describes them for users.
package sidecar
