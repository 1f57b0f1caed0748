// Package events is the sidecar's LISTEN hub: one dedicated PostgreSQL connection LISTENs to
// the channels subscribers want, reconnects with backoff when the connection is lost, and fans
// notifications out to subscribers; Handler streams them as Server-Sent Events.
//
// After a reconnect every subscriber receives a Reconnected event, because notifications sent
// while the hub was away are lost: clients should re-read what they watch.
package events
