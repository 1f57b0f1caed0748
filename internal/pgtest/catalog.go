package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// catalogQuery lists every user object in a database with a digest of its definition:
// schemas, relations (with columns), functions (with source), types, constraints, triggers
// and comments. Extensions are left out, and so are the objects of every extension but howdah's
// own: installing the advisor may create pg_stat_statements and hypopg, which uninstalling it
// leaves (they are the server's, not howdah's). Two databases with equal lists hold the same objects.
const catalogQuery = `
WITH ns AS (
    SELECT oid, nspname FROM pg_catalog.pg_namespace
     WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       AND nspname !~ '^pg_(toast_)?temp_'),
foreign_ext AS (
    SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
      JOIN pg_catalog.pg_extension x ON x.oid = d.refobjid
     WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e' AND x.extname <> 'howdah'),
foreign_rel AS (SELECT objid AS oid FROM foreign_ext WHERE classid = 'pg_catalog.pg_class'::regclass),
foreign_type AS (
    SELECT t.oid FROM pg_catalog.pg_type t
     WHERE t.oid IN (SELECT objid FROM foreign_ext WHERE classid = 'pg_catalog.pg_type'::regclass)
        OR t.typrelid IN (SELECT oid FROM foreign_rel)
        OR t.typelem IN (SELECT e.oid FROM pg_catalog.pg_type e
                          WHERE e.oid IN (SELECT objid FROM foreign_ext WHERE classid = 'pg_catalog.pg_type'::regclass)
                             OR e.typrelid IN (SELECT oid FROM foreign_rel)))
SELECT 'schema ' || nspname FROM ns
UNION ALL
SELECT format('relation %s %s %s', c.oid::regclass, c.relkind,
       md5(coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull, ',' ORDER BY a.attnum)
                       FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')))
  FROM pg_catalog.pg_class c JOIN ns ON ns.oid = c.relnamespace
 WHERE c.oid NOT IN (SELECT oid FROM foreign_rel)
   AND NOT EXISTS (SELECT FROM pg_catalog.pg_index i WHERE i.indexrelid = c.oid AND i.indrelid IN (SELECT oid FROM foreign_rel))
UNION ALL
SELECT format('function %s %s', p.oid::regprocedure,
       CASE WHEN p.prokind IN ('f', 'p') THEN md5(pg_catalog.pg_get_functiondef(p.oid)) END)
  FROM pg_catalog.pg_proc p JOIN ns ON ns.oid = p.pronamespace
 WHERE p.oid NOT IN (SELECT objid FROM foreign_ext WHERE classid = 'pg_catalog.pg_proc'::regclass)
UNION ALL
SELECT format('type %s %s', t.oid::regtype, t.typtype)
  FROM pg_catalog.pg_type t JOIN ns ON ns.oid = t.typnamespace
 WHERE t.oid NOT IN (SELECT oid FROM foreign_type)
UNION ALL
SELECT format('constraint %s on %s: %s', k.conname, coalesce(k.conrelid::regclass::text, k.contypid::regtype::text), pg_catalog.pg_get_constraintdef(k.oid))
  FROM pg_catalog.pg_constraint k JOIN ns ON ns.oid = k.connamespace
 WHERE k.conrelid NOT IN (SELECT oid FROM foreign_rel)
UNION ALL
SELECT format('trigger %s on %s', g.tgname, g.tgrelid::regclass)
  FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid JOIN ns ON ns.oid = c.relnamespace
 WHERE NOT g.tgisinternal
UNION ALL
SELECT format('comment %s %s: %s', d.classoid::regclass, pg_catalog.pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description)
  FROM pg_catalog.pg_description d
 WHERE pg_catalog.pg_describe_object(d.classoid, d.objoid, d.objsubid) IS NOT NULL
   AND d.classoid <> 'pg_catalog.pg_extension'::regclass
   AND (d.classoid, d.objoid) NOT IN (SELECT 'pg_catalog.pg_namespace'::regclass, oid FROM pg_catalog.pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema', 'pg_toast', 'public'))
   AND d.objoid >= 16384
   AND (d.classoid, d.objoid) NOT IN (SELECT classid, objid FROM foreign_ext)
   AND NOT (d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid IN (SELECT oid FROM foreign_rel))
ORDER BY 1`

// Catalog returns the sorted list of user objects in conn's database (see catalogQuery).
func Catalog(tb testing.TB, conn *pgx.Conn) []string {
	tb.Helper()
	rows, err := conn.Query(context.Background(), catalogQuery)
	if err != nil {
		tb.Fatalf("pgtest: read catalog: %v", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tb.Fatalf("pgtest: read catalog: %v", err)
	}
	return list
}

// Diff returns the lines only in a and only in b, for test failure messages.
func Diff(a, b []string) (onlyA, onlyB []string) {
	inA, inB := map[string]int{}, map[string]int{}
	for _, s := range a {
		inA[s]++
	}
	for _, s := range b {
		inB[s]++
	}
	for _, s := range a {
		if inB[s] == 0 {
			onlyA = append(onlyA, s)
		} else {
			inB[s]--
		}
	}
	for _, s := range b {
		if inA[s] == 0 {
			onlyB = append(onlyB, s)
		} else {
			inA[s]--
		}
	}
	return onlyA, onlyB
}
