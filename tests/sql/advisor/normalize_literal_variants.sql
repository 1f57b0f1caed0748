-- normalize() and fingerprint(): the same logical query with other literals, parameters,
-- comments, whitespace or case gets one fingerprint; quoted identifiers keep their case; other
-- queries get other fingerprints; unterminated quotes and comments are 42601.
BEGIN;
SELECT plan(22);

CREATE TEMP TABLE variants (grp text, sql text);
INSERT INTO variants VALUES
    ('numbers', 'SELECT * FROM orders WHERE id = 1'),
    ('numbers', E'select *  from ORDERS\n\twhere ID=-42'),
    ('numbers', 'SELECT * FROM orders WHERE id = $1'),
    ('numbers', E'/* leading */ SELECT * FROM orders -- tail\n WHERE id = - 7.5e3;'),
    ('numbers', 'SELECT * FROM orders /* a /* nested */ comment */ WHERE id = .5'),
    ('numbers', 'SELECT * FROM "orders" WHERE "id" = 1e-3'),
    ('strings', $s$SELECT id FROM users WHERE email = 'a@b.c' AND name = 'O''Brien'$s$),
    ('strings', $s$SELECT id FROM users WHERE email = E'x\'y\\' AND name = $$it's -- not a comment$$$s$),
    ('strings', 'SELECT id FROM users WHERE email = $1 AND name = $2'),
    ('strings', $s$SELECT id FROM users WHERE email = U&'d\0061t' AND name = $tag$a $$ b /* c$tag$$s$),
    ('strings', E'select id from users where email = \'multi\'\n  \'line\' and name = N\'x\''),
    ('strings', $s$SELECT id FROM users WHERE email = '/* no comment */' AND name = '"not an identifier"'$s$),
    ('in_lists', 'SELECT * FROM t WHERE a IN (1, 2, 3)'),
    ('in_lists', 'SELECT * FROM t WHERE a IN (7)'),
    ('in_lists', 'SELECT * FROM t WHERE a IN ($1, $2, $3, $4)'),
    ('in_lists', $s$SELECT * FROM t WHERE a IN ('x', 'y', -1)$s$),
    ('booleans_nulls', 'UPDATE t SET flag = true, note = NULL WHERE id = 3 AND deleted IS NULL AND ok IS NOT TRUE'),
    ('booleans_nulls', 'UPDATE t SET flag = $1, note = $2 WHERE id = $3 AND deleted IS NULL AND ok IS NOT TRUE'),
    ('booleans_nulls', $s$update t set flag = FALSE, note = 'x' where id = 9 and deleted is null and ok is not true$s$),
    ('values_rows', $s$INSERT INTO t (a, b) VALUES (1, 'x')$s$),
    ('values_rows', $s$INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, NULL)$s$),
    ('values_rows', 'INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)'),
    ('arrays', 'SELECT * FROM t WHERE a = ANY (ARRAY[1, 2, 3]) AND b @> ARRAY[$1::int, $2::int]'),
    ('arrays', 'SELECT * FROM t WHERE a = any(array[$1]) AND b @> array[4::int]'),
    ('quoted', 'SELECT "Name" FROM "Users" WHERE "id" = 1'),
    ('quoted', 'select "Name" from "Users" where id = 2');

SELECT is(ARRAY(SELECT grp FROM variants v GROUP BY grp HAVING count(DISTINCT howdah_advisor.fingerprint(v.sql)) > 1 ORDER BY 1),
          '{}'::text[], 'every group of variants shares one fingerprint');
SELECT is((SELECT count(DISTINCT howdah_advisor.fingerprint(sql))::int FROM variants), 7, 'the seven groups have seven fingerprints');

SELECT is(howdah_advisor.normalize('SELECT * FROM orders WHERE id = 1'), 'select * from orders where id = ?', 'literals become ?');
SELECT is(howdah_advisor.normalize('SELECT * FROM t WHERE a IN ($1, $2, $3)'), 'select * from t where a in (?)', 'an IN list collapses');
SELECT is(howdah_advisor.normalize($s$INSERT INTO t VALUES (1, 'a'), (2, 'b')$s$), 'insert into t values (?, ?)', 'VALUES rows collapse');
SELECT is(howdah_advisor.normalize('SELECT "MixedCase", "lower", "select" FROM "Tab" t'), 'select "MixedCase", lower, "select" from "Tab" t',
          'quoted identifiers keep their case; quotes that change nothing go');
SELECT is(howdah_advisor.normalize('SELECT a - 5, -5, b*-2 FROM t WHERE c BETWEEN -1 AND +2'), 'select a - ?, ?, b * ? from t where c between ? and + ?',
          'a minus folds into the number it negates, not into a subtraction');
SELECT is(howdah_advisor.normalize('SELECT a FROM t WHERE x IS NULL AND y IS NOT NULL AND z IS DISTINCT FROM NULL AND w = NULL'),
          'select a from t where x is null and y is not null and z is distinct from null and w = ?', 'NULL stays after IS, becomes ? elsewhere');
SELECT is(howdah_advisor.normalize('SELECT a FROM t WHERE a IN (b, c) AND d IN (SELECT 1)'), 'select a from t where a in (b, c) and d in (select ?)',
          'IN lists of columns and subqueries are kept');
SELECT is(howdah_advisor.normalize(E'SELECT x->>\'k\', x #>> \'{a}\', y::numeric(10,2) FROM t;;'), 'select x ->> ?, x #>> ?, y::numeric(?, ?) from t',
          'operators, casts and trailing semicolons');
SELECT is(howdah_advisor.normalize('SELECT 1 WHERE a=-1 AND b<>-2 AND c<=-3'), 'select ? where a = ? and b <> ? and c <= ?',
          'operators glued to a negative number split as the server does');
SELECT is(howdah_advisor.normalize('SELECT ÉTÉ FROM "Été"'), 'select ÉtÉ from "Été"', 'only ASCII letters fold, as the server does');
SELECT isnt(howdah_advisor.fingerprint('SELECT * FROM orders WHERE id = 1'), howdah_advisor.fingerprint('SELECT * FROM orders WHERE id > 1'),
            'another operator is another query');
SELECT isnt(howdah_advisor.fingerprint('SELECT * FROM orders'), howdah_advisor.fingerprint('SELECT * FROM "Orders"'),
            'a quoted identifier with capitals is another table');
SELECT is(howdah_advisor.fingerprint('SELECT 1'), md5('select ?'), 'the fingerprint is the md5 of the normalized text');
SELECT is(howdah_advisor.normalize(NULL), NULL, 'NULL in, NULL out');

SELECT throws_ok($$SELECT howdah_advisor.normalize('SELECT ''open')$$, '42601', NULL, 'an unterminated string is 42601');
SELECT throws_ok($$SELECT howdah_advisor.normalize('SELECT 1 /* open /* nested */')$$, '42601', NULL, 'an unterminated comment is 42601');
SELECT throws_ok($$SELECT howdah_advisor.normalize('SELECT $x$ open')$$, '42601', NULL, 'an unterminated dollar quote is 42601');
SELECT throws_ok($$SELECT howdah_advisor.fingerprint('SELECT "open')$$, '42601', NULL, 'an unterminated quoted identifier is 42601');

-- pg_stat_statements' own texts ($n placeholders) of the statements below fingerprint like the
-- statements as written.
CREATE SCHEMA adv_fp;
CREATE TABLE adv_fp.t (a int, b text, flag boolean, note text);
CREATE TEMP TABLE written (sql text);
INSERT INTO written VALUES
    ($s$SELECT count(*) FROM adv_fp.t WHERE a = -5 AND b = 'it''s' AND flag = true$s$),
    ('SELECT count(*) FROM adv_fp.t WHERE a IN (1, 2, 3) AND note IS NULL'),
    ($s$INSERT INTO adv_fp.t VALUES (1, 'x', false, NULL), (2, 'y', true, 'z')$s$),
    ($s$UPDATE adv_fp.t SET note = 'n', flag = NULL WHERE b LIKE 'x%' AND a BETWEEN -1 AND 2.5$s$);
SELECT count(*) FROM adv_fp.t WHERE a = -5 AND b = 'it''s' AND flag = true;
SELECT count(*) FROM adv_fp.t WHERE a IN (1, 2, 3) AND note IS NULL;
INSERT INTO adv_fp.t VALUES (1, 'x', false, NULL), (2, 'y', true, 'z');
UPDATE adv_fp.t SET note = 'n', flag = NULL WHERE b LIKE 'x%' AND a BETWEEN -1 AND 2.5;
CREATE TEMP TABLE captured AS
SELECT DISTINCT s.query FROM howdah_internal.advisor_pgss_rows(howdah_internal.advisor_require_pgss(), 100000) s
 WHERE s.query LIKE '%adv_fp.t%' AND s.query NOT LIKE '%written%' AND s.query NOT LIKE 'CREATE%';
SELECT cmp_ok((SELECT count(*)::int FROM captured WHERE query LIKE '%$1%'), '>=', 4, 'pg_stat_statements holds the statements with $n placeholders');
SELECT is(ARRAY(SELECT howdah_advisor.fingerprint(sql) FROM written EXCEPT SELECT howdah_advisor.fingerprint(query) FROM captured),
          '{}'::text[], 'each statement as written fingerprints like pg_stat_statements'' text of it');

SELECT * FROM finish();
ROLLBACK;
