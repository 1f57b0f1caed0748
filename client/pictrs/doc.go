// Package pictrs is the Go client of the pictrs module: the repository of an image server
// (pict-rs) in PostgreSQL. One method per SQL function, grouped as pict-rs groups its repository
// traits: Hashes, Aliases, Settings, Details, StoreMigration, Proxies, Access, Uploads and Jobs.
//
//	c, err := pictrs.New(pool, "media", n) // the instance's schema; n a shared *notifier.Notifier
//	created, err := c.Hashes.Create(ctx, hash, identifier)
//	ok, err := c.Aliases.Create(ctx, alias, hash, token) // false: the alias is taken
//	for h, err := range c.Hashes.All(ctx, 0) { ... }       // every hash, by keyset pages of 1000
//	result, err := c.Uploads.Wait(ctx, id)                 // until complete_upload
//
// Results the SQL functions give as NULL (an unknown hash, an alias that names nothing) come
// back as "" or nil: the functions refuse empty hashes, identifiers and aliases, so "" never is
// one. SQL errors come back as *pgconn.PgError with the SQLSTATE the functions' COMMENTs list.
//
// Waiting shares one LISTEN connection: Uploads.Wait and Jobs.Pop subscribe to the notifier
// given to New (client/notifier), which LISTENs once per channel on its one connection and fans
// each notification out to every subscriber; a process with a thousand waiting requests holds
// one LISTEN connection. Each waiter reads the state again after subscribing (and after any
// reconnection), so a completion committed before it listened is never missed.
package pictrs
