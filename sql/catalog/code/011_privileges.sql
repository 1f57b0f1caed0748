-- catalog code 011: privileges — those granted on a table or schema, and replacing them from a
-- JSON spec.
--
-- Everything is read from the objects' ACLs, which every role may read; changes are GRANT/REVOKE
-- statements run as the caller, so PostgreSQL's own rules apply.
--
-- Errors: 22023 (invalid_parameter_value) for a bad spec, naming the entry and the key; 42704
-- (undefined_object) for an unknown role; 42P01 / 3F000 for an unknown table / schema oid; 42501
-- when the caller does not own the object or another role's grant would survive; 2BP01 when a
-- role would lose a grant option it has used.

CREATE FUNCTION howdah_internal.catalog_privilege_keywords(kind text)
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
-- The privileges GRANT knows for a kind of object, in PostgreSQL's order. GRANT and REVOKE
-- statements are built only from these constants.
RETURN CASE kind
    WHEN 'table' THEN ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']
    WHEN 'schema' THEN ARRAY['USAGE', 'CREATE'] END;
COMMENT ON FUNCTION howdah_internal.catalog_privilege_keywords(text) IS 'The privilege keywords of ''table'' or ''schema''.';

CREATE FUNCTION howdah_internal.catalog_acl_json(acl aclitem[], owner oid, kind text)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The ACL grouped by grantee: [{role_oid, role, owner, direct, grant_option}], PUBLIC first
    -- (role_oid 0, role "PUBLIC"), then by role name; privileges in PostgreSQL's order.
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'role_oid', g.grantee::bigint,
               'role', CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE coalesce(r.rolname::text, g.grantee::text) END,
               'owner', g.grantee = owner,
               'direct', to_jsonb(g.direct),
               'grant_option', to_jsonb(g.grant_option))
               ORDER BY g.grantee <> 0, r.rolname), '[]')
      FROM (SELECT e.grantee,
                   ARRAY(SELECT k FROM unnest(howdah_internal.catalog_privilege_keywords(kind)) k
                          WHERE k = ANY (array_agg(e.privilege_type))) AS direct,
                   ARRAY(SELECT k FROM unnest(howdah_internal.catalog_privilege_keywords(kind)) k
                          WHERE k = ANY (array_agg(e.privilege_type) FILTER (WHERE e.is_grantable))) AS grant_option
              FROM aclexplode(acl) e
             GROUP BY e.grantee) g
      LEFT JOIN pg_roles r ON r.oid = g.grantee;
END;
COMMENT ON FUNCTION howdah_internal.catalog_acl_json(aclitem[], oid, text) IS 'An ACL as list_table_privileges() shows it.';

CREATE FUNCTION howdah.list_table_privileges(tab oid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The privileges granted on table `tab`, per grantee: [{role_oid, role, owner, direct:
-- ["SELECT", ...], grant_option: [...]}]. A table never granted shows its owner's defaults.
DECLARE
    rel regclass := howdah_internal.catalog_visible_table(tab);
BEGIN
    RETURN (SELECT howdah_internal.catalog_acl_json(coalesce(c.relacl, acldefault('r', c.relowner)), c.relowner, 'table')
              FROM pg_class c WHERE c.oid = rel);
END;
$$;
COMMENT ON FUNCTION howdah.list_table_privileges(oid) IS 'Table-level privileges granted on a table, per grantee: [{role_oid, role, owner, direct: ["SELECT", ...], grant_option: [...]}]; PUBLIC is role_oid 0, role "PUBLIC". Column-level grants are not included. Errors: 42P01 unknown table.';

CREATE FUNCTION howdah.list_schema_privileges(sch oid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The privileges granted on schema `sch`, per grantee, as list_table_privileges shows them.
BEGIN
    PERFORM howdah_internal.catalog_visible_schema(sch);
    RETURN (SELECT howdah_internal.catalog_acl_json(coalesce(n.nspacl, acldefault('n', n.nspowner)), n.nspowner, 'schema')
              FROM pg_namespace n WHERE n.oid = sch);
END;
$$;
COMMENT ON FUNCTION howdah.list_schema_privileges(oid) IS 'Privileges granted on a schema, per grantee: [{role_oid, role, owner, direct: ["USAGE", "CREATE"], grant_option: [...]}]; PUBLIC is role_oid 0, role "PUBLIC". Errors: 3F000 unknown schema.';

CREATE FUNCTION howdah_internal.catalog_json_privileges(input jsonb, key text, what text, kind text)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The privilege keywords listed in input->key (absent or null: none), in PostgreSQL's order,
-- taken from catalog_privilege_keywords(kind); 22023 naming the key or the unknown privilege. Case is
-- ignored.
DECLARE
    allowed text[] := howdah_internal.catalog_privilege_keywords(kind);
    item jsonb;
    out text[] := '{}'::text[];
BEGIN
    IF coalesce(jsonb_typeof(input -> key), 'null') = 'null' THEN
        RETURN out;
    END IF;
    IF jsonb_typeof(input -> key) <> 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: key %L must be an array of privileges, got %s', what, key, jsonb_typeof(input -> key));
    END IF;
    FOR item IN SELECT e FROM jsonb_array_elements(input -> key) AS e LOOP
        IF jsonb_typeof(item) <> 'string' OR NOT upper(item #>> '{}') = ANY (allowed) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: unknown %s privilege %s in %L', what, kind, item, key),
                HINT = format('%s privileges: %s', kind, array_to_string(allowed, ', '));
        END IF;
        out := out || upper(item #>> '{}');
    END LOOP;
    RETURN ARRAY(SELECT k FROM unnest(allowed) AS k WHERE k = ANY (out));
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_json_privileges(jsonb, text, text, text) IS 'Reads a list of privilege keywords from JSON input against the whitelist of the object kind (22023 otherwise).';

CREATE FUNCTION howdah_internal.catalog_privilege_sql(verb text, privileges text[], classid regclass, obj oid, grantee oid)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- One GRANT or REVOKE statement (verb: grant, grant_with_option, revoke, revoke_option) of
    -- `privileges` on the object (classid, obj) — a table (pg_class) or a schema (pg_namespace),
    -- named as pg_depend does — to or from `grantee` (0 = PUBLIC). Privilege keywords come from
    -- catalog_privilege_keywords(), never from the argument's text; names are quoted with %I. NULL for an
    -- unknown verb, object or role.
    SELECT format(CASE verb
                      WHEN 'grant' THEN 'GRANT %s ON %s TO %s'
                      WHEN 'grant_with_option' THEN 'GRANT %s ON %s TO %s WITH GRANT OPTION'
                      WHEN 'revoke' THEN 'REVOKE %s ON %s FROM %s'
                      WHEN 'revoke_option' THEN 'REVOKE GRANT OPTION FOR %s ON %s FROM %s' END,
                  array_to_string(ARRAY(SELECT k FROM unnest(howdah_internal.catalog_privilege_keywords(
                                             CASE classid WHEN 'pg_class'::regclass THEN 'table'
                                                          WHEN 'pg_namespace'::regclass THEN 'schema' END)) AS k
                                         WHERE k = ANY (privileges)), ', '),
                  CASE classid
                      WHEN 'pg_class'::regclass THEN (SELECT format('TABLE %I.%I', n.nspname, c.relname)
                                                        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                                       WHERE c.oid = obj)
                      WHEN 'pg_namespace'::regclass THEN (SELECT format('SCHEMA %I', n.nspname)
                                                            FROM pg_namespace n WHERE n.oid = obj) END,
                  CASE WHEN grantee = 0 THEN 'PUBLIC'
                       ELSE (SELECT format('%I', r.rolname) FROM pg_roles r WHERE r.oid = grantee) END);
END;
COMMENT ON FUNCTION howdah_internal.catalog_privilege_sql(text, text[], regclass, oid, oid) IS 'Builds one GRANT/REVOKE statement from whitelisted privilege keywords and quoted names.';

CREATE FUNCTION howdah_internal.catalog_replace_privileges(kind text, obj oid, spec jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- Makes the ACL of the table or schema `obj` say exactly what `spec` says (see
-- replace_table_privileges). Order: find the object, check ownership, validate the whole spec,
-- refuse grant options others depend on, then GRANT/REVOKE per role, then check the result.
DECLARE
    what text := format('replace_%s_privileges spec', kind);
    shown text;       -- the object for messages
    catalog regclass := CASE kind WHEN 'table' THEN 'pg_class'::regclass ELSE 'pg_namespace'::regclass END;
    owner_oid oid;
    acl aclitem[];
    entry jsonb;
    pos bigint;
    where_ text;
    role_name text;
    role_num bigint;
    grantee_oid oid;
    want_roles oid[] := '{}'::oid[];
    want_direct jsonb := '{}'::jsonb;   -- grantee oid (as text) -> [privileges]
    want_grant jsonb := '{}'::jsonb;    -- grantee oid (as text) -> [privileges with grant option]
    direct text[];
    grantable text[];
    cur_direct text[];
    cur_grant text[];
    todo text[];
    dep record;
    bad record;
BEGIN
    IF kind = 'table' THEN
        shown := format('table %s', howdah_internal.catalog_visible_table(obj));
        SELECT c.relowner INTO owner_oid FROM pg_class c WHERE c.oid = obj;
    ELSE
        shown := format('schema %I', howdah_internal.catalog_visible_schema(obj));
        SELECT n.nspowner INTO owner_oid FROM pg_namespace n WHERE n.oid = obj;
    END IF;
    IF NOT pg_has_role(owner_oid, 'USAGE') THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('must be owner of %s to replace its privileges', shown),
            HINT = 'ask the owner, or a member of the owning role, to do it';
    END IF;

    -- Validate the whole spec before changing anything.
    IF jsonb_typeof(spec) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s for %s must be a JSON array, got %s', what, shown, coalesce(jsonb_typeof(spec), 'null')),
            HINT = 'give [{"role": name, "direct": [privileges]}, ...]; [] revokes every grant but the owner''s';
    END IF;
    FOR entry, pos IN SELECT e, i FROM jsonb_array_elements(spec) WITH ORDINALITY AS x(e, i) LOOP
        where_ := format('%s for %s, entry %s', what, shown, pos);
        PERFORM howdah_internal.catalog_check_keys(entry, ARRAY['role', 'role_oid', 'direct', 'grant_option'], where_);
        IF (entry ? 'role') = (entry ? 'role_oid') THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: give exactly one of "role" and "role_oid"', where_);
        END IF;
        IF entry ? 'role' THEN
            role_name := howdah_internal.catalog_json_text(entry, 'role', where_);
            IF role_name IN ('PUBLIC', 'public') THEN
                grantee_oid := 0;
            ELSE
                grantee_oid := (SELECT r.oid FROM pg_roles r WHERE r.rolname = role_name);
                IF grantee_oid IS NULL THEN
                    RAISE EXCEPTION USING ERRCODE = 'undefined_object',
                        MESSAGE = format('%s: role %s does not exist', where_, coalesce(quote_literal(role_name), 'null')),
                        HINT = 'list_roles() gives the roles; name PUBLIC as "PUBLIC"';
                END IF;
            END IF;
        ELSE
            -- A JSON number as list_roles() gives oids, or a string of digits (read as that number).
            role_num := howdah_internal.catalog_json_int_value(
                CASE WHEN jsonb_typeof(entry -> 'role_oid') = 'string' AND entry ->> 'role_oid' ~ '^[0-9]{1,10}$'
                     THEN to_jsonb((entry ->> 'role_oid')::bigint) ELSE entry -> 'role_oid' END,
                0, 4294967295, format('%s: key ''role_oid'' (an oid)', where_));
            IF role_num = 0 THEN
                grantee_oid := 0;
            ELSE
                grantee_oid := (SELECT r.oid FROM pg_roles r WHERE r.oid = role_num::oid);
                IF grantee_oid IS NULL THEN
                    RAISE EXCEPTION USING ERRCODE = 'undefined_object',
                        MESSAGE = format('%s: role with oid %s does not exist', where_, role_num),
                        HINT = 'list_roles() gives the roles; PUBLIC is role_oid 0';
                END IF;
            END IF;
        END IF;
        IF grantee_oid = ANY (want_roles) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: role %s is listed twice',
                                 where_, CASE WHEN grantee_oid = 0 THEN 'PUBLIC' ELSE grantee_oid::regrole::text END);
        END IF;
        IF NOT entry ? 'direct' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: key ''direct'' is required', where_),
                HINT = 'give the privileges the role should end with; [] revokes them all';
        END IF;
        direct := howdah_internal.catalog_json_privileges(entry, 'direct', where_, kind);
        grantable := howdah_internal.catalog_json_privileges(entry, 'grant_option', where_, kind);
        IF NOT grantable <@ direct THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: grant_option lists %s, which "direct" does not', where_,
                                 array_to_string(ARRAY(SELECT unnest(grantable) EXCEPT SELECT unnest(direct)), ', '));
        END IF;
        IF grantee_oid = 0 AND grantable <> '{}' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: PUBLIC cannot hold grant options', where_);
        END IF;
        want_roles := want_roles || grantee_oid;
        want_direct := want_direct || jsonb_build_object(grantee_oid::text, direct);
        want_grant := want_grant || jsonb_build_object(grantee_oid::text, grantable);
    END LOOP;

    IF kind = 'table' THEN
        SELECT coalesce(c.relacl, acldefault('r', c.relowner)) INTO acl FROM pg_class c WHERE c.oid = obj;
    ELSE
        SELECT coalesce(n.nspacl, acldefault('n', n.nspowner)) INTO acl FROM pg_namespace n WHERE n.oid = obj;
    END IF;

    -- A role that would lose a grant option (from the owner) it has used to grant the privilege
    -- to others: PostgreSQL refuses that REVOKE without CASCADE (2BP01, naming no object), and
    -- CASCADE would silently take the others' grants too. Refuse before the first change.
    SELECT g.grantee AS holder, d.grantee AS other, g.privilege_type INTO dep
      FROM aclexplode(acl) g
      JOIN aclexplode(acl) d ON d.grantor = g.grantee AND d.privilege_type = g.privilege_type AND d.grantee <> g.grantee
     WHERE g.is_grantable AND g.grantor = owner_oid AND g.grantee <> owner_oid
       AND NOT coalesce(want_grant -> g.grantee::text, '[]') ? g.privilege_type
     ORDER BY g.grantee, array_position(howdah_internal.catalog_privilege_keywords(kind), g.privilege_type::text), d.grantee
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'dependent_objects_still_exist',
            MESSAGE = format('cannot take the grant option for %s on %s from %s: %s has granted %s to %s with it',
                             dep.privilege_type, shown, dep.holder::regrole, dep.holder::regrole, dep.privilege_type,
                             CASE WHEN dep.other = 0 THEN 'PUBLIC' ELSE dep.other::regrole::text END),
            HINT = format('keep %s in the grant_option of %s, or first remove what it granted: as %s, %s; or as the owner, %s CASCADE',
                          dep.privilege_type, dep.holder::regrole, dep.holder::regrole,
                          howdah_internal.catalog_privilege_sql('revoke', ARRAY[dep.privilege_type::text], catalog, obj, dep.other),
                          howdah_internal.catalog_privilege_sql('revoke', ARRAY[dep.privilege_type::text], catalog, obj, dep.holder));
    END IF;

    -- Apply, role by role: every grantee of the current ACL and every listed role, but never the
    -- owner.
    FOR grantee_oid IN
        SELECT g FROM (SELECT e.grantee AS g FROM aclexplode(acl) e UNION SELECT unnest(want_roles)) u
         WHERE g <> owner_oid ORDER BY g
    LOOP
        SELECT coalesce(array_agg(e.privilege_type), '{}'),
               coalesce(array_agg(e.privilege_type) FILTER (WHERE e.is_grantable), '{}')
          INTO cur_direct, cur_grant
          FROM aclexplode(acl) e WHERE e.grantee = grantee_oid;
        direct := ARRAY(SELECT jsonb_array_elements_text(coalesce(want_direct -> grantee_oid::text, '[]')));
        grantable := ARRAY(SELECT jsonb_array_elements_text(coalesce(want_grant -> grantee_oid::text, '[]')));

        -- Privileges to take away (with their grant options).
        todo := ARRAY(SELECT unnest(cur_direct) EXCEPT SELECT unnest(direct));
        IF todo <> '{}' THEN
            EXECUTE howdah_internal.catalog_privilege_sql('revoke', todo, catalog, obj, grantee_oid);
        END IF;
        -- Grant options to take away from privileges that stay.
        todo := ARRAY(SELECT unnest(cur_grant) INTERSECT SELECT unnest(direct) EXCEPT SELECT unnest(grantable));
        IF todo <> '{}' THEN
            EXECUTE howdah_internal.catalog_privilege_sql('revoke_option', todo, catalog, obj, grantee_oid);
        END IF;
        -- Privileges to give without, then with grant option.
        todo := ARRAY(SELECT unnest(direct) EXCEPT SELECT unnest(cur_direct) EXCEPT SELECT unnest(grantable));
        IF todo <> '{}' THEN
            EXECUTE howdah_internal.catalog_privilege_sql('grant', todo, catalog, obj, grantee_oid);
        END IF;
        todo := ARRAY(SELECT unnest(grantable) EXCEPT SELECT unnest(cur_grant));
        IF todo <> '{}' THEN
            EXECUTE howdah_internal.catalog_privilege_sql('grant_with_option', todo, catalog, obj, grantee_oid);
        END IF;
    END LOOP;

    -- Grants made by other roles (through their grant options) survive the owner's REVOKE; the
    -- call then fails as a whole rather than leave a different ACL than asked for.
    IF kind = 'table' THEN
        SELECT c.relacl INTO acl FROM pg_class c WHERE c.oid = obj;
    ELSE
        SELECT n.nspacl INTO acl FROM pg_namespace n WHERE n.oid = obj;
    END IF;
    SELECT e.grantee, e.grantor, e.privilege_type INTO bad
      FROM aclexplode(acl) e
     WHERE e.grantee <> owner_oid
       AND NOT (coalesce(want_direct -> e.grantee::text, '[]') ? e.privilege_type
                AND (NOT e.is_grantable OR coalesce(want_grant -> e.grantee::text, '[]') ? e.privilege_type))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('%s on %s was granted to %s by %s and cannot be revoked by the owner',
                             bad.privilege_type, shown,
                             CASE WHEN bad.grantee = 0 THEN 'PUBLIC' ELSE bad.grantee::regrole::text END,
                             bad.grantor::regrole::text),
            HINT = format('%s (or a superuser) must revoke it first', bad.grantor::regrole::text);
    END IF;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_replace_privileges(text, oid, jsonb) IS 'Shared body of replace_table_privileges and replace_schema_privileges.';

CREATE FUNCTION howdah.replace_table_privileges(tab oid, spec jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- spec: [{"role": name | "role_oid": oid, "direct": ["SELECT", ...], "grant_option": [...]}].
-- Each listed role ends with exactly those privileges on table `tab`; every other role (PUBLIC
-- included) loses its privileges; the owner's are never changed. Returns list_table_privileges.
BEGIN
    PERFORM howdah_internal.catalog_replace_privileges('table', tab, spec);
    RETURN howdah.list_table_privileges(tab);
END;
$$;
COMMENT ON FUNCTION howdah.replace_table_privileges(oid, jsonb) IS 'Makes the table''s grants exactly [{"role": name or "role_oid": oid, "direct": ["SELECT", ...], "grant_option": [...]}]: listed roles get exactly those privileges, unlisted roles (PUBLIC included) lose theirs, the owner is never changed; the whole spec is validated first and a refused call changes nothing. Returns list_table_privileges(). Errors: 42P01 unknown table, 42501 not an owner of the table, or a grant made by another role (through its grant option) would survive, 2BP01 a role would lose a grant option it has used to grant to others (names the table, both roles and the privilege), 22023 bad spec (names the entry and key, unknown privilege, role listed twice), 42704 unknown role.';

CREATE FUNCTION howdah.replace_schema_privileges(sch oid, spec jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- As replace_table_privileges, for schema `sch` and the privileges USAGE and CREATE. Returns
-- list_schema_privileges.
BEGIN
    PERFORM howdah_internal.catalog_replace_privileges('schema', sch, spec);
    RETURN howdah.list_schema_privileges(sch);
END;
$$;
COMMENT ON FUNCTION howdah.replace_schema_privileges(oid, jsonb) IS 'Makes the schema''s grants exactly [{"role": name or "role_oid": oid, "direct": ["USAGE", "CREATE"], "grant_option": [...]}], as replace_table_privileges() does for tables. Returns list_schema_privileges(). Errors: 3F000 unknown schema, 42501 not an owner of the schema, or a grant made by another role would survive, 2BP01 a role would lose a grant option it has used to grant to others (names the schema, both roles and the privilege), 22023 bad spec, 42704 unknown role.';
