-- pictrs code 001: HashRepo — original files by content hash, their motion file, blurhash and
-- variants, and cleanup_hash, which removes a hash with everything that hangs off it and returns
-- the identifiers of the files to delete.
--
-- The common races answer with a result instead of an exception: create_hash returns 'created'
-- or 'exists', relate_variant_identifier 'ok' or 'conflict' (INSERT ... ON CONFLICT DO NOTHING,
-- so concurrent callers agree on one row).
--
-- Errors: 22023 (invalid_parameter_value) naming the parameter; P0002 (no_data_found) naming an
-- unknown hash. Bad input writes nothing.

CREATE FUNCTION {{.Schema}}.size()
RETURNS bigint
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The number of hashes (a count: it reads the primary key index).
    SELECT count(*) FROM {{.Schema}}.hashes;
END;
COMMENT ON FUNCTION {{.Schema}}.size() IS 'The number of hashes stored. Errors: none.';

CREATE FUNCTION {{.Schema}}.hashes_page(after text DEFAULT NULL, n integer DEFAULT 1000)
RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY INVOKER ROWS 1000
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Up to `n` (1..10000) hashes after `after` (from the first when NULL), in hash order: keyset
-- pagination over the primary key, so that every page costs the same however deep it is. The
-- next page starts after the last hash of this one; a page shorter than n is the last.
BEGIN
    IF hashes_page.n IS NULL OR hashes_page.n NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('n must be from 1 to 10000, got %s', coalesce(hashes_page.n::text, 'null'));
    END IF;
    RETURN QUERY
    SELECT h.hash FROM {{.Schema}}.hashes h
     WHERE hashes_page.after IS NULL OR h.hash > hashes_page.after
     ORDER BY h.hash
     LIMIT hashes_page.n;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.hashes_page(text, integer) IS 'Streams every hash by keyset pagination: hashes_page(after = NULL, n = 1000) returns up to n hashes greater than after, in order; pass the last one as after for the next page. Errors: 22023 for n outside 1..10000.';

CREATE FUNCTION {{.Schema}}.create_hash(hash text, identifier text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Stores hash `hash` with the identifier of its file: 'created', or 'exists' when the hash is
-- already stored (its identifier is left as it was: the caller deletes the file it just wrote).
DECLARE
    bad text := CASE WHEN create_hash.hash IS NULL OR create_hash.hash = '' THEN 'hash'
                     WHEN create_hash.identifier IS NULL OR create_hash.identifier = '' THEN 'identifier' END;
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = bad || ' must be a non-empty string';
    END IF;
    INSERT INTO {{.Schema}}.hashes (hash, identifier) VALUES (create_hash.hash, create_hash.identifier)
    ON CONFLICT (hash) DO NOTHING;
    RETURN CASE WHEN FOUND THEN 'created' ELSE 'exists' END;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.create_hash(text, text) IS 'Stores a hash and the identifier of its file: create_hash(hash, identifier) returns ''created'', or ''exists'' when the hash is already stored (nothing changes then). Errors: 22023 for an empty or null hash or identifier.';

CREATE FUNCTION {{.Schema}}.update_identifier(hash text, identifier text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Points hash `hash` at another file (after a store migration moved it).
DECLARE
    bad text := CASE WHEN update_identifier.hash IS NULL OR update_identifier.hash = '' THEN 'hash'
                     WHEN update_identifier.identifier IS NULL OR update_identifier.identifier = '' THEN 'identifier' END;
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = bad || ' must be a non-empty string';
    END IF;
    UPDATE {{.Schema}}.hashes h SET identifier = update_identifier.identifier WHERE h.hash = update_identifier.hash;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no hash %L', update_identifier.hash),
            HINT = 'create it with create_hash';
    END IF;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.update_identifier(text, text) IS 'Points a hash at another file: update_identifier(hash, identifier). Errors: 22023 for an empty or null argument, P0002 naming an unknown hash.';

CREATE FUNCTION {{.Schema}}.identifier(hash text)
RETURNS text
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The identifier of the hash's file, NULL for an unknown hash.
    SELECT h.identifier FROM {{.Schema}}.hashes h WHERE h.hash = identifier.hash;
END;
COMMENT ON FUNCTION {{.Schema}}.identifier(text) IS 'The identifier of a hash''s original file, NULL when the hash is unknown. Errors: none.';

CREATE FUNCTION {{.Schema}}.relate_motion_identifier(hash text, identifier text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Records the motion file (animated preview) of hash `hash`, replacing any earlier one.
DECLARE
    bad text := CASE WHEN relate_motion_identifier.hash IS NULL OR relate_motion_identifier.hash = '' THEN 'hash'
                     WHEN relate_motion_identifier.identifier IS NULL OR relate_motion_identifier.identifier = '' THEN 'identifier' END;
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = bad || ' must be a non-empty string';
    END IF;
    UPDATE {{.Schema}}.hashes h SET motion_identifier = relate_motion_identifier.identifier
     WHERE h.hash = relate_motion_identifier.hash;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no hash %L', relate_motion_identifier.hash),
            HINT = 'create it with create_hash';
    END IF;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.relate_motion_identifier(text, text) IS 'Records the motion file of a hash: relate_motion_identifier(hash, identifier). Errors: 22023 for an empty or null argument, P0002 naming an unknown hash.';

CREATE FUNCTION {{.Schema}}.motion_identifier(hash text)
RETURNS text
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The identifier of the hash's motion file, NULL when it has none or the hash is unknown.
    SELECT h.motion_identifier FROM {{.Schema}}.hashes h WHERE h.hash = motion_identifier.hash;
END;
COMMENT ON FUNCTION {{.Schema}}.motion_identifier(text) IS 'The identifier of a hash''s motion file, NULL when it has none or the hash is unknown. Errors: none.';

CREATE FUNCTION {{.Schema}}.relate_blurhash(hash text, blurhash text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Records the blurhash (a short placeholder string) of hash `hash`, replacing any earlier one.
DECLARE
    bad text := CASE WHEN relate_blurhash.hash IS NULL OR relate_blurhash.hash = '' THEN 'hash'
                     WHEN relate_blurhash.blurhash IS NULL OR relate_blurhash.blurhash = '' THEN 'blurhash' END;
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = bad || ' must be a non-empty string';
    END IF;
    UPDATE {{.Schema}}.hashes h SET blurhash = relate_blurhash.blurhash WHERE h.hash = relate_blurhash.hash;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no hash %L', relate_blurhash.hash),
            HINT = 'create it with create_hash';
    END IF;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.relate_blurhash(text, text) IS 'Records the blurhash of a hash: relate_blurhash(hash, blurhash). Errors: 22023 for an empty or null argument, P0002 naming an unknown hash.';

CREATE FUNCTION {{.Schema}}.blurhash(hash text)
RETURNS text
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The hash's blurhash, NULL when it has none or the hash is unknown.
    SELECT h.blurhash FROM {{.Schema}}.hashes h WHERE h.hash = blurhash.hash;
END;
COMMENT ON FUNCTION {{.Schema}}.blurhash(text) IS 'The blurhash of a hash, NULL when it has none or the hash is unknown. Errors: none.';

CREATE FUNCTION {{.Schema}}.relate_variant_identifier(hash text, variant text, identifier text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Records the file of variant `variant` of hash `hash`: 'ok', or 'conflict' when the variant
-- already has a file (left as it was: two processes generated it; the loser deletes its file).
-- The variant's access is tracked from now.
DECLARE
    bad text := CASE WHEN relate_variant_identifier.hash IS NULL OR relate_variant_identifier.hash = '' THEN 'hash'
                     WHEN relate_variant_identifier.variant IS NULL OR relate_variant_identifier.variant = '' THEN 'variant'
                     WHEN relate_variant_identifier.identifier IS NULL OR relate_variant_identifier.identifier = '' THEN 'identifier' END;
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = bad || ' must be a non-empty string';
    END IF;
    -- Through a SELECT of the hash, so that an unknown hash inserts nothing (instead of a
    -- foreign key error) and is told apart from a conflict below.
    INSERT INTO {{.Schema}}.variants (hash, variant, identifier, accessed)
    SELECT h.hash, relate_variant_identifier.variant, relate_variant_identifier.identifier, now()
      FROM {{.Schema}}.hashes h WHERE h.hash = relate_variant_identifier.hash
    ON CONFLICT (hash, variant) DO NOTHING;
    IF FOUND THEN
        RETURN 'ok';
    END IF;
    IF EXISTS (SELECT FROM {{.Schema}}.variants v
                WHERE v.hash = relate_variant_identifier.hash AND v.variant = relate_variant_identifier.variant) THEN
        RETURN 'conflict';
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no hash %L', relate_variant_identifier.hash),
        HINT = 'create it with create_hash';
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.relate_variant_identifier(text, text, text) IS 'Records the file of a variant of a hash and starts tracking its access: relate_variant_identifier(hash, variant, identifier) returns ''ok'', or ''conflict'' when the variant already has a file (unchanged). Errors: 22023 for an empty or null argument, P0002 naming an unknown hash.';

CREATE FUNCTION {{.Schema}}.variant_identifier(hash text, variant text)
RETURNS text
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The identifier of the variant's file, NULL when there is none.
    SELECT v.identifier FROM {{.Schema}}.variants v
     WHERE v.hash = variant_identifier.hash AND v.variant = variant_identifier.variant;
END;
COMMENT ON FUNCTION {{.Schema}}.variant_identifier(text, text) IS 'The identifier of the file of a variant of a hash, NULL when there is none. Errors: none.';

CREATE FUNCTION {{.Schema}}.variants(hash text)
RETURNS TABLE (variant text, identifier text)
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- Every variant of the hash with the identifier of its file, by variant.
    SELECT v.variant, v.identifier FROM {{.Schema}}.variants v WHERE v.hash = variants.hash ORDER BY v.variant;
END;
COMMENT ON FUNCTION {{.Schema}}.variants(text) IS 'The variants of a hash as (variant, identifier) rows, by variant; none for an unknown hash. Errors: none.';

CREATE FUNCTION {{.Schema}}.remove_variant(hash text, variant text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Forgets variant `variant` of hash `hash` (its access too); true when it existed.
BEGIN
    DELETE FROM {{.Schema}}.variants v WHERE v.hash = remove_variant.hash AND v.variant = remove_variant.variant;
    RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.remove_variant(text, text) IS 'Forgets a variant of a hash and its access: remove_variant(hash, variant) returns true, or false when there was none. Errors: none.';

CREATE FUNCTION {{.Schema}}.cleanup_hash(hash text)
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Removes hash `hash` with its variants, aliases and their proxies, and returns the identifier
-- of every file that must now be deleted (original, motion, variants), each once. Nothing for an
-- unknown hash. Details are kept: they describe the files, which exist until the caller deletes
-- them and calls cleanup_details.
BEGIN
    -- Lock the hash first: a variant being related now waits for it (its foreign key check
    -- needs a KEY SHARE lock) and then fails, so no file is added behind the statement below,
    -- whose snapshot is taken after the lock.
    PERFORM FROM {{.Schema}}.hashes h WHERE h.hash = cleanup_hash.hash FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH v AS (
        DELETE FROM {{.Schema}}.variants v WHERE v.hash = cleanup_hash.hash RETURNING v.identifier),
    h AS (
        DELETE FROM {{.Schema}}.hashes h WHERE h.hash = cleanup_hash.hash RETURNING h.identifier, h.motion_identifier)
    SELECT DISTINCT i.identifier
      FROM (SELECT h.identifier FROM h UNION ALL SELECT h.motion_identifier FROM h UNION ALL SELECT v.identifier FROM v) i
     WHERE i.identifier IS NOT NULL;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.cleanup_hash(text) IS 'Removes a hash with its variants, aliases and proxies, in one statement, and returns every identifier whose file must now be deleted (original, motion file, variants), each once; nothing for an unknown hash. Details stay until cleanup_details. Errors: none.';
