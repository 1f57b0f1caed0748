-- pictrs code 002: AliasRepo — the names users see for a hash, each with its delete token.
--
-- Errors: 22023 (invalid_parameter_value) naming the parameter; P0002 (no_data_found) naming an
-- unknown hash. create_alias answers a taken alias with 'conflict', not an exception.

CREATE FUNCTION {{.Schema}}.create_alias(alias text, hash text, delete_token text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Names hash `hash` `alias`, deletable with `delete_token`: 'ok', or 'conflict' when the alias
-- is taken (by this hash or another; nothing changes: the caller draws another alias).
DECLARE
    bad text := CASE WHEN create_alias.alias IS NULL OR create_alias.alias = '' THEN 'alias'
                     WHEN create_alias.hash IS NULL OR create_alias.hash = '' THEN 'hash'
                     WHEN create_alias.delete_token IS NULL OR create_alias.delete_token = '' THEN 'delete_token' END;
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = bad || ' must be a non-empty string';
    END IF;
    INSERT INTO {{.Schema}}.aliases (alias, hash, delete_token)
    SELECT create_alias.alias, h.hash, create_alias.delete_token
      FROM {{.Schema}}.hashes h WHERE h.hash = create_alias.hash
    ON CONFLICT (alias) DO NOTHING;
    IF FOUND THEN
        RETURN 'ok';
    END IF;
    IF EXISTS (SELECT FROM {{.Schema}}.aliases a WHERE a.alias = create_alias.alias) THEN
        RETURN 'conflict';
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no hash %L', create_alias.hash),
        HINT = 'create it with create_hash';
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.create_alias(text, text, text) IS 'Names a hash: create_alias(alias, hash, delete_token) returns ''ok'', or ''conflict'' when the alias is taken (nothing changes). Errors: 22023 for an empty or null argument, P0002 naming an unknown hash.';

CREATE FUNCTION {{.Schema}}.delete_token(alias text)
RETURNS text
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The alias's delete token, NULL for an unknown alias.
    SELECT a.delete_token FROM {{.Schema}}.aliases a WHERE a.alias = delete_token.alias;
END;
COMMENT ON FUNCTION {{.Schema}}.delete_token(text) IS 'The token that deletes an alias, NULL when the alias is unknown. Errors: none.';

CREATE FUNCTION {{.Schema}}.hash_for_alias(alias text)
RETURNS text
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The hash the alias names, NULL for an unknown alias.
    SELECT a.hash FROM {{.Schema}}.aliases a WHERE a.alias = hash_for_alias.alias;
END;
COMMENT ON FUNCTION {{.Schema}}.hash_for_alias(text) IS 'The hash an alias names, NULL when the alias is unknown. Errors: none.';

CREATE FUNCTION {{.Schema}}.aliases_for_hash(hash text)
RETURNS SETOF text
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The aliases of the hash, in order.
    SELECT a.alias FROM {{.Schema}}.aliases a WHERE a.hash = aliases_for_hash.hash ORDER BY a.alias;
END;
COMMENT ON FUNCTION {{.Schema}}.aliases_for_hash(text) IS 'The aliases of a hash, in order; none for an unknown hash. Errors: none.';

CREATE FUNCTION {{.Schema}}.cleanup_alias(alias text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Removes alias `alias` (and the proxy relation on it) and returns the hash it named, NULL when
-- there was no such alias. The hash stays: when aliases_for_hash(hash) is empty now, the caller
-- may cleanup_hash it.
DECLARE
    h text;
BEGIN
    DELETE FROM {{.Schema}}.aliases a WHERE a.alias = cleanup_alias.alias RETURNING a.hash INTO h;
    RETURN h;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.cleanup_alias(text) IS 'Removes an alias and its proxy relation, and returns the hash it named (NULL when the alias was unknown); the hash stays. Errors: none.';
