// Package playground is the Go client of howdah's playground module: the two storage interfaces
// of the Beam Playground backend (a Cache, which replaced Redis, and a Database, which replaced
// Datastore) over one PostgreSQL instance of the module, plus what a runner needs (StartRun,
// SetStatus, AppendOutput, ReadOutput) and WatchCancel, which hears cancel() over the shared
// LISTEN connection of client/notifier.
//
// A Client works on one instance (Config.Schema, default "playground"); two instances in one
// database are two deployments, the namespaces of the original. The catalog needs no cache
// writes: the module keeps it exact with triggers, so Cache.SetCatalog does nothing and
// Cache.GetCatalog reads the module's cache. docs/playground.md maps the original's entities
// and Redis keys to the tables and functions.
package playground
