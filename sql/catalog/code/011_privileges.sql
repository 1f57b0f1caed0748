-- catalog code 011: privileges — those granted on a table or schema, and replacing them from a
-- JSON spec.
--
-- Everything is read from the objects' ACLs, which every role may read; changes are GRANT/REVOKE
-- statements run as the caller, so PostgreSQL's own rules apply.
--
-- A spec is read by one query (one join to the roles), whatever its length, and its changes
-- are grouped into one GRANT or REVOKE per kind of change and set of privileges.
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
-- taken from catalog_privilege_keywords(kind); 22023 naming the key or the first unknown
-- privilege. Case is ignored. One query over the list, whatever its length.
DECLARE
    allowed text[] := howdah_internal.catalog_privilege_keywords(kind);
    bad jsonb;
BEGIN
    IF coalesce(jsonb_typeof(input -> key), 'null') = 'null' THEN
        RETURN '{}'::text[];
    END IF;
    IF jsonb_typeof(input -> key) <> 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: key %L must be an array of privileges, got %s', what, key, jsonb_typeof(input -> key));
    END IF;
    SELECT x.e INTO bad
      FROM jsonb_array_elements(input -> key) WITH ORDINALITY AS x(e, o)
     WHERE jsonb_typeof(x.e) <> 'string' OR upper(x.e #>> '{}') <> ALL (allowed)
     ORDER BY x.o LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: unknown %s privilege %s in %L', what, kind, bad, key),
            HINT = format('%s privileges: %s', kind, array_to_string(allowed, ', '));
    END IF;
    RETURN ARRAY(SELECT k FROM unnest(allowed) WITH ORDINALITY AS a(k, o)
                  WHERE k IN (SELECT upper(e #>> '{}') FROM jsonb_array_elements(input -> key) AS e) ORDER BY a.o);
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_json_privileges(jsonb, text, text, text) IS 'Reads a list of privilege keywords from JSON input against the whitelist of the object kind (22023 otherwise).';

CREATE FUNCTION howdah_internal.catalog_privilege_entry(entry jsonb, what text, kind text,
                                                        OUT role_name text, OUT role_num bigint, OUT direct text[], OUT grantable text[])
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Validates the shape of one entry of a replace_*_privileges spec, without the catalog: the
-- role as given (role_name, or role_num from role_oid; PUBLIC is role_num 0), and its privileges.
BEGIN
    PERFORM howdah_internal.catalog_check_keys(entry, ARRAY['role', 'role_oid', 'direct', 'grant_option'], what);
    IF (entry ? 'role') = (entry ? 'role_oid') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: give exactly one of "role" and "role_oid"', what);
    END IF;
    IF entry ? 'role' THEN
        role_name := howdah_internal.catalog_json_text(entry, 'role', what);
        IF role_name IN ('PUBLIC', 'public') THEN
            role_name := NULL;
            role_num := 0;
        END IF;
    ELSE
        -- A JSON number as list_roles() gives oids, or a string of digits (read as that number).
        role_num := howdah_internal.catalog_json_int_value(
            CASE WHEN jsonb_typeof(entry -> 'role_oid') = 'string' AND entry ->> 'role_oid' ~ '^[0-9]{1,10}$'
                 THEN to_jsonb((entry ->> 'role_oid')::bigint) ELSE entry -> 'role_oid' END,
            0, 4294967295, format('%s: key ''role_oid'' (an oid)', what));
    END IF;
    IF NOT entry ? 'direct' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: key ''direct'' is required', what),
            HINT = 'give the privileges the role should end with; [] revokes them all';
    END IF;
    direct := howdah_internal.catalog_json_privileges(entry, 'direct', what, kind);
    grantable := howdah_internal.catalog_json_privileges(entry, 'grant_option', what, kind);
    IF NOT grantable <@ direct THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: grant_option lists %s, which "direct" does not', what,
                             array_to_string(ARRAY(SELECT unnest(grantable) EXCEPT SELECT unnest(direct)), ', '));
    END IF;
    IF role_num = 0 AND grantable <> '{}' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: PUBLIC cannot hold grant options', what);
    END IF;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_privilege_entry(jsonb, text, text) IS 'Validates the shape of one entry of a privileges spec (22023 naming the entry and key).';

CREATE FUNCTION howdah_internal.catalog_privilege_sql(verb text, privileges text[], classid regclass, obj oid, grantees oid[])
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- One GRANT or REVOKE statement (verb: grant, grant_with_option, revoke, revoke_option) of
    -- `privileges` on the object (classid, obj) — a table (pg_class) or a schema (pg_namespace),
    -- named as pg_depend does — to or from every role of `grantees` (0 = PUBLIC). Privilege
    -- keywords come from catalog_privilege_keywords(), never from the argument's text; names are
    -- quoted with %I. NULL for an unknown verb, object or role.
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
                  (SELECT CASE WHEN count(*) = count(x.name) THEN string_agg(x.name, ', ' ORDER BY x.ord) END
                     FROM (SELECT g.ord, CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE format('%I', r.rolname) END AS name
                             FROM unnest(grantees) WITH ORDINALITY AS g(grantee, ord)
                             LEFT JOIN pg_roles r ON r.oid = g.grantee) x));
END;
COMMENT ON FUNCTION howdah_internal.catalog_privilege_sql(text, text[], regclass, oid, oid[]) IS 'Builds one GRANT/REVOKE statement for several roles from whitelisted privilege keywords and quoted names.';

CREATE FUNCTION howdah_internal.catalog_replace_privileges(kind text, obj oid, spec jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- Makes the ACL of the table or schema `obj` say exactly what `spec` says (see
-- replace_table_privileges). Order: find the object, check ownership, validate the whole spec
-- (the shape of every entry, then its roles, then roles listed twice), refuse grant options
-- others depend on, then GRANT/REVOKE, then check the result. The spec is read by one query
-- with one join to the roles, and the changes are grouped: one statement per kind of change and
-- set of privileges, naming every role it applies to.
DECLARE
    what text := format('replace_%s_privileges spec', kind);
    shown text;       -- the object for messages
    catalog regclass := CASE kind WHEN 'table' THEN 'pg_class'::regclass ELSE 'pg_namespace'::regclass END;
    owner_oid oid;
    acl aclitem[];
    entries jsonb;    -- [{pos, grantee (NULL: unknown role), role_name, role_num, nth}]
    want jsonb;       -- grantee oid (as text) -> {"direct": [...], "grant_option": [...]}
    bad jsonb;
    stmts text[];
    stmt text;
    dep record;
    leftover record;
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
    WITH parsed AS MATERIALIZED (
        SELECT x.pos, p.role_name, p.role_num, p.direct, p.grantable
          FROM jsonb_array_elements(spec) WITH ORDINALITY AS x(e, pos)
         CROSS JOIN LATERAL howdah_internal.catalog_privilege_entry(x.e, format('%s for %s, entry %s', what, shown, x.pos), kind) AS p),
    resolved AS (
        SELECT p.*, CASE WHEN p.role_num = 0 THEN 0::oid ELSE coalesce(by_name.oid, by_oid.oid) END AS grantee
          FROM parsed p
          LEFT JOIN pg_roles by_name ON by_name.rolname = p.role_name
          LEFT JOIN pg_roles by_oid ON by_oid.oid = p.role_num::oid AND p.role_num > 0),
    counted AS (
        SELECT r.*, row_number() OVER (PARTITION BY r.grantee ORDER BY r.pos) AS nth FROM resolved r)
    SELECT jsonb_agg(jsonb_build_object('pos', r.pos, 'grantee', r.grantee, 'role_name', r.role_name, 'role_num', r.role_num,
                                        'by_name', r.role_num IS NULL,
                                        'nth', CASE WHEN r.grantee IS NOT NULL THEN r.nth END)
                     ORDER BY r.pos),
           jsonb_object_agg(r.grantee::text, jsonb_build_object('direct', r.direct, 'grant_option', r.grantable))
               FILTER (WHERE r.grantee IS NOT NULL AND r.nth = 1)
      INTO entries, want
      FROM counted r;
    want := coalesce(want, '{}');

    SELECT e INTO bad FROM jsonb_array_elements(entries) AS e WHERE e -> 'grantee' = 'null' ORDER BY (e ->> 'pos')::bigint LIMIT 1;
    IF FOUND AND (bad -> 'by_name')::boolean THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = format('%s for %s, entry %s: role %s does not exist', what, shown, bad ->> 'pos',
                             coalesce(quote_literal(bad ->> 'role_name'), 'null')),
            HINT = 'list_roles() gives the roles; name PUBLIC as "PUBLIC"';
    ELSIF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = format('%s for %s, entry %s: role with oid %s does not exist', what, shown, bad ->> 'pos', bad ->> 'role_num'),
            HINT = 'list_roles() gives the roles; PUBLIC is role_oid 0';
    END IF;
    SELECT e INTO bad FROM jsonb_array_elements(entries) AS e WHERE (e ->> 'nth')::bigint > 1 ORDER BY (e ->> 'pos')::bigint LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s for %s, entry %s: role %s is listed twice', what, shown, bad ->> 'pos',
                             CASE WHEN bad ->> 'grantee' = '0' THEN 'PUBLIC' ELSE (bad ->> 'grantee')::oid::regrole::text END);
    END IF;

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
       AND NOT coalesce(want -> g.grantee::text -> 'grant_option', '[]') ? g.privilege_type
     ORDER BY g.grantee, array_position(howdah_internal.catalog_privilege_keywords(kind), g.privilege_type::text), d.grantee
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'dependent_objects_still_exist',
            MESSAGE = format('cannot take the grant option for %s on %s from %s: %s has granted %s to %s with it',
                             dep.privilege_type, shown, dep.holder::regrole, dep.holder::regrole, dep.privilege_type,
                             CASE WHEN dep.other = 0 THEN 'PUBLIC' ELSE dep.other::regrole::text END),
            HINT = format('keep %s in the grant_option of %s, or first remove what it granted: as %s, %s; or as the owner, %s CASCADE',
                          dep.privilege_type, dep.holder::regrole, dep.holder::regrole,
                          howdah_internal.catalog_privilege_sql('revoke', ARRAY[dep.privilege_type::text], catalog, obj, ARRAY[dep.other]),
                          howdah_internal.catalog_privilege_sql('revoke', ARRAY[dep.privilege_type::text], catalog, obj, ARRAY[dep.holder]));
    END IF;

    -- What changes for every grantee of the current ACL and every listed role, but never the
    -- owner: privileges taken away (with their grant options), grant options taken from
    -- privileges that stay, privileges given without and then with grant option. Roles with the
    -- same change share one statement; revokes run before grants.
    WITH cur AS (
        SELECT e.grantee, array_agg(e.privilege_type::text) AS direct,
               coalesce(array_agg(e.privilege_type::text) FILTER (WHERE e.is_grantable), '{}') AS grant_option
          FROM aclexplode(acl) e GROUP BY e.grantee),
    wanted AS (
        SELECT w.key::oid AS grantee,
               ARRAY(SELECT jsonb_array_elements_text(w.value -> 'direct')) AS direct,
               ARRAY(SELECT jsonb_array_elements_text(w.value -> 'grant_option')) AS grant_option
          FROM jsonb_each(want) w),
    per AS (
        SELECT u.g, coalesce(c.direct, '{}') AS cd, coalesce(c.grant_option, '{}') AS cg,
               coalesce(w.direct, '{}') AS wd, coalesce(w.grant_option, '{}') AS wg
          FROM (SELECT grantee FROM cur UNION SELECT grantee FROM wanted) u(g)
          LEFT JOIN cur c ON c.grantee = u.g
          LEFT JOIN wanted w ON w.grantee = u.g
         WHERE u.g <> owner_oid),
    todo AS (
        SELECT v.ord, v.verb, ARRAY(SELECT k FROM unnest(howdah_internal.catalog_privilege_keywords(kind)) WITH ORDINALITY AS a(k, o)
                                     WHERE k = ANY (v.privs) ORDER BY a.o) AS privs, per.g
          FROM per
         CROSS JOIN LATERAL (VALUES
               (1, 'revoke', ARRAY(SELECT unnest(per.cd) EXCEPT SELECT unnest(per.wd))),
               (2, 'revoke_option', ARRAY(SELECT unnest(per.cg) INTERSECT SELECT unnest(per.wd) EXCEPT SELECT unnest(per.wg))),
               (3, 'grant', ARRAY(SELECT unnest(per.wd) EXCEPT SELECT unnest(per.cd) EXCEPT SELECT unnest(per.wg))),
               (4, 'grant_with_option', ARRAY(SELECT unnest(per.wg) EXCEPT SELECT unnest(per.cg)))) AS v(ord, verb, privs)
         WHERE cardinality(v.privs) > 0)
    SELECT coalesce(array_agg(howdah_internal.catalog_privilege_sql(t.verb, t.privs, catalog, obj, t.grantees) ORDER BY t.ord, t.privs), '{}')
      INTO stmts
      FROM (SELECT todo.ord, todo.verb, todo.privs, array_agg(todo.g ORDER BY todo.g) AS grantees
              FROM todo GROUP BY todo.ord, todo.verb, todo.privs) t;
    -- catalog_privilege_sql builds each statement from whitelisted keywords and %I-quoted names.
    PERFORM 'PRAGMA:DISABLE:SECURITY_WARNINGS';
    FOREACH stmt IN ARRAY stmts LOOP
        EXECUTE stmt;
    END LOOP;

    -- Grants made by other roles (through their grant options) survive the owner's REVOKE; the
    -- call then fails as a whole rather than leave a different ACL than asked for.
    IF kind = 'table' THEN
        SELECT c.relacl INTO acl FROM pg_class c WHERE c.oid = obj;
    ELSE
        SELECT n.nspacl INTO acl FROM pg_namespace n WHERE n.oid = obj;
    END IF;
    SELECT e.grantee, e.grantor, e.privilege_type INTO leftover
      FROM aclexplode(acl) e
     WHERE e.grantee <> owner_oid
       AND NOT (coalesce(want -> e.grantee::text -> 'direct', '[]') ? e.privilege_type
                AND (NOT e.is_grantable OR coalesce(want -> e.grantee::text -> 'grant_option', '[]') ? e.privilege_type))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('%s on %s was granted to %s by %s and cannot be revoked by the owner',
                             leftover.privilege_type, shown,
                             CASE WHEN leftover.grantee = 0 THEN 'PUBLIC' ELSE leftover.grantee::regrole::text END,
                             leftover.grantor::regrole::text),
            HINT = format('%s (or a superuser) must revoke it first', leftover.grantor::regrole::text);
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
