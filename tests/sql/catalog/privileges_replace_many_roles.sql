-- replace_table_privileges reads a long spec in one query (one join to the roles) and groups its
-- changes: 300 roles get their privileges, roles with the same change share one statement, and
-- a bad entry after hundreds of good ones is reported by its position, changing nothing.
BEGIN;
SELECT plan(6);

CREATE TABLE public.priv_many (id int);
DO $$ BEGIN
    FOR i IN 1 .. 300 LOOP
        EXECUTE format('CREATE ROLE %I NOLOGIN', 'howdah_test_pm_' || i);
    END LOOP;
END $$;
GRANT SELECT ON public.priv_many TO howdah_test_pm_1, howdah_test_pm_2;
CREATE FUNCTION pg_temp.spec(extra jsonb) RETURNS jsonb LANGUAGE sql
RETURN (SELECT jsonb_agg(jsonb_build_object('role', 'howdah_test_pm_' || i,
                                            'direct', CASE WHEN i % 3 = 0 THEN '["SELECT", "UPDATE"]'::jsonb ELSE '["SELECT"]' END,
                                            'grant_option', CASE WHEN i % 10 = 0 THEN '["SELECT"]'::jsonb ELSE '[]' END) ORDER BY i)
          FROM generate_series(3, 300) i) || extra;

SELECT throws_ok(format('SELECT howdah.replace_table_privileges(%s, %L)', 'public.priv_many'::regclass::oid,
                        pg_temp.spec('[{"role": "howdah_test_pm_150", "direct": []}]')), '22023',
                 'replace_table_privileges spec for table public.priv_many, entry 299: role howdah_test_pm_150 is listed twice', 'a role listed twice, by position');
SELECT throws_ok(format('SELECT howdah.replace_table_privileges(%s, %L)', 'public.priv_many'::regclass::oid,
                        pg_temp.spec('[{"role": "howdah_test_pm_nobody", "direct": []}]')), '42704',
                 'replace_table_privileges spec for table public.priv_many, entry 299: role ''howdah_test_pm_nobody'' does not exist', 'an unknown role after 298 good ones');
SELECT is((SELECT count(*) FROM aclexplode((SELECT relacl FROM pg_class WHERE oid = 'public.priv_many'::regclass)) e WHERE e.grantee <> e.grantor),
          2::bigint, 'the refused specs changed nothing');

SELECT lives_ok(format('SELECT howdah.replace_table_privileges(%s, %L)', 'public.priv_many'::regclass::oid, pg_temp.spec('[]')), '298 roles');
SELECT is((SELECT count(DISTINCT e.grantee) FROM aclexplode((SELECT relacl FROM pg_class WHERE oid = 'public.priv_many'::regclass)) e
            WHERE e.grantee <> e.grantor), 298::bigint, 'exactly the listed roles hold privileges (1 and 2 lost theirs)');
SELECT is((SELECT jsonb_agg(jsonb_build_array(x.role, x.direct, x.grant_option) ORDER BY x.role)
             FROM jsonb_to_recordset(howdah.list_table_privileges('public.priv_many'::regclass))
                  AS x(role text, direct jsonb, grant_option jsonb)
            WHERE x.role IN ('howdah_test_pm_29', 'howdah_test_pm_30', 'howdah_test_pm_31')),
          '[["howdah_test_pm_29", ["SELECT"], []], ["howdah_test_pm_30", ["SELECT", "UPDATE"], ["SELECT"]], ["howdah_test_pm_31", ["SELECT"], []]]',
          'each role got its own privileges and grant options');

SELECT * FROM finish();
ROLLBACK;
