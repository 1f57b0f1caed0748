-- pictrs code 005: ProxyRepo — remote URLs served through an alias of the media fetched from them.
--
-- Errors: 22023 (invalid_parameter_value) naming the parameter; P0002 (no_data_found) naming an
-- unknown alias. relate_url answers a URL already related with 'conflict', not an exception.

CREATE FUNCTION {{.Schema}}.relate_url(url text, alias text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Relates remote URL `url` to alias `alias` and starts tracking its access: 'ok', or 'conflict'
-- when the URL is related already (to this alias or another; nothing changes).
DECLARE
    bad text := CASE WHEN relate_url.url IS NULL OR relate_url.url = '' THEN 'url'
                     WHEN relate_url.alias IS NULL OR relate_url.alias = '' THEN 'alias' END;
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = bad || ' must be a non-empty string';
    END IF;
    INSERT INTO {{.Schema}}.proxies (url, alias, accessed)
    SELECT relate_url.url, a.alias, now() FROM {{.Schema}}.aliases a WHERE a.alias = relate_url.alias
    ON CONFLICT (url) DO NOTHING;
    IF FOUND THEN
        RETURN 'ok';
    END IF;
    IF EXISTS (SELECT FROM {{.Schema}}.proxies p WHERE p.url = relate_url.url) THEN
        RETURN 'conflict';
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no alias %L', relate_url.alias),
        HINT = 'create it with create_alias';
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.relate_url(text, text) IS 'Relates a remote URL to the alias of its media and starts tracking the alias''s access: relate_url(url, alias) returns ''ok'', or ''conflict'' when the URL is related already (nothing changes). Errors: 22023 for an empty or null argument, P0002 naming an unknown alias.';

CREATE FUNCTION {{.Schema}}.related(url text)
RETURNS text
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The alias of the URL's media, NULL when the URL is not related.
    SELECT p.alias FROM {{.Schema}}.proxies p WHERE p.url = related.url;
END;
COMMENT ON FUNCTION {{.Schema}}.related(text) IS 'The alias a remote URL is related to, NULL when it is not. Errors: none.';

CREATE FUNCTION {{.Schema}}.remove_relation(alias text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Forgets the URLs related to alias `alias` (the alias stays) and returns how many.
DECLARE
    n integer;
BEGIN
    DELETE FROM {{.Schema}}.proxies p WHERE p.alias = remove_relation.alias;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.remove_relation(text) IS 'Forgets the remote URLs related to an alias (the alias stays) and returns how many. Errors: none.';
