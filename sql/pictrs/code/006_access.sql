-- pictrs code 006: AliasAccessRepo and VariantAccessRepo — when proxied aliases and variants were
-- last used, so that cold ones can be evicted. Access is tracked from relate_url (aliases: as in
-- pict-rs, only proxied media is evicted) and relate_variant_identifier (variants) until removed.
-- older_aliases and older_variants walk the partial indexes on accessed, oldest first.
--
-- Errors: 22023 (invalid_parameter_value) naming the parameter.

CREATE FUNCTION {{.Schema}}.alias_accessed(alias text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Marks the proxied alias `alias` accessed now; false when it is not a proxied alias.
BEGIN
    UPDATE {{.Schema}}.proxies p SET accessed = now() WHERE p.alias = alias_accessed.alias;
    RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.alias_accessed(text) IS 'Marks a proxied alias accessed now (tracking it again if it was removed): true, or false when the alias is not proxied. Errors: none.';

CREATE FUNCTION {{.Schema}}.older_aliases(before timestamptz, n integer DEFAULT 1000)
RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY INVOKER ROWS 100
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Up to `n` (1..10000) proxied aliases last accessed before `before`, oldest first: what to
-- evict. Evicting them (cleanup_alias) takes them out of the next call's answer.
BEGIN
    IF older_aliases.before IS NULL OR older_aliases.n IS NULL OR older_aliases.n NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = CASE WHEN older_aliases.before IS NULL THEN 'before must not be null'
                           ELSE format('n must be from 1 to 10000, got %s', coalesce(older_aliases.n::text, 'null')) END;
    END IF;
    RETURN QUERY
    SELECT p.alias FROM {{.Schema}}.proxies p
     WHERE p.accessed < older_aliases.before
     ORDER BY p.accessed, p.alias
     LIMIT older_aliases.n;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.older_aliases(timestamptz, integer) IS 'Proxied aliases last accessed before a time, oldest first: older_aliases(before, n = 1000), n from 1 to 10000. Errors: 22023 for a null before or n out of range.';

CREATE FUNCTION {{.Schema}}.remove_alias_access(alias text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Stops tracking the access of proxied alias `alias`: it is no longer offered for eviction.
BEGIN
    UPDATE {{.Schema}}.proxies p SET accessed = NULL WHERE p.alias = remove_alias_access.alias AND p.accessed IS NOT NULL;
    RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.remove_alias_access(text) IS 'Stops tracking the access of a proxied alias (older_aliases no longer offers it): true, or false when none was tracked. Errors: none.';

CREATE FUNCTION {{.Schema}}.variant_accessed(hash text, variant text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Marks variant `variant` of hash `hash` accessed now; false when there is no such variant.
BEGIN
    UPDATE {{.Schema}}.variants v SET accessed = now()
     WHERE v.hash = variant_accessed.hash AND v.variant = variant_accessed.variant;
    RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.variant_accessed(text, text) IS 'Marks a variant accessed now (tracking it again if it was removed): true, or false when there is no such variant. Errors: none.';

CREATE FUNCTION {{.Schema}}.contains_variant(hash text, variant text)
RETURNS boolean
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- Whether the access of the variant is tracked.
    SELECT EXISTS (SELECT FROM {{.Schema}}.variants v
                    WHERE v.hash = contains_variant.hash AND v.variant = contains_variant.variant AND v.accessed IS NOT NULL);
END;
COMMENT ON FUNCTION {{.Schema}}.contains_variant(text, text) IS 'Whether the access of a variant is tracked (it exists and remove_variant_access was not called since its last access). Errors: none.';

CREATE FUNCTION {{.Schema}}.older_variants(before timestamptz, n integer DEFAULT 1000)
RETURNS TABLE (hash text, variant text)
LANGUAGE plpgsql STABLE SECURITY INVOKER ROWS 100
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Up to `n` (1..10000) variants last accessed before `before`, oldest first, from the partial
-- index variants_accessed_idx (an index-only scan). Evicting them (remove_variant) takes them
-- out of the next call's answer.
BEGIN
    IF older_variants.before IS NULL OR older_variants.n IS NULL OR older_variants.n NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = CASE WHEN older_variants.before IS NULL THEN 'before must not be null'
                           ELSE format('n must be from 1 to 10000, got %s', coalesce(older_variants.n::text, 'null')) END;
    END IF;
    RETURN QUERY
    SELECT v.hash, v.variant FROM {{.Schema}}.variants v
     WHERE v.accessed < older_variants.before
     ORDER BY v.accessed, v.hash, v.variant
     LIMIT older_variants.n;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.older_variants(timestamptz, integer) IS 'Variants last accessed before a time, oldest first, as (hash, variant) rows: older_variants(before, n = 1000), n from 1 to 10000. Errors: 22023 for a null before or n out of range.';

CREATE FUNCTION {{.Schema}}.remove_variant_access(hash text, variant text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Stops tracking the access of a variant: it is no longer offered for eviction.
BEGIN
    UPDATE {{.Schema}}.variants v SET accessed = NULL
     WHERE v.hash = remove_variant_access.hash AND v.variant = remove_variant_access.variant AND v.accessed IS NOT NULL;
    RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.remove_variant_access(text, text) IS 'Stops tracking the access of a variant (older_variants no longer offers it): true, or false when none was tracked. Errors: none.';
