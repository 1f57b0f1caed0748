// Package pgtest gives tests a real, throwaway PostgreSQL server. It links the testing
// package and the Docker client, so only tests (and bench/) may import it; the howdah binary
// starts its demo cluster with internal/pgcluster.
//
// It picks, in order: the server named by HOWDAH_TEST_DATABASE_URL; a cluster made with the
// local initdb and pg_ctl by internal/pgcluster (random port, temporary directory, removed at
// the end); a container built from Dockerfile.postgres through ory/dockertest when a Docker
// engine answers. Each test gets a fresh database of its own on the shared server.
//
// A test package opts in with
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// and asks for a database with pgtest.NewDatabase(t).
package pgtest
