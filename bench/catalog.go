package main

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/installer"
)

// describeDB is the database of the describe cases: howdah installed and schema "wide" (see
// wideSchemaSQL), made once for all of them. plainServer is the server time of the plain query,
// kept for the note of the howdah side.
var describeDB struct {
	once        sync.Once
	url         string
	schema      uint32
	plainServer serverTime
}

// describeConn connects to the describe database, making it on first use (outside the timer).
func describeConn(b *testing.B, e *env) (*pgx.Conn, uint32) {
	b.StopTimer()
	defer b.StartTimer()
	describeDB.once.Do(func() {
		url := e.freshDB(b)
		conn := connect(b, e, url)
		defer conn.Close(e.ctx)
		in, err := installer.New(conn, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := in.Install(e.ctx, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Exec(e.ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
			b.Fatal(err)
		}
		fmt.Fprintln(os.Stderr, "bench: creating 1,000 tables × 20 columns …")
		if _, err := conn.Exec(e.ctx, wideSchemaSQL); err != nil {
			b.Fatal(err)
		}
		if err := conn.QueryRow(e.ctx, `SELECT 'wide'::regnamespace::oid`).Scan(&describeDB.schema); err != nil {
			b.Fatal(err)
		}
		describeDB.url = url
	})
	return connect(b, e, describeDB.url), describeDB.schema
}

// describeHowdah is the howdah side of the describe cases: the whole schema as one JSON document.
func describeHowdah(b *testing.B, e *env) {
	conn, sch := describeConn(b, e)
	defer conn.Close(e.ctx)
	resetServerTime(b, e, conn)
	var size int
	for b.Loop() {
		var out []byte
		if err := conn.QueryRow(e.ctx, `SELECT howdah.get_schema_table_details($1)`, sch).Scan(&out); err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	st := readServerTime(b, e, conn, "%get_schema_table_details%")
	e.note("describe-size", "describe: get_schema_table_details returns %.1f MB of JSON for 1,000 tables × 20 columns", float64(size)/1e6)
	if p := describeDB.plainServer; p.calls > 0 {
		e.note("describe-server", "describe, server time per call (pg_stat_statements): one catalog query %s, get_schema_table_details %s: %.2fx (means)",
			p, st, float64(st.mean)/float64(p.mean))
	} else {
		e.note("describe-server", "describe, server time per call (pg_stat_statements): get_schema_table_details %s", st)
	}
}

// serverTime is what pg_stat_statements measured for one statement: its execution on the server,
// sending the rows included, without the client's share.
type serverTime struct {
	calls     int64
	mean, min time.Duration
}

func (s serverTime) String() string {
	return fmt.Sprintf("mean %s, min %s over %d calls", s.mean.Round(time.Millisecond), s.min.Round(time.Millisecond), s.calls)
}

// resetServerTime clears pg_stat_statements (outside the timer), so that readServerTime sees
// only the calls that follow.
func resetServerTime(b *testing.B, e *env, conn *pgx.Conn) {
	b.StopTimer()
	defer b.StartTimer()
	if _, err := conn.Exec(e.ctx, `SELECT pg_stat_statements_reset()`); err != nil {
		b.Fatal(err)
	}
}

// readServerTime returns the server time of the top-level statements of this database whose
// text is like pattern, since resetServerTime.
func readServerTime(b *testing.B, e *env, conn *pgx.Conn, pattern string) serverTime {
	b.StopTimer()
	defer b.StartTimer()
	var (
		st        serverTime
		mean, min float64
	)
	if err := conn.QueryRow(e.ctx, `
		SELECT coalesce(sum(calls), 0), coalesce(sum(total_exec_time) / nullif(sum(calls), 0), 0), coalesce(min(min_exec_time), 0)
		  FROM pg_stat_statements
		 WHERE toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query LIKE $1`,
		pattern).Scan(&st.calls, &mean, &min); err != nil {
		b.Fatal(err)
	}
	st.mean, st.min = time.Duration(mean*float64(time.Millisecond)), time.Duration(min*float64(time.Millisecond))
	return st
}

// Describing a whole schema in one call against the patterns it replaces: a client that walks
// the catalog one table and one column at a time, and one plain catalog query that returns the
// same facts as rows.
func init() {
	cases = append(cases, benchCase{
		name:         "describe a schema of 1,000 tables × 20 columns",
		baselineName: "N+1 queries",
		howdahName:   "get_schema_table_details",
		baseline: func(b *testing.B, e *env) {
			conn, sch := describeConn(b, e)
			defer conn.Close(e.ctx)
			for b.Loop() {
				describeNPlusOne(b, e, conn, sch)
			}
		},
		howdah: describeHowdah,
	}, benchCase{
		name:         "describe 1,000 tables × 20 columns, against one plain query",
		baselineName: "one catalog query",
		howdahName:   "get_schema_table_details",
		baseline: func(b *testing.B, e *env) {
			conn, sch := describeConn(b, e)
			defer conn.Close(e.ctx)
			resetServerTime(b, e, conn)
			var rows int
			for b.Loop() {
				rows = describePlain(b, e, conn, sch)
			}
			if rows != 20_000 {
				b.Fatalf("the plain query returned %d rows, want 20,000", rows)
			}
			describeDB.plainServer = readServerTime(b, e, conn, "%pg_attrdef%")
		},
		howdah: describeHowdah,
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

// describePlainSQL is the fair baseline of get_schema_table_details: one statement over
// pg_catalog that returns the facts the document holds as rows, one per column with its table's
// facts beside it — names, kinds, owners, estimated rows, comments, whether other objects depend
// on the table, types (name, with modifiers, and the raw typmod a client would decode), nullability,
// defaults, identity, primary key membership, and the current role's privileges on each table and
// column through has_table_privilege / has_column_privilege, as anyone would write it. Table facts
// are computed once per table, and joins go through hash joins.
const describePlainSQL = `
SELECT t.oid, t.relname, t.relkind, t.owner, t.reltuples, t.description, t.has_dependents, t.privileges, t.owns,
       a.attnum, a.attname, format_type(a.atttypid, NULL), format_type(a.atttypid, a.atttypmod), a.atttypmod,
       NOT a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity <> '', coalesce(a.attnum = ANY (t.pk), false),
       cd.description,
       has_column_privilege(a.attrelid, a.attnum, 'SELECT'), has_column_privilege(a.attrelid, a.attnum, 'INSERT'),
       has_column_privilege(a.attrelid, a.attnum, 'UPDATE'), has_column_privilege(a.attrelid, a.attnum, 'REFERENCES')
  FROM (SELECT c.oid, c.relname, c.relkind, c.relowner::regrole::text AS owner, c.reltuples, td.description, pk.conkey AS pk,
               EXISTS (SELECT FROM pg_depend dep
                        WHERE dep.refclassid = 'pg_class'::regclass AND dep.refobjid = c.oid AND dep.deptype = 'n'
                          AND NOT (dep.classid = 'pg_constraint'::regclass
                                   AND EXISTS (SELECT FROM pg_constraint k WHERE k.oid = dep.objid AND k.conrelid = c.oid))) AS has_dependents,
               array_remove(ARRAY[
                   CASE WHEN has_table_privilege(c.oid, 'SELECT') THEN 'SELECT' END,
                   CASE WHEN has_table_privilege(c.oid, 'INSERT') THEN 'INSERT' END,
                   CASE WHEN has_table_privilege(c.oid, 'UPDATE') THEN 'UPDATE' END,
                   CASE WHEN has_table_privilege(c.oid, 'DELETE') THEN 'DELETE' END,
                   CASE WHEN has_table_privilege(c.oid, 'TRUNCATE') THEN 'TRUNCATE' END,
                   CASE WHEN has_table_privilege(c.oid, 'REFERENCES') THEN 'REFERENCES' END,
                   CASE WHEN has_table_privilege(c.oid, 'TRIGGER') THEN 'TRIGGER' END], NULL) AS privileges,
               pg_has_role(c.relowner, 'USAGE') AS owns
          FROM pg_class c
          LEFT JOIN pg_description td ON td.objoid = c.oid AND td.classoid = 'pg_class'::regclass AND td.objsubid = 0
          LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
         WHERE c.relnamespace = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition) t
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_description cd ON cd.objoid = a.attrelid AND cd.classoid = 'pg_class'::regclass AND cd.objsubid = a.attnum
 ORDER BY t.relname, a.attnum`

// describePlain runs describePlainSQL and reads every row into Go values, as a client would; it
// returns the number of rows.
func describePlain(b *testing.B, e *env, conn *pgx.Conn, sch uint32) int {
	rows, err := conn.Query(e.ctx, describePlainSQL, sch)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var (
			oid                                  uint32
			relname, relkind, owner              string
			reltuples                            float32
			tableDesc, colDesc, def              *string
			hasDependents, owns                  bool
			privileges                           []string
			attnum                               int16
			attname, typ, typDisplay             string
			typmod                               int32
			nullable, identity, pk               bool
			colSelect, colInsert, colUpdate, ref bool
		)
		if err := rows.Scan(&oid, &relname, &relkind, &owner, &reltuples, &tableDesc, &hasDependents, &privileges, &owns,
			&attnum, &attname, &typ, &typDisplay, &typmod, &nullable, &def, &identity, &pk, &colDesc,
			&colSelect, &colInsert, &colUpdate, &ref); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return n
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
