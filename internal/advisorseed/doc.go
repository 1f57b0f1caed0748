// Package advisorseed builds the seeded workload of `howdah advisor seed`: a shop schema (users,
// products, orders, order_items, events) with millions of rows made set-based in seconds, and a
// workload run over several connections that holds every pattern the advisor must find (a
// missing index, a missing composite join index, an expression and a jsonb-key predicate, bad
// estimates from correlated columns, a correlated subquery, a NOT IN over a nullable column, a
// redundant and an unused index, literal variants of one query, a latency spike between two
// scans, a lock wait during a scan) beside well-indexed queries that must get nothing.
//
// Patterns lists the statements with the finding each should get; docs/advisor.md ("Seeded
// workload") says the same for people. Run builds the schema and runs the workload; when the
// advisor module is installed it also takes the two snapshots the latency spike and the lock
// wait need.
package advisorseed
