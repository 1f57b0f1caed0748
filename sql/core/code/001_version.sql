-- core code: howdah.version(), the one public function of core.

CREATE FUNCTION howdah.version()
RETURNS jsonb
LANGUAGE sql STABLE
SECURITY DEFINER -- lets every role read the installed versions without access to howdah_internal
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT coalesce(jsonb_agg(jsonb_build_object('module', m.name, 'schema', m.schema_name, 'version', m.version,
                                                 'updated_at', m.updated_at) ORDER BY m.name, m.schema_name),
                    '[]')
      FROM howdah_internal.modules m;
END;
COMMENT ON FUNCTION howdah.version() IS 'The installed howdah modules as a JSON array: [{"module": "core", "schema": "howdah", "version": 1, "updated_at": "..."}, ...]. Errors: none.';
