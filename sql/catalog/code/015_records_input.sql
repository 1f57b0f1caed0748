-- catalog code 015: records and record ids given as JSON — keyed by attnum or name, re-keyed by
-- column name for jsonb_populate_record, checked to convert to the columns' types before
-- anything is written, and matched by primary key with each key type's own =.
--
-- Errors: 22023 bad JSON (naming the key and the table); 42703 unknown column; 55000
-- (object_not_in_prerequisite_state) the table has no primary key; 42501 a privilege the call
-- needs is missing (checked before the input is read); a value that does not convert keeps
-- PostgreSQL's SQLSTATE (22P02, 22003, 22008, 23514 ...) with the input, column and table in the
-- message.
--
-- Records and lists of ids are read by one query each, whatever their size: no loop with a
-- catalog lookup per key or per id. When one is bad, the first is handed to the function that
-- checks a single one, so the error is the one it would have raised alone.

CREATE FUNCTION howdah_internal.catalog_key_column(tab regclass, key text, what text,
                                           OUT col_num smallint, OUT col_name name, OUT col_type oid)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- A key of a record object: digits only means an attnum, anything else a column name.
RETURN howdah_internal.catalog_resolve_column(tab, CASE WHEN key ~ '^[0-9]+$' THEN to_jsonb(key::numeric) ELSE to_jsonb(key) END, what);
COMMENT ON FUNCTION howdah_internal.catalog_key_column(regclass, text, text) IS 'Resolves a JSON object key to a column: a key of digits only is an attnum, any other key a name. Errors: 42703 unknown column.';

CREATE FUNCTION howdah_internal.catalog_record_by_name(tab regclass, rec jsonb, what text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Re-keys a record object from attnums or names to column names (for jsonb_populate_record).
-- One query resolves every key (index lookups in pg_attribute); when one is unknown or names a
-- column already given, the first such key, in the object's order, is reported.
DECLARE
    bad text;
    res jsonb;
    c record;
BEGIN
    IF jsonb_typeof(rec) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must be a JSON object keyed by column attnum or name, got %s', what, coalesce(jsonb_typeof(rec), 'nothing')),
            HINT = format('table %s', tab);
    END IF;
    WITH k AS MATERIALIZED (
        SELECT e.key, e.value, e.ord, coalesce(by_num.attname, by_name.attname) AS attname
          FROM jsonb_each(rec) WITH ORDINALITY AS e(key, value, ord)
          LEFT JOIN pg_attribute by_num
                 ON by_num.attrelid = tab AND by_num.attnum > 0 AND NOT by_num.attisdropped
                AND by_num.attnum = CASE WHEN e.key ~ '^0*[0-9]{1,5}$' THEN CASE WHEN e.key::integer <= 32767 THEN e.key::smallint END END
          LEFT JOIN pg_attribute by_name
                 ON by_name.attrelid = tab AND by_name.attnum > 0 AND NOT by_name.attisdropped
                AND e.key !~ '^[0-9]+$' AND by_name.attname = e.key),
    checked AS (
        SELECT k.*, row_number() OVER (PARTITION BY k.attname ORDER BY k.ord) AS nth FROM k)
    SELECT (SELECT x.key FROM checked x WHERE x.attname IS NULL OR x.nth > 1 ORDER BY x.ord LIMIT 1),
           (SELECT coalesce(jsonb_object_agg(x.attname, x.value), '{}') FROM checked x WHERE x.attname IS NOT NULL)
      INTO bad, res;
    IF bad IS NOT NULL THEN
        -- Unknown: the single-key lookup raises 42703 (or 22023 for an attnum out of range).
        SELECT * INTO c FROM howdah_internal.catalog_key_column(tab, bad, format('%s key %s', what, quote_literal(bad)));
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: column "%s" of table %s is given twice (by attnum and by name)', what, c.col_name, tab);
    END IF;
    RETURN res;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_record_by_name(regclass, jsonb, text) IS 'Re-keys a JSON record from attnums or names to column names, in one query. Errors: 22023 not an object or a column given twice, 42703 unknown column.';

CREATE FUNCTION howdah_internal.catalog_first_bad_record(tab regclass, recs jsonb)
RETURNS integer
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- The position (from 0) of the first record (keyed by column name) of the JSON array `recs` that
-- jsonb_populate_record cannot convert to a row of `tab`, or NULL when all convert.
RETURN howdah_internal.catalog_first_failing(
    format('SELECT count(jsonb_populate_record(NULL::%s, x.r)) FROM jsonb_array_elements($1) WITH ORDINALITY AS x(r, o) '
           'WHERE x.o > $2 AND x.o <= $3', tab), recs);
COMMENT ON FUNCTION howdah_internal.catalog_first_bad_record(regclass, jsonb) IS 'The first record of a JSON array whose values do not convert to the table''s column types, or NULL. Errors: none.';

CREATE FUNCTION howdah_internal.catalog_check_record(tab regclass, rec jsonb, what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Converts every value of `rec` (keyed by column name) to its column's type, as the write will;
-- a value that does not convert is reported naming the input, column and table, before
-- anything is written. One read-only statement when all is well.
DECLARE
    a record;
BEGIN
    EXECUTE format('SELECT jsonb_populate_record(NULL::%s, $1)', tab) USING rec;
EXCEPTION WHEN OTHERS THEN
    FOR a IN SELECT y.attname, y.atttypid FROM pg_attribute y
              WHERE y.attrelid = tab AND y.attnum > 0 AND NOT y.attisdropped AND rec ? y.attname ORDER BY y.attnum LOOP
        PERFORM howdah_internal.catalog_check_value(tab, a.attname, a.atttypid, rec -> a.attname, what, false);
    END LOOP;
    RAISE;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_check_record(regclass, jsonb, text) IS 'Checks that the values of a record convert to its columns'' types. Errors: the conversion''s SQLSTATE (22P02, 22003, 22001, 23514 ...) naming the column.';

CREATE FUNCTION howdah_internal.catalog_primary_key(tab regclass)
RETURNS smallint[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The attnums of the primary key of `tab`, in key order; 55000 when it has none.
DECLARE
    pk smallint[];
BEGIN
    SELECT k.conkey INTO pk FROM pg_constraint k WHERE k.conrelid = tab AND k.contype = 'p';
    IF pk IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('table %s has no primary key, so its records cannot be addressed by id', tab),
            HINT = 'add a primary key, or use list_records with a filter';
    END IF;
    RETURN pk;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_primary_key(regclass) IS 'The primary key attnums of a table. Errors: 55000 no primary key.';

CREATE FUNCTION howdah_internal.catalog_check_privilege(tab regclass, privilege text, what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Raises 42501 naming the table and the privilege unless the current role holds `privilege`
-- (DELETE, or INSERT or UPDATE on the table or on some of its columns). The records functions
-- call it before they read their input, so a role that may not write pays nothing for a long
-- one; PostgreSQL still checks each column written when the statement runs.
DECLARE
    held boolean := CASE privilege WHEN 'DELETE' THEN has_table_privilege(tab, 'DELETE')
                                   ELSE has_any_column_privilege(tab, privilege) END;
BEGIN
    IF NOT held THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('permission denied for table %s: %s needs the %s privilege on it', tab, what, privilege),
            HINT = format('role %s has no %s privilege on the table%s', current_user, privilege,
                          CASE WHEN privilege <> 'DELETE' THEN ' or any of its columns' ELSE '' END);
    END IF;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_check_privilege(regclass, text, text) IS 'Checks that the current role holds DELETE on a table, or INSERT or UPDATE on it or some of its columns. Errors: 42501 naming the table and the privilege.';

CREATE FUNCTION howdah_internal.catalog_check_key_readable(tab regclass, pk smallint[], what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Raises 42501 unless the current role may SELECT every primary key column (`pk`) of `tab`:
-- finding a record by id compares them.
DECLARE
    col name;
BEGIN
    SELECT a.attname INTO col
      FROM unnest(pk) WITH ORDINALITY AS k(n, ord) JOIN pg_attribute a ON a.attrelid = tab AND a.attnum = k.n
     WHERE NOT has_column_privilege(tab, k.n, 'SELECT')
     ORDER BY k.ord LIMIT 1;
    IF col IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('permission denied for table %s: %s needs the SELECT privilege on its key column "%s"', tab, what, col),
            HINT = format('records are found by comparing their primary key; role %s may not read column "%s"', current_user, col);
    END IF;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_check_key_readable(regclass, smallint[], text) IS 'Checks that the current role may read every primary key column of a table. Errors: 42501 naming the table and the column.';

CREATE FUNCTION howdah_internal.catalog_id_by_name(tab regclass, pk smallint[], id jsonb, what text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- A record id as an object keyed by the primary key column names. `id` is a JSON scalar for a
-- one-column key, or an object keyed by attnum or name giving every key column.
DECLARE
    named jsonb;
    bad record;
    missing name;
BEGIN
    IF jsonb_typeof(id) IN ('string', 'number', 'boolean') AND cardinality(pk) = 1 THEN
        RETURN jsonb_build_object((SELECT a.attname FROM pg_attribute a WHERE a.attrelid = tab AND a.attnum = pk[1]), id);
    END IF;
    IF jsonb_typeof(id) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must be %s, got %s', what,
                             CASE WHEN cardinality(pk) = 1 THEN 'the key value (a JSON scalar) or an object keyed by the key column'
                                  ELSE 'a JSON object keyed by the key columns' END, coalesce(id::text, 'nothing')),
            HINT = format('the primary key of table %s is (%s)', tab,
                          (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) FROM unnest(pk) WITH ORDINALITY AS k(n, ord)
                             JOIN pg_attribute a ON a.attrelid = tab AND a.attnum = k.n));
    END IF;
    named := howdah_internal.catalog_record_by_name(tab, id, what);
    -- The first column, in the object's order, that is not a key column or is null.
    SELECT e.key, coalesce(a.attnum = ANY (pk), false) AS is_key INTO bad
      FROM jsonb_each(named) WITH ORDINALITY AS e(key, value, ord)
      LEFT JOIN pg_attribute a ON a.attrelid = tab AND a.attname = e.key
     WHERE NOT coalesce(a.attnum = ANY (pk), false) OR jsonb_typeof(e.value) = 'null'
     ORDER BY e.ord LIMIT 1;
    IF FOUND AND NOT bad.is_key THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: column "%s" of table %s is not part of its primary key', what, bad.key, tab);
    ELSIF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: the value for key column "%s" of table %s must not be null', what, bad.key, tab);
    END IF;
    SELECT a.attname INTO missing FROM unnest(pk) WITH ORDINALITY AS p(n, ord) JOIN pg_attribute a ON a.attrelid = tab AND a.attnum = p.n
     WHERE NOT named ? a.attname ORDER BY p.ord LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: key column "%s" of table %s is missing', what, missing, tab);
    END IF;
    RETURN named;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_id_by_name(regclass, smallint[], jsonb, text) IS 'Turns a record id (scalar, or object by attnum/name) into an object keyed by the key column names. Errors: 22023 wrong shape, a non-key, null or missing key column, 42703 unknown column.';

CREATE FUNCTION howdah_internal.catalog_ids_by_name(tab regclass, pk smallint[], ids jsonb, what text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- catalog_id_by_name for every element of the JSON array `ids`, in one query, returning the JSON
-- array of named ids. The key columns are looked up once; each id is matched against them
-- without touching the catalog. An element that is not plainly a good id (a scalar for a
-- one-column key, or an object giving each key column once, by attnum or name, not null) is
-- handed to catalog_id_by_name, which reports it naming `what`[i]; the first such element stops
-- the query.
DECLARE
    pk_names text[] := ARRAY(SELECT a.attname::text FROM unnest(pk) WITH ORDINALITY AS k(n, ord)
                               JOIN pg_attribute a ON a.attrelid = tab AND a.attnum = k.n ORDER BY k.ord);
    pk_nums integer[] := pk::integer[];
    result jsonb;
BEGIN
    SELECT coalesce(jsonb_agg(coalesce(x.named, howdah_internal.catalog_id_by_name(tab, pk, x.e, format('%s[%s]', what, x.o - 1)))
                              ORDER BY x.o), '[]')
      INTO result
      FROM (SELECT e.e, e.o,
                   CASE WHEN jsonb_typeof(e.e) IN ('string', 'number', 'boolean') AND cardinality(pk_names) = 1
                        THEN jsonb_build_object(pk_names[1], e.e)
                        WHEN jsonb_typeof(e.e) = 'object'
                        THEN (SELECT CASE WHEN count(*) = cardinality(pk_names) AND count(m.col) = count(*)
                                               AND count(DISTINCT m.col) = count(*) AND bool_and(jsonb_typeof(kv.value) <> 'null')
                                          THEN jsonb_object_agg(m.col, kv.value) FILTER (WHERE m.col IS NOT NULL) END
                                FROM jsonb_each(e.e) AS kv
                                CROSS JOIN LATERAL (SELECT CASE WHEN kv.key !~ '^[0-9]+$' THEN pk_names[array_position(pk_names, kv.key)]
                                                                WHEN kv.key ~ '^0*[0-9]{1,9}$'
                                                                THEN pk_names[array_position(pk_nums, kv.key::integer)] END) AS m(col))
                   END AS named
              FROM jsonb_array_elements(ids) WITH ORDINALITY AS e(e, o)) x;
    RETURN result;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_ids_by_name(regclass, smallint[], jsonb, text) IS 'catalog_id_by_name for every element of a JSON array of ids, in one query. Errors: as catalog_id_by_name, naming the first bad element.';

CREATE FUNCTION howdah_internal.catalog_id_match_sql(tab regclass, pk smallint[], alias text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- SQL matching the key columns of alias r with those of `alias`, each with its type's own =
-- (catalog_compare_sql), so a citext key matches as citext does.
DECLARE
    parts text[] := '{}'::text[];
    part text;
    a record;
BEGIN
    FOR a IN SELECT y.attname, y.atttypid FROM unnest(pk) WITH ORDINALITY AS k(n, ord)
               JOIN pg_attribute y ON y.attrelid = tab AND y.attnum = k.n ORDER BY k.ord LOOP
        part := howdah_internal.catalog_compare_sql(a.atttypid, '=', format('r.%I', a.attname), format('%I.%I', alias, a.attname));
        IF part IS NULL THEN
            -- A primary key's type has a btree operator class; never leave a key column out.
            RAISE EXCEPTION USING ERRCODE = 'undefined_function',
                MESSAGE = format('no equality operator for key column "%s" of table %s, of type %s',
                                 a.attname, tab, format_type(a.atttypid, NULL));
        END IF;
        parts := parts || part;
    END LOOP;
    RETURN array_to_string(parts, ' AND ');
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_id_match_sql(regclass, smallint[], text) IS 'SQL matching the key columns of alias r with those of `alias`, with each type''s own = operator. Errors: 42883 a key type without one (PostgreSQL does not allow such a key).';
