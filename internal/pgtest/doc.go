// Package pgtest gives tests and the demo a real, throwaway PostgreSQL server.
//
// It picks, in order: the server named by HOWDAH_TEST_DATABASE_URL; a cluster made with the
// local initdb and pg_ctl (random port, temporary directory, removed at the end; run as the
// postgres user when the caller is root, since initdb refuses root); a container built from
// Dockerfile.postgres through ory/dockertest when a Docker engine answers. Each test gets a
// fresh database of its own on the shared server.
//
// A test package opts in with
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// and asks for a database with pgtest.NewDatabase(t).
package pgtest
