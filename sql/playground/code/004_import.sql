-- playground code 004: datasets, SDKs, schema versions and the bulk import of a deployment's
-- catalog (howdah playground import). import_catalog is idempotent: importing the same document
-- again changes nothing, and a refresh makes the examples of the document's SDKs exactly those
-- the document lists. Each table is written by one statement, so the catalog cache is rebuilt a
-- few times per import, not once per example.
--
-- Errors: 22023 (invalid_parameter_value) naming the element and key (examples[3].name). Bad
-- input writes nothing: the whole import is one statement.

CREATE FUNCTION {{.Schema}}.put_sdks(sdks jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
-- Adds the SDKs of an array of ids (["SDK_JAVA", ...]) or objects ({"id"}); returns how many
-- were new. Existing SDKs keep their default example.
DECLARE
    el jsonb;
    ids text[] := '{}'::text[];
    n integer;
BEGIN
    IF put_sdks.sdks IS NULL OR jsonb_typeof(put_sdks.sdks) <> 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'sdks must be a JSON array of ids such as "SDK_JAVA"';
    END IF;
    FOR i IN 0 .. jsonb_array_length(put_sdks.sdks) - 1 LOOP
        el := put_sdks.sdks -> i;
        IF jsonb_typeof(el) = 'object' THEN
            el := el -> 'id';
        END IF;
        IF jsonb_typeof(el) IS DISTINCT FROM 'string' OR (el #>> '{}') !~ '^SDK_[A-Z][A-Z0-9_]*$' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('sdks[%s] must be an SDK id like SDK_JAVA, got %s', i, coalesce(el::text, 'nothing'));
        END IF;
        ids := ids || (el #>> '{}');
    END LOOP;
    INSERT INTO {{.Schema}}.sdks (id) SELECT DISTINCT u FROM unnest(ids) AS u ON CONFLICT (id) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.put_sdks(jsonb) IS
'Adds SDKs: put_sdks(''["SDK_JAVA", "SDK_GO"]'') returns how many were new; existing ones are kept as they are. Errors: 22023 naming the element that is not an SDK id.';

CREATE FUNCTION {{.Schema}}.put_schema_version(version text, description text DEFAULT '')
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
-- Records a data schema version (the original's PutSchemaVersion); true when it was new.
BEGIN
    IF put_schema_version.version IS NULL OR put_schema_version.version = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'version must not be empty';
    END IF;
    INSERT INTO {{.Schema}}.schema_versions (version, description)
    VALUES (put_schema_version.version, coalesce(put_schema_version.description, ''))
    ON CONFLICT ON CONSTRAINT schema_versions_pkey DO NOTHING;
    RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.put_schema_version(text, text) IS 'Records a data schema version with its description; true when new, false when recorded already. Errors: 22023 empty version.';

CREATE FUNCTION {{.Schema}}.import_catalog(doc jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
-- Loads a deployment's catalog (format in docs/playground.md): SDKs and their default examples,
-- datasets, examples with their code (a snippet of origin playground) and precompiled outputs.
-- Returns counts of what the document holds and of the examples removed.
DECLARE
    ex jsonb := coalesce(doc -> 'examples', '[]');
    el jsonb;
    k text;
    snip text;
    rows jsonb := '[]'::jsonb;
    outs jsonb := '[]'::jsonb;
    sdk_ids text[];
    removed integer;
BEGIN
    IF doc IS NULL OR jsonb_typeof(doc) <> 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'the catalog must be a JSON object {"sdks", "datasets", "examples", "schema_version"}';
    END IF;
    IF jsonb_typeof(ex) <> 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'examples must be an array';
    END IF;
    IF doc ? 'schema_version' THEN
        PERFORM {{.Schema}}.put_schema_version(doc ->> 'schema_version', coalesce(doc ->> 'schema_description', 'imported'));
    END IF;
    PERFORM {{.Schema}}.put_sdks(coalesce(doc -> 'sdks', '[]'));
    IF doc ? 'datasets' THEN
        IF jsonb_typeof(doc -> 'datasets') <> 'array' OR EXISTS (
               SELECT FROM jsonb_array_elements(doc -> 'datasets') d(e)
                WHERE jsonb_typeof(d.e -> 'id') IS DISTINCT FROM 'string' OR d.e ->> 'id' = '' OR jsonb_typeof(d.e -> 'path') IS DISTINCT FROM 'string') THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'datasets must be an array of {"id": text, "path": text}';
        END IF;
        INSERT INTO {{.Schema}}.datasets AS d (id, path)
        SELECT x.e ->> 'id', x.e ->> 'path' FROM jsonb_array_elements(doc -> 'datasets') x(e)
        ON CONFLICT (id) DO UPDATE SET path = excluded.path WHERE d.path IS DISTINCT FROM excluded.path;
    END IF;
    FOR i IN 0 .. jsonb_array_length(ex) - 1 LOOP
        el := ex -> i;
        IF jsonb_typeof(el) <> 'object' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('examples[%s] must be an object', i);
        END IF;
        FOREACH k IN ARRAY ARRAY['sdk', 'name'] LOOP
            IF jsonb_typeof(el -> k) IS DISTINCT FROM 'string' OR el ->> k = '' THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('examples[%s].%s must be a non-empty string', i, k);
            END IF;
        END LOOP;
        IF NOT EXISTS (SELECT FROM {{.Schema}}.sdks s WHERE s.id = el ->> 'sdk') THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('examples[%s].sdk %L is not a known SDK', i, el ->> 'sdk'),
                HINT = 'list it under "sdks"';
        END IF;
        FOREACH k IN ARRAY ARRAY['tags', 'categories'] LOOP
            IF el ? k AND (jsonb_typeof(el -> k) <> 'array' OR EXISTS (SELECT FROM jsonb_array_elements(el -> k) t(v) WHERE jsonb_typeof(t.v) <> 'string')) THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('examples[%s].%s must be an array of strings', i, k);
            END IF;
        END LOOP;
        IF coalesce(el ->> 'type', 'example') NOT IN ('example', 'kata', 'unit_test') THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('examples[%s].type must be example, kata or unit_test, got %s', i, el -> 'type');
        END IF;
        IF coalesce(el ->> 'origin', 'playground') NOT IN ('playground', 'tour') THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('examples[%s].origin must be playground or tour, got %s', i, el -> 'origin');
        END IF;
        IF el ? 'outputs' AND (jsonb_typeof(el -> 'outputs') <> 'object' OR EXISTS (
               SELECT FROM jsonb_each(el -> 'outputs') o WHERE upper(o.key) NOT IN ('OUTPUT', 'LOG', 'GRAPH') OR jsonb_typeof(o.value) <> 'string')) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('examples[%s].outputs must be an object {"OUTPUT": text, "LOG": text, "GRAPH": text}', i);
        END IF;
        snip := NULL;
        IF el ? 'files' THEN
            BEGIN
                snip := {{.Schema}}.put_snippet(el ->> 'sdk', el -> 'files', pipeline_options => coalesce(el ->> 'pipeline_options', ''),
                                                origin => 'playground', complexity => el ->> 'complexity',
                                                datasets => el -> 'datasets', schema_version => doc ->> 'schema_version');
            EXCEPTION WHEN invalid_parameter_value THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('examples[%s]: %s', i, SQLERRM);
            END;
        END IF;
        rows := rows || jsonb_build_array(el || jsonb_build_object('snippet', snip, 'id', (el ->> 'sdk') || '_' || (el ->> 'name')));
        IF el ? 'outputs' THEN
            outs := outs || (SELECT coalesce(jsonb_agg(jsonb_build_object('example', (el ->> 'sdk') || '_' || (el ->> 'name'),
                                                                           'kind', upper(o.key), 'content', o.value #>> '{}')), '[]')
                               FROM jsonb_each(el -> 'outputs') o);
        END IF;
    END LOOP;
    IF (SELECT count(DISTINCT r.e ->> 'id') FROM jsonb_array_elements(rows) r(e)) < jsonb_array_length(rows) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'two examples have the same sdk and name';
    END IF;

    INSERT INTO {{.Schema}}.examples AS e (id, sdk, name, snippet, description, tags, categories, path, type, origin,
                                           url_vcs, url_notebook, always_run, schema_version)
    SELECT r.e ->> 'id', r.e ->> 'sdk', r.e ->> 'name', r.e ->> 'snippet', coalesce(r.e ->> 'description', ''),
           ARRAY(SELECT jsonb_array_elements_text(coalesce(r.e -> 'tags', '[]'))),
           ARRAY(SELECT jsonb_array_elements_text(coalesce(r.e -> 'categories', '[]'))),
           coalesce(r.e ->> 'path', ''), coalesce(r.e ->> 'type', 'example'), coalesce(r.e ->> 'origin', 'playground'),
           r.e ->> 'url_vcs', r.e ->> 'url_notebook', coalesce((r.e ->> 'always_run')::boolean, false), doc ->> 'schema_version'
      FROM jsonb_array_elements(rows) r(e)
    ON CONFLICT (id) DO UPDATE
       SET snippet = excluded.snippet, description = excluded.description, tags = excluded.tags, categories = excluded.categories,
           path = excluded.path, type = excluded.type, origin = excluded.origin, url_vcs = excluded.url_vcs,
           url_notebook = excluded.url_notebook, always_run = excluded.always_run, schema_version = excluded.schema_version
     WHERE (e.snippet, e.description, e.tags, e.categories, e.path, e.type, e.origin, e.url_vcs, e.url_notebook, e.always_run, e.schema_version)
           IS DISTINCT FROM
           (excluded.snippet, excluded.description, excluded.tags, excluded.categories, excluded.path, excluded.type, excluded.origin,
            excluded.url_vcs, excluded.url_notebook, excluded.always_run, excluded.schema_version);

    INSERT INTO {{.Schema}}.precompiled AS p (example, kind, content)
    SELECT o.e ->> 'example', o.e ->> 'kind', o.e ->> 'content' FROM jsonb_array_elements(outs) o(e)
    ON CONFLICT (example, kind) DO UPDATE SET content = excluded.content WHERE p.content IS DISTINCT FROM excluded.content;

    -- A refresh: the examples of the document's SDKs are those it lists.
    sdk_ids := ARRAY(SELECT DISTINCT r.e ->> 'sdk' FROM jsonb_array_elements(rows) r(e));
    DELETE FROM {{.Schema}}.examples e
     WHERE e.sdk = ANY (sdk_ids) AND e.id NOT IN (SELECT r.e ->> 'id' FROM jsonb_array_elements(rows) r(e));
    GET DIAGNOSTICS removed = ROW_COUNT;
    DELETE FROM {{.Schema}}.precompiled p
     WHERE p.example IN (SELECT r.e ->> 'id' FROM jsonb_array_elements(rows) r(e))
       AND NOT (jsonb_build_object('example', p.example, 'kind', p.kind, 'content', p.content) <@ ANY (ARRAY(SELECT jsonb_array_elements(outs))));
    -- Code of examples that no longer use it.
    DELETE FROM {{.Schema}}.snippets s
     WHERE s.origin = 'playground' AND NOT EXISTS (SELECT FROM {{.Schema}}.examples e WHERE e.snippet = s.id);

    -- Default examples: {"id": "SDK_JAVA", "default_example": "MinimalWordCount"} (a name, or an id).
    UPDATE {{.Schema}}.sdks s
       SET default_example = CASE WHEN d.name LIKE s.id || '\_%' THEN d.name ELSE s.id || '_' || d.name END
      FROM (SELECT x.e ->> 'id' AS id, x.e ->> 'default_example' AS name
              FROM jsonb_array_elements(coalesce(doc -> 'sdks', '[]')) x(e)
             WHERE jsonb_typeof(x.e) = 'object' AND x.e ? 'default_example') d
     WHERE s.id = d.id
       AND s.default_example IS DISTINCT FROM CASE WHEN d.name LIKE s.id || '\_%' THEN d.name ELSE s.id || '_' || d.name END;

    RETURN jsonb_build_object('sdks', jsonb_array_length(coalesce(doc -> 'sdks', '[]')),
                              'datasets', coalesce(jsonb_array_length(doc -> 'datasets'), 0),
                              'examples', jsonb_array_length(rows), 'precompiled', jsonb_array_length(outs),
                              'removed', removed);
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.import_catalog(jsonb) IS
'Loads a deployment''s catalog idempotently: import_catalog(''{"schema_version", "sdks": [{"id", "default_example"}], "datasets": [{"id", "path"}], "examples": [{"sdk", "name", "description", "tags", "categories", "type", "origin", "complexity", "files", "outputs": {"OUTPUT", "LOG", "GRAPH"}, ...}]}''). '
'The examples of the document''s SDKs become exactly those it lists. Returns counts. Errors: 22023 naming the element and key.';
