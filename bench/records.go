package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/installer"
)

// The records cases: one page of a 1,000,000-row table through howdah.list_records (filter,
// order, page of 50 after 1000, count, records as JSON) against the hand-written statement that
// returns the same page, in the same total order, and the same count in one round trip, on the
// same server and connection. The table is made once, outside the timer, and checked to give
// both sides the same ids and count before anything is timed.
//
// bench_records has a primary key (id), mixed types (text, numeric, timestamptz, boolean,
// nullable text) and one more index, on (category, created DESC, id).
//
//   - "indexed": category = 'c07' AND amount >= 250, order created DESC. list_records appends
//     the key (id ascending), which matches the index, so the page is read in index order and
//     stops after 1,050 matching rows; the count (37,500 of the category's 50,000 rows) is a
//     bitmap scan of the same index. Both statements get that plan.
//   - "unindexed": note ILIKE '%ab%' (icontains), order amount DESC. No index serves either, so
//     both statements scan the table twice: once to count, once for a top-N sort.
const (
	recordsRows = 1_000_000
	recordsLim  = 50
	recordsOff  = 1000
	recordsCall = `SELECT howdah.list_records('bench_records'::regclass, $1, $2, $3::jsonb, $4::jsonb)`
	// The baseline's shape: the count (also right when the page is empty) joined to the page.
	recordsBaselineSQL = `
SELECT c.n, p.id, p.category, p.amount, p.created, p.flag, p.note
  FROM (SELECT count(*) AS n FROM bench_records WHERE %[1]s) c
  LEFT JOIN LATERAL (SELECT id, category, amount, created, flag, note
                       FROM bench_records
                      WHERE %[1]s
                      ORDER BY %[2]s
                      LIMIT 50 OFFSET 1000) p ON true`
)

// recordsCase is one filter and order, as list_records takes them and as hand-written SQL.
type recordsCase struct {
	name          string
	filter, order string // list_records arguments
	where, sortBy string // the baseline's WHERE and ORDER BY
}

var recordsCases = []recordsCase{
	{
		name:   "indexed",
		filter: `{"and": [{"column": "category", "op": "=", "value": "c07"}, {"column": "amount", "op": ">=", "value": 250}]}`,
		order:  `[{"column": "created", "direction": "desc"}]`,
		where:  `category = 'c07' AND amount >= 250`,
		sortBy: `created DESC, id`,
	},
	{
		name:   "unindexed",
		filter: `{"column": "note", "op": "icontains", "value": "ab"}`,
		order:  `[{"column": "amount", "direction": "desc"}]`,
		where:  `note ILIKE '%ab%'`,
		sortBy: `amount DESC, id`,
	},
}

func (c recordsCase) baselineSQL() string { return fmt.Sprintf(recordsBaselineSQL, c.where, c.sortBy) }

// recordsDB is the database of the records cases, made once for all of them.
var recordsDB struct {
	once sync.Once
	conn *pgx.Conn
}

func recordsConn(b *testing.B, e *env) *pgx.Conn {
	recordsDB.once.Do(func() {
		conn := connect(b, e, e.freshDB(b))
		b.StopTimer()
		defer b.StartTimer()
		in, err := installer.New(conn, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := in.Install(e.ctx, nil); err != nil {
			b.Fatal(err)
		}
		for _, sql := range []string{
			`CREATE TABLE bench_records (
				id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
				category text NOT NULL,
				amount numeric(12, 2) NOT NULL,
				created timestamptz NOT NULL,
				flag boolean NOT NULL,
				note text)`,
			`INSERT INTO bench_records (category, amount, created, flag, note)
			 SELECT 'c' || lpad((i % 20)::text, 2, '0'),
			        ((i::bigint * 7919) % 100000) / 100.0,
			        timestamptz '2020-01-01 00:00+00' + ((i::bigint * 37) % 1000003) * interval '1 minute',
			        i % 3 = 0,
			        CASE WHEN i % 10 <> 0 THEN md5(i::text) END
			   FROM generate_series(1, ` + strconv.Itoa(recordsRows) + `) i`,
			`CREATE INDEX bench_records_category_created ON bench_records (category, created DESC, id)`,
			`VACUUM ANALYZE bench_records`,
		} {
			if _, err := conn.Exec(e.ctx, sql); err != nil {
				b.Fatalf("records setup: %v", err)
			}
		}
		for _, c := range recordsCases {
			if err := c.samePage(e, conn); err != nil {
				b.Fatal(err)
			}
		}
		recordsDB.conn = conn
	})
	if recordsDB.conn == nil {
		b.Fatal("records setup failed earlier")
	}
	return recordsDB.conn
}

// samePage checks, outside the timer, that both sides return the same ids in the same order
// and the same count.
func (c recordsCase) samePage(e *env, conn *pgx.Conn) error {
	var baseIDs []int64
	var baseCount int64
	rows, err := conn.Query(e.ctx, c.baselineSQL())
	if err != nil {
		return err
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		baseCount = vals[0].(int64)
		baseIDs = append(baseIDs, vals[1].(int64))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var raw []byte
	if err := conn.QueryRow(e.ctx, recordsCall, recordsLim, recordsOff, c.order, c.filter).Scan(&raw); err != nil {
		return err
	}
	var page struct {
		Results []map[string]any `json:"results"`
		Count   int64            `json:"count"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return err
	}
	var ids []int64
	for _, r := range page.Results {
		ids = append(ids, int64(r["1"].(float64)))
	}
	if len(ids) != recordsLim || page.Count != baseCount || !slices.Equal(ids, baseIDs) {
		return fmt.Errorf("records %s: list_records gave count %d ids %v, the baseline count %d ids %v",
			c.name, page.Count, ids, baseCount, baseIDs)
	}
	return nil
}

func init() {
	for _, c := range recordsCases {
		cases = append(cases, benchCase{
			name:         "records " + c.name + ": filter+order+page(50 after 1000)+count, 1M rows",
			baselineName: "hand-written SQL",
			howdahName:   "howdah.list_records",
			baseline: func(b *testing.B, e *env) {
				conn := recordsConn(b, e)
				sql := c.baselineSQL()
				for b.Loop() {
					rows, err := conn.Query(e.ctx, sql)
					if err != nil {
						b.Fatal(err)
					}
					n := 0
					for rows.Next() {
						n += len(rows.RawValues())
					}
					if err := rows.Err(); err != nil {
						b.Fatal(err)
					}
					if n != recordsLim*7 {
						b.Fatalf("baseline read %d values, want %d", n, recordsLim*7)
					}
				}
			},
			howdah: func(b *testing.B, e *env) {
				conn := recordsConn(b, e)
				for b.Loop() {
					var page []byte
					if err := conn.QueryRow(e.ctx, recordsCall, recordsLim, recordsOff, c.order, c.filter).Scan(&page); err != nil {
						b.Fatal(err)
					}
					if len(page) < recordsLim*50 {
						b.Fatalf("list_records returned %d bytes, want a page of %d records", len(page), recordsLim)
					}
				}
			},
		})
	}
}
