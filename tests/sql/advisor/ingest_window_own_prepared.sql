-- ingest() leaves utility statements out before it limits the entries it reads, skips the
-- nested statements of howdah's own functions and the PL/pgSQL statements that name variables
-- (pg_stat_statements.track = all shows them by name), reads SQL-level PREPAREs as their
-- statement, and scan() keeps its own nested statements out of pg_stat_statements.
BEGIN;
SELECT plan(14);

CREATE SCHEMA adv_own;
CREATE TABLE adv_own.t (a int, b text);
INSERT INTO adv_own.t SELECT i, 'x' FROM generate_series(1, 100) i;

-- (a) the window: no utility statement among the entries read, and their count is kept.
SELECT is((SELECT count(*)::int FROM howdah_internal.advisor_pgss_rows(howdah_internal.advisor_require_pgss(), 50) s
            WHERE lower(substring(s.query FROM '^(?:\s|--[^\n]*|/\*(?:[^*]|\*+[^*/])*\*+/)*[(\s]*([A-Za-z]+)'))
                  NOT IN ('select', 'with', 'insert', 'update', 'delete', 'merge', 'values', 'table')), 0,
          'the entries read hold no utility statement, however much time DDL took');
SELECT cmp_ok((SELECT max(s.utility)::int FROM howdah_internal.advisor_pgss_rows(howdah_internal.advisor_require_pgss(), 50) s), '>', 0,
          'the utility statements left out are counted');

-- (b) nested statements: one of a function in a howdah schema over its own variables, one of an
-- application's function over its variables, and one real query of an application's function.
CREATE FUNCTION howdah_internal.adv_test_own(vals integer[]) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
    SELECT count(*) INTO n FROM unnest(vals) AS v(x) WHERE v.x > 41 AND v.x < 4242;
    RETURN n;
END $f$;
CREATE FUNCTION adv_own.count_big(adv_vals integer[]) RETURNS bigint LANGUAGE plpgsql AS $f$
BEGIN
    RETURN (SELECT count(*) FROM unnest(adv_vals) AS u(v) WHERE u.v > 4343);
END $f$;
CREATE FUNCTION adv_own.count_t() RETURNS bigint LANGUAGE plpgsql AS $f$
BEGIN
    RETURN (SELECT count(*) FROM adv_own.t WHERE a = 4444);
END $f$;
SELECT howdah_internal.adv_test_own(ARRAY[1, 50]), adv_own.count_big(ARRAY[1]), adv_own.count_t();

-- (c) a prepared statement made in SQL, executed twice (each in a statement string of its own,
-- as psql sends them: pg_stat_statements then shows the executions under the PREPARE's text).
DO $d$
BEGIN
    EXECUTE 'PREPARE adv_own_prep (integer) AS SELECT b FROM adv_own.t WHERE a = $1 AND b <> ''adv_own_prep''';
    EXECUTE 'EXECUTE adv_own_prep(1)';
    EXECUTE 'EXECUTE adv_own_prep(2)';
    EXECUTE 'DEALLOCATE adv_own_prep';
END
$d$;

SELECT ok(EXISTS (SELECT FROM pg_stat_statements WHERE query LIKE '%unnest(vals) AS v(x) WHERE v.x > $% AND v.x < $%' AND NOT toplevel),
          'pg_stat_statements shows the howdah function''s nested statement');
SELECT ok(EXISTS (SELECT FROM pg_stat_statements WHERE query LIKE 'PREPARE adv_own_prep%'),
          'pg_stat_statements shows the prepared statement''s executions under its PREPARE text');

CREATE TEMP TABLE snap AS SELECT howdah_advisor.ingest(top_n => 10000) AS id;
CREATE TEMP VIEW got AS
SELECT q.*, m.calls FROM howdah_advisor.metrics m JOIN howdah_advisor.queries q ON q.id = m.query_id
 WHERE m.snapshot_id = (SELECT id FROM snap);

SELECT is((SELECT count(*)::int FROM got WHERE raw_sql LIKE '%unnest(vals) AS v(x)%'), 0,
          'a nested statement of a howdah function over its variables is skipped');
SELECT is((SELECT count(*)::int FROM got WHERE raw_sql LIKE '%unnest(adv_vals)%'), 0,
          'a nested statement naming PL/pgSQL variables (which do not resolve as columns) is skipped');
SELECT is((SELECT count(*)::int FROM got WHERE raw_sql = '(SELECT count(*) FROM adv_own.t WHERE a = $1)'), 1,
          'a nested statement of an application''s function on its tables is kept');
SELECT cmp_ok((SELECT (stats #>> '{ingest,skipped,unresolved}')::int FROM howdah_advisor.snapshots WHERE id = (SELECT id FROM snap)), '>=', 1,
          'the snapshot counts the unresolved statements it skipped');
SELECT is((SELECT raw_sql FROM got WHERE norm_sql = 'select b from adv_own.t where a = ? and b <> ?'),
          'SELECT b FROM adv_own.t WHERE a = $1 AND b <> $2', 'a PREPAREd statement is read as its statement');
SELECT cmp_ok((SELECT calls FROM got WHERE norm_sql = 'select b from adv_own.t where a = ? and b <> ?'), '>=', 2::bigint,
          'with the calls of its executions');

-- A second ingest reads what the first learned from statement_cache, and gets the same queries.
SELECT cmp_ok((SELECT count(*)::int FROM howdah_advisor.statement_cache WHERE code_hash = howdah_internal.advisor_code_hash()), '>', 0,
          'ingest keeps what it learned about each text');
CREATE TEMP TABLE snap2 AS SELECT howdah_advisor.ingest(top_n => 10000) AS id;
SELECT set_eq($$SELECT q.fingerprint, q.norm_sql, q.tokens FROM howdah_advisor.metrics m JOIN howdah_advisor.queries q ON q.id = m.query_id
                 WHERE m.snapshot_id = (SELECT id FROM snap2) AND q.norm_sql ~ 'adv_own'$$,
              $$SELECT fingerprint, norm_sql, tokens FROM got WHERE norm_sql ~ 'adv_own'$$,
              'a second ingest, from the cache, finds the same queries');

-- (d) scan() records none of its own nested statements (the test cluster tracks all, as superuser).
CREATE TEMP TABLE before AS
SELECT coalesce(sum(calls), 0) AS calls FROM pg_stat_statements WHERE NOT toplevel AND query LIKE '%unnest(vi, vt, vw)%';
SELECT howdah_advisor.scan(top_n => 50, keep => NULL);
SELECT is((SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE NOT toplevel AND query LIKE '%unnest(vi, vt, vw)%'),
          (SELECT calls FROM before), 'a scan adds no calls to its own nested statements');
SELECT is(current_setting('pg_stat_statements.track'), 'all', 'and leaves track as it was');

SELECT * FROM finish();
ROLLBACK;
