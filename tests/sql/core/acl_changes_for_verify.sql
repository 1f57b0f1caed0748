-- acl_changes, which howdah verify reports with, tells the privileges granted and revoked between
-- two ACLs; a NULL ACL is the object's default privileges (PUBLIC may EXECUTE a function). The
-- table's default comes from acldefault, whose letters grow with the server version.
BEGIN;
SELECT plan(5);

CREATE ROLE tap_acl_owner;
CREATE ROLE tap_acl_reader;

SELECT is((SELECT row(granted, revoked)::text FROM howdah_internal.acl_changes('function', NULL, NULL, 'tap_acl_owner')),
          row('{}'::text[], '{}'::text[])::text, 'no change: nothing granted or revoked');
SELECT is((SELECT granted FROM howdah_internal.acl_changes('relation', NULL,
                  (acldefault('r', 'tap_acl_owner'::regrole)::text[] || 'tap_acl_reader=r/tap_acl_owner'::text)::text, 'tap_acl_owner')),
          ARRAY['tap_acl_reader=r/tap_acl_owner'], 'a GRANT SELECT to a reader is reported as granted');
SELECT is((SELECT revoked FROM howdah_internal.acl_changes('function', NULL,
                  '{tap_acl_owner=X/tap_acl_owner}', 'tap_acl_owner')),
          ARRAY['=X/tap_acl_owner'], 'REVOKE EXECUTE FROM PUBLIC on a function is reported as revoked (its default grants PUBLIC)');
SELECT is((SELECT revoked FROM howdah_internal.acl_changes('relation', NULL,
                  (acldefault('r', 'tap_acl_owner'::regrole)::text[] || 'tap_acl_reader=r/tap_acl_owner'::text)::text, 'tap_acl_owner')),
          '{}'::text[], 'a table''s default (owner only) loses nothing when a reader is added');
SELECT is((SELECT row(granted, revoked)::text FROM howdah_internal.acl_changes('schema',
                  '{tap_acl_owner=UC/tap_acl_owner,tap_acl_reader=U/tap_acl_owner}', '{tap_acl_owner=UC/tap_acl_owner}', 'tap_acl_owner')),
          row('{}'::text[], ARRAY['tap_acl_reader=U/tap_acl_owner'])::text, 'a USAGE revoked from a schema is reported');

SELECT * FROM finish();
ROLLBACK;
