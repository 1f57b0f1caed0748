-- JSON column definitions are validated into howdah.col_def before any DDL: every mistake gets
-- 22023 (42704 for an unknown type, 42622 for a long name) naming the key and the column, and
-- the table is left as it was.
BEGIN;
SELECT plan(16);

CREATE TABLE public."val; t" (id int);
CREATE TEMP TABLE rel AS SELECT 'public."val; t"'::regclass::oid AS tab;
CREATE FUNCTION pg_temp.add(cols text) RETURNS text LANGUAGE sql
    RETURN format('SELECT howdah.add_columns(%s, %L)', (SELECT tab FROM rel), cols);

SELECT throws_ok(pg_temp.add('{"name": "a"}'), '22023', 'add_columns columns must be a non-empty JSON array of column definitions', 'not an array');
SELECT throws_ok(pg_temp.add('[{"name": "a", "type": "text", "size": 3}]'), '22023', 'add_columns columns[0]: unknown key ''size''', 'unknown key');
SELECT throws_ok(pg_temp.add('[{"type": "text"}]'), '22023', 'add_columns columns[0]: a name is required', 'missing name');
SELECT throws_ok(pg_temp.add('[{"name": "a"}]'), '22023', 'add_columns columns[0] (column a): key ''type'' is required', 'missing type');
SELECT throws_ok(pg_temp.add('[{"name": 5, "type": "text"}]'), '22023', 'add_columns columns[0]: key ''name'' must be a string, got number', 'wrong JSON type');
SELECT throws_ok(pg_temp.add('[{"name": "a", "type": "text", "not_null": "yes"}]'), '22023',
                 'add_columns columns[0] (column a): key ''not_null'' must be a boolean, got string', 'wrong JSON type for a flag');
SELECT throws_ok(pg_temp.add('[{"name": "a", "type": "no_such_type"}]'), '42704',
                 'add_columns columns[0] (column a): type ''no_such_type'' does not exist', 'unknown type');
SELECT throws_ok(pg_temp.add('[{"name": "a", "type": "text); DROP TABLE x; --"}]'), '22023',
                 'add_columns columns[0] (column a): type ''text); DROP TABLE x; --'' has modifiers in its name', 'type text with SQL in it');
SELECT throws_ok(pg_temp.add('[{"name": "a", "type": "anyelement"}]'), '22023',
                 'add_columns columns[0] (column a): anyelement is a pseudo-type and cannot be a column type', 'pseudo-type');
SELECT throws_ok(pg_temp.add('[{"name": "a", "type": "text", "type_options": {"length": 3}}]'), '22023',
                 'add_columns columns[0] (column a): type text takes no type_options', 'options on a type without any');
SELECT throws_ok(pg_temp.add('[{"name": "a", "type": "numeric", "type_options": {"precision": 2, "scale": 5}}]'), '22023',
                 'add_columns columns[0] (column a): numeric needs a precision, and a scale no larger than it', 'scale above precision');
SELECT throws_ok(pg_temp.add('[{"name": "a", "type": "interval", "type_options": {"fields": "week"}}]'), '22023',
                 'add_columns columns[0] (column a): ''week'' is not an interval fields phrase', 'interval fields');
SELECT throws_ok(pg_temp.add('[{"name": "a", "type": "text", "identity": true}]'), '22023',
                 'add_columns columns[0] (column a): identity needs smallint, integer or bigint, not text', 'identity on text');
SELECT throws_ok(pg_temp.add('[{"name": "a", "type": "integer", "identity": true, "default": 1}]'), '22023',
                 'add_columns columns[0] (column a): give at most one of default, default_expr and identity', 'identity and default');
SELECT throws_ok(pg_temp.add('[{"name": "ok", "type": "text"}, {"name": "' || repeat('é', 32) || '", "type": "text"}]'), '42622',
                 'add_columns columns[1]: name ''' || repeat('é', 32) || ''' is longer than 63 bytes', '64 bytes of unicode is too long');
SELECT is((SELECT count(*)::int FROM pg_attribute WHERE attrelid = (SELECT tab FROM rel) AND attnum > 0), 1, 'the table still has one column');

SELECT * FROM finish();
ROLLBACK;
