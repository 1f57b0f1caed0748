// Package notifier shares one PostgreSQL LISTEN connection among any number of subscribers in a
// process: the sidecar's /events streams and every client/queue Workers use it, so a process
// with ten queues holds one LISTEN connection, not ten.
//
// A Notifier owns one dedicated connection (never a pool connection: LISTEN is session state).
// It LISTENs to a channel while some subscriber wants it and UNLISTENs it when the last one
// leaves (names quoted with pgx.Identifier, so any name PostgreSQL accepts works), fans each
// notification out to the channel's subscribers, pings the connection when it has been quiet
// for PingInterval so that a dead one is noticed, and reconnects with exponential backoff and
// jitter when it is lost.
//
// Notifications sent while the connection is down are lost, so after a reconnect (and after a
// first connection that had to be retried) every subscriber receives a Reconnected event:
// re-read what you watch. A subscriber that falls Buffer events behind is dropped, not waited
// for: its Events channel closes with Err ErrSlow, and it should subscribe again and re-read.
// One slow subscriber therefore never delays the others.
package notifier
