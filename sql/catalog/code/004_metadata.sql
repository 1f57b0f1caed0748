-- catalog code 004: display metadata that is not part of the user's schema — a table's preview
-- template and column order, and per-column display options — kept in the tables of
-- migrations/001_metadata.sql, keyed by table oid and attnum.
--
-- The rule: whoever may read a column (has_column_privilege SELECT) may read its display
-- options; whoever may alter the table (is a member of its owning role with the owner's
-- privileges, pg_has_role(relowner, 'USAGE')) may change the table's and its columns' metadata.
-- Table-level metadata is readable by every role, like a table's COMMENT.
--
-- How the rule is enforced: the functions stay SECURITY INVOKER and the two tables are granted
-- to PUBLIC with ROW LEVEL SECURITY forced on them. The policies below call has_column_privilege
-- and pg_has_role on the referenced table; policies run as the invoker, so those checks see the
-- caller, whether the rows are reached through the functions or directly. FORCE makes the
-- tables' owner (the installing role) obey them too; only superusers bypass them. A SECURITY
-- DEFINER design would have had has_*_privilege see the definer instead. TRUNCATE (which skips
-- RLS) is not granted. The functions also check ownership themselves so that a refused write
-- is an error naming the table rather than a silent no-op of an UPDATE under RLS.
--
-- Stale rows: an oid of a dropped table can be reused only after the 32-bit oid counter wraps,
-- and attnums are never reused within a table. Reads join pg_class/pg_attribute, so rows of
-- dropped tables and columns are ignored (a preview template that names a dropped column is
-- ignored as a whole); every write sweeps the rows of dropped tables, and of dropped columns of
-- tables the caller owns. No event trigger: it would run inside every DROP of the database and
-- needs a superuser to install.
--
-- Errors: 22023 bad JSON input (naming the key and the table), 42P01 unknown table oid, 42703
-- unknown column (naming the attnum and the table), 42501 not an owner of the table.

-- catalog_table_metadata: everyone reads; owners of the table write; rows of dropped tables may be
-- deleted by anyone.
CREATE POLICY table_metadata_read ON howdah_internal.catalog_table_metadata FOR SELECT USING (true);
CREATE POLICY table_metadata_insert ON howdah_internal.catalog_table_metadata FOR INSERT
    WITH CHECK (EXISTS (SELECT FROM pg_catalog.pg_class c
                         WHERE c.oid = table_oid AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));
CREATE POLICY table_metadata_update ON howdah_internal.catalog_table_metadata FOR UPDATE
    USING (EXISTS (SELECT FROM pg_catalog.pg_class c
                    WHERE c.oid = table_oid AND pg_catalog.pg_has_role(c.relowner, 'USAGE')))
    WITH CHECK (EXISTS (SELECT FROM pg_catalog.pg_class c
                         WHERE c.oid = table_oid AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));
CREATE POLICY table_metadata_delete ON howdah_internal.catalog_table_metadata FOR DELETE
    USING (NOT EXISTS (SELECT FROM pg_catalog.pg_class c
                        WHERE c.oid = table_oid AND NOT pg_catalog.pg_has_role(c.relowner, 'USAGE')));

-- catalog_column_metadata: a row is readable by whoever may read the column, by the table's owners,
-- and (so that stale rows can be swept) by anyone once the table is gone; owners of the table
-- write.
CREATE POLICY column_metadata_read ON howdah_internal.catalog_column_metadata FOR SELECT
    USING (pg_catalog.has_column_privilege(table_oid, attnum, 'SELECT')
           OR NOT EXISTS (SELECT FROM pg_catalog.pg_class c
                           WHERE c.oid = table_oid AND NOT pg_catalog.pg_has_role(c.relowner, 'USAGE')));
CREATE POLICY column_metadata_insert ON howdah_internal.catalog_column_metadata FOR INSERT
    WITH CHECK (EXISTS (SELECT FROM pg_catalog.pg_class c
                         WHERE c.oid = table_oid AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));
CREATE POLICY column_metadata_update ON howdah_internal.catalog_column_metadata FOR UPDATE
    USING (EXISTS (SELECT FROM pg_catalog.pg_class c
                    WHERE c.oid = table_oid AND pg_catalog.pg_has_role(c.relowner, 'USAGE')))
    WITH CHECK (EXISTS (SELECT FROM pg_catalog.pg_class c
                         WHERE c.oid = table_oid AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));
CREATE POLICY column_metadata_delete ON howdah_internal.catalog_column_metadata FOR DELETE
    USING (NOT EXISTS (SELECT FROM pg_catalog.pg_class c
                        WHERE c.oid = table_oid AND NOT pg_catalog.pg_has_role(c.relowner, 'USAGE')));

CREATE FUNCTION howdah_internal.catalog_template_attnums(template text)
RETURNS numeric[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
-- The numbers n of the {n} references in a preview template, in order of appearance (numeric,
-- so that an absurdly large n is reported rather than overflowing).
RETURN ARRAY(SELECT m[1]::numeric FROM regexp_matches(template, '\{([0-9]+)\}', 'g') AS m);
COMMENT ON FUNCTION howdah_internal.catalog_template_attnums(text) IS 'The attnums a preview template such as ''{2} ({1})'' refers to.';

CREATE FUNCTION howdah_internal.catalog_table_meta_json(tab oid)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- {preview_template, column_order} of table `tab`, stale parts dropped: a template naming a
-- column that no longer exists is NULL, column_order keeps only existing columns. Both NULL
-- when nothing is set. PL/pgSQL rather than SQL because catalog_tables_doc calls it once per table:
-- PL/pgSQL keeps its plans for the session, a SQL function nested in another is planned anew
-- on every call.
DECLARE
    meta record;
BEGIN
    SELECT m.preview_template, m.column_order INTO meta
      FROM howdah_internal.catalog_table_metadata m WHERE m.table_oid = tab;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('preview_template', NULL, 'column_order', NULL);
    END IF;
    RETURN jsonb_build_object(
        'preview_template',
        CASE WHEN NOT EXISTS (SELECT FROM unnest(howdah_internal.catalog_template_attnums(meta.preview_template)) AS r(n)
                               WHERE NOT EXISTS (SELECT FROM pg_attribute a
                                                  WHERE a.attrelid = tab AND a.attnum = r.n
                                                    AND a.attnum > 0 AND NOT a.attisdropped))
             THEN meta.preview_template END,
        'column_order',
        (SELECT jsonb_agg(o.attnum ORDER BY o.pos)
           FROM unnest(meta.column_order) WITH ORDINALITY AS o(attnum, pos)
          WHERE EXISTS (SELECT FROM pg_attribute a
                         WHERE a.attrelid = tab AND a.attnum = o.attnum AND a.attnum > 0 AND NOT a.attisdropped)));
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_table_meta_json(oid) IS 'The live table metadata of a table: {preview_template, column_order}, NULLs when unset or stale.';

CREATE FUNCTION howdah_internal.catalog_require_table_owner(rel regclass, action text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Raises 42501 naming the table unless the current role has its owner's privileges.
BEGIN
    IF NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = rel AND pg_has_role(c.relowner, 'USAGE')) THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('must be owner of table %s to %s', rel, action),
            HINT = 'ask the table''s owner, or a member of the owning role, to do it';
    END IF;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_require_table_owner(regclass, text) IS 'Error 42501 naming the table unless the current role may alter it.';

CREATE FUNCTION howdah_internal.catalog_sweep_metadata()
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- Deletes metadata of dropped tables, and of dropped columns of tables the current role owns
    -- (the row policies limit the sweep to what the role may delete).
    DELETE FROM howdah_internal.catalog_table_metadata m
     WHERE NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = m.table_oid);
    DELETE FROM howdah_internal.catalog_column_metadata m
     WHERE NOT EXISTS (SELECT FROM pg_attribute a
                        WHERE a.attrelid = m.table_oid AND a.attnum = m.attnum AND NOT a.attisdropped);
END;
COMMENT ON FUNCTION howdah_internal.catalog_sweep_metadata() IS 'Removes stale metadata rows the current role may delete; run by every metadata write.';

CREATE FUNCTION howdah.get_table_metadata(tab oid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The display metadata of table `tab`: {"preview_template": text or null, "column_order":
-- [attnum, ...] or null}. Readable by every role, like the table's comment.
BEGIN
    RETURN howdah_internal.catalog_table_meta_json(howdah_internal.catalog_visible_table(tab));
END;
$$;
COMMENT ON FUNCTION howdah.get_table_metadata(oid) IS 'A table''s display metadata: {preview_template, column_order}, NULLs when unset; parts naming dropped columns are left out. Errors: 42P01 unknown table.';

CREATE FUNCTION howdah.set_table_metadata(tab oid, meta jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Sets {"preview_template": "{2} ({1})", "column_order": [3, 1, 2]} on table `tab`; a key left
-- out is left alone, a JSON null clears it. Only the table's owners may. Validates everything
-- before writing and returns get_table_metadata(tab).
DECLARE
    rel regclass := howdah_internal.catalog_visible_table(tab);
    what text;
    template text;
    col_order smallint[];
    bad record;
    missing numeric;
BEGIN
    PERFORM howdah_internal.catalog_require_table_owner(rel, 'change its metadata');
    what := format('set_table_metadata meta for table %s', rel);
    PERFORM howdah_internal.catalog_check_keys(meta, ARRAY['preview_template', 'column_order'], what);

    template := howdah_internal.catalog_json_text(meta, 'preview_template', what);
    IF template = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: key ''preview_template'' must not be empty', what),
            HINT = 'use null to go back to the default preview';
    END IF;
    -- Lists are checked by one query each (one join to pg_attribute); the first problem in
    -- input order is reported.
    SELECT t.n INTO missing
      FROM unnest(howdah_internal.catalog_template_attnums(template)) WITH ORDINALITY AS t(n, ord)
      LEFT JOIN pg_attribute a ON a.attrelid = rel AND a.attnum = CASE WHEN t.n BETWEEN 1 AND 32767 THEN t.n::smallint END
                               AND NOT a.attisdropped
     WHERE a.attnum IS NULL
     ORDER BY t.ord LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_column',
            MESSAGE = format('preview_template of table %s refers to column %s, which does not exist', rel, missing),
            HINT = 'write {attnum} with the attnum of a column from list_columns()';
    END IF;

    IF jsonb_typeof(meta -> 'column_order') = 'array' THEN
        WITH items AS MATERIALIZED (
            SELECT x.pos, howdah_internal.catalog_json_int_value(x.e, 1, 32767, format('%s: column_order[%s]', what, x.pos - 1))::smallint AS n
              FROM jsonb_array_elements(meta -> 'column_order') WITH ORDINALITY AS x(e, pos)),
        checked AS (
            SELECT i.pos, i.n, a.attnum IS NOT NULL AS exists_, row_number() OVER (PARTITION BY i.n ORDER BY i.pos) AS nth
              FROM items i
              LEFT JOIN pg_attribute a ON a.attrelid = rel AND a.attnum = i.n AND NOT a.attisdropped)
        SELECT c.n, c.exists_ INTO bad FROM checked c WHERE NOT c.exists_ OR c.nth > 1 ORDER BY c.pos LIMIT 1;
        IF FOUND AND NOT bad.exists_ THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_column',
                MESSAGE = format('column_order of table %s lists column %s, which does not exist', rel, bad.n);
        ELSIF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('column_order of table %s lists column %s twice', rel, bad.n);
        END IF;
        col_order := ARRAY(SELECT x.e::numeric::smallint FROM jsonb_array_elements(meta -> 'column_order') WITH ORDINALITY AS x(e, pos) ORDER BY x.pos);
    ELSIF meta ? 'column_order' AND jsonb_typeof(meta -> 'column_order') <> 'null' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: key ''column_order'' must be an array of attnums, got %s', what, jsonb_typeof(meta -> 'column_order'));
    END IF;

    PERFORM howdah_internal.catalog_sweep_metadata();
    INSERT INTO howdah_internal.catalog_table_metadata AS m (table_oid, preview_template, column_order)
    VALUES (rel, template, col_order)
    ON CONFLICT (table_oid) DO UPDATE
       SET preview_template = CASE WHEN meta ? 'preview_template' THEN excluded.preview_template ELSE m.preview_template END,
           column_order = CASE WHEN meta ? 'column_order' THEN excluded.column_order ELSE m.column_order END,
           updated_at = now();
    DELETE FROM howdah_internal.catalog_table_metadata m
     WHERE m.table_oid = rel AND m.preview_template IS NULL AND m.column_order IS NULL;
    RETURN howdah_internal.catalog_table_meta_json(rel);
END;
$$;
COMMENT ON FUNCTION howdah.set_table_metadata(oid, jsonb) IS 'Sets a table''s display metadata from {"preview_template": "{2} ({1})", "column_order": [attnum, ...]}: keys left out are kept, null clears; returns get_table_metadata(). Errors: 42P01 unknown table, 42501 not an owner of the table, 22023 bad meta (unknown key, wrong JSON type, empty template, a column_order entry that is not a whole number from 1 to 32767, a column listed twice), 42703 the template or column_order names a column that does not exist.';

CREATE FUNCTION howdah.get_column_metadata(tab oid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- [{"attnum": n, "display_options": {...}}] for the columns of `tab` that have display options
-- and that the caller may read (or owns the table), in attnum order.
DECLARE
    rel regclass := howdah_internal.catalog_visible_table(tab);
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('attnum', m.attnum, 'display_options', m.display_options)
                                      ORDER BY m.attnum), '[]')
              FROM howdah_internal.catalog_column_metadata m
              JOIN pg_attribute a ON a.attrelid = m.table_oid AND a.attnum = m.attnum AND NOT a.attisdropped
             WHERE m.table_oid = rel);
END;
$$;
COMMENT ON FUNCTION howdah.get_column_metadata(oid) IS 'Display options of the columns the caller may read (SELECT on the column, or owner of the table): [{attnum, display_options}], only columns that have some. Errors: 42P01 unknown table.';

CREATE FUNCTION howdah.set_column_metadata(tab oid, attnum smallint, display_options jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Replaces the display options of column `attnum` of table `tab` with the JSON object
-- `display_options` (NULL or JSON null clears them). Only the table's owners may. Returns
-- {"attnum": n, "display_options": {...} or null}.
DECLARE
    rel regclass := howdah_internal.catalog_visible_table(tab);
BEGIN
    PERFORM howdah_internal.catalog_require_table_owner(rel, 'change its metadata');
    IF NOT EXISTS (SELECT FROM pg_attribute a
                    WHERE a.attrelid = rel AND a.attnum = set_column_metadata.attnum
                      AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_column',
            MESSAGE = format('column %s of table %s does not exist', coalesce(set_column_metadata.attnum::text, 'NULL'), rel),
            HINT = 'list_columns(table oid) gives the attnums of a table''s columns';
    END IF;
    IF jsonb_typeof(set_column_metadata.display_options) NOT IN ('object', 'null') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('display_options of column %s of table %s must be a JSON object, got %s',
                             set_column_metadata.attnum, rel, jsonb_typeof(set_column_metadata.display_options)),
            HINT = 'use null to clear them';
    END IF;

    PERFORM howdah_internal.catalog_sweep_metadata();
    IF coalesce(jsonb_typeof(set_column_metadata.display_options), 'null') = 'null' THEN
        DELETE FROM howdah_internal.catalog_column_metadata m
         WHERE m.table_oid = rel AND m.attnum = set_column_metadata.attnum;
    ELSE
        INSERT INTO howdah_internal.catalog_column_metadata AS m (table_oid, attnum, display_options)
        VALUES (rel, set_column_metadata.attnum, set_column_metadata.display_options)
        ON CONFLICT ON CONSTRAINT catalog_column_metadata_pkey DO UPDATE
           SET display_options = excluded.display_options, updated_at = now();
    END IF;
    RETURN jsonb_build_object('attnum', set_column_metadata.attnum, 'display_options',
                              CASE WHEN jsonb_typeof(set_column_metadata.display_options) = 'object'
                                   THEN set_column_metadata.display_options END);
END;
$$;
COMMENT ON FUNCTION howdah.set_column_metadata(oid, smallint, jsonb) IS 'Replaces the display options (a JSON object; NULL clears) of one column; returns {attnum, display_options}. Errors: 42P01 unknown table, 42501 not an owner of the table, 42703 unknown column (names the attnum), 22023 not a JSON object.';
