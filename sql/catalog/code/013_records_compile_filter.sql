-- catalog code 013: a JSON filter tree compiled into a SQL condition over alias r: values become
-- typed literals of the column's type, identifiers are quoted, operators are the type's own
-- (012). When a value does not convert, the error is raised again naming the input, column and
-- table, with the conversion's SQLSTATE (22P02, 22003, 22008, 23514 ...).
--
-- Errors: 22023 bad shape, key, op or value (naming the path in the input and the column), or a
-- filter over the size limits (catalog_check_filter_size); 42703 unknown column.
--
-- Lists in the input (the children of and/or, the values of op "in") are read by one query each,
-- not element by element with catalog lookups per element; when one element is bad, the first
-- is found and handed to the function that checks a single element, which reports it.

CREATE FUNCTION howdah_internal.catalog_like_pattern(value text, prefix text, suffix text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
-- `value` with LIKE's wildcards and escape character escaped, between prefix and suffix.
RETURN prefix || replace(replace(replace(value, '\', '\\'), '%', '\%'), '_', '\_') || suffix;
COMMENT ON FUNCTION howdah_internal.catalog_like_pattern(text, text, text) IS 'A LIKE pattern matching `value` literally, with prefix and suffix (''%'' or '''') around it. Errors: none.';

CREATE FUNCTION howdah_internal.catalog_text_sql(col_name name, col_type oid)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- Text-like columns are matched as they are (so their indexes can serve); others by their text form.
RETURN CASE WHEN (SELECT y.typcategory FROM pg_type y WHERE y.oid = col_type) = 'S'
            THEN format('r.%I', col_name) ELSE format('r.%I::text', col_name) END;
COMMENT ON FUNCTION howdah_internal.catalog_text_sql(name, oid) IS 'SQL for a column of alias r as text: the column itself when text-like, else its text form. Errors: none.';

CREATE FUNCTION howdah_internal.catalog_literal_sql(tab regclass, col_name name, typ text, as_json boolean, value jsonb)
RETURNS text
LANGUAGE sql STABLE
-- No SET clause: inlined into catalog_values_sql's query. SQL for a valid JSON value of column
-- `col_name` (type `typ` as format_type writes it): the JSON text cast to typ for json/jsonb
-- columns (as_json), a typed literal for a scalar, else jsonb_populate_record, evaluated once.
RETURN CASE WHEN as_json THEN pg_catalog.format('%L::%s', value::text, typ)
            WHEN pg_catalog.jsonb_typeof(value) IN ('string', 'number', 'boolean') THEN pg_catalog.format('%L::%s', value #>> '{}', typ)
            ELSE pg_catalog.format('(SELECT (jsonb_populate_record(NULL::%s, %L::jsonb)).%I)', tab,
                                   pg_catalog.jsonb_build_object(col_name, value), col_name) END;
COMMENT ON FUNCTION howdah_internal.catalog_literal_sql(regclass, name, text, boolean, jsonb) IS 'SQL for a JSON value already checked by catalog_value_sql or catalog_values_sql. Errors: none.';

CREATE FUNCTION howdah_internal.catalog_value_sql(tab regclass, col_name name, col_type oid, value jsonb, what text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- SQL for a JSON value converted to the type of column `col_name` by PostgreSQL: a typed literal
-- ('5'::integer) for a scalar, so the planner sees a constant; the JSON text for json/jsonb
-- columns; jsonb_populate_record, evaluated once, for a JSON array (array column) or object
-- (composite column). Raises 22023 for JSON null and for an array/object given to another type.
DECLARE
    base oid := howdah_internal.catalog_base_type(col_type);
    kind text := jsonb_typeof(value);
BEGIN
    IF kind IS NULL OR kind = 'null' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: a value is required for column "%s" of table %s', what, col_name, tab),
            HINT = 'compare with NULL through the ops is_null and is_not_null';
    END IF;
    IF base IN ('json'::regtype, 'jsonb'::regtype) OR kind IN ('string', 'number', 'boolean')
       OR (kind = 'array' AND EXISTS (SELECT FROM pg_type y WHERE y.oid = base AND y.typcategory = 'A'))
       OR (kind = 'object' AND EXISTS (SELECT FROM pg_type y WHERE y.oid = base AND y.typtype = 'c')) THEN
        RETURN howdah_internal.catalog_literal_sql(tab, col_name, format_type(col_type, -1),
                                                   base IN ('json'::regtype, 'jsonb'::regtype), value);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = format('%s: column "%s" of table %s has type %s; a JSON %s does not convert to it',
                         what, col_name, tab, format_type(col_type, -1), kind),
        HINT = 'give a JSON string, number or boolean';
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_value_sql(regclass, name, oid, jsonb, text) IS 'SQL for a JSON value converted to a column''s type by PostgreSQL (typed literal, or jsonb_populate_record for arrays and composites). Errors: 22023 JSON null, or an array/object for a scalar type.';

CREATE FUNCTION howdah_internal.catalog_values_sql(tab regclass, col_name name, col_type oid, vals jsonb, what text)
RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- catalog_value_sql for every element of the JSON array `vals`, in order, with the type looked
-- up once: one query over the array. The first element catalog_value_sql would refuse is handed
-- to it, so the error (naming `what`[i]) is the one a single value gets.
DECLARE
    base oid := howdah_internal.catalog_base_type(col_type);
    as_json boolean := base IN ('json'::regtype, 'jsonb'::regtype);
    arrays_ok boolean := EXISTS (SELECT FROM pg_type y WHERE y.oid = base AND y.typcategory = 'A');
    objects_ok boolean := EXISTS (SELECT FROM pg_type y WHERE y.oid = base AND y.typtype = 'c');
    typ text := format_type(col_type, -1);
    bad bigint;
BEGIN
    SELECT min(x.o) INTO bad
      FROM jsonb_array_elements(vals) WITH ORDINALITY AS x(v, o)
     WHERE jsonb_typeof(x.v) = 'null'
        OR NOT as_json AND (jsonb_typeof(x.v) = 'array' AND NOT arrays_ok OR jsonb_typeof(x.v) = 'object' AND NOT objects_ok);
    IF bad IS NOT NULL THEN
        PERFORM howdah_internal.catalog_value_sql(tab, col_name, col_type, vals -> (bad - 1)::integer, format('%s[%s]', what, bad - 1));
    END IF;
    RETURN ARRAY(SELECT howdah_internal.catalog_literal_sql(tab, col_name, typ, as_json, x.v)
                   FROM jsonb_array_elements(vals) WITH ORDINALITY AS x(v, o) ORDER BY x.o);
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_values_sql(regclass, name, oid, jsonb, text) IS 'catalog_value_sql for every element of a JSON array, in one query. Errors: 22023 as catalog_value_sql, naming the first bad element.';

CREATE FUNCTION howdah_internal.catalog_raise_for_column(tab regclass, col_name name, what text,
                                                 err_state text, err_msg text, err_detail text, err_hint text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Raises a caught error again with the input (`what`), column and table named in the message,
-- keeping its SQLSTATE, detail and hint.
DECLARE
    msg text := format('%s: column "%s" of table %s: %s', what, col_name, tab, err_msg);
BEGIN
    IF err_detail <> '' AND err_hint <> '' THEN
        RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = msg, DETAIL = err_detail, HINT = err_hint;
    ELSIF err_detail <> '' THEN
        RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = msg, DETAIL = err_detail;
    ELSIF err_hint <> '' THEN
        RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = msg, HINT = err_hint;
    ELSE
        RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = msg;
    END IF;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_raise_for_column(regclass, name, text, text, text, text, text) IS 'Re-raises a caught error naming the input, column and table. Errors: always the given SQLSTATE.';

CREATE FUNCTION howdah_internal.catalog_check_value(tab regclass, col_name name, col_type oid, value jsonb, what text, as_literal boolean)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Converts one JSON value to the type of column `col_name` of `tab` as the statements do — as a
-- typed literal of the unmodified type (filters), or through jsonb_populate_record (records,
-- ids, and array/object filter values) — and when that fails raises the error again naming the
-- input, column and table. Reads no table.
DECLARE
    err_state text;
    err_msg text;
    err_detail text;
    err_hint text;
BEGIN
    IF as_literal AND jsonb_typeof(value) IN ('string', 'number', 'boolean')
       OR howdah_internal.catalog_base_type(col_type) IN ('json'::regtype, 'jsonb'::regtype) THEN
        EXECUTE format('SELECT $1::%s', format_type(col_type, -1))
          USING CASE WHEN howdah_internal.catalog_base_type(col_type) IN ('json'::regtype, 'jsonb'::regtype) THEN value::text ELSE value #>> '{}' END;
    ELSE
        EXECUTE format('SELECT (jsonb_populate_record(NULL::%s, $1)).%I', tab, col_name) USING jsonb_build_object(col_name, value);
    END IF;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE, err_msg = MESSAGE_TEXT,
                            err_detail = PG_EXCEPTION_DETAIL, err_hint = PG_EXCEPTION_HINT;
    PERFORM howdah_internal.catalog_raise_for_column(tab, col_name, what, err_state, err_msg, err_detail, err_hint);
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_check_value(regclass, name, oid, jsonb, text, boolean) IS 'Checks that a JSON value converts to a column''s type. Errors: the conversion''s SQLSTATE (22P02, 22003, 22001, 22008, 23514 ...) with the input, column and table in the message.';

CREATE FUNCTION howdah_internal.catalog_first_failing(stmt text, items jsonb)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The position (from 0) of the first element of the JSON array `items` that `stmt` fails to
-- convert, or NULL when it converts them all. `stmt` converts the elements of $1 whose ordinality
-- is in ($2, $3]. A bisection runs it about log2(n) times, so finding the element a set-based
-- conversion stumbled on costs O(n log n), not one statement per element.
DECLARE
    lo integer := 0;                            -- elements 1..lo convert
    hi integer := jsonb_array_length(items);    -- one of lo+1..hi fails
    mid integer;
BEGIN
    -- Callers build `stmt` from a regclass and format('%I', '%L'), never from input.
    PERFORM 'PRAGMA:DISABLE:SECURITY_WARNINGS';
    BEGIN
        EXECUTE stmt USING items, lo, hi;
        RETURN NULL;
    EXCEPTION WHEN OTHERS THEN
        NULL;  -- some element fails: find the first below
    END;
    WHILE hi - lo > 1 LOOP
        mid := lo + (hi - lo) / 2;
        BEGIN
            EXECUTE stmt USING items, lo, mid;
            lo := mid;
        EXCEPTION WHEN OTHERS THEN
            hi := mid;
        END;
    END LOOP;
    RETURN hi - 1;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_first_failing(text, jsonb) IS 'The first element of a JSON array that a conversion statement fails on (by bisection), or NULL. Errors: none.';

CREATE FUNCTION howdah_internal.catalog_first_bad_value(tab regclass, col_name name, col_type oid, vals jsonb)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The position (from 0) of the first non-null element of the JSON array `vals` that does not
-- convert to the type of column `col_name` as catalog_check_value(..., as_literal => true)
-- converts it, or NULL when all do.
DECLARE
    typ text := format_type(col_type, -1);
BEGIN
    IF howdah_internal.catalog_base_type(col_type) IN ('json'::regtype, 'jsonb'::regtype) THEN
        RETURN howdah_internal.catalog_first_failing(format(
            'SELECT count((x.v::text)::%s) FROM jsonb_array_elements($1) WITH ORDINALITY AS x(v, o) '
            'WHERE x.o > $2 AND x.o <= $3 AND jsonb_typeof(x.v) <> ''null''', typ), vals);
    END IF;
    RETURN howdah_internal.catalog_first_failing(format(
        'SELECT count(CASE WHEN jsonb_typeof(x.v) IN (''string'', ''number'', ''boolean'') THEN (x.v #>> ''{}'')::%1$s END) '
        '+ count(CASE WHEN jsonb_typeof(x.v) IN (''array'', ''object'') '
                    'THEN (jsonb_populate_record(NULL::%2$s, jsonb_build_object(%3$L, x.v))).%3$I END) '
        'FROM jsonb_array_elements($1) WITH ORDINALITY AS x(v, o) WHERE x.o > $2 AND x.o <= $3', typ, tab, col_name), vals);
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_first_bad_value(regclass, name, oid, jsonb) IS 'The first value of a JSON array that does not convert to a column''s type, or NULL. Errors: none.';

CREATE FUNCTION howdah_internal.catalog_check_filter_size(filter jsonb, what text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Refuses (22023) a filter nested more than 100 levels deep or with more than 1000 nodes
-- (conditions and and/or/not nodes) before catalog_filter_sql recurses into it: the recursion,
-- and PostgreSQL parsing the SQL it makes, would otherwise hit the stack depth limit (54001).
-- A loop over the tree's levels, each read by one query: no recursion here. The levels are
-- jsonb[] (jsonb_agg would re-encode every subtree at every level). Nodes of a wrong shape count
-- as they are; catalog_filter_sql reports them.
DECLARE
    max_depth CONSTANT integer := 100;
    max_nodes CONSTANT integer := 1000;
    level jsonb[] := ARRAY[filter];   -- the nodes at this depth
    depth integer := 0;
    nodes bigint := 0;
    children bigint;
BEGIN
    WHILE cardinality(level) > 0 LOOP
        depth := depth + 1;
        nodes := nodes + cardinality(level);
        IF depth > max_depth THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s nests deeper than %s levels, the limit (each and, or and not is a level)', what, max_depth),
                HINT = 'and and or take any number of filters: flatten the nesting';
        END IF;
        -- Count the next level before building it.
        SELECT coalesce(sum(CASE WHEN jsonb_typeof(n -> 'and') = 'array' THEN jsonb_array_length(n -> 'and') ELSE 0 END
                          + CASE WHEN jsonb_typeof(n -> 'or') = 'array' THEN jsonb_array_length(n -> 'or') ELSE 0 END
                          + CASE WHEN n ? 'not' THEN 1 ELSE 0 END), 0) INTO children
          FROM unnest(level) AS n
         WHERE jsonb_typeof(n) = 'object';
        IF nodes + children > max_nodes THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s has more than %s nodes (conditions, and, or, not), the limit', what, max_nodes),
                HINT = 'compare a column with many values through op "in": its values do not count';
        END IF;
        level := ARRAY(SELECT c.f
                         FROM unnest(level) AS n
                        CROSS JOIN LATERAL (
                              SELECT x FROM jsonb_array_elements(CASE WHEN jsonb_typeof(n -> 'and') = 'array' THEN n -> 'and' ELSE '[]' END) AS x
                              UNION ALL
                              SELECT x FROM jsonb_array_elements(CASE WHEN jsonb_typeof(n -> 'or') = 'array' THEN n -> 'or' ELSE '[]' END) AS x
                              UNION ALL
                              SELECT n -> 'not' WHERE n ? 'not') AS c(f)
                        WHERE jsonb_typeof(n) = 'object');
    END LOOP;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_check_filter_size(jsonb, text) IS 'Refuses a filter nested more than 100 levels deep or with more than 1000 nodes. Errors: 22023 naming the limit.';

CREATE FUNCTION howdah_internal.catalog_filter_sql(tab regclass, filter jsonb, what text, checked boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Compiles a filter expression tree over table `tab` (alias r) into a boolean SQL expression:
--   {"and": [f, ...]}, {"or": [f, ...]}, {"not": f}, or a condition
--   {"column": attnum|name, "op": op, "value": v}.
-- `what` is the path of `filter` in the input, for messages. With `checked`, each value is also
-- converted on its own so that a failure names its column; list_records does that only after
-- its statement failed. The recursion is as deep as the filter: callers check its size first
-- (catalog_check_filter_size).
DECLARE
    node text;
    parts text[] := '{}'::text[];
    c record;
    op text;
    v jsonb;
    ref text;
    vals text[] := '{}'::text[];
    cond text;
    bad integer;
BEGIN
    PERFORM howdah_internal.catalog_check_keys(filter, ARRAY['and', 'or', 'not', 'column', 'op', 'value'], what);
    IF (filter ? 'and')::int + (filter ? 'or')::int + (filter ? 'not')::int + (filter ? 'column' OR filter ? 'op' OR filter ? 'value')::int <> 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must have exactly one of the keys "and", "or", "not", or be a condition {"column", "op", "value"}', what),
            HINT = format('table %s', tab);
    END IF;

    IF filter ? 'and' OR filter ? 'or' THEN
        node := CASE WHEN filter ? 'and' THEN 'and' ELSE 'or' END;
        IF jsonb_typeof(filter -> node) <> 'array' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s.%s must be a JSON array of filters, got %s', what, node, jsonb_typeof(filter -> node));
        END IF;
        -- One query over the children, in order, so that the first bad one is reported.
        parts := ARRAY(SELECT howdah_internal.catalog_filter_sql(tab, x.f, format('%s.%s[%s]', what, node, x.o - 1), checked)
                         FROM jsonb_array_elements(filter -> node) WITH ORDINALITY AS x(f, o) ORDER BY x.o);
        IF cardinality(parts) = 0 THEN
            RETURN CASE node WHEN 'and' THEN 'true' ELSE 'false' END;
        END IF;
        RETURN '(' || array_to_string(parts, CASE node WHEN 'and' THEN ' AND ' ELSE ' OR ' END) || ')';
    END IF;
    IF filter ? 'not' THEN
        RETURN format('(NOT %s)', howdah_internal.catalog_filter_sql(tab, filter -> 'not', what || '.not', checked));
    END IF;

    -- A condition.
    IF NOT filter ? 'column' OR NOT filter ? 'op' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: a condition needs the keys "column" and "op"', what),
            HINT = format('table %s', tab);
    END IF;
    SELECT * INTO c FROM howdah_internal.catalog_resolve_column(tab, filter -> 'column', what || '.column');
    op := howdah_internal.catalog_json_text(filter, 'op', what);
    v := filter -> 'value';
    ref := format('r.%I', c.col_name);
    IF op IS NULL OR op NOT IN ('=', '<>', '<', '>', '<=', '>=', 'is_null', 'is_not_null', 'contains', 'starts_with',
                                'icontains', 'istarts_with', 'iequal', 'in') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: unknown op %s (column "%s" of table %s)', what, coalesce(quote_literal(op), 'null'), c.col_name, tab),
            HINT = 'ops: =, <>, <, >, <=, >=, is_null, is_not_null, contains, starts_with, icontains, istarts_with, iequal, in';
    END IF;
    IF op IN ('is_null', 'is_not_null') THEN
        IF v IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: op %s takes no "value" (column "%s" of table %s)', what, op, c.col_name, tab);
        END IF;
    ELSIF v IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: op %s needs a "value" (column "%s" of table %s)', what, op, c.col_name, tab);
    END IF;

    -- The comparison ops use the column type's own operators (see catalog_compare_sql); a type without
    -- one is refused here rather than by the statement. The placeholder stands for the value.
    IF op IN ('=', '<>', '<', '>', '<=', '>=', 'in')
       AND howdah_internal.catalog_compare_sql(c.col_type, CASE op WHEN 'in' THEN '=' ELSE op END, ref, '$') IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: op %s does not apply to column "%s" of table %s, of type %s', what, op, c.col_name, tab, format_type(c.col_type, NULL)),
            HINT = 'compare its text form with contains, starts_with or iequal';
    END IF;

    CASE op
    WHEN '=', '<>', '<', '>', '<=', '>=' THEN
        IF checked THEN
            PERFORM howdah_internal.catalog_check_value(tab, c.col_name, c.col_type, v, what || '.value', true);
        END IF;
        vals := ARRAY[howdah_internal.catalog_value_sql(tab, c.col_name, c.col_type, v, what || '.value')];
        cond := howdah_internal.catalog_compare_sql(c.col_type, op, ref, vals[1]);
    WHEN 'is_null' THEN
        cond := format('%s IS NULL', ref);
    WHEN 'is_not_null' THEN
        cond := format('%s IS NOT NULL', ref);
    WHEN 'contains', 'starts_with', 'icontains', 'istarts_with', 'iequal' THEN
        IF jsonb_typeof(v) NOT IN ('string', 'number', 'boolean') THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s.value: op %s needs a JSON string, got %s (column "%s" of table %s)',
                                 what, op, jsonb_typeof(v), c.col_name, tab);
        END IF;
        cond := CASE op
            WHEN 'contains' THEN format('%s LIKE %L', howdah_internal.catalog_text_sql(c.col_name, c.col_type), howdah_internal.catalog_like_pattern(v #>> '{}', '%', '%'))
            WHEN 'icontains' THEN format('%s ILIKE %L', howdah_internal.catalog_text_sql(c.col_name, c.col_type), howdah_internal.catalog_like_pattern(v #>> '{}', '%', '%'))
            WHEN 'starts_with' THEN format('%s LIKE %L', howdah_internal.catalog_text_sql(c.col_name, c.col_type), howdah_internal.catalog_like_pattern(v #>> '{}', '', '%'))
            WHEN 'istarts_with' THEN format('%s ILIKE %L', howdah_internal.catalog_text_sql(c.col_name, c.col_type), howdah_internal.catalog_like_pattern(v #>> '{}', '', '%'))
            ELSE format('lower(%s) = lower(%L)', howdah_internal.catalog_text_sql(c.col_name, c.col_type), v #>> '{}') END;
    WHEN 'in' THEN
        IF jsonb_typeof(v) <> 'array' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s.value: op in needs a JSON array, got %s (column "%s" of table %s)', what, jsonb_typeof(v), c.col_name, tab);
        END IF;
        IF checked THEN
            bad := howdah_internal.catalog_first_bad_value(tab, c.col_name, c.col_type, v);
            IF bad IS NOT NULL THEN
                PERFORM howdah_internal.catalog_check_value(tab, c.col_name, c.col_type, v -> bad, format('%s.value[%s]', what, bad), true);
            END IF;
        END IF;
        vals := howdah_internal.catalog_values_sql(tab, c.col_name, c.col_type, v, what || '.value');
        IF cardinality(vals) = 0 THEN
            cond := 'false';
        ELSIF (SELECT y.typarray <> 0 AND y.typcategory <> 'A' FROM pg_type y WHERE y.oid = howdah_internal.catalog_base_type(c.col_type)) THEN
            -- col = ANY (ARRAY[...]), as PostgreSQL turns IN (...) into, with the type's own =.
            cond := howdah_internal.catalog_compare_sql(c.col_type, '= ANY', ref, 'ARRAY[' || array_to_string(vals, ', ') || ']');
        ELSE
            -- Values that are arrays themselves would make ARRAY[...] multi-dimensional.
            cond := '(' || array_to_string(ARRAY(SELECT howdah_internal.catalog_compare_sql(c.col_type, '=', ref, x) FROM unnest(vals) AS x), ' OR ') || ')';
        END IF;
    END CASE;
    RETURN cond;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_filter_sql(regclass, jsonb, text, boolean) IS 'Compiles a JSON filter tree into SQL over alias r (values as typed literals, identifiers quoted). Errors: 22023 bad shape, key, op or value, or an op the column type lacks (naming the path and column), 42703 unknown column; with checked, a value''s conversion error (22P02, 22003 ...) naming its column.';
