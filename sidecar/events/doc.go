// Package events streams PostgreSQL notifications to HTTP clients as Server-Sent Events.
// Handler reads them from a notifier.Notifier (package client/notifier: one dedicated LISTEN
// connection, channels LISTENed while some stream follows them, reconnected with backoff), which
// the sidecar shares with anything else in the process that listens.
//
// After a reconnect every stream receives an event named "reconnected", because notifications
// sent while the notifier was away are lost: clients should re-read what they watch.
package events
