-- catalog code 014: the rest of a list or search statement — the select list of readable
-- columns as JSON, grouping columns, a total ORDER BY, paging — and the one statement that
-- returns a page with its count and groups.
--
-- Errors: 22023 bad order, grouping, lim or off (naming the key); 42703 unknown column; 42501 a
-- grouping column the caller may not read.
--
-- A record is a JSON object keyed by column attnum as text: {"1": 5, "2": "Ann"}. Columns the
-- caller may not SELECT are left out. Everything is SECURITY INVOKER: privileges and row-level
-- security apply as to the caller's own SQL.

CREATE FUNCTION howdah_internal.catalog_record_json_sql(tab regclass, alias text)
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
COMMENT ON FUNCTION howdah_internal.catalog_record_json_sql(regclass, text) IS 'SQL building one record as JSON keyed by attnum from the columns of `alias` the current role may SELECT (''{}'' when none). Errors: none.';

CREATE FUNCTION howdah_internal.catalog_record_cols_sql(tab regclass, alias text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT coalesce(string_agg(format('%I.%I', alias, a.attname), ', ' ORDER BY a.attnum), 'NULL')
      FROM pg_attribute a
     WHERE a.attrelid = tab AND a.attnum > 0 AND NOT a.attisdropped
       AND has_column_privilege(tab, a.attnum, 'SELECT');
END;
COMMENT ON FUNCTION howdah_internal.catalog_record_cols_sql(regclass, text) IS 'SQL select list of the columns of `alias` the current role may SELECT. Errors: none.';

CREATE FUNCTION howdah_internal.catalog_grouping_columns(tab regclass, group_by jsonb)
RETURNS smallint[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The attnums of {"columns": [attnum|name, ...]} (empty for NULL), each a sortable column, once.
DECLARE
    cols smallint[] := '{}'::smallint[];
    c record;
    e jsonb;
    i bigint;
BEGIN
    IF group_by IS NULL OR jsonb_typeof(group_by) = 'null' THEN
        RETURN cols;
    END IF;
    PERFORM howdah_internal.catalog_check_keys(group_by, ARRAY['columns'], 'grouping');
    IF jsonb_typeof(group_by -> 'columns') IS DISTINCT FROM 'array' OR jsonb_array_length(group_by -> 'columns') = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('grouping.columns must be a non-empty JSON array of columns, got %s', coalesce((group_by -> 'columns')::text, 'nothing')),
            HINT = format('table %s', tab);
    END IF;
    -- At most one pass per column of the table: a column listed twice stops it.
    FOR e, i IN SELECT x.e, x.o - 1 FROM jsonb_array_elements(group_by -> 'columns') WITH ORDINALITY AS x(e, o) LOOP
        SELECT * INTO c FROM howdah_internal.catalog_resolve_column(tab, e, format('grouping.columns[%s]', i));
        IF c.col_num = ANY (cols) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('grouping.columns[%s]: column "%s" of table %s is listed twice', i, c.col_name, tab);
        END IF;
        IF NOT has_column_privilege(tab, c.col_num, 'SELECT') THEN
            RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                MESSAGE = format('grouping.columns[%s]: permission denied for column "%s" of table %s', i, c.col_name, tab);
        END IF;
        IF NOT howdah_internal.catalog_has_opclass(c.col_type, 'btree') THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('grouping.columns[%s]: column "%s" of table %s has type %s, which cannot be sorted or grouped',
                                 i, c.col_name, tab, format_type(c.col_type, NULL));
        END IF;
        cols := cols || c.col_num;
    END LOOP;
    RETURN cols;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_grouping_columns(regclass, jsonb) IS 'Validates a grouping input and returns its column attnums. Errors: 22023 bad shape, repeated or unsortable column, 42703 unknown column, 42501 column not readable.';

CREATE FUNCTION howdah_internal.catalog_order_sql(tab regclass, order_by jsonb, group_cols smallint[])
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
    -- At most one pass per column of the table: a column listed twice stops it.
    FOR e, i IN SELECT x.e, (x.o - 1)::integer FROM jsonb_array_elements(given) WITH ORDINALITY AS x(e, o) LOOP
        PERFORM howdah_internal.catalog_check_keys(e, ARRAY['column', 'direction', 'nulls'], format('order[%s]', i));
        SELECT * INTO c FROM howdah_internal.catalog_resolve_column(tab, e -> 'column', format('order[%s].column', i));
        dir := coalesce(howdah_internal.catalog_json_text(e, 'direction', format('order[%s]', i)), 'asc');
        nul := howdah_internal.catalog_json_text(e, 'nulls', format('order[%s]', i));
        IF dir NOT IN ('asc', 'desc') OR nul NOT IN ('first', 'last') THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('order[%s]: direction must be "asc" or "desc" and nulls "first" or "last", got %s', i, e),
                HINT = format('table %s', tab);
        END IF;
        IF c.col_num = ANY (nums) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('order[%s]: column "%s" of table %s is listed twice', i, c.col_name, tab);
        END IF;
        IF NOT howdah_internal.catalog_has_opclass(c.col_type, 'btree') THEN
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
                                       AND howdah_internal.catalog_has_opclass(a.atttypid, 'btree')), '{}'::text[]);
        IF (SELECT k.relkind FROM pg_class k WHERE k.oid = tab) IN ('r', 'p', 'm') AND has_table_privilege(tab, 'SELECT') THEN
            items := items || ARRAY['r.tableoid', 'r.ctid'];
        END IF;
    END IF;
    RETURN array_to_string(items, ', ');
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_order_sql(regclass, jsonb, smallint[]) IS 'Compiles an order input into a total ORDER BY list over alias r (group columns first, primary key appended). Errors: 22023 bad shape, direction, nulls, repeated or unsortable column, 42703 unknown column.';

CREATE FUNCTION howdah_internal.catalog_group_json_sql(tab regclass, group_cols smallint[], alias text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT 'jsonb_build_object(' || string_agg(format('%L, %I.%I', a.attnum::text, alias, a.attname), ', ' ORDER BY g.ord) || ')'
      FROM unnest(group_cols) WITH ORDINALITY AS g(n, ord) JOIN pg_attribute a ON a.attrelid = tab AND a.attnum = g.n;
END;
COMMENT ON FUNCTION howdah_internal.catalog_group_json_sql(regclass, smallint[], text) IS 'SQL for the values of the group columns of `alias` as a JSON object keyed by attnum. Errors: none.';

CREATE FUNCTION howdah_internal.catalog_max_page_size()
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The most records one list_records or search_records call returns: the setting
-- howdah.max_page_size (postgresql.conf, ALTER DATABASE ... SET, or ALTER ROLE ... SET for the
-- role that logs in), 10000 when unset. 22023 when it is set to something else than a whole
-- number from 1 to 2147483647.
DECLARE
    setting text := nullif(btrim(current_setting('howdah.max_page_size', true)), '');
BEGIN
    IF setting IS NULL THEN
        RETURN 10000;
    END IF;
    IF setting !~ '^[0-9]{1,10}$' OR setting::bigint NOT BETWEEN 1 AND 2147483647 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('the setting howdah.max_page_size must be a whole number from 1 to 2147483647, got %L', setting),
            HINT = 'fix it where it is set (SHOW howdah.max_page_size; pg_db_role_setting), or RESET it for the default 10000';
    END IF;
    RETURN setting::integer;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_max_page_size() IS 'The setting howdah.max_page_size (default 10000): the most records a list or search call returns. Errors: 22023 a setting that is not a whole number from 1 to 2147483647.';

CREATE FUNCTION howdah_internal.catalog_page_limit(tab regclass, lim integer, off integer)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Checks the page arguments of list_records and search_records and returns the page size:
-- `lim`, or the maximum page size when `lim` is NULL. `lim` must be from 0 to the maximum
-- (catalog_max_page_size), `off` (NULL: 0) must not be negative.
DECLARE
    max_size integer := howdah_internal.catalog_max_page_size();
BEGIN
    IF lim < 0 OR off < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('lim and off must not be negative, got lim %s, off %s', coalesce(lim::text, 'NULL'), coalesce(off::text, 'NULL')),
            HINT = format('table %s', tab);
    END IF;
    IF lim > max_size THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('lim must be at most %s, the maximum page size (setting howdah.max_page_size), got %s', max_size, lim),
            HINT = format('page through table %s with lim and off, or ask an administrator to raise howdah.max_page_size', tab);
    END IF;
    RETURN coalesce(lim, max_size);
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_page_limit(regclass, integer, integer) IS 'Checks lim and off of a list or search call and returns the page size (lim, or the maximum page size for NULL). Errors: 22023 a negative one, lim over the setting howdah.max_page_size, or a bad setting.';

CREATE FUNCTION howdah_internal.catalog_page_sql(tab regclass, cond text, ord text, lim integer, off integer, group_cols smallint[])
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The one statement of a list or search call: {"results": [...], "count": n} and, with group
-- columns, "grouping". Records are built as JSON only for the rows of the page (outside the
-- sorted, limited subquery); the count is a second scan of the filtered rows in the same
-- statement, made only when the page does not tell it: a page shorter than `lim` that is not
-- empty (or starts at 0) ends the rows, so the count is `off` plus its length. `lim` is never
-- NULL (catalog_page_limit).
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
                   howdah_internal.catalog_record_cols_sql(tab, 'r'),
                   CASE WHEN cardinality(group_cols) > 0
                        THEN format(', count(*) OVER (PARTITION BY %s) AS %I, dense_rank() OVER (ORDER BY %s) AS %I', gcols, n_alias, gcols, k_alias)
                        ELSE '' END,
                   tab, cond,
                   CASE WHEN ord <> '' THEN ' ORDER BY ' || ord ELSE '' END,
                   CASE WHEN lim IS NOT NULL THEN ' LIMIT ' || lim ELSE '' END,
                   CASE WHEN off > 0 THEN ' OFFSET ' || off ELSE '' END);
    total := format('(SELECT count(*) FROM %s AS r WHERE %s)', tab, cond);
    IF cardinality(group_cols) = 0 THEN
        -- CASE evaluates the count's subquery (an InitPlan) only in the branch that needs it.
        RETURN format('SELECT jsonb_build_object(''results'', p.results, ''count'', '
                             'CASE WHEN jsonb_array_length(p.results) < %2$s AND (%3$s = 0 OR jsonb_array_length(p.results) > 0) '
                                  'THEN %3$s + jsonb_array_length(p.results) ELSE %1$s END) '
                      'FROM (SELECT coalesce(jsonb_agg(q.j ORDER BY q.i), ''[]'') AS results '
                            'FROM (SELECT %4$s AS j, row_number() OVER () AS i FROM (%5$s) AS s) AS q) AS p',
                      total, lim, coalesce(off, 0), howdah_internal.catalog_record_json_sql(tab, 's'), page);
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
                  howdah_internal.catalog_record_json_sql(tab, 's'), howdah_internal.catalog_group_json_sql(tab, group_cols, 's'), n_alias, k_alias, page,
                  total, to_jsonb(group_cols));
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_page_sql(regclass, text, text, integer, integer, smallint[]) IS 'Builds the single statement of list_records/search_records from a compiled condition and order; groups follow the group columns'' types (window functions), not their JSON. Errors: none.';
