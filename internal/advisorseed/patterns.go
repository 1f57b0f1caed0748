package advisorseed

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Pattern is one statement of the seeded workload and what the advisor should say about it.
type Pattern struct {
	// Name is the pattern's short name (docs/advisor.md uses it too).
	Name string
	// Finding is what the advisor should report, in words.
	Finding string
	// SQL is the statement as the workload sends it, schema-qualified, with $n parameters; for
	// literal variants, one of the texts (the others differ in their literals).
	SQL string
	// Match is a piece of the text pg_stat_statements keeps for the statement: the same for
	// every run of the seed with the same schema.
	Match string
	// WellIndexed marks a statement an index already serves: the advisor must find nothing.
	WellIndexed bool
	// Spike marks the statement whose index the seed drops between the two phases: the only
	// one phase 2 runs, so that no other query's mean moves between the seed's two scans.
	Spike bool

	weight int                                // runs per round of a workload connection
	args   func(r *rand.Rand, z sizes) []any  // its parameters
	text   func(r *rand.Rand, z sizes) string // literal variants: the statement, literals inlined
}

// Index is an index the seed makes for a pattern that has no statement of its own.
type Index struct {
	Name, Table, Finding string
}

// sizes are the row counts of a seed.
type sizes struct {
	Users, Products, Orders, Items, Events int64
}

// sizesFor returns the row counts of a scale: 1 is 100,000 users, 10,000 products, 1,000,000
// orders, 2,000,000 order items and 1,000,000 events. Small scales keep enough rows for the
// planner to prefer indexes where a real database would.
func sizesFor(scale float64) sizes {
	n := func(base float64, least int64) int64 { return max(least, int64(base*scale+0.5)) }
	o := n(1_000_000, 10_000)
	return sizes{Users: n(100_000, 1_000), Products: n(10_000, 1_000), Orders: o, Items: 2 * o, Events: n(1_000_000, 10_000)}
}

// hotProduct is the product row the lock-wait pattern locks.
const hotProduct = 1

// SpikeIndex is the index the seed drops between its two phases (the latency spike).
const SpikeIndex = "orders_ref_idx"

// Indexes are the seeded redundant and unused indexes.
func Indexes() []Index {
	return []Index{
		{Name: "orders_status_idx", Table: "orders", Finding: "redundant_index: orders_status_idx (status) is a prefix of orders_status_created_at_idx (status, created_at) and never scanned → DROP INDEX CONCURRENTLY orders_status_idx"},
		{Name: "events_created_at_idx", Table: "events", Finding: "unused_index: events_created_at_idx, one of the largest indexes, never scanned → DROP INDEX CONCURRENTLY events_created_at_idx"},
	}
}

// Patterns returns the workload's statements for the seed schema sch (an identifier that needs
// no quotes).
func Patterns(sch string) []Pattern {
	q := func(s string) string { return strings.ReplaceAll(s, "S.", sch+".") }
	id := func(r *rand.Rand, n int64) int64 { return 1 + r.Int64N(n) }
	cityZip := func(r *rand.Rand) (string, string) {
		c, z := r.IntN(50), r.IntN(4)
		return fmt.Sprintf("city_%d", c), fmt.Sprintf("%05d", c*4+z)
	}
	ps := []Pattern{
		{
			Name:    "missing_index",
			Finding: "missing_index on orders (customer_id): a foreign key without an index, every call reads the whole table",
			SQL:     q("SELECT id, status, total, created_at FROM S.orders WHERE customer_id = $1"),
			Match:   q("FROM S.orders WHERE customer_id = $1"),
			weight:  2,
			args:    func(r *rand.Rand, z sizes) []any { return []any{id(r, z.Users)} },
		},
		{
			Name:    "join_index",
			Finding: "missing_index on order_items (order_id): the join key, which the planner carries from o.id = $1; two items per order leave the product filter nothing to halve, so one column",
			SQL:     q("SELECT o.id, o.created_at, i.quantity, i.price FROM S.orders o JOIN S.order_items i ON i.order_id = o.id WHERE o.id = $1 AND i.product_id = $2"),
			Match:   q("JOIN S.order_items i ON i.order_id = o.id WHERE o.id = $1 AND i.product_id = $2"),
			weight:  1,
			args:    func(r *rand.Rand, z sizes) []any { return []any{id(r, z.Orders), id(r, z.Products)} },
		},
		{
			Name: "composite_join_index",
			Finding: "composite_index on order_items (product_id, quantity): the join key leaves 200 items per product, the quantity filter a fifth of them; " +
				"both columns together read 40 rows",
			SQL:    q("SELECT i.order_id, i.price FROM S.products p JOIN S.order_items i ON i.product_id = p.id WHERE p.sku = $1 AND i.quantity = $2"),
			Match:  q("JOIN S.order_items i ON i.product_id = p.id WHERE p.sku = $1 AND i.quantity = $2"),
			weight: 1,
			args: func(r *rand.Rand, z sizes) []any {
				return []any{fmt.Sprintf("SKU-%d", id(r, z.Products)), int32(1 + r.IntN(5))}
			},
		},
		{
			Name:    "expression_index",
			Finding: "missing_index on users (lower(email)), an expression index: lower() hides the unique index on email",
			SQL:     q("SELECT id, name FROM S.users WHERE lower(email) = $1"),
			Match:   q("FROM S.users WHERE lower(email) = $1"),
			weight:  2,
			args: func(r *rand.Rand, z sizes) []any {
				return []any{fmt.Sprintf("user%d@example.com", id(r, z.Users))}
			},
		},
		{
			Name: "jsonb_key_index",
			Finding: "missing_index on events ((payload ->> 'kind')), an expression index: a rare kind read by scanning every event " +
				"(pg_stat_statements' text has the key as a parameter too: see docs/advisor.md)",
			SQL: q("SELECT id, user_id, created_at FROM S.events WHERE payload ->> 'kind' = $1"),
			// pg_stat_statements replaces the key 'kind' by a parameter too.
			Match:  q("FROM S.events WHERE payload ->>"),
			weight: 1,
			args: func(r *rand.Rand, z sizes) []any {
				return []any{[]string{"refund", "purchase"}[r.IntN(2)]}
			},
		},
		{
			Name: "bad_estimates",
			Finding: "stats on users (city, zip): each zip lies in one city, the planner multiplies their selectivities and expects 10 rows for 500 → " +
				"CREATE STATISTICS ... ON city, zip FROM users; users_zip_idx serves the scan, so no index",
			SQL:    q("SELECT id, name FROM S.users WHERE city = $1 AND zip = $2"),
			Match:  q("FROM S.users WHERE city = $1 AND zip = $2"),
			weight: 3,
			args: func(r *rand.Rand, z sizes) []any {
				c, zip := cityZip(r)
				return []any{c, zip}
			},
		},
		{
			Name:    "correlated_subquery",
			Finding: "rewrite:correlated_subquery: a subquery run once per user of the city (2,000) → a LEFT JOIN on a grouped count (or LATERAL)",
			SQL:     q("SELECT u.id, u.email, (SELECT count(*) FROM S.events e WHERE e.user_id = u.id) AS events FROM S.users u WHERE u.city = $1"),
			Match:   q("(SELECT count(*) FROM S.events e WHERE e.user_id = u.id) AS events FROM S.users u WHERE u.city = $1"),
			weight:  1,
			args:    func(r *rand.Rand, z sizes) []any { c, _ := cityZip(r); return []any{c} },
		},
		{
			Name:    "not_in_nullable",
			Finding: "rewrite:not_in: NOT IN over users.referrer_id, a nullable column (one NULL empties the result) → NOT EXISTS",
			SQL:     q("SELECT count(*) FROM S.users u WHERE u.id NOT IN (SELECT r.referrer_id FROM S.users r WHERE r.city = $1)"),
			Match:   q("NOT IN (SELECT r.referrer_id FROM S.users r WHERE r.city = $1)"),
			weight:  1,
			args:    func(r *rand.Rand, z sizes) []any { c, _ := cityZip(r); return []any{c} },
		},
		{
			Name: "literal_variants",
			Finding: "one query: IN lists of 1 to 4 inlined literals are several pg_stat_statements entries and one fingerprint, " +
				"their calls summed; products_category_idx serves it, so no recommendation",
			SQL:    q("SELECT id, sku, name FROM S.products WHERE category IN ('cat_3', 'cat_17')"),
			Match:  q("FROM S.products WHERE category IN ($1"),
			weight: 4,
			text: func(r *rand.Rand, z sizes) string {
				cats := make([]string, 1+r.IntN(4))
				for i := range cats {
					cats[i] = fmt.Sprintf("'cat_%d'", r.IntN(50))
				}
				return q("SELECT id, sku, name FROM S.products WHERE category IN (" + strings.Join(cats, ", ") + ")")
			},
		},
		{
			Name: "latency_spike",
			Finding: "anomaly regression in the seed's second snapshot: " + SpikeIndex + " is dropped between the phases, the mean jumps " +
				"from a fraction of a millisecond to a full scan; and missing_index on orders (ref) in that snapshot",
			SQL:    q("SELECT id, status, total FROM S.orders WHERE ref = $1"),
			Match:  q("FROM S.orders WHERE ref = $1"),
			Spike:  true,
			weight: 3,
			args:   func(r *rand.Rand, z sizes) []any { return []any{fmt.Sprintf("ORD-%d", id(r, z.Orders))} },
		},
		{
			Name: "lock_wait",
			Finding: "anomaly contention in the seed's second snapshot: during that scan this UPDATE waits for a row lock on products " +
				"(another connection holds the row FOR UPDATE; other queries of products may be tagged too); the primary key serves it, so no recommendation",
			SQL:    q("UPDATE S.products SET stock = stock - $1 WHERE id = $2"),
			Match:  q("UPDATE S.products SET stock = stock - $1 WHERE id = $2"),
			weight: 2,
			args:   func(r *rand.Rand, z sizes) []any { return []any{1, id(r, z.Products)} },
		},
		{
			Name:        "pk_user",
			Finding:     "nothing: a primary key lookup",
			SQL:         q("SELECT id, email, name, city FROM S.users WHERE id = $1"),
			Match:       q("FROM S.users WHERE id = $1"),
			WellIndexed: true,
			weight:      10,
			args:        func(r *rand.Rand, z sizes) []any { return []any{id(r, z.Users)} },
		},
		{
			Name:        "pk_product",
			Finding:     "nothing: a primary key lookup",
			SQL:         q("SELECT id, sku, name, price FROM S.products WHERE id = $1"),
			Match:       q("FROM S.products WHERE id = $1"),
			WellIndexed: true,
			weight:      10,
			args:        func(r *rand.Rand, z sizes) []any { return []any{id(r, z.Products)} },
		},
		{
			Name:        "indexed_fk",
			Finding:     "nothing: events.user_id is a foreign key with its index",
			SQL:         q("SELECT id, created_at, payload FROM S.events WHERE user_id = $1"),
			Match:       q("FROM S.events WHERE user_id = $1"),
			WellIndexed: true,
			weight:      6,
			args:        func(r *rand.Rand, z sizes) []any { return []any{id(r, z.Users)} },
		},
		{
			Name:        "indexed_range",
			Finding:     "nothing: orders_status_created_at_idx serves the equality, the range and the order",
			SQL:         q("SELECT id, total FROM S.orders WHERE status = $1 AND created_at >= $2 ORDER BY created_at LIMIT 50"),
			Match:       q("FROM S.orders WHERE status = $1 AND created_at >= $2 ORDER BY created_at LIMIT $3"),
			WellIndexed: true,
			weight:      4,
			args: func(r *rand.Rand, z sizes) []any {
				st := []string{"pending", "cancelled", "returned", "shipped"}[r.IntN(4)]
				return []any{st, time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(700)) * 24 * time.Hour)}
			},
		},
	}
	return ps
}
