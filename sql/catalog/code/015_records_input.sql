-- catalog code 015: records and record ids given as JSON — keyed by attnum or name, re-keyed by
-- column name for jsonb_populate_record, checked to convert to the columns' types before
-- anything is written, and matched by primary key with each key type's own =.
--
-- Errors: 22023 bad JSON (naming the key and the table); 42703 unknown column; 55000
-- (object_not_in_prerequisite_state) the table has no primary key; a value that does not convert
-- keeps PostgreSQL's SQLSTATE (22P02, 22003, 22008, 23514 ...) with the input, column and table in
-- the message.

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
DECLARE
    res jsonb := '{}'::jsonb;
    k text;
    c record;
BEGIN
    IF jsonb_typeof(rec) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must be a JSON object keyed by column attnum or name, got %s', what, coalesce(jsonb_typeof(rec), 'nothing')),
            HINT = format('table %s', tab);
    END IF;
    FOR k IN SELECT jsonb_object_keys(rec) LOOP
        SELECT * INTO c FROM howdah_internal.catalog_key_column(tab, k, format('%s key %s', what, quote_literal(k)));
        IF res ? c.col_name THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: column "%s" of table %s is given twice (by attnum and by name)', what, c.col_name, tab);
        END IF;
        res := res || jsonb_build_object(c.col_name, rec -> k);
    END LOOP;
    RETURN res;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_record_by_name(regclass, jsonb, text) IS 'Re-keys a JSON record from attnums or names to column names. Errors: 22023 not an object or a column given twice, 42703 unknown column.';

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

CREATE FUNCTION howdah_internal.catalog_id_by_name(tab regclass, pk smallint[], id jsonb, what text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- A record id as an object keyed by the primary key column names. `id` is a JSON scalar for a
-- one-column key, or an object keyed by attnum or name giving every key column.
DECLARE
    named jsonb;
    k text;
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
    FOR k IN SELECT jsonb_object_keys(named) LOOP
        IF NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = tab AND a.attname = k AND a.attnum = ANY (pk)) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: column "%s" of table %s is not part of its primary key', what, k, tab);
        END IF;
        IF jsonb_typeof(named -> k) = 'null' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: the value for key column "%s" of table %s must not be null', what, k, tab);
        END IF;
    END LOOP;
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
