// Package reliability is howdah's fault-injection and abuse suite: jobs under worker and
// server crashes, installers under faults, a hostile client of the sidecar, the privilege
// matrix of every exposed function, and load. Each test prints a report line with counts and
// timings and fails when an invariant breaks. `go test ./tests/reliability` runs the short
// version (part of `make test`); HOWDAH_RELIABILITY=full runs the full one (`make
// test-reliability`). docs/reliability.md describes the parts, the invariants and results.
package reliability
