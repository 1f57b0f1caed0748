-- advisor code 002: the SQL tokenizer, normalize() and fingerprint(). One logical query gets one
-- normalized text whether it comes from pg_stat_statements ($1 placeholders) or is pasted by a
-- user (literals): literals and parameters become ?, IN lists, ARRAY[...] lists and VALUES rows
-- of placeholders collapse to one, a minus sign folds into the number it negates (as the server
-- and pg_stat_statements do), true/false/null become ? except after IS, comments go, whitespace
-- folds to single spaces, and case folds outside quoted identifiers (a quoted identifier that
-- needs no quotes loses them: "orders" is orders).
--
-- The keyword lists below are fixed (PostgreSQL 15's), not read from pg_get_keywords(), so that
-- fingerprints do not change with the server version.
--
-- Errors: 42601 (syntax_error) for an unterminated quoted string, quoted identifier,
-- dollar-quoted string or block comment, naming the byte position.

CREATE FUNCTION howdah_internal.advisor_lex(sql text, OUT kinds text[], OUT toks text[])
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Splits `sql` into tokens, dropping whitespace and comments. kinds[i] says what toks[i] is:
--   w  word: keyword or unquoted identifier, ASCII letters lowered (as the server does)
--   i  quoted identifier, as quote_ident() of its name (so "orders" is orders, "Orders" stays)
--   n  number   s  string (any kind: '', E'', B'', X'', N'', U&'', $tag$...$tag$)   p  $n
--   o  operator (PostgreSQL's rule: a run of operator characters, trailing + and - dropped
--      unless it holds one of ~!@#%^&|`?)
--   x  punctuation: ( ) [ ] , ; . : ::
-- Works on the UTF-8 bytes: every byte of a multibyte character counts as a letter, as in the
-- server's lexer.
DECLARE
    b bytea := convert_to(sql, 'UTF8');
    n integer := length(b);
    i integer := 0;
    j integer;
    c integer;
    d integer;
    depth integer;
    tag bytea;
    found integer;
    special boolean;
    scs boolean := current_setting('standard_conforming_strings') = 'on';
    escapes boolean;
    name text;
BEGIN
    kinds := '{}'::text[];
    toks := '{}'::text[];
    WHILE i < n LOOP
        c := get_byte(b, i);
        d := CASE WHEN i + 1 < n THEN get_byte(b, i + 1) ELSE 0 END;
        IF c IN (32, 9, 10, 13, 12, 11) THEN
            i := i + 1;
        ELSIF c = 45 AND d = 45 THEN                                   -- -- comment
            i := i + 2;
            WHILE i < n AND get_byte(b, i) NOT IN (10, 13) LOOP
                i := i + 1;
            END LOOP;
        ELSIF c = 47 AND d = 42 THEN                                   -- /* comment */, nested
            j := i;
            depth := 1;
            i := i + 2;
            WHILE depth > 0 LOOP
                IF i + 1 >= n THEN
                    RAISE EXCEPTION USING ERRCODE = 'syntax_error',
                        MESSAGE = format('unterminated /* comment at byte %s', j + 1),
                        HINT = 'Close every /* with */ (comments nest).';
                END IF;
                c := get_byte(b, i);
                d := get_byte(b, i + 1);
                IF c = 47 AND d = 42 THEN
                    depth := depth + 1;
                    i := i + 2;
                ELSIF c = 42 AND d = 47 THEN
                    depth := depth - 1;
                    i := i + 2;
                ELSE
                    i := i + 1;
                END IF;
            END LOOP;
        ELSIF c = 39                                                   -- '...'
              OR (c IN (69, 101, 66, 98, 88, 120, 78, 110) AND d = 39)  -- E'' B'' X'' N''
              OR (c IN (85, 117) AND d = 38 AND i + 2 < n AND get_byte(b, i + 2) = 39) THEN -- U&''
            j := i;
            escapes := c IN (69, 101) OR (c = 39 AND NOT scs);
            i := i + CASE WHEN c = 39 THEN 1 WHEN c IN (85, 117) THEN 3 ELSE 2 END;
            LOOP
                IF i >= n THEN
                    RAISE EXCEPTION USING ERRCODE = 'syntax_error',
                        MESSAGE = format('unterminated quoted string at byte %s', j + 1),
                        HINT = 'Double a quote inside a string: ''it''''s''.';
                END IF;
                c := get_byte(b, i);
                IF c = 92 AND escapes THEN
                    i := i + 2;
                ELSIF c = 39 THEN
                    IF i + 1 < n AND get_byte(b, i + 1) = 39 THEN
                        i := i + 2;
                    ELSE
                        i := i + 1;
                        EXIT;
                    END IF;
                ELSE
                    i := i + 1;
                END IF;
            END LOOP;
            kinds := kinds || 's'::text;
            toks := toks || convert_from(substring(b FROM j + 1 FOR i - j), 'UTF8');
        ELSIF c = 34 OR (c IN (85, 117) AND d = 38 AND i + 2 < n AND get_byte(b, i + 2) = 34) THEN -- "..." U&"..."
            j := i;
            i := i + CASE WHEN c = 34 THEN 1 ELSE 3 END;
            LOOP
                IF i >= n THEN
                    RAISE EXCEPTION USING ERRCODE = 'syntax_error',
                        MESSAGE = format('unterminated quoted identifier at byte %s', j + 1),
                        HINT = 'Double a double quote inside an identifier: "a""b".';
                END IF;
                IF get_byte(b, i) = 34 THEN
                    IF i + 1 < n AND get_byte(b, i + 1) = 34 THEN
                        i := i + 2;
                    ELSE
                        i := i + 1;
                        EXIT;
                    END IF;
                ELSE
                    i := i + 1;
                END IF;
            END LOOP;
            kinds := kinds || 'i'::text;
            IF c = 34 THEN
                name := replace(convert_from(substring(b FROM j + 2 FOR i - j - 2), 'UTF8'), '""', '"');
                toks := toks || quote_ident(name);
            ELSE
                toks := toks || convert_from(substring(b FROM j + 1 FOR i - j), 'UTF8');
            END IF;
        ELSIF (c BETWEEN 65 AND 90) OR (c BETWEEN 97 AND 122) OR c = 95 OR c >= 128 THEN -- word
            j := i;
            i := i + 1;
            WHILE i < n LOOP
                c := get_byte(b, i);
                EXIT WHEN NOT ((c BETWEEN 65 AND 90) OR (c BETWEEN 97 AND 122) OR (c BETWEEN 48 AND 57)
                               OR c = 95 OR c = 36 OR c >= 128);
                i := i + 1;
            END LOOP;
            kinds := kinds || 'w'::text;
            toks := toks || translate(convert_from(substring(b FROM j + 1 FOR i - j), 'UTF8'),
                                      'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');
        ELSIF c = 36 AND d BETWEEN 48 AND 57 THEN                      -- $n
            j := i;
            i := i + 1;
            WHILE i < n AND get_byte(b, i) BETWEEN 48 AND 57 LOOP
                i := i + 1;
            END LOOP;
            kinds := kinds || 'p'::text;
            toks := toks || convert_from(substring(b FROM j + 1 FOR i - j), 'UTF8');
        ELSIF c = 36 THEN                                              -- $tag$ ... $tag$
            j := i + 1;
            WHILE j < n LOOP
                c := get_byte(b, j);
                EXIT WHEN NOT ((c BETWEEN 65 AND 90) OR (c BETWEEN 97 AND 122) OR c = 95 OR c >= 128
                               OR (j > i + 1 AND c BETWEEN 48 AND 57));
                j := j + 1;
            END LOOP;
            IF j < n AND get_byte(b, j) = 36 THEN
                tag := substring(b FROM i + 1 FOR j - i + 1);
                found := position(tag IN substring(b FROM j + 2));
                IF found = 0 THEN
                    RAISE EXCEPTION USING ERRCODE = 'syntax_error',
                        MESSAGE = format('unterminated dollar-quoted string at byte %s', i + 1),
                        HINT = format('Close the string with %s.', convert_from(tag, 'UTF8'));
                END IF;
                j := j + 1 + found - 1 + length(tag);                  -- just past the closing tag
                kinds := kinds || 's'::text;
                toks := toks || convert_from(substring(b FROM i + 1 FOR j - i), 'UTF8');
                i := j;
            ELSE
                kinds := kinds || 'o'::text;
                toks := toks || '$'::text;
                i := i + 1;
            END IF;
        ELSIF (c BETWEEN 48 AND 57) OR (c = 46 AND d BETWEEN 48 AND 57) THEN -- number
            j := i;
            WHILE i < n AND get_byte(b, i) BETWEEN 48 AND 57 LOOP
                i := i + 1;
            END LOOP;
            -- A fraction, but not the .. of a range or the . before a name.
            IF i < n AND get_byte(b, i) = 46 AND NOT (i + 1 < n AND get_byte(b, i + 1) = 46) THEN
                i := i + 1;
                WHILE i < n AND get_byte(b, i) BETWEEN 48 AND 57 LOOP
                    i := i + 1;
                END LOOP;
            END IF;
            IF i + 1 < n AND get_byte(b, i) IN (69, 101)
               AND (get_byte(b, i + 1) BETWEEN 48 AND 57
                    OR (get_byte(b, i + 1) IN (43, 45) AND i + 2 < n AND get_byte(b, i + 2) BETWEEN 48 AND 57)) THEN
                i := i + 2;
                WHILE i < n AND get_byte(b, i) BETWEEN 48 AND 57 LOOP
                    i := i + 1;
                END LOOP;
            END IF;
            -- 0x1F, 0o17, 0b101 and 1_000 (PostgreSQL 16), and the server's "trailing junk".
            WHILE i < n LOOP
                c := get_byte(b, i);
                EXIT WHEN NOT ((c BETWEEN 65 AND 90) OR (c BETWEEN 97 AND 122) OR (c BETWEEN 48 AND 57) OR c = 95);
                i := i + 1;
            END LOOP;
            kinds := kinds || 'n'::text;
            toks := toks || convert_from(substring(b FROM j + 1 FOR i - j), 'UTF8');
        ELSIF c IN (43, 45, 42, 47, 60, 62, 61, 126, 33, 64, 35, 37, 94, 38, 124, 96, 63) THEN -- operator
            j := i;
            i := i + 1;
            WHILE i < n LOOP
                c := get_byte(b, i);
                EXIT WHEN c NOT IN (43, 45, 42, 47, 60, 62, 61, 126, 33, 64, 35, 37, 94, 38, 124, 96, 63);
                d := CASE WHEN i + 1 < n THEN get_byte(b, i + 1) ELSE 0 END;
                EXIT WHEN (c = 45 AND d = 45) OR (c = 47 AND d = 42);   -- a comment starts
                i := i + 1;
            END LOOP;
            special := false;
            FOR k IN j .. i - 1 LOOP
                IF get_byte(b, k) IN (126, 33, 64, 35, 37, 94, 38, 124, 96, 63) THEN
                    special := true;
                    EXIT;
                END IF;
            END LOOP;
            IF NOT special THEN
                WHILE i - j > 1 AND get_byte(b, i - 1) IN (43, 45) LOOP
                    i := i - 1;
                END LOOP;
            END IF;
            kinds := kinds || 'o'::text;
            toks := toks || convert_from(substring(b FROM j + 1 FOR i - j), 'UTF8');
        ELSIF c = 58 AND d = 58 THEN                                   -- ::
            kinds := kinds || 'x'::text;
            toks := toks || '::'::text;
            i := i + 2;
        ELSIF c IN (40, 41, 91, 93, 44, 59, 46, 58) THEN               -- ( ) [ ] , ; . :
            kinds := kinds || 'x'::text;
            toks := toks || chr(c);
            i := i + 1;
        ELSE                                                           -- anything else: kept as is
            j := i;
            i := i + 1;
            WHILE i < n AND get_byte(b, i) BETWEEN 128 AND 191 LOOP    -- the rest of a UTF-8 character
                i := i + 1;
            END LOOP;
            kinds := kinds || 'o'::text;
            toks := toks || convert_from(substring(b FROM j + 1 FOR i - j), 'UTF8');
        END IF;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_lex(text) IS 'The tokens of a SQL text without whitespace and comments: kinds[i] (w word, i quoted identifier, n number, s string, p $n, o operator, x punctuation) and toks[i]. Errors: 42601 unterminated string, quoted identifier, dollar quote or block comment.';

CREATE FUNCTION howdah_internal.advisor_unary_words()
RETURNS text[]
LANGUAGE sql IMMUTABLE
-- No SET clause: inlined as a constant. The keywords after which "-" negates: PostgreSQL 15's
-- reserved and type/function-name keywords, without those that are values (current_date, user,
-- end...), plus between.
RETURN '{all,analyse,analyze,and,any,array,as,asc,asymmetric,both,case,cast,check,collate,column,constraint,create,default,deferrable,desc,distinct,do,else,except,fetch,for,foreign,from,grant,group,having,in,initially,intersect,into,lateral,leading,limit,not,offset,on,only,or,order,placing,primary,references,returning,select,some,symmetric,table,then,to,trailing,union,unique,using,variadic,when,where,window,with,authorization,binary,collation,concurrently,cross,freeze,full,ilike,inner,is,isnull,join,left,like,natural,notnull,outer,overlaps,right,similar,tablesample,verbose,between}'::text[];
COMMENT ON FUNCTION howdah_internal.advisor_unary_words() IS 'The keywords after which a minus sign negates the number that follows (fixed, so that fingerprints do not depend on the server version). Errors: none.';

CREATE FUNCTION howdah_internal.advisor_normalize_tokens(kinds text[], toks text[], OUT okinds text[], OUT otoks text[])
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Turns advisor_lex() output into the normalized token stream: literals and parameters become
-- ? (kind l), a unary minus before a number goes, adjacent strings merge, true/false/null become
-- ? except after IS [NOT] (and null after DISTINCT FROM), ; goes, and lists of placeholders
-- collapse: IN (?, ?) and ARRAY[?, ?] to one element, VALUES (?, ?), (?, ?) to one row.
DECLARE
    n integer := coalesce(array_length(toks, 1), 0);
    m integer := 0;                 -- output length
    k text;
    t text;
    prev_k text;
    prev_t text;
    unary text[] := howdah_internal.advisor_unary_words();
    opens integer[] := '{}'::integer[];        -- output positions of open ( and [
    ctxs text[] := '{}'::text[];            -- what each open bracket holds: in, arr, val or -
    p integer;
    ctx text;
    items text;
    item text;
    ok boolean;
    first_comma integer;
    last_val_close integer := 0;    -- output position of the ) of the last VALUES row
    last_val_text text;
    from_string boolean := false;   -- the last output ? was a string
BEGIN
    okinds := '{}'::text[];
    otoks := '{}'::text[];
    FOR i IN 1 .. n LOOP
        k := kinds[i];
        t := toks[i];
        prev_k := CASE WHEN m > 0 THEN okinds[m] END;
        prev_t := CASE WHEN m > 0 THEN otoks[m] END;
        IF k IN ('n', 's', 'p') THEN
            IF k = 's' AND prev_t = '?' AND from_string THEN
                CONTINUE;                                   -- 'a' 'b' is one string
            END IF;
            okinds := okinds || 'l'::text;
            otoks := otoks || '?'::text;
            m := m + 1;
            from_string := k = 's';
            CONTINUE;
        END IF;
        from_string := false;
        IF k = 'w' AND t IN ('true', 'false', 'null') THEN
            IF NOT (prev_t = 'is' OR (prev_t = 'not' AND m > 1 AND otoks[m - 1] = 'is')
                    OR (t = 'null' AND prev_t = 'from' AND m > 1 AND otoks[m - 1] = 'distinct')) THEN
                okinds := okinds || 'l'::text;
                otoks := otoks || '?'::text;
                m := m + 1;
                CONTINUE;
            END IF;
        ELSIF k = 'o' AND t = '-' AND i < n AND kinds[i + 1] = 'n'
              AND (m = 0 OR prev_k = 'o' OR prev_t IN ('(', '[', ',', '::', ':')
                   OR (prev_k = 'w' AND prev_t = ANY (unary))) THEN
            CONTINUE;                                       -- -5 is one literal
        ELSIF k = 'x' AND t = ';' THEN
            CONTINUE;
        ELSIF k = 'x' AND t IN ('(', '[') THEN
            ctx := CASE
                WHEN t = '(' AND prev_k = 'w' AND prev_t = 'in' THEN 'in'
                WHEN t = '[' AND prev_k = 'w' AND prev_t = 'array' THEN 'arr'
                WHEN t = '(' AND prev_k = 'w' AND prev_t = 'values' THEN 'val'
                WHEN t = '(' AND prev_t = ',' AND last_val_close > 0 AND last_val_close = m - 1 THEN 'val'
                ELSE '-' END;
            okinds := okinds || k;
            otoks := otoks || t;
            m := m + 1;
            opens := opens || m;
            ctxs := ctxs || ctx;
            CONTINUE;
        ELSIF k = 'x' AND t IN (')', ']') AND coalesce(array_length(opens, 1), 0) > 0 THEN
            p := opens[array_length(opens, 1)];
            ctx := ctxs[array_length(ctxs, 1)];
            opens := opens[1:array_length(opens, 1) - 1];
            ctxs := ctxs[1:array_length(ctxs, 1) - 1];
            IF ctx IN ('in', 'arr') AND m > p THEN
                -- Items between the commas: each a ? with casts at most, all alike: keep the first.
                ok := true;
                items := NULL;
                item := '';
                first_comma := 0;
                FOR q IN p + 1 .. m + 1 LOOP
                    IF q = m + 1 OR otoks[q] = ',' THEN
                        IF position('?' IN item) = 0 OR (items IS NOT NULL AND items <> item) THEN
                            ok := false;
                            EXIT;
                        END IF;
                        items := item;
                        item := '';
                        IF q <= m AND first_comma = 0 THEN
                            first_comma := q;
                        END IF;
                    ELSIF otoks[q] IN ('?', '::', '[', ']', '.') OR okinds[q] IN ('w', 'i') THEN
                        item := item || ' ' || otoks[q];
                    ELSE
                        ok := false;
                        EXIT;
                    END IF;
                END LOOP;
                IF ok AND first_comma > 0 THEN
                    okinds := okinds[1:first_comma - 1];
                    otoks := otoks[1:first_comma - 1];
                    m := first_comma - 1;
                END IF;
            END IF;
            okinds := okinds || k;
            otoks := otoks || t;
            m := m + 1;
            IF ctx = 'val' THEN
                items := array_to_string(otoks[p + 1:m - 1], ' ');
                IF last_val_close > 0 AND last_val_close = p - 2 AND items = last_val_text THEN
                    okinds := okinds[1:p - 2];              -- the same row again: drop ", (...)"
                    otoks := otoks[1:p - 2];
                    m := p - 2;
                ELSE
                    last_val_text := items;
                END IF;
                last_val_close := m;
            END IF;
            CONTINUE;
        END IF;
        okinds := okinds || k;
        otoks := otoks || t;
        m := m + 1;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_normalize_tokens(text[], text[]) IS 'The normalized token stream of advisor_lex() output: literals and parameters as ? (kind l), lists of placeholders collapsed. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_join_tokens(kinds text[], toks text[])
RETURNS text
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Writes a token stream as text with single spaces, none inside brackets or around . and ::,
-- none before , and none between a function name and its (.
DECLARE
    n integer := coalesce(array_length(toks, 1), 0);
    out text := '';
    t text;
    prev text;
    unary text[] := howdah_internal.advisor_unary_words();
BEGIN
    FOR i IN 1 .. n LOOP
        t := toks[i];
        IF i > 1 THEN
            prev := toks[i - 1];
            IF NOT (t IN (',', ')', ']', '.', '::', ':') OR prev IN ('(', '[', '.', '::', ':')
                    OR (t = '(' AND kinds[i - 1] IN ('w', 'i')
                        AND (NOT prev = ANY (unary) OR prev IN ('any', 'all', 'some', 'cast', 'array')) AND prev NOT IN ('values', 'exists'))
                    OR (t = '[' AND (kinds[i - 1] IN ('w', 'i', 'l') OR prev IN (')', ']')))) THEN
                out := out || ' ';
            END IF;
        END IF;
        out := out || t;
    END LOOP;
    RETURN out;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_join_tokens(text[], text[]) IS 'A token stream written as one line of text with canonical spacing. Errors: none.';

CREATE FUNCTION howdah_advisor.normalize(sql text)
RETURNS text
LANGUAGE plpgsql STABLE STRICT SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- `sql` normalized: the text two statements share when they are the same query with other
-- literals, parameters, comments, whitespace or case.
DECLARE
    lexed record;
    norm record;
BEGIN
    lexed := howdah_internal.advisor_lex(sql);
    norm := howdah_internal.advisor_normalize_tokens(lexed.kinds, lexed.toks);
    RETURN howdah_internal.advisor_join_tokens(norm.okinds, norm.otoks);
END;
$$;
COMMENT ON FUNCTION howdah_advisor.normalize(text) IS 'The normalized text of a SQL statement: literals and $n parameters as ?, IN lists, ARRAY lists and VALUES rows of placeholders collapsed to one, comments dropped, whitespace folded, case folded outside quoted identifiers and strings. The same for pg_stat_statements'' text and for a pasted statement with literals. Errors: 42601 unterminated string, quoted identifier, dollar quote or comment.';

CREATE FUNCTION howdah_advisor.fingerprint(sql text)
RETURNS text
LANGUAGE sql STABLE STRICT SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
RETURN md5(howdah_advisor.normalize(sql));
COMMENT ON FUNCTION howdah_advisor.fingerprint(text) IS 'md5 of normalize(sql): statements that are the same query with other literals share it. Errors: 42601 unterminated string, quoted identifier, dollar quote or comment.';
