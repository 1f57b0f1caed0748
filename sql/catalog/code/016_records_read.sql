-- catalog code 016: records read — list (filter, order, grouping, paging), get by primary key,
-- and search. Each call is one function returning jsonb and running one dynamic statement over
-- the table (plus, before a lookup by id, one read-only statement that converts the id, so a bad
-- value is reported with its column).
--
-- Errors: as the compile and input files (013 to 015); 42P01 unknown table oid; 42501 no
-- readable column; P0002 (no_data_found) no record with this id; 22023 a page over the maximum
-- page size (the setting howdah.max_page_size, 10000 by default), a filter over its limits, more
-- than 100 search terms.
--
-- Results are bounded: list_records returns 100 records unless `lim` says otherwise, and no call
-- returns more than the maximum page size.
--
-- A record is a JSON object keyed by column attnum as text: {"1": 5, "2": "Ann"}. Columns the
-- caller may not SELECT are left out. Everything is SECURITY INVOKER: privileges and row-level
-- security apply as to the caller's own SQL.

CREATE FUNCTION howdah_internal.catalog_check_readable(tab regclass)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Raises 42501 unless the current role may SELECT at least one column of `tab`.
BEGIN
    IF NOT has_any_column_privilege(tab, 'SELECT') THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('permission denied for table %s', tab),
            HINT = format('role %s has SELECT on no column of this table', current_user);
    END IF;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_check_readable(regclass) IS 'Checks that the current role may read some column of a table. Errors: 42501.';

CREATE FUNCTION howdah_internal.catalog_list_records(tab oid, lim integer, off integer, order_by jsonb, filter jsonb, group_by jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The body of howdah.list_records (whose parameters "order" and "grouping" are keywords):
-- one page of the records of table `tab` that pass `filter`, in `order_by` made total by the
-- primary key, `lim` records (NULL: the maximum page size) after skipping `off`; with `count`,
-- the number of records passing the filter, and with `group_by`, the groups present in the page.
-- Privileges are checked before the filter, order and grouping are read.
-- Result: {"results": [{"<attnum>": value, ...}, ...], "count": n, "grouping": {...} | null}.
DECLARE
    rel regclass := howdah_internal.catalog_visible_table(tab);
    cond text := 'true';
    group_cols smallint[];
    stmt text;
    result jsonb;
    page_size integer := howdah_internal.catalog_page_limit(rel, lim, off);
BEGIN
    PERFORM howdah_internal.catalog_check_readable(rel);
    IF filter IS NOT NULL AND jsonb_typeof(filter) <> 'null' THEN
        PERFORM howdah_internal.catalog_check_filter_size(filter, 'filter');
        cond := howdah_internal.catalog_filter_sql(rel, filter, 'filter');
    END IF;
    group_cols := howdah_internal.catalog_grouping_columns(rel, group_by);
    stmt := howdah_internal.catalog_page_sql(rel, cond, howdah_internal.catalog_order_sql(rel, order_by, group_cols), page_size, off, group_cols);
    BEGIN
        EXECUTE stmt INTO result;
    EXCEPTION WHEN OTHERS THEN
        -- Find the value that does not convert and name its column.
        IF cond <> 'true' THEN
            PERFORM howdah_internal.catalog_filter_sql(rel, filter, 'filter', true);
        END IF;
        RAISE;
    END;
    IF cardinality(group_cols) = 0 THEN
        result := result || '{"grouping": null}'::jsonb;
    END IF;
    RETURN result;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_list_records(oid, integer, integer, jsonb, jsonb, jsonb) IS 'The body of howdah.list_records. Errors: as howdah.list_records.';

CREATE FUNCTION howdah.list_records(tab oid, lim integer DEFAULT 100, off integer DEFAULT NULL,
                                    "order" jsonb DEFAULT NULL, filter jsonb DEFAULT NULL, "grouping" jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- One page of the records of table `tab` that pass `filter`, in `order` made total by the
-- primary key, `lim` records (NULL: the maximum page size, howdah.max_page_size) after skipping
-- `off` (NULL: 0), with the count of records passing the filter and, with `grouping`, the groups
-- present in the page.
RETURN howdah_internal.catalog_list_records(tab, lim, off, "order", filter, "grouping");
COMMENT ON FUNCTION howdah.list_records(oid, integer, integer, jsonb, jsonb, jsonb) IS 'A page of records of a table: {"results": [{"<attnum>": value}], "count": rows passing the filter, "grouping": {"columns", "groups": [{"id", "count", "values", "result_indices"}]} or null}. filter: {"and"|"or": [...]}, {"not": f}, {"column": attnum|name, "op": =|<>|<|>|<=|>=|is_null|is_not_null|contains|starts_with|icontains|istarts_with|iequal|in, "value": v}; order: [{"column", "direction": asc|desc, "nulls": first|last}], made total by the primary key; grouping: {"columns": [...]}. lim: 100 by default, at most the setting howdah.max_page_size (default 10000; NULL asks for that many). Filters nest at most 100 levels deep with at most 1000 nodes. Errors: 42P01 unknown table, 42501 no readable column, 42703 unknown column, 22023 bad lim/off/filter/order/grouping (naming the key), lim over howdah.max_page_size, a filter over its limits, an unknown op or one the column type lacks, a value that does not convert keeps its SQLSTATE (22P02, 22003, 22008 ...) and names the column.';

CREATE FUNCTION howdah.get_record(tab oid, id jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The record of table `tab` whose primary key is `id` (a JSON scalar for a one-column key, an
-- object keyed by attnum or name otherwise), as list_records shows records.
DECLARE
    rel regclass := howdah_internal.catalog_visible_table(tab);
    pk smallint[] := howdah_internal.catalog_primary_key(rel);
    idn jsonb;
    result jsonb;
BEGIN
    PERFORM howdah_internal.catalog_check_readable(rel);
    PERFORM howdah_internal.catalog_check_key_readable(rel, pk, 'get_record');
    idn := howdah_internal.catalog_id_by_name(rel, pk, id, 'id');
    PERFORM howdah_internal.catalog_check_record(rel, idn, 'id');
    EXECUTE format('SELECT %s FROM %s AS r, jsonb_populate_record(NULL::%s, $1) AS i WHERE %s',
                   howdah_internal.catalog_record_json_sql(rel, 'r'), rel, rel, howdah_internal.catalog_id_match_sql(rel, pk, 'i'))
       INTO result USING idn;
    IF result IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found',
            MESSAGE = format('record %s not found in table %s', id, rel),
            HINT = 'the record does not exist, or row-level security hides it';
    END IF;
    RETURN result;
END;
$$;
COMMENT ON FUNCTION howdah.get_record(oid, jsonb) IS 'One record by primary key ({"<attnum>": value}). id: a JSON scalar for a one-column key, else an object keyed by attnum or name. Errors: 42P01 unknown table, 55000 no primary key, 22023 bad id, 42703 unknown column, 42501 no privilege (no readable column, or a key column not readable), 22P02 etc. id value does not convert (naming the column), P0002 no such record.';

CREATE FUNCTION howdah.search_records(tab oid, search jsonb, lim integer DEFAULT 10, off integer DEFAULT 0)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Records of table `tab` matching any of [{"column": attnum|name, "value": "text"}, ...] (at most
-- 100 terms) by case-insensitive substring, best first: per given column an exact match scores
-- 3, a prefix 2, a substring 1; scores add up; ties go by primary key. `lim` NULL: the maximum
-- page size. Result: {"results": [...], "count": n}.
DECLARE
    max_terms CONSTANT integer := 100;   -- the score is a sum as deep as the terms are many
    rel regclass := howdah_internal.catalog_visible_table(tab);
    page_size integer;
    conds text[] := '{}'::text[];
    scores text[] := '{}'::text[];
    e jsonb;
    c record;
    val text;
    ref text;
    ord text;
    result jsonb;
BEGIN
    page_size := howdah_internal.catalog_page_limit(rel, lim, off);
    PERFORM howdah_internal.catalog_check_readable(rel);
    IF jsonb_typeof(search) IS DISTINCT FROM 'array' OR jsonb_array_length(search) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('search must be a non-empty JSON array of {"column", "value"}, got %s', coalesce(search::text, 'nothing')),
            HINT = format('table %s', rel);
    END IF;
    IF jsonb_array_length(search) > max_terms THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('search has %s terms; at most %s are allowed', jsonb_array_length(search), max_terms),
            HINT = 'give each column once, with the value to look for';
    END IF;
    FOR i IN 0 .. jsonb_array_length(search) - 1 LOOP
        e := search -> i;
        PERFORM howdah_internal.catalog_check_keys(e, ARRAY['column', 'value'], format('search[%s]', i));
        SELECT * INTO c FROM howdah_internal.catalog_resolve_column(rel, e -> 'column', format('search[%s].column', i));
        val := howdah_internal.catalog_json_text(e, 'value', format('search[%s]', i));
        IF val IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('search[%s]: a "value" string is required (column "%s" of table %s)', i, c.col_name, rel);
        END IF;
        ref := howdah_internal.catalog_text_sql(c.col_name, c.col_type);
        conds := conds || format('%s ILIKE %L', ref, howdah_internal.catalog_like_pattern(val, '%', '%'));
        scores := scores || format('CASE WHEN %1$s ILIKE %2$L THEN 3 WHEN %1$s ILIKE %3$L THEN 2 WHEN %1$s ILIKE %4$L THEN 1 ELSE 0 END',
                                   ref, howdah_internal.catalog_like_pattern(val, '', ''), howdah_internal.catalog_like_pattern(val, '', '%'),
                                   howdah_internal.catalog_like_pattern(val, '%', '%'));
    END LOOP;
    ord := howdah_internal.catalog_order_sql(rel, NULL, '{}');
    EXECUTE howdah_internal.catalog_page_sql(rel, '(' || array_to_string(conds, ' OR ') || ')',
                                     '(' || array_to_string(scores, ' + ') || ') DESC' || CASE WHEN ord <> '' THEN ', ' || ord ELSE '' END,
                                     page_size, off, '{}')
       INTO result;
    RETURN result;
END;
$$;
COMMENT ON FUNCTION howdah.search_records(oid, jsonb, integer, integer) IS 'Records matching any [{"column": attnum|name, "value": text}] by case-insensitive substring, ranked: exact 3, prefix 2, substring 1 per column, summed; ties by primary key: {"results": [{"<attnum>": value}], "count": n}. At most 100 terms; lim (default 10) at most the setting howdah.max_page_size (default 10000; NULL asks for that many). Errors: 42P01 unknown table, 42501 no readable column, 42703 unknown column, 22023 bad search (more than 100 terms), lim or off (lim over howdah.max_page_size).';
