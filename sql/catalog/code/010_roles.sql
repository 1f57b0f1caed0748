-- catalog code 010: roles — every role of the cluster, and the current role with what it
-- belongs to. Read from pg_roles and pg_auth_members, which every role may read.

CREATE FUNCTION howdah_internal.catalog_role_json(role_oid oid)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- One role with its attributes and direct members; NULL for an unknown oid.
    SELECT jsonb_build_object(
               'oid', r.oid::bigint,
               'name', r.rolname,
               -- PostgreSQL's predefined roles (pg_read_all_data, pg_monitor, ...): names starting
               -- with pg_ are reserved for them.
               'builtin', r.rolname LIKE 'pg\_%',
               'super', r.rolsuper,
               'inherits', r.rolinherit,
               'create_role', r.rolcreaterole,
               'create_db', r.rolcreatedb,
               'login', r.rolcanlogin,
               'description', shobj_description(r.oid, 'pg_authid'),
               'members', (SELECT coalesce(jsonb_agg(jsonb_build_object('oid', m.member::bigint, 'admin', m.admin_option)
                                                     ORDER BY m.member), '[]')
                             FROM pg_auth_members m WHERE m.roleid = r.oid))
      FROM pg_roles r
     WHERE r.oid = role_oid;
END;
COMMENT ON FUNCTION howdah_internal.catalog_role_json(oid) IS 'One role as list_roles() shows it.';

CREATE FUNCTION howdah.list_roles()
RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- Every role of the cluster, by name; pg_roles is readable by every role.
    SELECT coalesce(jsonb_agg(howdah_internal.catalog_role_json(r.oid) ORDER BY r.rolname), '[]')
      FROM pg_roles r;
END;
COMMENT ON FUNCTION howdah.list_roles() IS 'Every role, by name: [{oid, name, builtin, super, inherits, create_role, create_db, login, description, members: [{oid, admin}]}]. builtin marks PostgreSQL''s predefined pg_* roles; members are the roles granted membership in this one. Errors: none.';

CREATE FUNCTION howdah.current_role_info()
RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The current (effective) role, the session's login role, and the roles the current role is
    -- a member of, directly or through other roles, each saying whether its privileges are
    -- inherited (usable without SET ROLE).
    SELECT jsonb_build_object(
               'current_role', howdah_internal.catalog_role_json(cur.oid),
               'session_user', jsonb_build_object('oid', ses.oid::bigint, 'name', ses.rolname),
               'parent_roles', (
                   SELECT coalesce(jsonb_agg(jsonb_build_object(
                              'oid', p.oid::bigint,
                              'name', p.rolname,
                              'builtin', p.rolname LIKE 'pg\_%',
                              'direct', d.roleid IS NOT NULL,
                              'admin', coalesce(d.admin_option, false),
                              'inherited', pg_has_role(cur.oid, p.oid, 'USAGE'))
                              ORDER BY p.rolname), '[]')
                     FROM pg_roles p
                     LEFT JOIN pg_auth_members d ON d.roleid = p.oid AND d.member = cur.oid
                    WHERE p.oid <> cur.oid AND pg_has_role(cur.oid, p.oid, 'MEMBER')))
      FROM pg_roles cur, pg_roles ses
     WHERE cur.rolname = current_user AND ses.rolname = session_user;
END;
COMMENT ON FUNCTION howdah.current_role_info() IS 'The current role and what it may act as: {current_role: {as list_roles()}, session_user: {oid, name}, parent_roles: [{oid, name, builtin, direct, admin, inherited}]}. parent_roles are the roles the current role is a member of (pg_has_role MEMBER, so every role for a superuser); inherited means their privileges apply without SET ROLE (pg_has_role USAGE). Errors: none.';
