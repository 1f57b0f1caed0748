-- docs/advisor.md's GRANT lines: a role without them gets 42501 from every reader; the reader
-- lines let it read but not scan; the scanner lines let it scan.
BEGIN;
SELECT plan(7);

CREATE ROLE adv_priv_reader;
CREATE ROLE adv_priv_scanner;
SELECT howdah_advisor.scan(keep => NULL);

-- Runs sql as role r and returns the SQLSTATE it failed with, or 'ok' (pgTAP itself is not
-- visible to the roles).
CREATE FUNCTION pg_temp.as_role(r text, sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    code text;
BEGIN
    -- The block always fails, so that its subtransaction takes the role (and sql's effects) back.
    BEGIN
        PERFORM set_config('role', r, true);
        EXECUTE sql;
        RAISE SQLSTATE 'HWOK0';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE;
    END;
    RETURN CASE code WHEN 'HWOK0' THEN 'ok' ELSE code END;
END;
$$;

SELECT is(pg_temp.as_role('adv_priv_reader', 'SELECT * FROM howdah_advisor.bottlenecks()'), '42501', 'without grants, bottlenecks() is 42501');
SELECT is(pg_temp.as_role('adv_priv_reader', 'SELECT howdah_advisor.query_detail(1)'), '42501', 'without grants, query_detail() is 42501');
SELECT is(pg_temp.as_role('adv_priv_reader', $$SELECT howdah_advisor.ask('why is it slow')$$), '42501', 'without grants, ask() is 42501');

-- reader
GRANT USAGE ON SCHEMA howdah_advisor TO adv_priv_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA howdah_advisor TO adv_priv_reader;
GRANT EXECUTE ON FUNCTION howdah_advisor.bottlenecks(integer, bigint), howdah_advisor.query_detail(bigint, bigint),
                          howdah_advisor.ask(text, bigint) TO adv_priv_reader;
-- scanner
GRANT USAGE ON SCHEMA howdah_advisor TO adv_priv_scanner;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA howdah_advisor TO adv_priv_scanner;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA howdah_advisor TO adv_priv_scanner;

SELECT is(pg_temp.as_role('adv_priv_reader', 'SELECT * FROM howdah_advisor.bottlenecks()'), 'ok', 'the reader lines let it read bottlenecks()');
SELECT is(pg_temp.as_role('adv_priv_reader', $$SELECT howdah_advisor.ask('what changed since the last scan?')$$), 'ok', 'and ask()');
SELECT is(pg_temp.as_role('adv_priv_reader', 'SELECT howdah_advisor.scan(keep => NULL)'), '42501', 'but not scan');

SELECT is(pg_temp.as_role('adv_priv_scanner', 'SELECT howdah_advisor.scan(keep => NULL)'), 'ok', 'the scanner lines let it scan');

SELECT * FROM finish();
ROLLBACK;
