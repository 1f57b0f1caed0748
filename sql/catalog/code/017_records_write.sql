-- catalog code 017: records written — add, patch by primary key, delete by primary keys. Each call
-- runs one read-only statement that converts the input values (a bad value is reported with its
-- column and nothing is written), then one dynamic statement over the table.
--
-- Errors: as 015; 42P01 unknown table oid; 42501 no privilege (the privilege the call needs on
-- the table is checked before its input is read); P0002 no record with this id; constraint
-- violations (23xxx) as PostgreSQL raises them.
--
-- A record is a JSON object keyed by column attnum as text: {"1": 5, "2": "Ann"}. Columns the
-- caller may not SELECT are left out. Everything is SECURITY INVOKER: privileges and row-level
-- security apply as to the caller's own SQL.

CREATE FUNCTION howdah_internal.catalog_names_sql(rec jsonb, alias text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT string_agg(CASE WHEN alias = '' THEN format('%I', k) ELSE format('%I.%I', alias, k) END, ', ' ORDER BY k)
      FROM jsonb_object_keys(rec) AS k;
END;
COMMENT ON FUNCTION howdah_internal.catalog_names_sql(jsonb, text) IS 'SQL list of the keys of `rec` (column names) as identifiers, qualified by `alias` unless it is empty; NULL for no keys. Errors: none.';

CREATE FUNCTION howdah_internal.catalog_set_sql(rec jsonb, alias text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT string_agg(format('%I = %I.%I', k, alias, k), ', ' ORDER BY k) FROM jsonb_object_keys(rec) AS k;
END;
COMMENT ON FUNCTION howdah_internal.catalog_set_sql(jsonb, text) IS 'SQL SET list assigning each key of `rec` (column names) from `alias`; NULL for no keys. Errors: none.';

CREATE FUNCTION howdah.add_record(tab oid, rec jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Inserts `rec` ({"<attnum or name>": value}; columns left out get their defaults) into table
-- `tab` and returns the inserted record as list_records shows records. INSERT on the table or
-- some column is checked first; PostgreSQL checks each column written.
DECLARE
    rel regclass := howdah_internal.catalog_visible_table(tab);
    named jsonb;
    result jsonb;
BEGIN
    PERFORM howdah_internal.catalog_check_privilege(rel, 'INSERT', 'add_record');
    named := howdah_internal.catalog_record_by_name(rel, rec, 'rec');
    PERFORM howdah_internal.catalog_check_record(rel, named, 'rec');
    IF named = '{}'::jsonb THEN
        EXECUTE format('INSERT INTO %s AS r DEFAULT VALUES RETURNING %s', rel, howdah_internal.catalog_record_json_sql(rel, 'r'))
           INTO result;
    ELSE
        EXECUTE format('INSERT INTO %s AS r (%s) SELECT %s FROM jsonb_populate_record(NULL::%s, $1) AS p RETURNING %s',
                       rel, howdah_internal.catalog_names_sql(named, ''), howdah_internal.catalog_names_sql(named, 'p'),
                       rel, howdah_internal.catalog_record_json_sql(rel, 'r'))
           INTO result USING named;
    END IF;
    RETURN result;
END;
$$;
COMMENT ON FUNCTION howdah.add_record(oid, jsonb) IS 'Inserts a record ({"<attnum or name>": value}; omitted columns get defaults) and returns it as {"<attnum>": value} (readable columns only). Errors: 42P01 unknown table, 42501 no INSERT on the table or any column (before rec is read) or on a column given, 22023 not an object or a column given twice, 42703 unknown column, 22P02/22003/22001/23514 ... a value that does not convert (naming the column), 23xxx constraint violations.';

CREATE FUNCTION howdah.patch_record(tab oid, id jsonb, rec jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Sets the columns given in `rec` ({"<attnum or name>": value}) on the record of table `tab`
-- whose primary key is `id`, and returns the updated record. An empty `rec` changes nothing.
-- UPDATE on the table or some column, and SELECT on the key columns, are checked first.
DECLARE
    rel regclass := howdah_internal.catalog_visible_table(tab);
    pk smallint[];
    idn jsonb;
    named jsonb;
    result jsonb;
BEGIN
    PERFORM howdah_internal.catalog_check_privilege(rel, 'UPDATE', 'patch_record');
    pk := howdah_internal.catalog_primary_key(rel);
    PERFORM howdah_internal.catalog_check_key_readable(rel, pk, 'patch_record');
    idn := howdah_internal.catalog_id_by_name(rel, pk, id, 'id');
    named := howdah_internal.catalog_record_by_name(rel, rec, 'rec');
    PERFORM howdah_internal.catalog_check_record(rel, idn, 'id');
    PERFORM howdah_internal.catalog_check_record(rel, named, 'rec');
    IF named = '{}'::jsonb THEN
        EXECUTE format('SELECT %s FROM %s AS r, jsonb_populate_record(NULL::%s, $1) AS i WHERE %s',
                       howdah_internal.catalog_record_json_sql(rel, 'r'), rel, rel, howdah_internal.catalog_id_match_sql(rel, pk, 'i'))
           INTO result USING idn;
    ELSE
        EXECUTE format('UPDATE %s AS r SET %s FROM jsonb_populate_record(NULL::%s, $1) AS i, jsonb_populate_record(NULL::%s, $2) AS p '
                       'WHERE %s RETURNING %s',
                       rel, howdah_internal.catalog_set_sql(named, 'p'), rel, rel, howdah_internal.catalog_id_match_sql(rel, pk, 'i'),
                       howdah_internal.catalog_record_json_sql(rel, 'r'))
           INTO result USING idn, named;
    END IF;
    IF result IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found',
            MESSAGE = format('record %s not found in table %s', id, rel),
            HINT = 'the record does not exist, or row-level security hides it';
    END IF;
    RETURN result;
END;
$$;
COMMENT ON FUNCTION howdah.patch_record(oid, jsonb, jsonb) IS 'Updates the given columns of one record by primary key and returns it as {"<attnum>": value}. Errors: 42P01 unknown table, 42501 no UPDATE on the table or any column, or no SELECT on a key column (before id and rec are read), or no UPDATE on a column given, 55000 no primary key, 22023 bad id or rec, 42703 unknown column, 22P02 etc. a value that does not convert (naming the column), P0002 no such record, 23xxx constraint violations.';

CREATE FUNCTION howdah.delete_records(tab oid, ids jsonb)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Deletes the records of table `tab` whose primary keys are in `ids` (a JSON array of ids, each
-- as get_record takes it) and returns how many were deleted; unknown ids are skipped.
-- Privileges come first (DELETE, and SELECT on the key columns, which the statement compares),
-- so a role that may not delete pays nothing for a long list. The list is then read by one query
-- (catalog_ids_by_name) and converted by one statement; only when that fails is the first id
-- that does not convert looked for, by bisection, and reported with its column.
DECLARE
    rel regclass := howdah_internal.catalog_visible_table(tab);
    pk smallint[];
    named jsonb;
    bad integer;
    n bigint;
BEGIN
    PERFORM howdah_internal.catalog_check_privilege(rel, 'DELETE', 'delete_records');
    pk := howdah_internal.catalog_primary_key(rel);
    PERFORM howdah_internal.catalog_check_key_readable(rel, pk, 'delete_records');
    IF jsonb_typeof(ids) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('ids must be a JSON array of record ids, got %s', coalesce(jsonb_typeof(ids), 'nothing')),
            HINT = format('table %s', rel);
    END IF;
    IF jsonb_array_length(ids) = 0 THEN
        RETURN 0;
    END IF;
    named := howdah_internal.catalog_ids_by_name(rel, pk, ids, 'ids');
    BEGIN
        EXECUTE format('SELECT count(*) FROM jsonb_populate_recordset(NULL::%s, $1)', rel) USING named;
    EXCEPTION WHEN OTHERS THEN
        bad := howdah_internal.catalog_first_bad_record(rel, named);
        IF bad IS NOT NULL THEN
            PERFORM howdah_internal.catalog_check_record(rel, named -> bad, format('ids[%s]', bad));
        END IF;
        RAISE;
    END;
    EXECUTE format('DELETE FROM %s AS r USING jsonb_populate_recordset(NULL::%s, $1) AS i WHERE %s',
                   rel, rel, howdah_internal.catalog_id_match_sql(rel, pk, 'i'))
       USING named;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION howdah.delete_records(oid, jsonb) IS 'Deletes records by primary key (ids: a JSON array of ids as get_record takes them), all in one statement; returns the number deleted (unknown ids count nothing). Privileges are checked before ids is read. Errors: 42P01 unknown table, 42501 no DELETE on the table or no SELECT on a key column (before ids is read), 55000 no primary key, 22023 bad ids, 42703 unknown column, 22P02 etc. an id value that does not convert (naming the column), 23503 still referenced.';
