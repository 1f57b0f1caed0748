-- advisor code 007: plan facts — stage 3 of a scan. capture_plans() plans the top queries of a
-- snapshot with advisor_explain() and stores each plan with the facts read from it
-- (advisor_plan_facts(): seq scans, index scans, joins, predicates, sorts, subplans, estimate
-- skew); explain_query() does the same for SQL a user pastes. Conditions as EXPLAIN prints them
-- ("((status = $2) AND (lower(email) = $1))") are split with the advisor's lexer, never with
-- regular expressions, so quoted strings and identifiers cannot confuse them.
--
-- EXPLAIN without VERBOSE names a relation without its schema: the relation is resolved among the
-- relations the statement names (`tables`, as queries.tables holds them), then among the visible
-- ones, then by name alone. Unqualified names in a statement resolve through the search_path the
-- snapshot recorded (scan's argument; advisor_search_path()): pg_stat_statements keeps none.
--
-- Bounds: step_timeout is checked between statements, as ingest does; what is left when it
-- passes is skipped and recorded (57014). Set statement_timeout before calling to bound one plan.
-- A statement that cannot be planned gets a plans row with its error and an entry in the
-- snapshot's errors, never an exception.
--
-- Errors: 22023 (invalid_parameter_value) naming the parameter; P0002 (no_data_found) for an
-- unknown snapshot; explain_query() raises advisor_explain()'s errors (22023, 42P01, 42601 ...).

CREATE FUNCTION howdah_internal.advisor_strip_parens(kinds text[], toks text[], OUT okinds text[], OUT otoks text[])
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The token stream without the parentheses that enclose all of it: ((a = 1)) is a = 1, but
-- (a) = (b) stays.
DECLARE
    n integer;
    depth integer;
    whole boolean;
BEGIN
    okinds := kinds;
    otoks := toks;
    LOOP
        n := coalesce(cardinality(otoks), 0);
        EXIT WHEN n < 2 OR otoks[1] <> '(' OR otoks[n] <> ')';
        depth := 0;
        whole := true;
        FOR i IN 1 .. n LOOP
            IF otoks[i] IN ('(', '[') AND okinds[i] = 'x' THEN
                depth := depth + 1;
            ELSIF otoks[i] IN (')', ']') AND okinds[i] = 'x' THEN
                depth := depth - 1;
                IF depth = 0 AND i < n THEN
                    whole := false;
                    EXIT;
                END IF;
            END IF;
        END LOOP;
        EXIT WHEN NOT whole;
        okinds := okinds[2:n - 1];
        otoks := otoks[2:n - 1];
    END LOOP;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_strip_parens(text[], text[]) IS 'A token stream without the parentheses around all of it. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_expr_key(kinds text[], toks text[])
RETURNS text
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- A canonical text for comparing expressions written with other parentheses or spacing, as
-- EXPLAIN and pg_get_indexdef() print them: (created_at)::date, (created_at::date) and
-- created_at::date share one key. Parentheses around a single token and around the whole go.
DECLARE
    s record;
    k text[] := '{}'::text[];
    t text[] := '{}'::text[];
    n integer;
BEGIN
    s := howdah_internal.advisor_strip_parens(kinds, toks);
    n := coalesce(cardinality(s.otoks), 0);
    FOR i IN 1 .. n LOOP
        CONTINUE WHEN s.otoks[i] = '(' AND i + 2 <= n AND s.otoks[i + 2] = ')' AND s.okinds[i + 1] IN ('w', 'i', 'n', 's', 'p')
                      AND NOT (i > 1 AND s.okinds[i - 1] IN ('w', 'i'));
        CONTINUE WHEN s.otoks[i] = ')' AND i > 2 AND s.otoks[i - 2] = '(' AND s.okinds[i - 1] IN ('w', 'i', 'n', 's', 'p')
                      AND NOT (i > 3 AND s.okinds[i - 3] IN ('w', 'i'));
        k := k || s.okinds[i];
        t := t || s.otoks[i];
    END LOOP;
    RETURN array_to_string(t, ' ');
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_expr_key(text[], text[]) IS 'A canonical text of an expression''s tokens, the same however EXPLAIN or pg_get_indexdef parenthesise it. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_ident_name(kind text, tok text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- PL/pgSQL, not SQL: a SQL function with a SET clause is never inlined and plans its query again
-- at every call; PL/pgSQL keeps the plan for the session (it is called once per row or plan).
BEGIN
    RETURN CASE WHEN kind = 'i' AND tok LIKE '"%"' THEN replace(substr(tok, 2, length(tok) - 2), '""', '"') ELSE tok END;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_ident_name(text, text) IS 'The name an identifier token stands for (a quoted identifier without its quotes). Errors: none.';

CREATE FUNCTION howdah_internal.advisor_side(kinds text[], toks text[],
    OUT side text, OUT aliases text[], OUT cols text[], OUT expr text, OUT ekey text)
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- One side of a comparison as EXPLAIN prints it: `side` is column (a lone column reference),
-- expr (an expression over columns), param (a value from $n, no column), const (literals and
-- functions of them, such as now() - '1 day'::interval). aliases/cols list the column references
-- in order (alias '' when unqualified); expr is the side without alias qualifiers, ekey its
-- canonical key (advisor_expr_key).
DECLARE
    s record;
    n integer;
    keep_k text[] := '{}'::text[];
    keep_t text[] := '{}'::text[];
    is_ref boolean;
    after_cast boolean := false;
    params boolean := false;
    funcs boolean := false;
    -- Words that are never a column: keywords EXPLAIN prints inside expressions.
    kw text[] := ARRAY['and', 'or', 'not', 'is', 'null', 'true', 'false', 'any', 'all', 'some', 'array', 'case', 'when',
                       'then', 'else', 'end', 'distinct', 'from', 'in', 'like', 'ilike', 'similar', 'to', 'between',
                       'collate', 'at', 'time', 'zone', 'with', 'without', 'interval', 'row', 'exists', 'hashed',
                       'subplan', 'initplan', 'unknown', 'varying', 'precision', 'double', 'character', 'cast', 'as'];
BEGIN
    s := howdah_internal.advisor_strip_parens(kinds, toks);
    n := coalesce(cardinality(s.otoks), 0);
    aliases := '{}';
    cols := '{}';
    FOR i IN 1 .. n LOOP
        is_ref := false;
        IF s.okinds[i] = 'p' THEN
            params := true;
        ELSIF s.okinds[i] IN ('w', 'i') THEN
            IF after_cast OR (s.okinds[i] = 'w' AND s.otoks[i] = ANY (kw)) THEN
                NULL;                                              -- a type name or a keyword
            ELSIF i < n AND s.otoks[i + 1] = '(' THEN
                funcs := true;                                     -- a function name
            ELSIF i < n - 1 AND s.otoks[i + 1] = '.' AND s.okinds[i + 2] IN ('w', 'i') THEN
                NULL;                                              -- a qualifier: the next word is the column
            ELSIF i > 2 AND s.otoks[i - 1] = '.' AND s.okinds[i - 2] IN ('w', 'i') THEN
                is_ref := true;
                aliases := aliases || howdah_internal.advisor_ident_name(s.okinds[i - 2], s.otoks[i - 2]);
                cols := cols || howdah_internal.advisor_ident_name(s.okinds[i], s.otoks[i]);
                -- Drop the qualifier just kept: "c.email" is written "email".
                keep_k := keep_k[1:cardinality(keep_k) - 2];
                keep_t := keep_t[1:cardinality(keep_t) - 2];
            ELSE
                is_ref := true;
                aliases := aliases || ''::text;
                cols := cols || howdah_internal.advisor_ident_name(s.okinds[i], s.otoks[i]);
            END IF;
        END IF;
        -- A cast names a type: its words (timestamp with time zone) are no columns.
        IF s.otoks[i] = '::' THEN
            after_cast := true;
        ELSIF s.okinds[i] NOT IN ('w', 'i') OR is_ref THEN
            after_cast := false;
        END IF;
        keep_k := keep_k || s.okinds[i];
        keep_t := keep_t || s.otoks[i];
    END LOOP;
    expr := howdah_internal.advisor_join_tokens(keep_k, keep_t);
    ekey := howdah_internal.advisor_expr_key(keep_k, keep_t);
    side := CASE
        WHEN cardinality(cols) = 1 AND n IN (1, 3) AND (n = 1 OR s.otoks[2] = '.') THEN 'column'
        WHEN cardinality(cols) > 0 THEN 'expr'
        WHEN params THEN 'param'
        ELSE 'const' END;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_side(text[], text[]) IS 'What one side of a comparison printed by EXPLAIN is: a column, an expression over columns, a parameter or a constant, with its column references and its text without alias qualifiers. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_conjuncts(cond text)
RETURNS TABLE (ord integer, alias text, column_name text, expr text, ekey text, op text, operator text, kind text,
               rhs text, rhs_alias text, rhs_column text, value text, ref_aliases text[], ref_cols text[], conjunct text)
LANGUAGE plpgsql STABLE SECURITY INVOKER ROWS 4
SET search_path = pg_catalog, pg_temp
AS $$
-- The conjuncts of a condition as EXPLAIN prints it (Filter, Index Cond, Hash Cond ...), split at
-- top-level AND, each classified: the column (column_name, with its alias qualifier or '') or
-- expression (expr, ekey) it tests, op (=, <, >, <=, >=, in, like, ilike, is null, is not null,
-- other), kind (eq, range, like, null, other), what it is compared with (rhs: column, expr,
-- param, const; rhs_alias/rhs_column for a column), the literal or parameter (value), and every
-- column reference in it. A comparison written value-first is turned around (5 < a is a > 5).
DECLARE
    lx record;
    w record;
    s record;
    l record;
    r record;
    tmp record;
    n integer;
    depth integer := 0;
    start integer := 1;
    parts int4range[] := '{}'::int4range[];
    k text[];
    t text[];
    m integer;
    opi integer;
    o text;
    comparisons text[] := ARRAY['=', '<', '>', '<=', '>=', '<>', '!=', '~~', '~~*', '!~~', '!~~*'];
BEGIN
    IF cond IS NULL OR btrim(cond) = '' THEN
        RETURN;
    END IF;
    lx := howdah_internal.advisor_lex(cond);
    w := howdah_internal.advisor_strip_parens(lx.kinds, lx.toks);
    n := coalesce(cardinality(w.otoks), 0);
    FOR i IN 1 .. n LOOP
        IF w.okinds[i] = 'x' AND w.otoks[i] IN ('(', '[') THEN
            depth := depth + 1;
        ELSIF w.okinds[i] = 'x' AND w.otoks[i] IN (')', ']') THEN
            depth := depth - 1;
        ELSIF depth = 0 AND w.okinds[i] = 'w' AND w.otoks[i] = 'and' THEN
            parts := parts || int4range(start, i);
            start := i + 1;
        END IF;
    END LOOP;
    parts := parts || int4range(start, n + 1);

    ord := 0;
    FOR p IN 1 .. cardinality(parts) LOOP
        CONTINUE WHEN isempty(parts[p]);
        ord := ord + 1;
        s := howdah_internal.advisor_strip_parens(w.okinds[lower(parts[p]):upper(parts[p]) - 1],
                                                  w.otoks[lower(parts[p]):upper(parts[p]) - 1]);
        k := s.okinds;
        t := s.otoks;
        m := cardinality(t);
        conjunct := howdah_internal.advisor_join_tokens(k, t);
        alias := NULL; column_name := NULL; expr := NULL; ekey := NULL; rhs := NULL; rhs_alias := NULL;
        rhs_column := NULL; value := NULL; operator := NULL;
        -- The top-level comparison operator, or IS [NOT] NULL at the end, or OR anywhere on top.
        opi := NULL;
        depth := 0;
        o := NULL;
        FOR i IN 1 .. m LOOP
            IF k[i] = 'x' AND t[i] IN ('(', '[') THEN
                depth := depth + 1;
            ELSIF k[i] = 'x' AND t[i] IN (')', ']') THEN
                depth := depth - 1;
            ELSIF depth = 0 AND k[i] = 'w' AND t[i] = 'or' THEN
                o := 'or';
                EXIT;
            ELSIF depth = 0 AND opi IS NULL AND k[i] = 'o' THEN
                opi := i;
            END IF;
        END LOOP;
        l := howdah_internal.advisor_side(k, t);
        ref_aliases := l.aliases;
        ref_cols := l.cols;
        IF o = 'or' THEN
            op := 'other'; operator := 'OR'; kind := 'other';
            expr := conjunct;
        ELSIF m >= 3 AND t[m] = 'null' AND t[m - 1] = 'is' OR m >= 4 AND t[m] = 'null' AND t[m - 1] = 'not' AND t[m - 2] = 'is' THEN
            l := howdah_internal.advisor_side(k[1:m - CASE WHEN t[m - 1] = 'not' THEN 3 ELSE 2 END],
                                               t[1:m - CASE WHEN t[m - 1] = 'not' THEN 3 ELSE 2 END]);
            op := CASE WHEN t[m - 1] = 'not' THEN 'is not null' ELSE 'is null' END;
            operator := upper(op);
            kind := 'null';
            rhs := 'const';
        ELSIF opi IS NULL THEN
            -- A boolean column or expression on its own (active, NOT active).
            IF t[1] = 'not' THEN
                l := howdah_internal.advisor_side(k[2:], t[2:]);
                value := 'false';
            ELSE
                value := 'true';
            END IF;
            op := CASE WHEN l.side IN ('column', 'expr') THEN '=' ELSE 'other' END;
            operator := op;
            kind := CASE WHEN op = '=' THEN 'eq' ELSE 'other' END;
            rhs := 'const';
        ELSE
            l := howdah_internal.advisor_side(k[1:opi - 1], t[1:opi - 1]);
            r := howdah_internal.advisor_side(k[opi + 1:], t[opi + 1:]);
            operator := t[opi];
            -- value-first: turn it around.
            IF l.side IN ('param', 'const') AND r.side IN ('column', 'expr') THEN
                tmp := l;
                l := r;
                r := tmp;
                operator := CASE operator WHEN '<' THEN '>' WHEN '>' THEN '<' WHEN '<=' THEN '>=' WHEN '>=' THEN '<=' ELSE operator END;
            END IF;
            IF operator = '=' AND t[opi + 1] IN ('any', 'some') AND k[opi + 1] = 'w' THEN
                op := 'in'; kind := 'eq';
            ELSIF NOT operator = ANY (comparisons) OR (m > opi AND t[opi + 1] IN ('any', 'all', 'some') AND k[opi + 1] = 'w') THEN
                op := 'other'; kind := 'other';
            ELSE
                op := CASE operator WHEN '~~' THEN 'like' WHEN '~~*' THEN 'ilike' WHEN '<>' THEN 'other' WHEN '!=' THEN 'other'
                                    WHEN '!~~' THEN 'other' WHEN '!~~*' THEN 'other' ELSE operator END;
                kind := CASE WHEN op = '=' THEN 'eq' WHEN op IN ('<', '>', '<=', '>=') THEN 'range'
                             WHEN op IN ('like', 'ilike') THEN 'like' ELSE 'other' END;
            END IF;
            rhs := r.side;
            IF r.side = 'column' THEN
                rhs_alias := r.aliases[1];
                rhs_column := r.cols[1];
            ELSIF r.side IN ('param', 'const') THEN
                value := r.expr;
            END IF;
        END IF;
        IF l.side = 'column' THEN
            alias := l.aliases[1];
            column_name := l.cols[1];
        ELSIF l.side = 'expr' AND o IS NULL THEN
            expr := l.expr;
            ekey := l.ekey;
            -- An expression over one relation's columns names that relation.
            IF (SELECT count(DISTINCT a) FROM unnest(l.aliases) a) = 1 THEN
                alias := l.aliases[1];
            END IF;
        ELSIF o IS NULL THEN
            op := 'other';
            kind := 'other';
        END IF;
        RETURN NEXT;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_conjuncts(text) IS 'The conjuncts of a plan condition (split at top-level AND with the advisor''s lexer), each with the column or expression it tests, its operator and kind (eq, range, like, null, other), what it is compared with, and its column references. Errors: 42601 for an unterminated string or identifier in the condition.';

CREATE FUNCTION howdah_internal.advisor_plan_relid(relname text, schemaname text, tables text[])
RETURNS oid
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The relation a plan node names: with its schema when the plan gives one (VERBOSE); else the
-- one among the statement's `tables` (as written in it), else a visible one, else the first by
-- name. NULL when none exists (dropped since).
-- PL/pgSQL, not SQL: a SQL function with a SET clause is never inlined and plans its query again
-- at every call; PL/pgSQL keeps the plan for the session (it is called once per row or plan).
BEGIN
    RETURN (SELECT c.oid
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace
     WHERE c.relname = advisor_plan_relid.relname AND c.relkind IN ('r', 'p', 'm', 'f', 'v')
       AND (advisor_plan_relid.schemaname IS NULL OR s.nspname = advisor_plan_relid.schemaname)
     ORDER BY c.oid = ANY (ARRAY(SELECT pg_catalog.to_regclass(h)::oid FROM pg_catalog.unnest(tables) h)) DESC,
              pg_catalog.quote_ident(s.nspname) || '.' || pg_catalog.quote_ident(c.relname) = ANY (tables) DESC,
              pg_catalog.pg_table_is_visible(c.oid) DESC, s.nspname LIKE 'pg\_%' , c.oid
     LIMIT 1);
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_plan_relid(text, text, text[]) IS 'The relation a plan node names (Relation Name, Schema when VERBOSE), resolved among the statement''s own tables first. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_plan_nodes(plan jsonb, tables text[] DEFAULT NULL)
RETURNS TABLE (id integer, parent integer, node_type text, node jsonb, relid oid, alias text, parent_rel text,
               subplan_root integer, depth integer)
LANGUAGE plpgsql STABLE SECURITY INVOKER ROWS 20
SET search_path = pg_catalog, pg_temp
AS $$
-- Every node of an EXPLAIN (FORMAT JSON) object, numbered in pre-order (the root is 1), with
-- its parent, the relation it reads (a Bitmap Index Scan reads its Bitmap Heap Scan's), its
-- alias, how it hangs from its parent (Outer, Inner, SubPlan, InitPlan, Member) and the root
-- of the SubPlan or InitPlan it belongs to (NULL in the main query).
-- PL/pgSQL, not SQL: a SQL function with a SET clause is never inlined and plans its query again
-- at every call; PL/pgSQL keeps the plan for the session (it is called once per row or plan).
BEGIN
    RETURN QUERY
    WITH RECURSIVE walk(path, node, ppath, rel_name, rel_schema, sub_path) AS (
        SELECT ARRAY[1], plan -> 'Plan', NULL::integer[], plan #>> '{Plan,Relation Name}', plan #>> '{Plan,Schema}', NULL::integer[]
         WHERE jsonb_typeof(plan -> 'Plan') = 'object'
        UNION ALL
        SELECT w.path || c.o::integer, c.n, w.path,
               coalesce(c.n ->> 'Relation Name', CASE WHEN c.n ->> 'Node Type' IN ('Bitmap Index Scan', 'BitmapAnd', 'BitmapOr') THEN w.rel_name END),
               coalesce(c.n ->> 'Schema', CASE WHEN c.n ->> 'Node Type' IN ('Bitmap Index Scan', 'BitmapAnd', 'BitmapOr') THEN w.rel_schema END),
               CASE WHEN c.n ->> 'Parent Relationship' IN ('SubPlan', 'InitPlan') THEN w.path || c.o::integer ELSE w.sub_path END
          FROM walk w, jsonb_array_elements(w.node -> 'Plans') WITH ORDINALITY c(n, o)
         WHERE jsonb_typeof(w.node -> 'Plans') = 'array'),
    numbered AS (
        SELECT w.*, (row_number() OVER (ORDER BY w.path))::integer AS id FROM walk w)
    SELECT n.id, p.id, n.node ->> 'Node Type', n.node,
           CASE WHEN n.rel_name IS NOT NULL THEN howdah_internal.advisor_plan_relid(n.rel_name, n.rel_schema, coalesce(tables, '{}')) END,
           n.node ->> 'Alias', n.node ->> 'Parent Relationship', s.id, cardinality(n.path)
      FROM numbered n
      LEFT JOIN numbered p ON p.path = n.ppath
      LEFT JOIN numbered s ON s.path = n.sub_path
     ORDER BY n.id;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_plan_nodes(jsonb, text[]) IS 'The nodes of an EXPLAIN (FORMAT JSON) plan in pre-order with parent, relation, alias, parent relationship and enclosing SubPlan/InitPlan. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_plan_facts(plan jsonb, tables text[] DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
-- The facts of one EXPLAIN (FORMAT JSON) object (advisor_explain's `plan`), as docs/advisor.md
-- ("Plan facts") describes them: seq_scans, index_scans, joins, predicates, sorts, subplans,
-- skew and max_skew (EXPLAIN ANALYZE only), node_types, analyzed. jit is off: the statement
-- below looks expensive to the planner, and compiling it took seconds for microseconds of work. `tables` are the relations the
-- statement names (queries.tables), used to resolve the relation names EXPLAIN prints without
-- their schema. Every entry carries node_id, the node's number in pre-order (the root is 1).
DECLARE
    facts jsonb;
BEGIN
    IF plan IS NULL OR jsonb_typeof(plan -> 'Plan') IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'plan must be one EXPLAIN (FORMAT JSON) object with a "Plan" key',
            HINT = 'Pass advisor_explain(sql).plan, or the first element of EXPLAIN (FORMAT JSON)''s array.';
    END IF;
    WITH nodes AS (
        SELECT * FROM howdah_internal.advisor_plan_nodes(plan, tables)),
    aliases AS (
        SELECT DISTINCT ON (n.alias) n.alias, n.relid FROM nodes n WHERE n.alias IS NOT NULL ORDER BY n.alias, n.id),
    single AS (   -- the relation an unqualified column outside a scan belongs to, when there is one
        SELECT CASE WHEN count(DISTINCT n.relid) = 1 THEN min(n.relid) END AS relid FROM nodes n WHERE n.relid IS NOT NULL),
    conds AS (
        SELECT n.id AS node_id, n.node_type, n.relid AS node_relid, n.alias AS node_alias, n.subplan_root, f.field,
               CASE f.field WHEN 'Filter' THEN 'filter' WHEN 'Index Cond' THEN 'index_cond' WHEN 'Recheck Cond' THEN 'recheck'
                            ELSE 'join' END AS source, c.*
          FROM nodes n
          CROSS JOIN unnest(ARRAY['Filter', 'Index Cond', 'Recheck Cond', 'Hash Cond', 'Merge Cond', 'Join Filter']) f(field)
          CROSS JOIN LATERAL howdah_internal.advisor_conjuncts(n.node ->> f.field) c
         WHERE n.node ? f.field),
    sides AS (    -- each conjunct, and the other side of a join condition between two columns
        SELECT c.node_id, c.node_type, c.node_relid, c.node_alias, c.source, c.ord, c.alias, c.column_name, c.expr, c.ekey,
               c.op, c.operator, c.kind, c.rhs, c.value,
               CASE WHEN c.rhs = 'column' THEN nullif(c.rhs_alias || '.', '.') || c.rhs_column END AS other
          FROM conds c WHERE c.column_name IS NOT NULL OR c.expr IS NOT NULL
        UNION ALL
        SELECT c.node_id, c.node_type, c.node_relid, c.node_alias, c.source, c.ord, c.rhs_alias, c.rhs_column, NULL, NULL,
               CASE WHEN c.op IN ('<', '>', '<=', '>=') THEN translate(c.op, '<>', '><') ELSE c.op END,
               CASE WHEN c.operator IN ('<', '>', '<=', '>=') THEN translate(c.operator, '<>', '><') ELSE c.operator END,
               c.kind, 'column', NULL, nullif(c.alias || '.', '.') || coalesce(c.column_name, c.expr)
          FROM conds c WHERE c.source = 'join' AND c.rhs = 'column' AND c.column_name IS NOT NULL),
    preds AS (
        SELECT s.*, CASE WHEN s.alias = '' THEN coalesce(s.node_relid, (SELECT single.relid FROM single))
                         ELSE (SELECT a.relid FROM aliases a WHERE a.alias = s.alias) END AS relid
          FROM sides s),
    side_scan AS (    -- the relation scanned on each side of a join (through Hash, Materialize, Memoize, Sort ...)
        SELECT DISTINCT ON (x.join_id, x.side) x.join_id, x.side, x.id, x.node_type, x.relid
          FROM (SELECT c.parent AS join_id, c.parent_rel AS side, d.id, d.node_type, d.relid, d.depth
                  FROM nodes c JOIN nodes d ON d.id >= c.id
                 WHERE c.parent_rel IN ('Inner', 'Outer') AND d.relid IS NOT NULL
                   AND (SELECT j.node_type FROM nodes j WHERE j.id = c.parent) IN ('Nested Loop', 'Hash Join', 'Merge Join')
                   AND d.subplan_root IS NOT DISTINCT FROM c.subplan_root
                   AND d.id < coalesce((SELECT min(z.id) FROM nodes z WHERE z.id > c.id AND z.depth <= c.depth), 2147483647)
                   AND NOT EXISTS (SELECT FROM nodes b WHERE b.id >= c.id AND b.id < d.id
                                      AND b.node_type IN ('Nested Loop', 'Hash Join', 'Merge Join', 'Append', 'Merge Append'))) x
         ORDER BY x.join_id, x.side, x.depth, x.id),
    inner_scan AS (
        SELECT s.join_id, s.id, s.node_type, s.relid FROM side_scan s WHERE s.side = 'Inner'),
    outer_scan AS (
        SELECT s.join_id, s.id, s.node_type, s.relid FROM side_scan s WHERE s.side = 'Outer')
    SELECT jsonb_build_object(
        'analyzed', plan #> '{Plan,Actual Rows}' IS NOT NULL,
        'seq_scans', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'node_id', n.id, 'node', n.node_type, 'table', n.relid::regclass::text, 'relid', n.relid::bigint, 'alias', n.alias,
                       'rows', (n.node ->> 'Plan Rows')::double precision, 'cost', (n.node ->> 'Total Cost')::double precision,
                       'filter', n.node ->> 'Filter', 'rows_removed', (n.node ->> 'Rows Removed by Filter')::double precision,
                       'act_rows', (n.node ->> 'Actual Rows')::double precision, 'loops', (n.node ->> 'Actual Loops')::double precision,
                       'parallel', coalesce((n.node ->> 'Parallel Aware')::boolean, false),
                       'inner_of', (SELECT j.node_type FROM inner_scan i JOIN nodes j ON j.id = i.join_id WHERE i.id = n.id LIMIT 1),
                       'columns', to_jsonb(ARRAY(SELECT DISTINCT rc FROM conds c, unnest(c.ref_aliases, c.ref_cols) r(ra, rc)
                                                  WHERE c.node_id = n.id AND c.field = 'Filter' AND (r.ra = '' OR r.ra = n.alias) ORDER BY rc)))
                       ORDER BY n.id)
              FROM nodes n WHERE n.node_type = 'Seq Scan'), '[]'),
        'index_scans', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'node_id', n.id, 'heap_node_id', CASE WHEN n.node_type = 'Bitmap Index Scan' THEN h.id ELSE n.id END,
                       'table', n.relid::regclass::text, 'relid', n.relid::bigint, 'alias', coalesce(n.alias, h.alias),
                       'index', (SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                                  WHERE i.indrelid = n.relid AND ic.relname = n.node ->> 'Index Name' LIMIT 1),
                       'node', n.node_type, 'index_cond', n.node ->> 'Index Cond',
                       'filter', coalesce(n.node ->> 'Filter', h.node ->> 'Filter'),
                       'rows', (coalesce(h.node, n.node) ->> 'Plan Rows')::double precision,
                       'cost', (coalesce(h.node, n.node) ->> 'Total Cost')::double precision,
                       'rows_removed', (coalesce(n.node ->> 'Rows Removed by Filter', h.node ->> 'Rows Removed by Filter'))::double precision,
                       'inner_of', (SELECT j.node_type FROM inner_scan i JOIN nodes j ON j.id = i.join_id WHERE i.id = coalesce(h.id, n.id) LIMIT 1))
                       ORDER BY n.id)
              FROM nodes n LEFT JOIN nodes h ON n.node_type = 'Bitmap Index Scan' AND h.id = n.parent AND h.node_type = 'Bitmap Heap Scan'
             WHERE n.node_type IN ('Index Scan', 'Index Only Scan', 'Bitmap Index Scan')), '[]'),
        'joins', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'node_id', j.id, 'node', j.node_type, 'join_type', j.node ->> 'Join Type',
                       'cond', coalesce(j.node ->> 'Hash Cond', j.node ->> 'Merge Cond', j.node ->> 'Join Filter'),
                       'join_filter', j.node ->> 'Join Filter', 'rows', (j.node ->> 'Plan Rows')::double precision,
                       'outer_rows', (SELECT (o.node ->> 'Plan Rows')::double precision FROM nodes o WHERE o.parent = j.id AND o.parent_rel = 'Outer' LIMIT 1),
                       'inner_rows', (SELECT (i.node ->> 'Plan Rows')::double precision FROM nodes i WHERE i.parent = j.id AND i.parent_rel = 'Inner' LIMIT 1),
                       'inner_table', s.relid::regclass::text, 'inner_relid', s.relid::bigint, 'inner_node', s.node_type, 'inner_node_id', s.id,
                       'outer_table', o.relid::regclass::text, 'outer_relid', o.relid::bigint, 'outer_node', o.node_type, 'outer_node_id', o.id)
                       ORDER BY j.id)
              FROM nodes j LEFT JOIN inner_scan s ON s.join_id = j.id LEFT JOIN outer_scan o ON o.join_id = j.id
             WHERE j.node_type IN ('Nested Loop', 'Hash Join', 'Merge Join')), '[]'),
        'predicates', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'node_id', p.node_id, 'node', p.node_type, 'table', p.relid::regclass::text, 'relid', p.relid::bigint,
                       'alias', nullif(p.alias, ''), 'column', p.column_name, 'expr', p.expr, 'expr_key', p.ekey,
                       'op', p.op, 'operator', p.operator, 'kind', p.kind, 'rhs', p.rhs, 'value', p.value, 'other', p.other,
                       'source', p.source)
                       ORDER BY p.node_id, p.source, p.ord)
              FROM preds p), '[]'),
        'sorts', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'node_id', n.id, 'node', n.node_type, 'keys', n.node -> 'Sort Key',
                       'rows', (n.node ->> 'Plan Rows')::double precision,
                       'limit', EXISTS (SELECT FROM nodes p LEFT JOIN nodes g ON g.id = p.parent
                                         WHERE p.id = n.parent AND (p.node_type = 'Limit'
                                               OR p.node_type IN ('Result', 'Gather Merge', 'Subquery Scan') AND g.node_type = 'Limit')),
                       'table', (SELECT CASE WHEN count(DISTINCT r) = 1 THEN min(r)::regclass::text END FROM unnest(k.relids) r),
                       'relid', (SELECT CASE WHEN count(DISTINCT r) = 1 THEN min(r)::bigint END FROM unnest(k.relids) r),
                       'columns', k.cols)
                       ORDER BY n.id)
              FROM nodes n
              CROSS JOIN LATERAL (
                  SELECT array_agg(CASE WHEN sk.a = '' THEN coalesce((SELECT single.relid FROM single), n.relid)
                                        ELSE (SELECT a.relid FROM aliases a WHERE a.alias = sk.a) END) AS relids,
                         jsonb_agg(jsonb_build_object('column', sk.col, 'expr', sk.expr, 'desc', sk.descending) ORDER BY sk.o) AS cols
                    FROM (SELECT e.o, sd.aliases[1] AS a, CASE WHEN sd.side = 'column' THEN sd.cols[1] END AS col,
                                 CASE WHEN sd.side = 'expr' THEN sd.expr END AS expr, e.descending
                            FROM jsonb_array_elements_text(n.node -> 'Sort Key') WITH ORDINALITY e0(key, o)
                            CROSS JOIN LATERAL (SELECT e0.o, e0.key ~* '\sDESC(\s|$)' AS descending,
                                                       regexp_replace(e0.key, '\s+(DESC|ASC|NULLS FIRST|NULLS LAST|USING \S+)(?=\s|$)', '', 'gi') AS bare) e
                            CROSS JOIN LATERAL howdah_internal.advisor_lex(e.bare) lx
                            CROSS JOIN LATERAL howdah_internal.advisor_side(lx.kinds, lx.toks) sd) sk) k
             WHERE n.node ? 'Sort Key' AND n.node_type IN ('Sort', 'Incremental Sort')), '[]'),
        'subplans', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'node_id', n.id, 'name', n.node ->> 'Subplan Name', 'init', n.parent_rel = 'InitPlan',
                       'hashed', EXISTS (SELECT FROM nodes x WHERE strpos(x.node::text, 'hashed ' || (n.node ->> 'Subplan Name') || ')') > 0
                                                                    OR strpos(x.node::text, 'hashed ' || (n.node ->> 'Subplan Name') || '"') > 0),
                       'correlated', n.parent_rel = 'SubPlan' AND EXISTS (
                           SELECT FROM conds c, unnest(c.ref_aliases) ra
                            WHERE c.node_id >= n.id AND c.node_id < n.subtree_end AND ra <> ''
                              AND EXISTS (SELECT FROM aliases a WHERE a.alias = ra)
                              AND NOT EXISTS (SELECT FROM nodes m WHERE m.id >= n.id AND m.id < n.subtree_end AND m.alias = ra)),
                       'table', (SELECT m.relid::regclass::text FROM nodes m WHERE m.id >= n.id AND m.id < n.subtree_end AND m.relid IS NOT NULL
                                  ORDER BY m.id LIMIT 1))
                       ORDER BY n.id)
              FROM (SELECT n0.*, coalesce((SELECT min(z.id) FROM nodes z WHERE z.id > n0.id AND z.depth <= n0.depth), 2147483647) AS subtree_end
                      FROM nodes n0 WHERE n0.node ? 'Subplan Name') n), '[]'),
        'skew', coalesce((
            SELECT jsonb_agg(jsonb_build_object('node_id', k.id, 'node', k.node_type, 'table', k.relid::regclass::text, 'relid', k.relid::bigint,
                                                'est', k.est, 'act', k.act, 'loops', k.loops, 'ratio', round(k.ratio::numeric, 2))
                             ORDER BY k.id)
              FROM (SELECT n.id, n.node_type, n.relid, (n.node ->> 'Plan Rows')::double precision AS est,
                           (n.node ->> 'Actual Rows')::double precision AS act, (n.node ->> 'Actual Loops')::double precision AS loops,
                           greatest((n.node ->> 'Plan Rows')::double precision, 1) / greatest((n.node ->> 'Actual Rows')::double precision, 1) AS r0
                      FROM nodes n WHERE n.node ? 'Actual Rows' AND (n.node ->> 'Actual Loops')::double precision > 0) k0
              CROSS JOIN LATERAL (SELECT k0.*, greatest(k0.r0, 1 / k0.r0) AS ratio) k
             WHERE k.ratio >= 2), '[]'),
        'max_skew', (
            SELECT round(max(greatest(x.r, 1 / x.r))::numeric, 2)
              FROM (SELECT greatest((n.node ->> 'Plan Rows')::double precision, 1) / greatest((n.node ->> 'Actual Rows')::double precision, 1) AS r
                      FROM nodes n WHERE n.node ? 'Actual Rows' AND (n.node ->> 'Actual Loops')::double precision > 0) x),
        'node_types', to_jsonb(ARRAY(SELECT DISTINCT n.node_type FROM nodes n ORDER BY 1)))
      INTO facts;
    RETURN facts;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_plan_facts(jsonb, text[]) IS 'The facts of an EXPLAIN (FORMAT JSON) object: seq_scans, index_scans, joins, predicates (conjuncts of every Filter, Index Cond, Recheck Cond, Hash Cond, Merge Cond and Join Filter, classified), sorts, subplans, skew, max_skew, node_types, analyzed (docs/advisor.md, "Plan facts"). tables (the statement''s relations as written) resolve the relation names EXPLAIN prints without schema. Errors: 22023 when plan is not an EXPLAIN JSON object.';

CREATE FUNCTION howdah_advisor.capture_plans(snapshot_id bigint, top_k integer DEFAULT 20, run boolean DEFAULT false,
    step_timeout interval DEFAULT '30 seconds')
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Stage 3 of a scan: plans the snapshot's top_k queries by rank (SELECT, INSERT, UPDATE, DELETE,
-- MERGE) with advisor_explain() and stores each plan with its facts in plans, replacing what the
-- snapshot had for that query. With `run`, a SELECT without parameters runs under EXPLAIN
-- ANALYZE (rolled back); everything else gets its generic or estimated plan. A statement that
-- cannot be planned gets a plans row with its error and an entry in the snapshot's errors.
-- step_timeout is checked between statements. Returns the number of plans captured (errors not
-- counted).
DECLARE
    sid bigint := capture_plans.snapshot_id;
    started timestamptz := clock_timestamp();
    deadline timestamptz;
    q record;
    ex record;
    f jsonb;
    want_run boolean;
    has_params boolean;
    captured integer := 0;
    failed integer := 0;
    skipped integer := 0;
    errs jsonb := '[]'::jsonb;
    code text;
    msg text;
    ms double precision;
    path text;
BEGIN
    IF top_k IS NULL OR top_k NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('top_k must be between 1 and 10000, not %s', coalesce(top_k::text, 'NULL'));
    END IF;
    IF run IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'run must be true or false, not NULL';
    END IF;
    IF step_timeout IS NULL OR step_timeout < '0'::interval THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('step_timeout must be 0 or more, not %s', coalesce(step_timeout::text, 'NULL'));
    END IF;
    PERFORM howdah_internal.advisor_require_snapshot(sid);

    deadline := clock_timestamp() + step_timeout;
    path := howdah_internal.advisor_search_path(sid);
    FOR q IN
        SELECT qu.id, qu.raw_sql, qu.verb, qu.tables, m.rank
          FROM howdah_advisor.metrics m JOIN howdah_advisor.queries qu ON qu.id = m.query_id
         WHERE m.snapshot_id = sid AND qu.verb IN ('select', 'insert', 'update', 'delete', 'merge')
         ORDER BY m.rank
         LIMIT top_k
    LOOP
        IF clock_timestamp() > deadline THEN
            skipped := skipped + 1;
            CONTINUE;
        END IF;
        -- ANALYZE needs literal values: pg_stat_statements' texts with $n get their generic plan.
        has_params := strpos(q.raw_sql, '$') > 0;
        want_run := false;
        BEGIN
            -- Lexing tells a $n parameter from a $ in a name; it matters only when run may apply
            -- (and, below, for a failed statement's row).
            IF run AND q.verb = 'select' AND has_params THEN
                has_params := 'p' = ANY ((howdah_internal.advisor_lex(q.raw_sql)).kinds);
            END IF;
            want_run := run AND q.verb = 'select' AND NOT has_params;
            ex := howdah_internal.advisor_explain(q.raw_sql, want_run, path);
            f := howdah_internal.advisor_plan_facts(ex.plan, q.tables);
            INSERT INTO howdah_advisor.plans AS p (snapshot_id, query_id, kind, total_cost, est_rows, act_rows, had_seq_scan,
                   buffers_present, plan_json, facts, error)
            VALUES (sid, q.id, ex.kind, (ex.plan #>> '{Plan,Total Cost}')::double precision,
                    (ex.plan #>> '{Plan,Plan Rows}')::double precision,
                    CASE WHEN ex.kind = 'analyze' THEN (ex.plan #>> '{Plan,Actual Rows}')::double precision END,
                    jsonb_array_length(f -> 'seq_scans') > 0, ex.plan #> '{Plan,Shared Hit Blocks}' IS NOT NULL, ex.plan, f, NULL)
            ON CONFLICT (snapshot_id, query_id, kind) DO UPDATE
               SET captured_at = excluded.captured_at, total_cost = excluded.total_cost, est_rows = excluded.est_rows,
                   act_rows = excluded.act_rows, had_seq_scan = excluded.had_seq_scan, buffers_present = excluded.buffers_present,
                   plan_json = excluded.plan_json, facts = excluded.facts, error = NULL;
            captured := captured + 1;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            IF has_params AND NOT want_run THEN
                BEGIN
                    has_params := 'p' = ANY ((howdah_internal.advisor_lex(q.raw_sql)).kinds);
                EXCEPTION WHEN OTHERS THEN  -- an unterminated string: the $ decides
                    NULL;
                END;
            END IF;
            failed := failed + 1;
            errs := errs || jsonb_build_object('stage', 'plans', 'query_id', q.id, 'query', left(q.raw_sql, 200),
                                               'sqlstate', code, 'message', msg);
            INSERT INTO howdah_advisor.plans AS p (snapshot_id, query_id, kind, plan_json, facts, error)
            VALUES (sid, q.id, CASE WHEN want_run THEN 'analyze' WHEN has_params THEN 'generic' ELSE 'estimate' END::howdah_advisor.explain_kind,
                    NULL, '{}', format('%s: %s', code, msg))
            ON CONFLICT (snapshot_id, query_id, kind) DO UPDATE
               SET captured_at = excluded.captured_at, total_cost = NULL, est_rows = NULL, act_rows = NULL, had_seq_scan = NULL,
                   buffers_present = false, plan_json = NULL, facts = '{}', error = excluded.error;
        END;
        IF (captured + failed) % 10 = 0 THEN
            RAISE NOTICE 'advisor plans: snapshot %: % of at most % planned', sid, captured + failed, top_k;
        END IF;
    END LOOP;
    IF skipped > 0 THEN
        errs := errs || jsonb_build_object('stage', 'plans', 'sqlstate', '57014',
            'message', format('step_timeout (%s) reached after %s statement(s); %s were not planned', step_timeout, captured + failed, skipped));
    END IF;

    ms := extract(epoch FROM clock_timestamp() - started) * 1000;
    UPDATE howdah_advisor.snapshots s
       SET stats = s.stats || jsonb_build_object('plans', jsonb_build_object(
               'captured', captured, 'errors', failed, 'skipped', skipped, 'top_k', top_k, 'run', run, 'ms', round(ms::numeric, 1))),
           errors = s.errors || errs
     WHERE s.id = sid;
    RAISE NOTICE 'advisor plans: snapshot %: % plans captured, % failed, % skipped, in % ms', sid, captured, failed, skipped, round(ms::numeric);
    RETURN captured;
END;
$$;
COMMENT ON FUNCTION howdah_advisor.capture_plans(bigint, integer, boolean, interval) IS
'Stage 3 of a scan: plans the snapshot''s top_k queries by rank (SELECT/INSERT/UPDATE/DELETE/MERGE) with their generic plan ($n texts) or estimate, or with run => true EXPLAIN ANALYZE for SELECTs with literals (rolled back), and stores plan_json and its facts in plans. A statement that fails to plan gets a plans row with its error and an entry in the snapshot''s errors; step_timeout is checked between statements. Returns the number of plans captured. '
'Errors: 22023 bad argument (names it); P0002 unknown snapshot.';

CREATE FUNCTION howdah_advisor.explain_query(sql text, run boolean DEFAULT false, search_path text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The plan of a statement a user pastes, with its facts and what identifies it: fingerprint,
-- norm_sql, query_id (the captured query with that fingerprint, or NULL), kind, params,
-- total_cost, est_rows, act_rows, plan, facts. With `run`, a SELECT with literals runs under
-- EXPLAIN ANALYZE inside a rolled-back subtransaction: bound it with statement_timeout.
-- Unqualified names resolve through `search_path` (NULL: the session's default path).
DECLARE
    a record;
    ex record;
BEGIN
    IF sql IS NULL OR run IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must not be NULL', CASE WHEN sql IS NULL THEN 'sql' ELSE 'run' END);
    END IF;
    a := howdah_advisor.analyze_query(sql);
    ex := howdah_internal.advisor_explain(sql, run, explain_query.search_path);
    RETURN jsonb_build_object(
        'fingerprint', a.fingerprint, 'norm_sql', a.norm_sql, 'query_id', a.query_id, 'verb', a.verb,
        'kind', ex.kind, 'params', ex.params,
        'total_cost', (ex.plan #>> '{Plan,Total Cost}')::double precision,
        'est_rows', (ex.plan #>> '{Plan,Plan Rows}')::double precision,
        'act_rows', (ex.plan #>> '{Plan,Actual Rows}')::double precision,
        'plan', ex.plan,
        'facts', howdah_internal.advisor_plan_facts(ex.plan, a.tables));
END;
$$;
COMMENT ON FUNCTION howdah_advisor.explain_query(text, boolean, text) IS
'The plan of one statement you paste, with the advisor''s facts about it (docs/advisor.md, "Plan facts"), its fingerprint, norm_sql and the captured query_id with that fingerprint: generic plan for $n texts, estimate for literals, EXPLAIN ANALYZE of a SELECT with run => true (rolled back). '
'Errors: 22023 NULL argument, empty or several statements, run of a non-SELECT or of $n parameters; 42601 unterminated string; else PREPARE''s or EXPLAIN''s own (42P01 unknown table, 42P18 ...).';
