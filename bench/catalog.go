package main

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/installer"
)

// Describing a whole schema in one call against the pattern it replaces: a client that asks for
// the tables, then for each table its columns, then for each column its details.
func init() {
	var (
		once   sync.Once
		url    string
		schema uint32
	)
	setup := func(b *testing.B, e *env) (*pgx.Conn, uint32) {
		b.StopTimer()
		defer b.StartTimer()
		once.Do(func() {
			url = e.freshDB(b)
			conn := connect(b, e, url)
			defer conn.Close(e.ctx)
			in, err := installer.New(conn, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := in.Install(e.ctx, nil); err != nil {
				b.Fatal(err)
			}
			fmt.Fprintln(os.Stderr, "bench: creating 1,000 tables × 20 columns …")
			if _, err := conn.Exec(e.ctx, wideSchemaSQL); err != nil {
				b.Fatal(err)
			}
			if err := conn.QueryRow(e.ctx, `SELECT 'wide'::regnamespace::oid`).Scan(&schema); err != nil {
				b.Fatal(err)
			}
		})
		return connect(b, e, url), schema
	}
	cases = append(cases, benchCase{
		name:         "describe a schema of 1,000 tables × 20 columns",
		baselineName: "N+1 queries",
		howdahName:   "get_schema_table_details",
		baseline: func(b *testing.B, e *env) {
			conn, sch := setup(b, e)
			defer conn.Close(e.ctx)
			for b.Loop() {
				describeNPlusOne(b, e, conn, sch)
			}
		},
		howdah: func(b *testing.B, e *env) {
			conn, sch := setup(b, e)
			defer conn.Close(e.ctx)
			for b.Loop() {
				var out []byte
				if err := conn.QueryRow(e.ctx, `SELECT howdah.get_schema_table_details($1)`, sch).Scan(&out); err != nil {
					b.Fatal(err)
				}
			}
		},
	})
}

// describeNPlusOne gathers what get_schema_table_details returns the way an ORM walks the
// catalog: one query for the tables, one per table for its columns and one per column.
func describeNPlusOne(b *testing.B, e *env, conn *pgx.Conn, sch uint32) {
	rows, err := conn.Query(e.ctx, `
		SELECT c.oid, c.relname, obj_description(c.oid, 'pg_class'), c.relkind, c.relowner::regrole::text, c.reltuples,
		       has_table_privilege(c.oid, 'SELECT'), has_table_privilege(c.oid, 'INSERT'),
		       has_table_privilege(c.oid, 'UPDATE'), has_table_privilege(c.oid, 'DELETE')
		  FROM pg_class c WHERE c.relnamespace = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname`, sch)
	if err != nil {
		b.Fatal(err)
	}
	var tables []uint32
	for rows.Next() {
		var (
			oid                    uint32
			name, kind, owner      string
			desc                   *string
			tuples                 float32
			sel, ins, upd, deleted bool
		)
		if err := rows.Scan(&oid, &name, &desc, &kind, &owner, &tuples, &sel, &ins, &upd, &deleted); err != nil {
			b.Fatal(err)
		}
		tables = append(tables, oid)
	}
	if rows.Err() != nil {
		b.Fatal(rows.Err())
	}
	for _, t := range tables {
		var attnums []int16
		if err := conn.QueryRow(e.ctx, `SELECT array_agg(attnum ORDER BY attnum) FROM pg_attribute
			WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped`, t).Scan(&attnums); err != nil {
			b.Fatal(err)
		}
		for _, n := range attnums {
			var (
				name, typ, display            string
				notNull, pk, sel, ins, update bool
				def, desc                     *string
			)
			if err := conn.QueryRow(e.ctx, `
				SELECT a.attname, format_type(a.atttypid, NULL), format_type(a.atttypid, a.atttypmod), a.attnotnull,
				       pg_get_expr(d.adbin, d.adrelid), col_description(a.attrelid, a.attnum),
				       EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = a.attrelid AND k.contype = 'p' AND a.attnum = ANY (k.conkey)),
				       has_column_privilege(a.attrelid, a.attnum, 'SELECT'), has_column_privilege(a.attrelid, a.attnum, 'INSERT'),
				       has_column_privilege(a.attrelid, a.attnum, 'UPDATE')
				  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
				 WHERE a.attrelid = $1 AND a.attnum = $2`, t, n).Scan(
				&name, &typ, &display, &notNull, &def, &desc, &pk, &sel, &ins, &update); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// wideSchemaSQL makes schema "wide": 1,000 tables of 20 columns of mixed types, some with
// defaults and NOT NULL, comments on tables and columns, a primary key and a foreign key to the
// previous table.
const wideSchemaSQL = `
CREATE SCHEMA wide;
DO $$
DECLARE
    cols CONSTANT text[] := ARRAY['name text NOT NULL DEFAULT ''''', 'qty integer DEFAULT 0', 'price numeric(12,2)',
        'created timestamptz NOT NULL DEFAULT now()', 'active boolean DEFAULT true', 'title varchar(80)', 'doc jsonb',
        'due date', 'big bigint', 'tags text[]', 'ref uuid', 'span interval', 'ratio double precision', 'rank smallint',
        'blob bytea', 'at time', 'ip inet', 'code char(3)'];
BEGIN
    FOR t IN 1 .. 1000 LOOP
        EXECUTE format('CREATE TABLE wide.t%s (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, %s, parent bigint%s)',
                       t, array_to_string(cols, ', '),
                       CASE WHEN t > 1 THEN format(' REFERENCES wide.t%s', t - 1) ELSE '' END);
        EXECUTE format('COMMENT ON TABLE wide.t%s IS %L', t, 'table number ' || t);
        EXECUTE format('COMMENT ON COLUMN wide.t%s.name IS %L', t, 'what it is called');
    END LOOP;
END $$;
ANALYZE;
`
