// Package pgcluster makes and runs local PostgreSQL clusters with the server's own initdb and
// pg_ctl: a data directory, a server log and a socket in one directory, a TCP port on
// 127.0.0.1, trust authentication for the superuser postgres. When the caller is root the
// binaries run as the postgres user, since initdb refuses root.
//
// The clusters are throwaway ones: fsync is off and pg_stat_statements is preloaded. The demo
// (howdah demo) keeps one in a directory of its choosing; the test harness internal/pgtest
// starts one per test binary. This package links nothing of the testing machinery, so the
// howdah binary can use it.
package pgcluster
