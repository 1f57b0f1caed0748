-- catalog 006: records — list (filter, order, grouping, paging), get, add, patch, delete and
-- search the rows of a table. Each call is one function returning jsonb and running one dynamic
-- statement over the table (plus, before a write or a lookup by id, one read-only statement that
-- converts the input values, so a bad value is reported with its column and nothing is written).
-- Everything is SECURITY INVOKER: privileges and row-level security apply as to the caller's
-- own SQL.
--
-- A record is a JSON object keyed by column attnum as text: {"1": 5, "2": "Ann"}. Columns the
-- caller may not SELECT are left out.
--
-- Errors: 22023 bad JSON input (naming the key and the table/column); 42703 unknown column;
-- 42P01 unknown table oid; 42501 no privilege; 55000 the table has no primary key (get, patch,
-- delete); P0002 no record with this id; a value that does not convert keeps PostgreSQL's
-- SQLSTATE (22P02, 22003, 22008, 23514 ...) with the input, column and table in the message.

CREATE FUNCTION howdah_internal.base_type(typ oid)
RETURNS oid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The type under any domains over `typ` (typ itself when it is no domain). PL/pgSQL rather than
-- a recursive query: it runs for every filter value, and PL/pgSQL keeps its plan.
DECLARE
    t oid := typ;
    under oid;
BEGIN
    LOOP
        SELECT y.typbasetype INTO under FROM pg_type y WHERE y.oid = t AND y.typtype = 'd';
        EXIT WHEN under IS NULL;
        t := under;
    END LOOP;
    RETURN t;
END;
$$;
COMMENT ON FUNCTION howdah_internal.base_type(oid) IS 'The type under any domains over `typ` (typ itself when it is no domain). Errors: none.';

CREATE FUNCTION howdah_internal.default_opclass(typ oid, am name)
RETURNS oid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The default operator class of index method `am` ('btree': values sort and compare; 'hash':
-- values compare for equality) that serves type `typ` (or the type under its domains), as
-- PostgreSQL picks it for ORDER BY, GROUP BY and an index: declared on the type itself, on
-- its polymorphic family (enum, range, multirange, composite), on a type it converts to
-- without a function (varchar -> text), or anyarray's for an array whose elements have one.
-- NULL when there is none.
DECLARE
    base oid := howdah_internal.base_type(typ);
    kind "char";
    elem oid;
    category "char";
    opc oid;
BEGIN
    SELECT y.typtype, y.typelem, y.typcategory INTO kind, elem, category FROM pg_type y WHERE y.oid = base;
    SELECT o.oid INTO opc
      FROM pg_opclass o JOIN pg_am m ON m.oid = o.opcmethod
     WHERE m.amname = am AND o.opcdefault
       AND o.opcintype IN (base, CASE kind WHEN 'e' THEN 'anyenum'::regtype WHEN 'r' THEN 'anyrange'::regtype
                                           WHEN 'm' THEN 'anymultirange'::regtype WHEN 'c' THEN 'record'::regtype END)
     ORDER BY o.opcintype <> base
     LIMIT 1;
    IF opc IS NOT NULL THEN
        RETURN opc;
    END IF;
    -- A type it converts to implicitly without a function, as PostgreSQL's own lookup allows.
    SELECT o.oid INTO opc
      FROM pg_cast k
      JOIN pg_opclass o ON o.opcintype = k.casttarget
      JOIN pg_am m ON m.oid = o.opcmethod
      JOIN pg_type y ON y.oid = k.casttarget
     WHERE k.castsource = base AND k.castmethod = 'b' AND k.castcontext = 'i' AND m.amname = am AND o.opcdefault
     ORDER BY y.typispreferred DESC, o.oid
     LIMIT 1;
    IF opc IS NOT NULL THEN
        RETURN opc;
    END IF;
    -- An array compares when its elements do (anyarray's operator classes).
    IF category = 'A' AND elem <> 0
       AND EXISTS (SELECT FROM pg_type y WHERE y.oid = base AND y.typsubscript = 'array_subscript_handler'::regproc)
       AND howdah_internal.default_opclass(elem, am) IS NOT NULL THEN
        SELECT o.oid INTO opc
          FROM pg_opclass o JOIN pg_am m ON m.oid = o.opcmethod
         WHERE m.amname = am AND o.opcdefault AND o.opcintype = 'anyarray'::regtype;
    END IF;
    RETURN opc;
END;
$$;
COMMENT ON FUNCTION howdah_internal.default_opclass(oid, name) IS 'The default operator class of an index method (btree, hash) that serves a type, or NULL. Errors: none.';

CREATE FUNCTION howdah_internal.has_opclass(typ oid, am name)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN howdah_internal.default_opclass(typ, am) IS NOT NULL;
COMMENT ON FUNCTION howdah_internal.has_opclass(oid, name) IS 'Whether a type has a default operator class of an index method (btree: ORDER BY, GROUP BY and < work; hash: = works). Errors: none.';

CREATE FUNCTION howdah_internal.compare_sql(typ oid, op text, lhs text, rhs text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- SQL comparing the expressions `lhs` and `rhs` (both of type `typ`) with the type's own
-- operator for `op` (=, <>, <, <=, >=, >; '= ANY' with an array expression as `rhs`), or NULL
-- when the type has none. The operator is the one its default btree operator class gives the
-- strategy (1 <, 2 <=, 3 =, 4 >=, 5 >), else for = its default hash class's; <> is the
-- negator of =, else NOT (=). It is written schema-qualified, OPERATOR(schema.op), because the
-- functions run with search_path pinned to pg_catalog: an unqualified = on citext would
-- compare as text, one on hstore would not be found. Its name must be `op` itself (hstore
-- orders with #<#, so < does not apply to it), so only these fixed names reach the SQL.
DECLARE
    want text := CASE op WHEN '<>' THEN '=' WHEN '= ANY' THEN '=' ELSE op END;
    strategy int2 := CASE want WHEN '<' THEN 1 WHEN '<=' THEN 2 WHEN '=' THEN 3 WHEN '>=' THEN 4 WHEN '>' THEN 5 END;
    opr oid;
    neg oid;
    qualified text;
BEGIN
    IF strategy IS NULL OR op NOT IN ('=', '<>', '<', '<=', '>=', '>', '= ANY') THEN
        RETURN NULL;
    END IF;
    SELECT a.amopopr INTO opr
      FROM pg_opclass c JOIN pg_amop a ON a.amopfamily = c.opcfamily AND a.amoplefttype = c.opcintype
                                      AND a.amoprighttype = c.opcintype AND a.amopstrategy = strategy
     WHERE c.oid = howdah_internal.default_opclass(typ, 'btree');
    IF opr IS NULL AND want = '=' THEN
        SELECT a.amopopr INTO opr
          FROM pg_opclass c JOIN pg_amop a ON a.amopfamily = c.opcfamily AND a.amoplefttype = c.opcintype
                                          AND a.amoprighttype = c.opcintype AND a.amopstrategy = 1
         WHERE c.oid = howdah_internal.default_opclass(typ, 'hash');
    END IF;
    SELECT format('OPERATOR(%I.%s)', n.nspname, o.oprname), o.oprnegate INTO qualified, neg
      FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
     WHERE o.oid = opr AND o.oprname = want;
    IF qualified IS NULL THEN
        RETURN NULL;
    END IF;
    IF op = '<>' THEN
        RETURN coalesce((SELECT format('%s OPERATOR(%I.%s) %s', lhs, n.nspname, o.oprname, rhs)
                           FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
                          WHERE o.oid = neg AND o.oprname = '<>'),
                        format('NOT (%s %s %s)', lhs, qualified, rhs));
    END IF;
    IF op = '= ANY' THEN
        RETURN format('%s %s ANY (%s)', lhs, qualified, rhs);
    END IF;
    RETURN format('%s %s %s', lhs, qualified, rhs);
END;
$$;
COMMENT ON FUNCTION howdah_internal.compare_sql(oid, text, text, text) IS 'SQL comparing two expressions of a type with the type''s own operator (from its default btree or hash operator class), schema-qualified; NULL when the type has none. Errors: none.';

CREATE FUNCTION howdah_internal.key_column(tab regclass, key text, what text,
                                           OUT col_num smallint, OUT col_name name, OUT col_type oid)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- A key of a record object: digits only means an attnum, anything else a column name.
RETURN howdah_internal.resolve_column(tab, CASE WHEN key ~ '^[0-9]+$' THEN to_jsonb(key::numeric) ELSE to_jsonb(key) END, what);
COMMENT ON FUNCTION howdah_internal.key_column(regclass, text, text) IS 'Resolves a JSON object key to a column: a key of digits only is an attnum, any other key a name. Errors: 42703 unknown column.';

CREATE FUNCTION howdah_internal.check_readable(tab regclass)
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
COMMENT ON FUNCTION howdah_internal.check_readable(regclass) IS 'Checks that the current role may read some column of a table. Errors: 42501.';

CREATE FUNCTION howdah_internal.record_json_sql(tab regclass, alias text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- jsonb_build_object takes at most 100 arguments: build 50 columns at a time and concatenate.
    SELECT coalesce(string_agg(c.part, ' || ' ORDER BY c.chunk), '''{}''::jsonb')
      FROM (SELECT (x.n - 1) / 50 AS chunk,
                   'jsonb_build_object(' || string_agg(format('%L, %I.%I', x.attnum::text, alias, x.attname), ', ' ORDER BY x.attnum) || ')' AS part
              FROM (SELECT a.attnum, a.attname, row_number() OVER (ORDER BY a.attnum) AS n
                      FROM pg_attribute a
                     WHERE a.attrelid = tab AND a.attnum > 0 AND NOT a.attisdropped
                       AND has_column_privilege(tab, a.attnum, 'SELECT')) x
             GROUP BY 1) c;
END;
COMMENT ON FUNCTION howdah_internal.record_json_sql(regclass, text) IS 'SQL building one record as JSON keyed by attnum from the columns of `alias` the current role may SELECT (''{}'' when none). Errors: none.';

CREATE FUNCTION howdah_internal.record_cols_sql(tab regclass, alias text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT coalesce(string_agg(format('%I.%I', alias, a.attname), ', ' ORDER BY a.attnum), 'NULL')
      FROM pg_attribute a
     WHERE a.attrelid = tab AND a.attnum > 0 AND NOT a.attisdropped
       AND has_column_privilege(tab, a.attnum, 'SELECT');
END;
COMMENT ON FUNCTION howdah_internal.record_cols_sql(regclass, text) IS 'SQL select list of the columns of `alias` the current role may SELECT. Errors: none.';

CREATE FUNCTION howdah_internal.like_pattern(value text, prefix text, suffix text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
-- `value` with LIKE's wildcards and escape character escaped, between prefix and suffix.
RETURN prefix || replace(replace(replace(value, '\', '\\'), '%', '\%'), '_', '\_') || suffix;
COMMENT ON FUNCTION howdah_internal.like_pattern(text, text, text) IS 'A LIKE pattern matching `value` literally, with prefix and suffix (''%'' or '''') around it. Errors: none.';

CREATE FUNCTION howdah_internal.text_sql(col_name name, col_type oid)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- Text-like columns are matched as they are (so their indexes can serve); others by their text form.
RETURN CASE WHEN (SELECT y.typcategory FROM pg_type y WHERE y.oid = col_type) = 'S'
            THEN format('r.%I', col_name) ELSE format('r.%I::text', col_name) END;
COMMENT ON FUNCTION howdah_internal.text_sql(name, oid) IS 'SQL for a column of alias r as text: the column itself when text-like, else its text form. Errors: none.';

CREATE FUNCTION howdah_internal.value_sql(tab regclass, col_name name, col_type oid, value jsonb, what text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- SQL for a JSON value converted to the type of column `col_name` by PostgreSQL: a typed literal
-- ('5'::integer) for a scalar, so the planner sees a constant; the JSON text for json/jsonb
-- columns; jsonb_populate_record, evaluated once, for a JSON array (array column) or object
-- (composite column). Raises 22023 for JSON null and for an array/object given to another type.
DECLARE
    base oid := howdah_internal.base_type(col_type);
    kind text := jsonb_typeof(value);
BEGIN
    IF kind IS NULL OR kind = 'null' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: a value is required for column "%s" of table %s', what, col_name, tab),
            HINT = 'compare with NULL through the ops is_null and is_not_null';
    END IF;
    IF base IN ('json'::regtype, 'jsonb'::regtype) THEN
        RETURN format('%L::%s', value::text, format_type(col_type, -1));
    END IF;
    IF kind IN ('string', 'number', 'boolean') THEN
        RETURN format('%L::%s', value #>> '{}', format_type(col_type, -1));
    END IF;
    IF (kind = 'array' AND EXISTS (SELECT FROM pg_type y WHERE y.oid = base AND y.typcategory = 'A'))
       OR (kind = 'object' AND EXISTS (SELECT FROM pg_type y WHERE y.oid = base AND y.typtype = 'c')) THEN
        RETURN format('(SELECT (jsonb_populate_record(NULL::%s, %L::jsonb)).%I)', tab, jsonb_build_object(col_name, value), col_name);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = format('%s: column "%s" of table %s has type %s; a JSON %s does not convert to it',
                         what, col_name, tab, format_type(col_type, -1), kind),
        HINT = 'give a JSON string, number or boolean';
END;
$$;
COMMENT ON FUNCTION howdah_internal.value_sql(regclass, name, oid, jsonb, text) IS 'SQL for a JSON value converted to a column''s type by PostgreSQL (typed literal, or jsonb_populate_record for arrays and composites). Errors: 22023 JSON null, or an array/object for a scalar type.';

CREATE FUNCTION howdah_internal.raise_for_column(tab regclass, col_name name, what text,
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
COMMENT ON FUNCTION howdah_internal.raise_for_column(regclass, name, text, text, text, text, text) IS 'Re-raises a caught error naming the input, column and table. Errors: always the given SQLSTATE.';

CREATE FUNCTION howdah_internal.check_value(tab regclass, col_name name, col_type oid, value jsonb, what text, as_literal boolean)
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
       OR howdah_internal.base_type(col_type) IN ('json'::regtype, 'jsonb'::regtype) THEN
        EXECUTE format('SELECT $1::%s', format_type(col_type, -1))
          USING CASE WHEN howdah_internal.base_type(col_type) IN ('json'::regtype, 'jsonb'::regtype) THEN value::text ELSE value #>> '{}' END;
    ELSE
        EXECUTE format('SELECT (jsonb_populate_record(NULL::%s, $1)).%I', tab, col_name) USING jsonb_build_object(col_name, value);
    END IF;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE, err_msg = MESSAGE_TEXT,
                            err_detail = PG_EXCEPTION_DETAIL, err_hint = PG_EXCEPTION_HINT;
    PERFORM howdah_internal.raise_for_column(tab, col_name, what, err_state, err_msg, err_detail, err_hint);
END;
$$;
COMMENT ON FUNCTION howdah_internal.check_value(regclass, name, oid, jsonb, text, boolean) IS 'Checks that a JSON value converts to a column''s type. Errors: the conversion''s SQLSTATE (22P02, 22003, 22001, 22008, 23514 ...) with the input, column and table in the message.';

CREATE FUNCTION howdah_internal.filter_sql(tab regclass, filter jsonb, what text, checked boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Compiles a filter expression tree over table `tab` (alias r) into a boolean SQL expression:
--   {"and": [f, ...]}, {"or": [f, ...]}, {"not": f}, or a condition
--   {"column": attnum|name, "op": op, "value": v}.
-- `what` is the path of `filter` in the input, for messages. With `checked`, each value is also
-- converted on its own so that a failure names its column; list_records does that only after
-- its statement failed.
DECLARE
    node text;
    parts text[] := '{}'::text[];
    c record;
    op text;
    v jsonb;
    ref text;
    vals text[] := '{}'::text[];
    cond text;
BEGIN
    PERFORM howdah_internal.check_keys(filter, ARRAY['and', 'or', 'not', 'column', 'op', 'value'], what);
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
        FOR i IN 0 .. jsonb_array_length(filter -> node) - 1 LOOP
            parts := parts || howdah_internal.filter_sql(tab, filter -> node -> i, format('%s.%s[%s]', what, node, i), checked);
        END LOOP;
        IF cardinality(parts) = 0 THEN
            RETURN CASE node WHEN 'and' THEN 'true' ELSE 'false' END;
        END IF;
        RETURN '(' || array_to_string(parts, CASE node WHEN 'and' THEN ' AND ' ELSE ' OR ' END) || ')';
    END IF;
    IF filter ? 'not' THEN
        RETURN format('(NOT %s)', howdah_internal.filter_sql(tab, filter -> 'not', what || '.not', checked));
    END IF;

    -- A condition.
    IF NOT filter ? 'column' OR NOT filter ? 'op' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: a condition needs the keys "column" and "op"', what),
            HINT = format('table %s', tab);
    END IF;
    SELECT * INTO c FROM howdah_internal.resolve_column(tab, filter -> 'column', what || '.column');
    op := howdah_internal.json_text(filter, 'op', what);
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

    -- The comparison ops use the column type's own operators (see compare_sql); a type without
    -- one is refused here rather than by the statement. The placeholder stands for the value.
    IF op IN ('=', '<>', '<', '>', '<=', '>=', 'in')
       AND howdah_internal.compare_sql(c.col_type, CASE op WHEN 'in' THEN '=' ELSE op END, ref, '$') IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: op %s does not apply to column "%s" of table %s, of type %s', what, op, c.col_name, tab, format_type(c.col_type, NULL)),
            HINT = 'compare its text form with contains, starts_with or iequal';
    END IF;

    CASE op
    WHEN '=', '<>', '<', '>', '<=', '>=' THEN
        IF checked THEN
            PERFORM howdah_internal.check_value(tab, c.col_name, c.col_type, v, what || '.value', true);
        END IF;
        vals := ARRAY[howdah_internal.value_sql(tab, c.col_name, c.col_type, v, what || '.value')];
        cond := howdah_internal.compare_sql(c.col_type, op, ref, vals[1]);
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
            WHEN 'contains' THEN format('%s LIKE %L', howdah_internal.text_sql(c.col_name, c.col_type), howdah_internal.like_pattern(v #>> '{}', '%', '%'))
            WHEN 'icontains' THEN format('%s ILIKE %L', howdah_internal.text_sql(c.col_name, c.col_type), howdah_internal.like_pattern(v #>> '{}', '%', '%'))
            WHEN 'starts_with' THEN format('%s LIKE %L', howdah_internal.text_sql(c.col_name, c.col_type), howdah_internal.like_pattern(v #>> '{}', '', '%'))
            WHEN 'istarts_with' THEN format('%s ILIKE %L', howdah_internal.text_sql(c.col_name, c.col_type), howdah_internal.like_pattern(v #>> '{}', '', '%'))
            ELSE format('lower(%s) = lower(%L)', howdah_internal.text_sql(c.col_name, c.col_type), v #>> '{}') END;
    WHEN 'in' THEN
        IF jsonb_typeof(v) <> 'array' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s.value: op in needs a JSON array, got %s (column "%s" of table %s)', what, jsonb_typeof(v), c.col_name, tab);
        END IF;
        FOR i IN 0 .. jsonb_array_length(v) - 1 LOOP
            IF checked AND jsonb_typeof(v -> i) <> 'null' THEN
                PERFORM howdah_internal.check_value(tab, c.col_name, c.col_type, v -> i, format('%s.value[%s]', what, i), true);
            END IF;
            vals := vals || howdah_internal.value_sql(tab, c.col_name, c.col_type, v -> i, format('%s.value[%s]', what, i));
        END LOOP;
        IF cardinality(vals) = 0 THEN
            cond := 'false';
        ELSIF (SELECT y.typarray <> 0 AND y.typcategory <> 'A' FROM pg_type y WHERE y.oid = howdah_internal.base_type(c.col_type)) THEN
            -- col = ANY (ARRAY[...]), as PostgreSQL turns IN (...) into, with the type's own =.
            cond := howdah_internal.compare_sql(c.col_type, '= ANY', ref, 'ARRAY[' || array_to_string(vals, ', ') || ']');
        ELSE
            -- Values that are arrays themselves would make ARRAY[...] multi-dimensional.
            cond := '(' || array_to_string(ARRAY(SELECT howdah_internal.compare_sql(c.col_type, '=', ref, x) FROM unnest(vals) AS x), ' OR ') || ')';
        END IF;
    END CASE;
    RETURN cond;
END;
$$;
COMMENT ON FUNCTION howdah_internal.filter_sql(regclass, jsonb, text, boolean) IS 'Compiles a JSON filter tree into SQL over alias r (values as typed literals, identifiers quoted). Errors: 22023 bad shape, key, op or value, or an op the column type lacks (naming the path and column), 42703 unknown column; with checked, a value''s conversion error (22P02, 22003 ...) naming its column.';

CREATE FUNCTION howdah_internal.grouping_columns(tab regclass, group_by jsonb)
RETURNS smallint[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The attnums of {"columns": [attnum|name, ...]} (empty for NULL), each a sortable column, once.
DECLARE
    cols smallint[] := '{}'::smallint[];
    c record;
BEGIN
    IF group_by IS NULL OR jsonb_typeof(group_by) = 'null' THEN
        RETURN cols;
    END IF;
    PERFORM howdah_internal.check_keys(group_by, ARRAY['columns'], 'grouping');
    IF jsonb_typeof(group_by -> 'columns') IS DISTINCT FROM 'array' OR jsonb_array_length(group_by -> 'columns') = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('grouping.columns must be a non-empty JSON array of columns, got %s', coalesce((group_by -> 'columns')::text, 'nothing')),
            HINT = format('table %s', tab);
    END IF;
    FOR i IN 0 .. jsonb_array_length(group_by -> 'columns') - 1 LOOP
        SELECT * INTO c FROM howdah_internal.resolve_column(tab, group_by -> 'columns' -> i, format('grouping.columns[%s]', i));
        IF c.col_num = ANY (cols) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('grouping.columns[%s]: column "%s" of table %s is listed twice', i, c.col_name, tab);
        END IF;
        IF NOT has_column_privilege(tab, c.col_num, 'SELECT') THEN
            RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                MESSAGE = format('grouping.columns[%s]: permission denied for column "%s" of table %s', i, c.col_name, tab);
        END IF;
        IF NOT howdah_internal.has_opclass(c.col_type, 'btree') THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('grouping.columns[%s]: column "%s" of table %s has type %s, which cannot be sorted or grouped',
                                 i, c.col_name, tab, format_type(c.col_type, NULL));
        END IF;
        cols := cols || c.col_num;
    END LOOP;
    RETURN cols;
END;
$$;
COMMENT ON FUNCTION howdah_internal.grouping_columns(regclass, jsonb) IS 'Validates a grouping input and returns its column attnums. Errors: 22023 bad shape, repeated or unsortable column, 42703 unknown column, 42501 column not readable.';

CREATE FUNCTION howdah_internal.order_sql(tab regclass, order_by jsonb, group_cols smallint[])
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The ORDER BY list (over alias r) for [{"column", "direction", "nulls"}, ...], made total:
-- group columns first (in the direction the order gives them, else ascending), then the
-- given entries, then the primary key columns not yet used. Without a primary key the current
-- role can read, every remaining readable sortable column follows, then tableoid and ctid for
-- tables and materialized views. '' when nothing can be sorted.
DECLARE
    given jsonb := coalesce(nullif(order_by, 'null'::jsonb), '[]'::jsonb);
    nums smallint[] := '{}'::smallint[];
    clauses text[] := '{}'::text[];
    items text[] := '{}'::text[];
    used smallint[] := '{}'::smallint[];
    c record;
    e jsonb;
    i integer;
    g smallint;
    dir text;
    nul text;
    pk smallint[];
BEGIN
    IF jsonb_typeof(given) <> 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('order must be a JSON array of {"column", "direction", "nulls"}, got %s', jsonb_typeof(given)),
            HINT = format('table %s', tab);
    END IF;
    FOR i IN 0 .. jsonb_array_length(given) - 1 LOOP
        e := given -> i;
        PERFORM howdah_internal.check_keys(e, ARRAY['column', 'direction', 'nulls'], format('order[%s]', i));
        SELECT * INTO c FROM howdah_internal.resolve_column(tab, e -> 'column', format('order[%s].column', i));
        dir := coalesce(howdah_internal.json_text(e, 'direction', format('order[%s]', i)), 'asc');
        nul := howdah_internal.json_text(e, 'nulls', format('order[%s]', i));
        IF dir NOT IN ('asc', 'desc') OR nul NOT IN ('first', 'last') THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('order[%s]: direction must be "asc" or "desc" and nulls "first" or "last", got %s', i, e),
                HINT = format('table %s', tab);
        END IF;
        IF c.col_num = ANY (nums) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('order[%s]: column "%s" of table %s is listed twice', i, c.col_name, tab);
        END IF;
        IF NOT howdah_internal.has_opclass(c.col_type, 'btree') THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('order[%s]: column "%s" of table %s has type %s, which cannot be sorted',
                                 i, c.col_name, tab, format_type(c.col_type, NULL));
        END IF;
        nums := nums || c.col_num;
        clauses := clauses || format('r.%I %s%s', c.col_name, upper(dir), coalesce(' NULLS ' || upper(nul), ''));
    END LOOP;

    FOREACH g IN ARRAY group_cols LOOP
        i := array_position(nums, g);
        items := items || coalesce(clauses[i], (SELECT format('r.%I', a.attname) FROM pg_attribute a WHERE a.attrelid = tab AND a.attnum = g));
        used := used || g;
    END LOOP;
    FOR i IN 1 .. cardinality(nums) LOOP
        IF nums[i] <> ALL (used) THEN
            items := items || clauses[i];
            used := used || nums[i];
        END IF;
    END LOOP;

    SELECT k.conkey INTO pk FROM pg_constraint k WHERE k.conrelid = tab AND k.contype = 'p';
    IF pk IS NOT NULL AND (SELECT bool_and(has_column_privilege(tab, n, 'SELECT')) FROM unnest(pk) n) THEN
        items := items || coalesce((SELECT array_agg(format('r.%I', a.attname) ORDER BY k.ord)
                                      FROM unnest(pk) WITH ORDINALITY AS k(n, ord)
                                      JOIN pg_attribute a ON a.attrelid = tab AND a.attnum = k.n
                                     WHERE k.n <> ALL (used)), '{}'::text[]);
    ELSE
        items := items || coalesce((SELECT array_agg(format('r.%I', a.attname) ORDER BY a.attnum)
                                      FROM pg_attribute a
                                     WHERE a.attrelid = tab AND a.attnum > 0 AND NOT a.attisdropped
                                       AND a.attnum <> ALL (used) AND has_column_privilege(tab, a.attnum, 'SELECT')
                                       AND howdah_internal.has_opclass(a.atttypid, 'btree')), '{}'::text[]);
        IF (SELECT k.relkind FROM pg_class k WHERE k.oid = tab) IN ('r', 'p', 'm') AND has_table_privilege(tab, 'SELECT') THEN
            items := items || ARRAY['r.tableoid', 'r.ctid'];
        END IF;
    END IF;
    RETURN array_to_string(items, ', ');
END;
$$;
COMMENT ON FUNCTION howdah_internal.order_sql(regclass, jsonb, smallint[]) IS 'Compiles an order input into a total ORDER BY list over alias r (group columns first, primary key appended). Errors: 22023 bad shape, direction, nulls, repeated or unsortable column, 42703 unknown column.';

CREATE FUNCTION howdah_internal.group_json_sql(tab regclass, group_cols smallint[], alias text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT 'jsonb_build_object(' || string_agg(format('%L, %I.%I', a.attnum::text, alias, a.attname), ', ' ORDER BY g.ord) || ')'
      FROM unnest(group_cols) WITH ORDINALITY AS g(n, ord) JOIN pg_attribute a ON a.attrelid = tab AND a.attnum = g.n;
END;
COMMENT ON FUNCTION howdah_internal.group_json_sql(regclass, smallint[], text) IS 'SQL for the values of the group columns of `alias` as a JSON object keyed by attnum. Errors: none.';

CREATE FUNCTION howdah_internal.check_page(tab regclass, lim integer, off integer)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The page arguments of list_records and search_records: `lim` (NULL: all) and `off` (NULL: 0)
-- must not be negative.
BEGIN
    IF lim < 0 OR off < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('lim and off must not be negative, got lim %s, off %s', coalesce(lim::text, 'NULL'), coalesce(off::text, 'NULL')),
            HINT = format('table %s', tab);
    END IF;
END;
$$;
COMMENT ON FUNCTION howdah_internal.check_page(regclass, integer, integer) IS 'Checks the page arguments lim and off of a list or search call. Errors: 22023 a negative one.';

CREATE FUNCTION howdah_internal.page_sql(tab regclass, cond text, ord text, lim integer, off integer, group_cols smallint[])
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The one statement of a list or search call: {"results": [...], "count": n} and, with group
-- columns, "grouping". Records are built as JSON only for the rows of the page (outside the
-- sorted, limited subquery); the count is a second scan of the filtered rows in the same
-- statement, or the page's length when the page is everything.
--
-- Groups follow the group columns' types, as GROUP BY does: window functions over the filtered
-- rows, partitioned by those columns, give each row the size of its group and a group key
-- (dense_rank). PARTITION BY compares with each type's default operator class, so citext
-- values that differ only in case are one group, and NULL is a group of its own. The order
-- starts with the group columns, so the rows of a group are adjacent on the page.
DECLARE
    page text;
    total text;
    gcols text;
    n_alias text := '?group count';
    k_alias text := '?group key';
BEGIN
    -- Output names for the window values that no column of the table has.
    WHILE EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = tab AND a.attname IN (n_alias, k_alias)) LOOP
        n_alias := n_alias || '?';
        k_alias := k_alias || '?';
    END LOOP;
    gcols := (SELECT string_agg(format('r.%I', a.attname), ', ' ORDER BY g.ord)
                FROM unnest(group_cols) WITH ORDINALITY AS g(n, ord) JOIN pg_attribute a ON a.attrelid = tab AND a.attnum = g.n);
    page := format('SELECT %s%s FROM %s AS r WHERE %s%s%s%s',
                   howdah_internal.record_cols_sql(tab, 'r'),
                   CASE WHEN cardinality(group_cols) > 0
                        THEN format(', count(*) OVER (PARTITION BY %s) AS %I, dense_rank() OVER (ORDER BY %s) AS %I', gcols, n_alias, gcols, k_alias)
                        ELSE '' END,
                   tab, cond,
                   CASE WHEN ord <> '' THEN ' ORDER BY ' || ord ELSE '' END,
                   CASE WHEN lim IS NOT NULL THEN ' LIMIT ' || lim ELSE '' END,
                   CASE WHEN off > 0 THEN ' OFFSET ' || off ELSE '' END);
    total := format('(SELECT count(*) FROM %s AS r WHERE %s)', tab, cond);
    IF cardinality(group_cols) = 0 THEN
        RETURN format('SELECT jsonb_build_object(''results'', p.results, ''count'', %s) '
                      'FROM (SELECT coalesce(jsonb_agg(q.j ORDER BY q.i), ''[]'') AS results '
                            'FROM (SELECT %s AS j, row_number() OVER () AS i FROM (%s) AS s) AS q) AS p',
                      CASE WHEN lim IS NULL AND coalesce(off, 0) = 0 THEN 'jsonb_array_length(p.results)' ELSE total END,
                      howdah_internal.record_json_sql(tab, 's'), page);
    END IF;
    -- A group's values are those of its first row on the page.
    RETURN format('WITH page AS (SELECT %s AS j, %s AS g, s.%I AS n, s.%I AS k, row_number() OVER () - 1 AS i FROM (%s) AS s), '
                  'groups AS (SELECT page.k, min(page.n) AS n, min(page.i) AS first, jsonb_agg(page.i ORDER BY page.i) AS indices FROM page GROUP BY page.k) '
                  'SELECT jsonb_build_object(''results'', coalesce((SELECT jsonb_agg(page.j ORDER BY page.i) FROM page), ''[]''), '
                  '''count'', %s, '
                  '''grouping'', jsonb_build_object(''columns'', %L::jsonb, ''groups'', coalesce((SELECT jsonb_agg(jsonb_build_object('
                      '''id'', x.id, ''count'', x.n, ''values'', page.g, ''result_indices'', x.indices) ORDER BY x.id) '
                    'FROM (SELECT groups.n, groups.first, groups.indices, row_number() OVER (ORDER BY groups.first) AS id FROM groups) AS x '
                    'JOIN page ON page.i = x.first), ''[]'')))',
                  howdah_internal.record_json_sql(tab, 's'), howdah_internal.group_json_sql(tab, group_cols, 's'), n_alias, k_alias, page,
                  total, to_jsonb(group_cols));
END;
$$;
COMMENT ON FUNCTION howdah_internal.page_sql(regclass, text, text, integer, integer, smallint[]) IS 'Builds the single statement of list_records/search_records from a compiled condition and order; groups follow the group columns'' types (window functions), not their JSON. Errors: none.';

CREATE FUNCTION howdah_internal.list_records(tab oid, lim integer, off integer, order_by jsonb, filter jsonb, group_by jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The body of howdah.list_records (whose parameters "order" and "grouping" are keywords):
-- one page of the records of table `tab` that pass `filter`, in `order_by` made total by the
-- primary key, `lim` records (NULL: all) after skipping `off`; with `count`, the number of
-- records passing the filter, and with `group_by`, the groups present in the page.
-- Result: {"results": [{"<attnum>": value, ...}, ...], "count": n, "grouping": {...} | null}.
DECLARE
    rel regclass := howdah_internal.visible_table(tab);
    cond text := 'true';
    group_cols smallint[];
    stmt text;
    result jsonb;
BEGIN
    PERFORM howdah_internal.check_page(rel, lim, off);
    PERFORM howdah_internal.check_readable(rel);
    IF filter IS NOT NULL AND jsonb_typeof(filter) <> 'null' THEN
        cond := howdah_internal.filter_sql(rel, filter, 'filter');
    END IF;
    group_cols := howdah_internal.grouping_columns(rel, group_by);
    stmt := howdah_internal.page_sql(rel, cond, howdah_internal.order_sql(rel, order_by, group_cols), lim, off, group_cols);
    BEGIN
        EXECUTE stmt INTO result;
    EXCEPTION WHEN OTHERS THEN
        -- Find the value that does not convert and name its column.
        IF cond <> 'true' THEN
            PERFORM howdah_internal.filter_sql(rel, filter, 'filter', true);
        END IF;
        RAISE;
    END;
    IF cardinality(group_cols) = 0 THEN
        result := result || '{"grouping": null}'::jsonb;
    END IF;
    RETURN result;
END;
$$;
COMMENT ON FUNCTION howdah_internal.list_records(oid, integer, integer, jsonb, jsonb, jsonb) IS 'The body of howdah.list_records. Errors: as howdah.list_records.';

CREATE FUNCTION howdah.list_records(tab oid, lim integer DEFAULT NULL, off integer DEFAULT NULL,
                                    "order" jsonb DEFAULT NULL, filter jsonb DEFAULT NULL, "grouping" jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- One page of the records of table `tab` that pass `filter`, in `order` made total by the
-- primary key, `lim` records (NULL: all) after skipping `off` (NULL: 0), with the count of
-- records passing the filter and, with `grouping`, the groups present in the page.
RETURN howdah_internal.list_records(tab, lim, off, "order", filter, "grouping");
COMMENT ON FUNCTION howdah.list_records(oid, integer, integer, jsonb, jsonb, jsonb) IS 'A page of records of a table: {"results": [{"<attnum>": value}], "count": rows passing the filter, "grouping": {"columns", "groups": [{"id", "count", "values", "result_indices"}]} or null}. filter: {"and"|"or": [...]}, {"not": f}, {"column": attnum|name, "op": =|<>|<|>|<=|>=|is_null|is_not_null|contains|starts_with|icontains|istarts_with|iequal|in, "value": v}; order: [{"column", "direction": asc|desc, "nulls": first|last}], made total by the primary key; grouping: {"columns": [...]}. Errors: 42P01 unknown table, 42501 no readable column, 42703 unknown column, 22023 bad lim/off/filter/order/grouping (naming the key), an unknown op or one the column type lacks, a value that does not convert keeps its SQLSTATE (22P02, 22003, 22008 ...) and names the column.';

CREATE FUNCTION howdah_internal.record_by_name(tab regclass, rec jsonb, what text)
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
        SELECT * INTO c FROM howdah_internal.key_column(tab, k, format('%s key %s', what, quote_literal(k)));
        IF res ? c.col_name THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: column "%s" of table %s is given twice (by attnum and by name)', what, c.col_name, tab);
        END IF;
        res := res || jsonb_build_object(c.col_name, rec -> k);
    END LOOP;
    RETURN res;
END;
$$;
COMMENT ON FUNCTION howdah_internal.record_by_name(regclass, jsonb, text) IS 'Re-keys a JSON record from attnums or names to column names. Errors: 22023 not an object or a column given twice, 42703 unknown column.';

CREATE FUNCTION howdah_internal.check_record(tab regclass, rec jsonb, what text)
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
        PERFORM howdah_internal.check_value(tab, a.attname, a.atttypid, rec -> a.attname, what, false);
    END LOOP;
    RAISE;
END;
$$;
COMMENT ON FUNCTION howdah_internal.check_record(regclass, jsonb, text) IS 'Checks that the values of a record convert to its columns'' types. Errors: the conversion''s SQLSTATE (22P02, 22003, 22001, 23514 ...) naming the column.';

CREATE FUNCTION howdah_internal.primary_key(tab regclass)
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
COMMENT ON FUNCTION howdah_internal.primary_key(regclass) IS 'The primary key attnums of a table. Errors: 55000 no primary key.';

CREATE FUNCTION howdah_internal.id_by_name(tab regclass, pk smallint[], id jsonb, what text)
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
    named := howdah_internal.record_by_name(tab, id, what);
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
COMMENT ON FUNCTION howdah_internal.id_by_name(regclass, smallint[], jsonb, text) IS 'Turns a record id (scalar, or object by attnum/name) into an object keyed by the key column names. Errors: 22023 wrong shape, a non-key, null or missing key column, 42703 unknown column.';

CREATE FUNCTION howdah_internal.id_match_sql(tab regclass, pk smallint[], alias text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- SQL matching the key columns of alias r with those of `alias`, each with its type's own =
-- (compare_sql), so a citext key matches as citext does.
DECLARE
    parts text[] := '{}'::text[];
    part text;
    a record;
BEGIN
    FOR a IN SELECT y.attname, y.atttypid FROM unnest(pk) WITH ORDINALITY AS k(n, ord)
               JOIN pg_attribute y ON y.attrelid = tab AND y.attnum = k.n ORDER BY k.ord LOOP
        part := howdah_internal.compare_sql(a.atttypid, '=', format('r.%I', a.attname), format('%I.%I', alias, a.attname));
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
COMMENT ON FUNCTION howdah_internal.id_match_sql(regclass, smallint[], text) IS 'SQL matching the key columns of alias r with those of `alias`, with each type''s own = operator. Errors: 42883 a key type without one (PostgreSQL does not allow such a key).';

CREATE FUNCTION howdah.get_record(tab oid, id jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The record of table `tab` whose primary key is `id` (a JSON scalar for a one-column key, an
-- object keyed by attnum or name otherwise), as list_records shows records.
DECLARE
    rel regclass := howdah_internal.visible_table(tab);
    pk smallint[] := howdah_internal.primary_key(rel);
    idn jsonb;
    result jsonb;
BEGIN
    PERFORM howdah_internal.check_readable(rel);
    idn := howdah_internal.id_by_name(rel, pk, id, 'id');
    PERFORM howdah_internal.check_record(rel, idn, 'id');
    EXECUTE format('SELECT %s FROM %s AS r, jsonb_populate_record(NULL::%s, $1) AS i WHERE %s',
                   howdah_internal.record_json_sql(rel, 'r'), rel, rel, howdah_internal.id_match_sql(rel, pk, 'i'))
       INTO result USING idn;
    IF result IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found',
            MESSAGE = format('record %s not found in table %s', id, rel),
            HINT = 'the record does not exist, or row-level security hides it';
    END IF;
    RETURN result;
END;
$$;
COMMENT ON FUNCTION howdah.get_record(oid, jsonb) IS 'One record by primary key ({"<attnum>": value}). id: a JSON scalar for a one-column key, else an object keyed by attnum or name. Errors: 42P01 unknown table, 55000 no primary key, 22023 bad id, 42703 unknown column, 42501 no privilege, 22P02 etc. id value does not convert (naming the column), P0002 no such record.';

CREATE FUNCTION howdah_internal.names_sql(rec jsonb, alias text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT string_agg(CASE WHEN alias = '' THEN format('%I', k) ELSE format('%I.%I', alias, k) END, ', ' ORDER BY k)
      FROM jsonb_object_keys(rec) AS k;
END;
COMMENT ON FUNCTION howdah_internal.names_sql(jsonb, text) IS 'SQL list of the keys of `rec` (column names) as identifiers, qualified by `alias` unless it is empty; NULL for no keys. Errors: none.';

CREATE FUNCTION howdah_internal.set_sql(rec jsonb, alias text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT string_agg(format('%I = %I.%I', k, alias, k), ', ' ORDER BY k) FROM jsonb_object_keys(rec) AS k;
END;
COMMENT ON FUNCTION howdah_internal.set_sql(jsonb, text) IS 'SQL SET list assigning each key of `rec` (column names) from `alias`; NULL for no keys. Errors: none.';

CREATE FUNCTION howdah.add_record(tab oid, rec jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Inserts `rec` ({"<attnum or name>": value}; columns left out get their defaults) into table
-- `tab` and returns the inserted record as list_records shows records.
DECLARE
    rel regclass := howdah_internal.visible_table(tab);
    named jsonb := howdah_internal.record_by_name(rel, rec, 'rec');
    result jsonb;
BEGIN
    PERFORM howdah_internal.check_record(rel, named, 'rec');
    IF named = '{}'::jsonb THEN
        EXECUTE format('INSERT INTO %s AS r DEFAULT VALUES RETURNING %s', rel, howdah_internal.record_json_sql(rel, 'r'))
           INTO result;
    ELSE
        EXECUTE format('INSERT INTO %s AS r (%s) SELECT %s FROM jsonb_populate_record(NULL::%s, $1) AS p RETURNING %s',
                       rel, howdah_internal.names_sql(named, ''), howdah_internal.names_sql(named, 'p'),
                       rel, howdah_internal.record_json_sql(rel, 'r'))
           INTO result USING named;
    END IF;
    RETURN result;
END;
$$;
COMMENT ON FUNCTION howdah.add_record(oid, jsonb) IS 'Inserts a record ({"<attnum or name>": value}; omitted columns get defaults) and returns it as {"<attnum>": value} (readable columns only). Errors: 42P01 unknown table, 22023 not an object or a column given twice, 42703 unknown column, 22P02/22003/22001/23514 ... a value that does not convert (naming the column), 42501 no privilege, 23xxx constraint violations.';

CREATE FUNCTION howdah.patch_record(tab oid, id jsonb, rec jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Sets the columns given in `rec` ({"<attnum or name>": value}) on the record of table `tab`
-- whose primary key is `id`, and returns the updated record. An empty `rec` changes nothing.
DECLARE
    rel regclass := howdah_internal.visible_table(tab);
    pk smallint[] := howdah_internal.primary_key(rel);
    idn jsonb := howdah_internal.id_by_name(rel, pk, id, 'id');
    named jsonb := howdah_internal.record_by_name(rel, rec, 'rec');
    result jsonb;
BEGIN
    PERFORM howdah_internal.check_record(rel, idn, 'id');
    PERFORM howdah_internal.check_record(rel, named, 'rec');
    IF named = '{}'::jsonb THEN
        EXECUTE format('SELECT %s FROM %s AS r, jsonb_populate_record(NULL::%s, $1) AS i WHERE %s',
                       howdah_internal.record_json_sql(rel, 'r'), rel, rel, howdah_internal.id_match_sql(rel, pk, 'i'))
           INTO result USING idn;
    ELSE
        EXECUTE format('UPDATE %s AS r SET %s FROM jsonb_populate_record(NULL::%s, $1) AS i, jsonb_populate_record(NULL::%s, $2) AS p '
                       'WHERE %s RETURNING %s',
                       rel, howdah_internal.set_sql(named, 'p'), rel, rel, howdah_internal.id_match_sql(rel, pk, 'i'),
                       howdah_internal.record_json_sql(rel, 'r'))
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
COMMENT ON FUNCTION howdah.patch_record(oid, jsonb, jsonb) IS 'Updates the given columns of one record by primary key and returns it as {"<attnum>": value}. Errors: 42P01 unknown table, 55000 no primary key, 22023 bad id or rec, 42703 unknown column, 22P02 etc. a value that does not convert (naming the column), 42501 no privilege, P0002 no such record, 23xxx constraint violations.';

CREATE FUNCTION howdah.delete_records(tab oid, ids jsonb)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Deletes the records of table `tab` whose primary keys are in `ids` (a JSON array of ids, each
-- as get_record takes it) and returns how many were deleted; unknown ids are skipped.
DECLARE
    rel regclass := howdah_internal.visible_table(tab);
    pk smallint[] := howdah_internal.primary_key(rel);
    named jsonb := '[]'::jsonb;
    n bigint;
BEGIN
    IF jsonb_typeof(ids) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('ids must be a JSON array of record ids, got %s', coalesce(jsonb_typeof(ids), 'nothing')),
            HINT = format('table %s', rel);
    END IF;
    FOR i IN 0 .. jsonb_array_length(ids) - 1 LOOP
        named := named || jsonb_build_array(howdah_internal.id_by_name(rel, pk, ids -> i, format('ids[%s]', i)));
    END LOOP;
    IF jsonb_array_length(named) = 0 THEN
        RETURN 0;
    END IF;
    BEGIN
        EXECUTE format('SELECT count(*) FROM jsonb_populate_recordset(NULL::%s, $1)', rel) USING named;
    EXCEPTION WHEN OTHERS THEN
        FOR i IN 0 .. jsonb_array_length(named) - 1 LOOP
            PERFORM howdah_internal.check_record(rel, named -> i, format('ids[%s]', i));
        END LOOP;
        RAISE;
    END;
    EXECUTE format('DELETE FROM %s AS r USING jsonb_populate_recordset(NULL::%s, $1) AS i WHERE %s',
                   rel, rel, howdah_internal.id_match_sql(rel, pk, 'i'))
       USING named;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION howdah.delete_records(oid, jsonb) IS 'Deletes records by primary key (ids: a JSON array of ids as get_record takes them), all in one statement; returns the number deleted (unknown ids count nothing). Errors: 42P01 unknown table, 55000 no primary key, 22023 bad ids, 42703 unknown column, 22P02 etc. an id value that does not convert (naming the column), 42501 no privilege, 23503 still referenced.';

CREATE FUNCTION howdah.search_records(tab oid, search jsonb, lim integer DEFAULT 10, off integer DEFAULT 0)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Records of table `tab` matching any of [{"column": attnum|name, "value": "text"}, ...] by
-- case-insensitive substring, best first: per given column an exact match scores 3, a prefix 2,
-- a substring 1; scores add up; ties go by primary key. Result: {"results": [...], "count": n}.
DECLARE
    rel regclass := howdah_internal.visible_table(tab);
    conds text[] := '{}'::text[];
    scores text[] := '{}'::text[];
    e jsonb;
    c record;
    val text;
    ref text;
    ord text;
    result jsonb;
BEGIN
    PERFORM howdah_internal.check_page(rel, lim, off);
    PERFORM howdah_internal.check_readable(rel);
    IF jsonb_typeof(search) IS DISTINCT FROM 'array' OR jsonb_array_length(search) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('search must be a non-empty JSON array of {"column", "value"}, got %s', coalesce(search::text, 'nothing')),
            HINT = format('table %s', rel);
    END IF;
    FOR i IN 0 .. jsonb_array_length(search) - 1 LOOP
        e := search -> i;
        PERFORM howdah_internal.check_keys(e, ARRAY['column', 'value'], format('search[%s]', i));
        SELECT * INTO c FROM howdah_internal.resolve_column(rel, e -> 'column', format('search[%s].column', i));
        val := howdah_internal.json_text(e, 'value', format('search[%s]', i));
        IF val IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('search[%s]: a "value" string is required (column "%s" of table %s)', i, c.col_name, rel);
        END IF;
        ref := howdah_internal.text_sql(c.col_name, c.col_type);
        conds := conds || format('%s ILIKE %L', ref, howdah_internal.like_pattern(val, '%', '%'));
        scores := scores || format('CASE WHEN %1$s ILIKE %2$L THEN 3 WHEN %1$s ILIKE %3$L THEN 2 WHEN %1$s ILIKE %4$L THEN 1 ELSE 0 END',
                                   ref, howdah_internal.like_pattern(val, '', ''), howdah_internal.like_pattern(val, '', '%'),
                                   howdah_internal.like_pattern(val, '%', '%'));
    END LOOP;
    ord := howdah_internal.order_sql(rel, NULL, '{}');
    EXECUTE howdah_internal.page_sql(rel, '(' || array_to_string(conds, ' OR ') || ')',
                                     '(' || array_to_string(scores, ' + ') || ') DESC' || CASE WHEN ord <> '' THEN ', ' || ord ELSE '' END,
                                     lim, off, '{}')
       INTO result;
    RETURN result;
END;
$$;
COMMENT ON FUNCTION howdah.search_records(oid, jsonb, integer, integer) IS 'Records matching any [{"column": attnum|name, "value": text}] by case-insensitive substring, ranked: exact 3, prefix 2, substring 1 per column, summed; ties by primary key: {"results": [{"<attnum>": value}], "count": n}. Errors: 42P01 unknown table, 42501 no readable column, 42703 unknown column, 22023 bad search, lim or off.';

---- create above / drop below ----

DROP FUNCTION howdah.search_records(oid, jsonb, integer, integer);
DROP FUNCTION howdah.delete_records(oid, jsonb);
DROP FUNCTION howdah.patch_record(oid, jsonb, jsonb);
DROP FUNCTION howdah.add_record(oid, jsonb);
DROP FUNCTION howdah.get_record(oid, jsonb);
DROP FUNCTION howdah_internal.set_sql(jsonb, text);
DROP FUNCTION howdah_internal.names_sql(jsonb, text);
DROP FUNCTION howdah_internal.id_match_sql(regclass, smallint[], text);
DROP FUNCTION howdah_internal.id_by_name(regclass, smallint[], jsonb, text);
DROP FUNCTION howdah_internal.primary_key(regclass);
DROP FUNCTION howdah_internal.check_record(regclass, jsonb, text);
DROP FUNCTION howdah_internal.record_by_name(regclass, jsonb, text);
DROP FUNCTION howdah.list_records(oid, integer, integer, jsonb, jsonb, jsonb);
DROP FUNCTION howdah_internal.list_records(oid, integer, integer, jsonb, jsonb, jsonb);
DROP FUNCTION howdah_internal.page_sql(regclass, text, text, integer, integer, smallint[]);
DROP FUNCTION howdah_internal.check_page(regclass, integer, integer);
DROP FUNCTION howdah_internal.group_json_sql(regclass, smallint[], text);
DROP FUNCTION howdah_internal.order_sql(regclass, jsonb, smallint[]);
DROP FUNCTION howdah_internal.grouping_columns(regclass, jsonb);
DROP FUNCTION howdah_internal.filter_sql(regclass, jsonb, text, boolean);
DROP FUNCTION howdah_internal.check_value(regclass, name, oid, jsonb, text, boolean);
DROP FUNCTION howdah_internal.raise_for_column(regclass, name, text, text, text, text, text);
DROP FUNCTION howdah_internal.value_sql(regclass, name, oid, jsonb, text);
DROP FUNCTION howdah_internal.text_sql(name, oid);
DROP FUNCTION howdah_internal.like_pattern(text, text, text);
DROP FUNCTION howdah_internal.record_cols_sql(regclass, text);
DROP FUNCTION howdah_internal.record_json_sql(regclass, text);
DROP FUNCTION howdah_internal.check_readable(regclass);
DROP FUNCTION howdah_internal.key_column(regclass, text, text);
DROP FUNCTION howdah_internal.compare_sql(oid, text, text, text);
DROP FUNCTION howdah_internal.has_opclass(oid, name);
DROP FUNCTION howdah_internal.default_opclass(oid, name);
DROP FUNCTION howdah_internal.base_type(oid);
