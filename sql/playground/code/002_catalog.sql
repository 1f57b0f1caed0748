-- playground code 002: the examples catalog and what reads it. catalog() serves one row of
-- catalog_cache; statement-level triggers on sdks, examples and precompiled rebuild that row
-- after every statement that changes them, in the writer's transaction, so a reader never sees
-- a catalog older than the data it committed and never pays for the rebuild.
--
-- Exactness under concurrent writers: the trigger first locks the cache row, then rebuilds in a
-- new statement, whose snapshot (READ COMMITTED) includes every writer that committed before the
-- lock was granted; under REPEATABLE READ the second writer gets 40001 and retries.
--
-- Errors: 22023 (invalid_parameter_value) naming the bad value, P0002 (no_data_found) for an
-- unknown example or precompiled object.

CREATE FUNCTION {{.Schema}}._example_json(e {{.Schema}}.examples)
RETURNS jsonb
LANGUAGE sql STABLE
-- An example as the catalog and example() show it (inlined into callers, hence no SET clause).
RETURN jsonb_build_object(
    'id', e.id, 'name', e.name, 'sdk', e.sdk, 'description', e.description, 'tags', to_jsonb(e.tags),
    'categories', to_jsonb(e.categories), 'path', e.path, 'type', e.type, 'origin', e.origin,
    'url_vcs', e.url_vcs, 'url_notebook', e.url_notebook, 'always_run', e.always_run,
    'schema_version', e.schema_version, 'snippet', e.snippet,
    'complexity', (SELECT s.complexity FROM {{.Schema}}.snippets s WHERE s.id = e.snippet),
    'pipeline_options', (SELECT s.pipeline_options FROM {{.Schema}}.snippets s WHERE s.id = e.snippet),
    'default', EXISTS (SELECT FROM {{.Schema}}.sdks d WHERE d.id = e.sdk AND d.default_example = e.id),
    'outputs', (SELECT coalesce(jsonb_agg(p.kind ORDER BY p.kind), '[]') FROM {{.Schema}}.precompiled p WHERE p.example = e.id));
COMMENT ON FUNCTION {{.Schema}}._example_json({{.Schema}}.examples) IS 'An example as JSON (private).';

CREATE FUNCTION {{.Schema}}.build_catalog()
RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The catalog computed from the tables: every SDK (by id), its categories (by name; an
    -- example without a category is under "Other") and their examples (by name).
    WITH ex AS (
        SELECT e.sdk, c.category, e.name, {{.Schema}}._example_json(e) AS doc
          FROM {{.Schema}}.examples e
         CROSS JOIN LATERAL unnest(CASE WHEN cardinality(e.categories) = 0 THEN ARRAY['Other'] ELSE e.categories END) AS c(category)
    ), cats AS (
        SELECT ex.sdk, ex.category, jsonb_agg(ex.doc ORDER BY ex.name) AS examples
          FROM ex GROUP BY ex.sdk, ex.category
    ), by_sdk AS (
        SELECT cats.sdk, jsonb_agg(jsonb_build_object('name', cats.category, 'examples', cats.examples) ORDER BY cats.category) AS categories
          FROM cats GROUP BY cats.sdk
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object('sdk', s.id, 'default_example', s.default_example,
                                                 'categories', coalesce(b.categories, '[]')) ORDER BY s.id), '[]')
      FROM {{.Schema}}.sdks s LEFT JOIN by_sdk b ON b.sdk = s.id;
END;
COMMENT ON FUNCTION {{.Schema}}.build_catalog() IS
'The examples catalog computed from the tables, as catalog() serves it from its cache (for checks and benchmarks; catalog() is the one to call). Errors: none.';

CREATE FUNCTION {{.Schema}}._refresh_catalog()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Statement-level trigger on sdks, examples and precompiled: rebuilds the cached catalog.
BEGIN
    -- Lock first, rebuild in the next statement: its snapshot sees every writer that committed
    -- before us (see the file's header). The row exists from the first rebuild on (an instance
    -- without examples holds none); a concurrent first insert is waited for, then conflicts.
    INSERT INTO {{.Schema}}.catalog_cache (singleton) VALUES (true) ON CONFLICT (singleton) DO NOTHING;
    PERFORM FROM {{.Schema}}.catalog_cache c WHERE c.singleton FOR UPDATE;
    -- A statement that changed nothing the catalog shows (a second import of the same file)
    -- leaves the row, and the etag clients revalidate against, as it was.
    UPDATE {{.Schema}}.catalog_cache c SET catalog = n.doc, etag = n.etag, rebuilt_at = clock_timestamp()
      FROM (SELECT b.doc, md5(b.doc::text) AS etag FROM (SELECT {{.Schema}}.build_catalog()::json AS doc) b) n
     WHERE c.singleton AND c.etag IS DISTINCT FROM n.etag;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}._refresh_catalog() IS 'Trigger: rebuilds the cached catalog after a statement changed sdks, examples or precompiled objects.';

CREATE TRIGGER refresh_catalog AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {{.Schema}}.sdks
    FOR EACH STATEMENT EXECUTE FUNCTION {{.Schema}}._refresh_catalog();
CREATE TRIGGER refresh_catalog AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {{.Schema}}.examples
    FOR EACH STATEMENT EXECUTE FUNCTION {{.Schema}}._refresh_catalog();
CREATE TRIGGER refresh_catalog AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {{.Schema}}.precompiled
    FOR EACH STATEMENT EXECUTE FUNCTION {{.Schema}}._refresh_catalog();

CREATE FUNCTION {{.Schema}}.catalog()
RETURNS json
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- One row read: the cache the triggers keep exact.
    SELECT coalesce((SELECT c.catalog FROM {{.Schema}}.catalog_cache c WHERE c.singleton), '[]'::json);
END;
COMMENT ON FUNCTION {{.Schema}}.catalog() IS
'The examples catalog: [{"sdk", "default_example", "categories": [{"name", "examples": [{"id", "name", "description", "tags", "type", "origin", "complexity", "default", "outputs", ...}]}]}], by SDK, category and name. '
'Served from a cache kept exact by triggers (never stale, never rebuilt by a read), as json: the stored text, not converted on each read (cast it to jsonb for jsonb operators). Errors: none.';

CREATE FUNCTION {{.Schema}}.catalog_if_changed(known_etag text)
RETURNS TABLE (etag text, catalog json)
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- One row from one snapshot: the current etag, and the catalog unless the caller's copy
    -- (known_etag) is current. An instance without examples has the etag of '[]'.
    SELECT coalesce(c.etag, md5('[]')),
           CASE WHEN coalesce(c.etag, md5('[]')) IS DISTINCT FROM catalog_if_changed.known_etag
                THEN coalesce(c.catalog, '[]'::json) END
      FROM (VALUES (true)) AS one(singleton)
      LEFT JOIN {{.Schema}}.catalog_cache c ON c.singleton = one.singleton;
END;
COMMENT ON FUNCTION {{.Schema}}.catalog_if_changed(text) IS
'Revalidates a copy of the catalog: returns (etag, catalog), catalog NULL when known_etag is the current etag (the copy is current), else the whole catalog() document and its new etag. '
'known_etag NULL always gets the document. The etag is the md5 of the catalog text and changes exactly when the catalog does. Errors: none.';

CREATE FUNCTION {{.Schema}}.sdks()
RETURNS TABLE (id text, default_example text)
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT s.id, s.default_example FROM {{.Schema}}.sdks s ORDER BY s.id;
END;
COMMENT ON FUNCTION {{.Schema}}.sdks() IS 'The SDKs with the id of their default example (NULL when none), by id. Errors: none.';

CREATE FUNCTION {{.Schema}}._example_row(id text)
RETURNS {{.Schema}}.examples
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The example `id`, or P0002.
DECLARE
    e {{.Schema}}.examples;
BEGIN
    SELECT x.* INTO e FROM {{.Schema}}.examples x WHERE x.id = _example_row.id;
    IF e.id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no example %L', _example_row.id),
            HINT = 'example ids are <SDK>_<name>, e.g. SDK_JAVA_MinimalWordCount';
    END IF;
    RETURN e;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}._example_row(text) IS 'The row of an example (private). Errors: P0002 unknown example.';

CREATE FUNCTION {{.Schema}}.example(id text)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN {{.Schema}}._example_json({{.Schema}}._example_row(example.id));
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.example(text) IS 'One example as the catalog shows it. Errors: P0002 unknown example.';

CREATE FUNCTION {{.Schema}}.default_example(sdk text)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The default example of an SDK, or NULL when it has none.
DECLARE
    s {{.Schema}}.sdks;
BEGIN
    SELECT x.* INTO s FROM {{.Schema}}.sdks x WHERE x.id = default_example.sdk;
    IF s.id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('unknown sdk %L', default_example.sdk), HINT = 'use one of sdks()';
    END IF;
    IF s.default_example IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN {{.Schema}}._example_json({{.Schema}}._example_row(s.default_example));
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.default_example(text) IS 'The default example of an SDK as the catalog shows it, or NULL when it has none. Errors: 22023 unknown sdk.';

CREATE FUNCTION {{.Schema}}.set_default_example(sdk text, example text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Makes `example` (an id, or NULL for none) the SDK's default example.
DECLARE
    e {{.Schema}}.examples;
BEGIN
    IF NOT EXISTS (SELECT FROM {{.Schema}}.sdks s WHERE s.id = set_default_example.sdk) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('unknown sdk %L', set_default_example.sdk);
    END IF;
    IF set_default_example.example IS NOT NULL THEN
        e := {{.Schema}}._example_row(set_default_example.example);
        IF e.sdk <> set_default_example.sdk THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('example %L belongs to %s, not %s', e.id, e.sdk, set_default_example.sdk);
        END IF;
    END IF;
    UPDATE {{.Schema}}.sdks s SET default_example = set_default_example.example
     WHERE s.id = set_default_example.sdk AND s.default_example IS DISTINCT FROM set_default_example.example;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.set_default_example(text, text) IS
'Makes an example (by id, or NULL for none) the default of its SDK. Errors: 22023 unknown sdk or an example of another SDK, P0002 unknown example.';

CREATE FUNCTION {{.Schema}}.example_code(id text)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The files of an example's snippet ('[]' when it has no code).
DECLARE
    e {{.Schema}}.examples := {{.Schema}}._example_row(example_code.id);
BEGIN
    RETURN {{.Schema}}._files_json(e.snippet);
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.example_code(text) IS
'The code of an example: its snippet''s files, [{"name", "content", "is_main", "context_line", "key"}] (''[]'' when none). Errors: P0002 unknown example.';

CREATE FUNCTION {{.Schema}}.example_output(id text, kind text DEFAULT 'OUTPUT')
RETURNS text
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- A precompiled object of an example: kind OUTPUT (run output), LOG or GRAPH (any case).
DECLARE
    k text := upper(example_output.kind);
    e {{.Schema}}.examples;
    c text;
BEGIN
    IF k IS NULL OR k NOT IN ('OUTPUT', 'LOG', 'GRAPH') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('kind must be OUTPUT, LOG or GRAPH, got %L', example_output.kind);
    END IF;
    e := {{.Schema}}._example_row(example_output.id);
    SELECT p.content INTO c FROM {{.Schema}}.precompiled p WHERE p.example = e.id AND p.kind = k;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no precompiled object %L', e.id || '_' || k);
    END IF;
    RETURN c;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.example_output(text, text) IS
'A precompiled object of an example (key <example>_<KIND>): example_output(id, kind = ''OUTPUT'' | ''LOG'' | ''GRAPH''). Errors: 22023 bad kind, P0002 unknown example or no such object.';
