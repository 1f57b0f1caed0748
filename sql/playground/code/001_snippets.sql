-- playground code 001: snippets and their files. A snippet's id is a content hash of the
-- normalised snippet (sdk, pipeline options, files in order with their main flag and context
-- line, datasets): the same content gives the same id and is stored once.
--
-- Errors: 22023 (invalid_parameter_value) naming the parameter or the JSON element (files[i]),
-- P0002 (no_data_found) for an unknown snippet, 55000 (object_not_in_prerequisite_state) when an
-- example still uses the snippet. Bad input writes nothing.

CREATE FUNCTION {{.Schema}}._snippet_id(sdk text, pipeline_options text, files jsonb, datasets jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
-- The id of a normalised snippet: the first 128 bits of the sha256 of its canonical jsonb text
-- (jsonb orders object keys itself, so equal content gives equal text).
RETURN left(encode(sha256(convert_to(jsonb_build_object('sdk', sdk, 'pipeline_options', pipeline_options,
                                                        'files', files, 'datasets', datasets)::text, 'UTF8')), 'hex'), 32);
COMMENT ON FUNCTION {{.Schema}}._snippet_id(text, text, jsonb, jsonb) IS 'The content hash that is a snippet''s id (private to put_snippet).';

CREATE FUNCTION {{.Schema}}._normalise_files(files jsonb)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Checks a snippet's files (a non-empty array of {name, content, is_main?, context_line?}) and
-- returns them normalised: CRLF line ends made LF, is_main and context_line explicit, exactly one
-- main file (the one marked, else the first). Raises 22023 naming the element.
DECLARE
    n integer;
    el jsonb;
    out jsonb := '[]'::jsonb;
    names text[] := '{}'::text[];
    main integer;
BEGIN
    IF files IS NULL OR jsonb_typeof(files) <> 'array' OR jsonb_array_length(files) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'files must be a non-empty JSON array of {"name", "content", "is_main", "context_line"}',
            HINT = 'give at least one file, e.g. [{"name": "main.go", "content": "package main"}]';
    END IF;
    n := jsonb_array_length(files);
    IF n > 100 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('a snippet has at most 100 files, got %s', n);
    END IF;
    FOR i IN 0 .. n - 1 LOOP
        el := files -> i;
        IF jsonb_typeof(el) <> 'object' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('files[%s] must be an object, got %s', i, el);
        END IF;
        IF jsonb_typeof(el -> 'name') IS DISTINCT FROM 'string' OR el ->> 'name' = '' OR length(el ->> 'name') > 256 THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('files[%s].name must be a string of 1 to 256 characters, got %s', i, coalesce((el -> 'name')::text, 'nothing'));
        END IF;
        IF (el ->> 'name') = ANY (names) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('files[%s].name %L repeats an earlier file''s name', i, el ->> 'name'), HINT = 'file names are unique within a snippet';
        END IF;
        names := names || (el ->> 'name');
        IF jsonb_typeof(el -> 'content') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('files[%s].content must be a string, got %s', i, coalesce((el -> 'content')::text, 'nothing'));
        END IF;
        IF el ? 'is_main' AND jsonb_typeof(el -> 'is_main') NOT IN ('boolean', 'null') THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('files[%s].is_main must be true or false, got %s', i, el -> 'is_main');
        END IF;
        IF el ? 'context_line' AND jsonb_typeof(el -> 'context_line') <> 'null'
           AND (jsonb_typeof(el -> 'context_line') <> 'number' OR (el ->> 'context_line') !~ '^[0-9]{1,9}$') THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('files[%s].context_line must be a non-negative integer, got %s', i, el -> 'context_line');
        END IF;
        IF coalesce((el ->> 'is_main')::boolean, false) THEN
            IF main IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                    MESSAGE = format('files[%s] and files[%s] are both marked is_main; a snippet has one main file', main, i);
            END IF;
            main := i;
        END IF;
    END LOOP;
    main := coalesce(main, 0);
    FOR i IN 0 .. n - 1 LOOP
        el := files -> i;
        out := out || jsonb_build_array(jsonb_build_object(
            'name', el ->> 'name',
            'content', replace(el ->> 'content', E'\r\n', E'\n'),
            'is_main', i = main,
            'context_line', coalesce((el ->> 'context_line')::integer, 0)));
    END LOOP;
    RETURN out;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}._normalise_files(jsonb) IS 'Checks and normalises a snippet''s files (private to put_snippet). Errors: 22023 naming files[i].';

CREATE FUNCTION {{.Schema}}.put_snippet(
    sdk text,
    files jsonb,
    pipeline_options text DEFAULT '',
    origin text DEFAULT 'user',
    complexity text DEFAULT NULL,
    owner_id text DEFAULT NULL,
    persistence_key text DEFAULT NULL,
    datasets jsonb DEFAULT NULL,
    schema_version text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
-- Saves a snippet and returns its id, the content hash of (sdk, pipeline_options, files,
-- datasets) normalised: saving the same content again returns the same id and stores nothing.
-- With persistence_key, the snippets saved earlier under that key (not used by an example) are
-- deleted in the same transaction, and this one carries the key.
DECLARE
    norm jsonb := {{.Schema}}._normalise_files(put_snippet.files);
    opts text := btrim(coalesce(put_snippet.pipeline_options, ''));
    ds jsonb := '[]'::jsonb;
    el jsonb;
    new_id text;
    inserted boolean;
BEGIN
    IF put_snippet.sdk IS NULL OR NOT EXISTS (SELECT FROM {{.Schema}}.sdks s WHERE s.id = put_snippet.sdk) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('unknown sdk %L', put_snippet.sdk),
            HINT = 'use one of sdks(), or add it with put_sdks';
    END IF;
    IF put_snippet.origin IS NULL OR put_snippet.origin NOT IN ('playground', 'tour', 'user', 'tour_user') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('origin must be playground, tour, user or tour_user, got %L', put_snippet.origin);
    END IF;
    IF put_snippet.complexity IS NOT NULL AND put_snippet.complexity NOT IN ('basic', 'medium', 'advanced') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('complexity must be basic, medium or advanced, got %L', put_snippet.complexity);
    END IF;
    IF put_snippet.persistence_key = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'persistence_key must not be empty (give NULL for none)';
    END IF;
    IF put_snippet.datasets IS NOT NULL THEN
        IF jsonb_typeof(put_snippet.datasets) <> 'array' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'datasets must be a JSON array of {"id", "emulator", "config"}';
        END IF;
        FOR i IN 0 .. jsonb_array_length(put_snippet.datasets) - 1 LOOP
            el := put_snippet.datasets -> i;
            IF jsonb_typeof(el -> 'id') IS DISTINCT FROM 'string'
               OR NOT EXISTS (SELECT FROM {{.Schema}}.datasets d WHERE d.id = el ->> 'id') THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                    MESSAGE = format('datasets[%s].id %s is not a known dataset', i, coalesce((el -> 'id')::text, 'is missing and')),
                    HINT = 'add datasets with import_catalog';
            END IF;
            IF coalesce(el ->> 'emulator', 'kafka') <> 'kafka' THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('datasets[%s].emulator must be kafka, got %s', i, el -> 'emulator');
            END IF;
            IF el ? 'config' AND jsonb_typeof(el -> 'config') <> 'object' THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('datasets[%s].config must be an object, got %s', i, el -> 'config');
            END IF;
            ds := ds || jsonb_build_array(jsonb_build_object('id', el ->> 'id', 'emulator', 'kafka', 'config', coalesce(el -> 'config', '{}')));
        END LOOP;
    END IF;

    new_id := {{.Schema}}._snippet_id(put_snippet.sdk, opts, norm, ds);
    INSERT INTO {{.Schema}}.snippets AS s (id, sdk, pipeline_options, origin, complexity, owner_id, persistence_key,
                                           schema_version, number_of_files)
    VALUES (new_id, put_snippet.sdk, opts, put_snippet.origin, put_snippet.complexity, put_snippet.owner_id,
            put_snippet.persistence_key, put_snippet.schema_version, jsonb_array_length(norm))
    ON CONFLICT (id) DO NOTHING
    RETURNING true INTO inserted;
    IF inserted THEN
        INSERT INTO {{.Schema}}.files (snippet, ordinal, name, content, is_main, context_line)
        SELECT new_id, f.n - 1, f.e ->> 'name', f.e ->> 'content', (f.e ->> 'is_main')::boolean, (f.e ->> 'context_line')::integer
          FROM jsonb_array_elements(norm) WITH ORDINALITY AS f(e, n);
        INSERT INTO {{.Schema}}.snippet_datasets (snippet, dataset, emulator, config)
        SELECT new_id, d.e ->> 'id', d.e ->> 'emulator', d.e -> 'config' FROM jsonb_array_elements(ds) AS d(e);
    ELSIF put_snippet.persistence_key IS NOT NULL THEN
        UPDATE {{.Schema}}.snippets s SET persistence_key = put_snippet.persistence_key
         WHERE s.id = new_id AND s.persistence_key IS DISTINCT FROM put_snippet.persistence_key;
    END IF;
    IF put_snippet.persistence_key IS NOT NULL THEN
        DELETE FROM {{.Schema}}.snippets s
         WHERE s.persistence_key = put_snippet.persistence_key AND s.id <> new_id
           AND NOT EXISTS (SELECT FROM {{.Schema}}.examples e WHERE e.snippet = s.id);
    END IF;
    RETURN new_id;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.put_snippet(text, jsonb, text, text, text, text, text, jsonb, text) IS
'Saves a snippet and returns its id: put_snippet(sdk, files => ''[{"name", "content", "is_main", "context_line"}]'', pipeline_options = '''', origin = ''user'', complexity, owner_id, persistence_key, datasets => ''[{"id", "emulator": "kafka", "config"}]'', schema_version). '
'The id is a content hash of the normalised snippet: the same content returns the same id and is stored once. One file is main (the one marked, else the first). '
'With persistence_key, older snippets saved under that key are deleted in the same transaction. '
'Errors: 22023 naming the bad parameter or element (unknown sdk or dataset, two main files, repeated file name).';

CREATE FUNCTION {{.Schema}}._files_json(snippet text)
RETURNS jsonb
LANGUAGE sql STABLE
-- A snippet's files in order, as JSON (inlined into callers, hence no SET clause).
RETURN (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('name', f.name, 'content', f.content, 'is_main', f.is_main,
                                                     'context_line', f.context_line, 'key', f.id) ORDER BY f.ordinal), '[]')
          FROM {{.Schema}}.files f WHERE f.snippet = _files_json.snippet);
COMMENT ON FUNCTION {{.Schema}}._files_json(text) IS 'A snippet''s files as a JSON array (private).';

CREATE FUNCTION {{.Schema}}.get_snippet(id text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- The snippet with its files and datasets; counts the visit (visit_count + 1, last_visited =
-- now()) in the same statement that reads it, so concurrent visits all count.
DECLARE
    s {{.Schema}}.snippets;
BEGIN
    UPDATE {{.Schema}}.snippets t SET visit_count = t.visit_count + 1, last_visited = now()
     WHERE t.id = get_snippet.id
    RETURNING t.* INTO s;
    IF s.id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no snippet %L', get_snippet.id);
    END IF;
    RETURN to_jsonb(s) || jsonb_build_object(
        'files', {{.Schema}}._files_json(s.id),
        'datasets', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', d.dataset, 'path', x.path, 'emulator', d.emulator,
                                                                  'config', d.config) ORDER BY d.dataset), '[]')
                       FROM {{.Schema}}.snippet_datasets d JOIN {{.Schema}}.datasets x ON x.id = d.dataset
                      WHERE d.snippet = s.id));
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.get_snippet(text) IS
'A snippet as JSON (its columns, files and datasets); counts the visit: visit_count + 1 and last_visited = now(), atomically. Errors: P0002 unknown snippet.';

CREATE FUNCTION {{.Schema}}.snippet_files(id text)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- A snippet's files, in order (the original's GetFiles); does not count a visit.
BEGIN
    IF NOT EXISTS (SELECT FROM {{.Schema}}.snippets s WHERE s.id = snippet_files.id) THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no snippet %L', snippet_files.id);
    END IF;
    RETURN {{.Schema}}._files_json(snippet_files.id);
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.snippet_files(text) IS
'A snippet''s files in order: [{"name", "content", "is_main", "context_line", "key"}], key being <snippet>_<n>. Does not count a visit. Errors: P0002 unknown snippet.';

CREATE FUNCTION {{.Schema}}.delete_snippet(id text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Deletes a snippet with its files and dataset links; true when it existed.
DECLARE
    used text;
BEGIN
    SELECT e.id INTO used FROM {{.Schema}}.examples e WHERE e.snippet = delete_snippet.id LIMIT 1;
    IF used IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('snippet %L is the code of example %L', delete_snippet.id, used), HINT = 'delete or change the example first';
    END IF;
    DELETE FROM {{.Schema}}.snippets s WHERE s.id = delete_snippet.id;
    RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.delete_snippet(text) IS
'Deletes a snippet, its files and dataset links: true when it existed, false when there was none. Errors: 55000 when an example uses it.';

CREATE FUNCTION {{.Schema}}.prune_snippets(older_than interval)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Deletes the user snippets (origin user or tour_user) not visited for older_than; returns how
-- many. Snippets of examples are never pruned.
DECLARE
    n integer;
BEGIN
    IF older_than IS NULL OR older_than <= interval '0' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('older_than must be a positive interval, got %s', coalesce(older_than::text, 'NULL'));
    END IF;
    DELETE FROM {{.Schema}}.snippets s
     WHERE s.origin IN ('user', 'tour_user') AND s.last_visited < now() - older_than
       AND NOT EXISTS (SELECT FROM {{.Schema}}.examples e WHERE e.snippet = s.id);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.prune_snippets(interval) IS
'Deletes user snippets (origin user or tour_user) not visited for older_than, and returns how many (the original''s DeleteUnusedSnippets). Errors: 22023 for an interval that is not positive.';
