-- advisor code 003: what a statement is made of — its verb, the relations it names, and a stream
-- of feature tokens (verb:, table:, join:, pred:, joincond:, func:, clause:, op:) that later
-- stages weigh with TF-IDF to cluster queries into families; analyze_query() shows all of it for
-- a pasted statement. Read from the normalized token stream (code 002), so literal variants
-- have the same features.
--
-- Errors: 42601 (syntax_error) for an unterminated string, quoted identifier, dollar quote or
-- comment (from the tokenizer).

CREATE FUNCTION howdah_internal.advisor_features(kinds text[], toks text[],
    OUT verb howdah_advisor.query_verb, OUT tables text[], OUT schemas text[], OUT tokens text[])
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Reads a normalized token stream (advisor_normalize_tokens) once, left to right. tables are the
-- relation names as written (schema-qualified when written so); schemas the qualifiers of every
-- qualified table or function name, for ingest's exclusions.
DECLARE
    n integer := coalesce(array_length(toks, 1), 0);
    kw text[] := howdah_internal.advisor_unary_words()
                 || '{values,exists,set,do,conflict,nothing,over,filter,within,returning,cross,natural}'::text[];
    verbs text[] := '{select,insert,update,delete,merge,values,table}'::text[];
    cmp text[] := '{=,<>,!=,<,>,<=,>=,~~,~~*,!~~,!~~*,~,~*,!~,!~*,@>,<@,&&,?,?|,?&,@@,like,ilike,in,between,is,similar}'::text[];
    parens text[] := '{}'::text[];          -- per open (: f (a function's arguments) or - (anything else)
    depth integer := 0;
    i integer;
    j integer;
    e integer;
    s integer;
    k text;
    t text;
    v text;
    name text;
    lhs text;
    rhs text;
    op text;
    jk text;
    lvl integer;
    ctes text[] := '{}'::text[];
    set_depth integer := -1;        -- inside UPDATE's or ON CONFLICT's SET list at this depth
BEGIN
    tables := '{}'::text[];
    schemas := '{}'::text[];
    tokens := '{}'::text[];
    IF n = 0 THEN
        verb := 'utility';
        RETURN;
    END IF;

    -- The verb: the first statement word outside brackets (after a WITH clause's bodies).
    lvl := 0;
    FOR q IN 1 .. n LOOP
        IF toks[q] = '(' THEN
            lvl := lvl + 1;
        ELSIF toks[q] = ')' THEN
            lvl := lvl - 1;
        ELSIF kinds[q] = 'w' AND toks[q] = ANY (verbs) AND (lvl = 0 OR toks[1] = '(')
              AND (q = 1 OR toks[1] IN ('with', '(')) THEN
            v := toks[q];
            EXIT;
        END IF;
        EXIT WHEN q = 1 AND toks[1] NOT IN ('with', '(');
    END LOOP;
    verb := CASE WHEN v IN ('values', 'table') THEN 'select' WHEN v IS NULL THEN 'utility' ELSE v END::howdah_advisor.query_verb;
    tokens := tokens || ('verb:' || verb);
    IF toks[1] = 'with' THEN
        tokens := tokens || 'clause:cte'::text;
        -- The names the WITH clause defines: name [(columns)] AS [[NOT] MATERIALIZED] (
        lvl := 0;
        FOR q IN 2 .. n - 1 LOOP
            IF toks[q] = '(' THEN
                lvl := lvl + 1;
            ELSIF toks[q] = ')' THEN
                lvl := lvl - 1;
            ELSIF lvl = 0 AND toks[q] = 'as' AND toks[q + 1] IN ('(', 'materialized', 'not') THEN
                s := q - 1;
                IF toks[s] = ')' THEN                               -- skip the column list
                    WHILE s > 1 AND toks[s] <> '(' LOOP
                        s := s - 1;
                    END LOOP;
                    s := s - 1;
                END IF;
                IF s >= 1 AND kinds[s] IN ('w', 'i') THEN
                    ctes := ctes || toks[s];
                END IF;
            ELSIF lvl = 0 AND kinds[q] = 'w' AND toks[q] = ANY (verbs) THEN
                EXIT;
            END IF;
        END LOOP;
    END IF;

    i := 1;
    WHILE i <= n LOOP
        k := kinds[i];
        t := toks[i];
        IF t = '(' THEN
            parens := parens || CASE WHEN i > 1 AND kinds[i - 1] IN ('w', 'i') AND NOT toks[i - 1] = ANY (kw) THEN 'f' ELSE '-' END;
            depth := depth + 1;
            IF i < n AND toks[i + 1] = 'select' THEN
                tokens := tokens || 'clause:subquery'::text;
            END IF;
        ELSIF t = ')' THEN
            parens := parens[1:greatest(depth - 1, 0)];
            depth := greatest(depth - 1, 0);
            IF set_depth > depth THEN
                set_depth := -1;
            END IF;
        ELSIF k = 'w' AND t IN ('from', 'join', 'into', 'update', 'using', 'table')
              AND NOT (t = 'from' AND i > 1 AND toks[i - 1] = 'distinct')
              AND NOT (t = 'from' AND depth > 0 AND parens[depth] = 'f')          -- extract(x from y)
              AND NOT (t = 'update' AND i > 1 AND toks[i - 1] IN ('for', 'do', 'no', 'key'))
              AND NOT (t = 'table' AND i > 1)
              AND NOT (t = 'using' AND i < n AND toks[i + 1] = '(') THEN
            IF t = 'join' THEN
                jk := CASE WHEN i > 1 THEN toks[i - 1] END;
                IF jk = 'outer' AND i > 2 THEN
                    jk := toks[i - 2];
                END IF;
                tokens := tokens || ('join:' || CASE WHEN jk IN ('left', 'right', 'full', 'cross', 'natural') THEN jk ELSE 'inner' END);
            END IF;
            -- One relation, or for FROM and USING a comma-separated list of them.
            j := i + 1;
            LOOP
                WHILE j <= n AND toks[j] IN ('only', 'lateral') LOOP
                    IF toks[j] = 'lateral' THEN
                        tokens := tokens || 'clause:lateral'::text;
                    END IF;
                    j := j + 1;
                END LOOP;
                EXIT WHEN j > n OR kinds[j] NOT IN ('w', 'i') OR toks[j] = ANY (kw);
                name := toks[j];
                s := j;
                WHILE j + 2 <= n AND toks[j + 1] = '.' AND kinds[j + 2] IN ('w', 'i') LOOP
                    name := name || '.' || toks[j + 2];
                    j := j + 2;
                END LOOP;
                IF j < n AND toks[j + 1] = '(' AND t IN ('from', 'join', 'using') THEN
                    j := s;                                                 -- a function in FROM: read below
                    EXIT;
                END IF;
                IF name = ANY (ctes) THEN
                    j := j + 1;                                             -- a WITH query, not a relation
                    EXIT WHEN t NOT IN ('from', 'using');
                    CONTINUE;
                END IF;
                IF j > s THEN
                    schemas := schemas || array_to_string(toks[s:j - 2], '');
                END IF;
                IF NOT name = ANY (tables) THEN
                    tables := tables || name;
                END IF;
                tokens := tokens || ('table:' || toks[j]);
                j := j + 1;
                EXIT WHEN t NOT IN ('from', 'using');
                -- Skip an alias (AS name, or a bare name that is no keyword) and its column list.
                IF j <= n AND toks[j] = 'as' THEN
                    j := j + 1;
                END IF;
                IF j <= n AND kinds[j] IN ('w', 'i') AND NOT toks[j] = ANY (kw) THEN
                    j := j + 1;
                END IF;
                IF j <= n AND toks[j] = '(' THEN
                    lvl := 0;
                    LOOP
                        IF toks[j] = '(' THEN
                            lvl := lvl + 1;
                        ELSIF toks[j] = ')' THEN
                            lvl := lvl - 1;
                        END IF;
                        j := j + 1;
                        EXIT WHEN lvl = 0 OR j > n;
                    END LOOP;
                END IF;
                EXIT WHEN j > n OR toks[j] <> ',';
                j := j + 1;
            END LOOP;
            i := j - 1;                                                     -- go on after the relations
        ELSIF k = 'w' AND t = 'set' AND i > 1 AND (toks[i - 1] = 'update' OR kinds[i - 1] IN ('w', 'i')) THEN
            set_depth := depth;                                             -- SET a = ?, b = ?: assignments
        ELSIF set_depth = depth AND k = 'w' AND t IN ('where', 'from', 'returning') THEN
            set_depth := -1;
            i := i - 1;                                                     -- read the keyword again
        ELSIF set_depth = depth AND k = 'o' AND t = '=' THEN
            IF i > 1 AND kinds[i - 1] IN ('w', 'i') THEN
                tokens := tokens || ('set:' || toks[i - 1]);
            END IF;
        ELSIF (k = 'o' OR k = 'w') AND t = ANY (cmp) THEN
            -- A predicate: what is compared (a column, f(column), column->>?, ?) with what.
            op := t;
            e := i - 1;
            IF k = 'w' AND e >= 1 AND toks[e] = 'not' AND t IN ('in', 'like', 'ilike', 'between', 'similar') THEN
                op := 'not ' || t;
                e := e - 1;
                IF t = 'in' THEN
                    tokens := tokens || 'clause:not_in'::text;
                END IF;
            END IF;
            lhs := NULL;
            IF e >= 1 AND kinds[e] IN ('w', 'i') AND NOT toks[e] = ANY (kw) THEN
                lhs := toks[e];
            ELSIF e >= 1 AND toks[e] = '?' AND kinds[e] = 'l' AND e >= 3 AND toks[e - 1] IN ('->>', '->', '#>>', '#>')
                  AND kinds[e - 2] IN ('w', 'i') THEN
                lhs := toks[e - 2] || toks[e - 1] || '?';
            ELSIF e >= 1 AND toks[e] = ')' THEN
                lvl := 0;
                s := e;
                WHILE s >= 1 LOOP
                    IF toks[s] = ')' THEN
                        lvl := lvl + 1;
                    ELSIF toks[s] = '(' THEN
                        lvl := lvl - 1;
                    END IF;
                    EXIT WHEN lvl = 0;
                    s := s - 1;
                END LOOP;
                IF s > 1 AND kinds[s - 1] = 'w' AND NOT toks[s - 1] = ANY (kw) THEN
                    lhs := toks[s - 1] || '(' || CASE WHEN e = s + 2 AND kinds[s + 1] IN ('w', 'i') THEN toks[s + 1]
                                                      WHEN e = s + 4 AND toks[s + 2] = '.' THEN toks[s + 3]
                                                      ELSE '…' END || ')';
                END IF;
            ELSIF e >= 1 AND toks[e] = '?' THEN
                lhs := '?';
            END IF;
            j := i + 1;
            IF j <= n AND toks[j] IN ('any', 'all', 'some') THEN
                op := op || ' ' || toks[j];
                j := j + 1;
            END IF;
            rhs := NULL;
            IF t = 'is' THEN
                rhs := array_to_string(toks[j:j + CASE WHEN toks[j] = 'not' THEN 1 ELSE 0 END], ' ');
                IF rhs IN ('distinct', 'not distinct') THEN
                    rhs := NULL;                                      -- IS [NOT] DISTINCT FROM: no shape
                END IF;
            ELSIF j <= n AND toks[j] = '?' THEN
                rhs := '?';
            ELSIF j <= n AND toks[j] = '(' AND j < n AND toks[j + 1] = 'select' THEN
                rhs := '(select)';
            ELSIF j <= n AND toks[j] IN ('(', 'array') AND j < n AND toks[j + 1] IN ('?', '[') THEN
                rhs := '?';
            ELSIF j <= n AND kinds[j] IN ('w', 'i') AND NOT toks[j] = ANY (kw) THEN
                rhs := toks[j];
                WHILE j + 2 <= n AND toks[j + 1] = '.' AND kinds[j + 2] IN ('w', 'i') LOOP
                    j := j + 2;
                    rhs := toks[j];
                END LOOP;
                IF j < n AND toks[j + 1] = '(' THEN
                    rhs := NULL;                                      -- a function call
                END IF;
            END IF;
            IF t = 'is' AND lhs IS NOT NULL AND lhs <> '?' AND rhs IS NOT NULL THEN
                tokens := tokens || ('pred:' || lhs || ' is ' || rhs);
            ELSIF lhs IS NOT NULL AND lhs <> '?' AND rhs IN ('?', '(select)') THEN
                tokens := tokens || ('pred:' || lhs || ' ' || op || ' ' || rhs);
            ELSIF lhs = '?' AND rhs IS NOT NULL AND rhs NOT IN ('?', '(select)') THEN
                tokens := tokens || ('pred:' || rhs || ' ' || CASE op WHEN '<' THEN '>' WHEN '>' THEN '<' WHEN '<=' THEN '>='
                                                                   WHEN '>=' THEN '<=' ELSE op END || ' ?');
            ELSIF op = '=' AND lhs IS NOT NULL AND rhs IS NOT NULL AND lhs <> '?' AND rhs NOT IN ('?', '(select)') THEN
                tokens := tokens || ('joincond:' || least(lhs, rhs) || ' = ' || greatest(lhs, rhs));
            END IF;
        ELSIF k IN ('w', 'i') AND i + 3 <= n AND toks[i + 1] = '.' AND kinds[i + 2] IN ('w', 'i') AND toks[i + 3] = '(' THEN
            schemas := schemas || t;                                        -- schema.function(
            tokens := tokens || ('func:' || toks[i + 2]);
            i := i + 2;
        ELSIF k = 'w' AND i < n AND toks[i + 1] = '(' AND NOT t = ANY (kw) AND NOT (i > 1 AND toks[i - 1] = '::') THEN
            tokens := tokens || ('func:' || t);
        ELSIF k = 'w' THEN
            CASE
                WHEN t IN ('order', 'group', 'partition') AND i < n AND toks[i + 1] = 'by' THEN
                    tokens := tokens || ('clause:' || t || '_by');
                WHEN t IN ('limit', 'offset', 'having', 'union', 'intersect', 'except', 'exists', 'or', 'returning', 'case', 'fetch') THEN
                    tokens := tokens || ('clause:' || t);
                WHEN t = 'distinct' AND NOT (i > 1 AND toks[i - 1] IN ('is', 'not')) THEN
                    tokens := tokens || 'clause:distinct'::text;
                WHEN t = 'over' THEN
                    tokens := tokens || 'clause:window'::text;
                WHEN t = 'for' AND i < n AND toks[i + 1] IN ('update', 'share', 'no', 'key') THEN
                    tokens := tokens || 'clause:for_update'::text;
                WHEN t = 'conflict' AND i > 1 AND toks[i - 1] = 'on' THEN
                    tokens := tokens || 'clause:on_conflict'::text;
                ELSE
                    NULL;
            END CASE;
        ELSIF k = 'o' AND t NOT IN ('*', '=') THEN
            tokens := tokens || ('op:' || t);
        END IF;
        i := i + 1;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_features(text[], text[]) IS 'The verb, relation names, schema qualifiers and feature tokens of a normalized token stream. Errors: none.';

CREATE FUNCTION howdah_advisor.tokens(sql text)
RETURNS text[]
LANGUAGE plpgsql STABLE STRICT SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The feature tokens of `sql`, in statement order.
DECLARE
    lexed record;
    norm record;
BEGIN
    lexed := howdah_internal.advisor_lex(sql);
    norm := howdah_internal.advisor_normalize_tokens(lexed.kinds, lexed.toks);
    RETURN (howdah_internal.advisor_features(norm.okinds, norm.otoks)).tokens;
END;
$$;
COMMENT ON FUNCTION howdah_advisor.tokens(text) IS 'The feature tokens of a SQL statement, in order: verb:select, table:orders, join:left, pred:customer_id = ?, pred:email like ?, pred:lower(email) = ?, joincond:customer_id = id, func:count, clause:order_by, op:->> ... (the input of query families). Errors: 42601 unterminated string, quoted identifier, dollar quote or comment.';

CREATE FUNCTION howdah_advisor.analyze_query(sql text,
    OUT norm_sql text, OUT fingerprint text, OUT verb howdah_advisor.query_verb, OUT tables text[],
    OUT tokens text[], OUT query_id bigint)
LANGUAGE plpgsql STABLE STRICT SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Everything the advisor reads from a statement's text, for SQL a user pastes: the normalized
-- text, its fingerprint, verb, relations and feature tokens, and the id of the captured query
-- with that fingerprint (NULL when no scan has seen it, or when the caller may not read queries).
DECLARE
    lexed record;
    norm record;
    f record;
BEGIN
    lexed := howdah_internal.advisor_lex(sql);
    norm := howdah_internal.advisor_normalize_tokens(lexed.kinds, lexed.toks);
    f := howdah_internal.advisor_features(norm.okinds, norm.otoks);
    norm_sql := howdah_internal.advisor_join_tokens(norm.okinds, norm.otoks);
    fingerprint := md5(norm_sql);
    verb := f.verb;
    tables := f.tables;
    tokens := f.tokens;
    IF has_table_privilege('howdah_advisor.queries', 'SELECT') THEN
        SELECT q.id INTO query_id FROM howdah_advisor.queries q WHERE q.fingerprint = analyze_query.fingerprint;
    END IF;
END;
$$;
COMMENT ON FUNCTION howdah_advisor.analyze_query(text) IS 'What the advisor reads from one statement''s text, for SQL you paste: norm_sql, fingerprint (md5 of norm_sql), verb, tables, tokens, and query_id, the captured query with that fingerprint (NULL when none). Errors: 42601 unterminated string, quoted identifier, dollar quote or comment.';
