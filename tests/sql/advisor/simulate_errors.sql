-- simulate(), simulate_set() and advisor_prove() refuse bad input with a clear error and change
-- nothing: unknown ids (P0002), a bad mode, sandbox, params, setting or recommendation type
-- (22023), a drop without hypopg_hide_index or hypopg missing (55000), the per-minute limit
-- (53400).
BEGIN;
SELECT plan(22);

CREATE SCHEMA adv_simerr;
CREATE TABLE adv_simerr.t (id int PRIMARY KEY, k int, v text);
INSERT INTO adv_simerr.t SELECT g, g % 100, 'v' FROM generate_series(1, 5000) g;
CREATE INDEX t_v_idx ON adv_simerr.t (v);
ANALYZE adv_simerr.t;
SELECT count(*) FROM adv_simerr.t WHERE k = 3;
CREATE TEMP TABLE snap AS SELECT howdah_advisor.ingest(top_n => 10000) AS id;
CREATE TEMP TABLE q AS
SELECT id FROM howdah_advisor.queries WHERE fingerprint = howdah_advisor.fingerprint('SELECT count(*) FROM adv_simerr.t WHERE k = 1');
CREATE TEMP TABLE recs AS
WITH ins AS (
    INSERT INTO howdah_advisor.recommendations (snapshot_id, type, key, table_name, index_name, index_relid, columns, query_ids, ddl, rationale, confidence)
    VALUES ((SELECT id FROM snap), 'missing_index', 'index:adv_simerr.t(k)', 'adv_simerr.t', NULL, NULL, '{k}', ARRAY[(SELECT id FROM q)],
            'CREATE INDEX CONCURRENTLY ON adv_simerr.t USING btree (k)', 'r', 0.9),
           ((SELECT id FROM snap), 'stats', 'stats:adv_simerr.t(k)', 'adv_simerr.t', NULL, NULL, '{k}', ARRAY[(SELECT id FROM q)],
            'ANALYZE adv_simerr.t', 'r', 0.5),
           ((SELECT id FROM snap), 'unused_index', 'drop:adv_simerr.t_v_idx', 'adv_simerr.t', 'adv_simerr.t_v_idx', 'adv_simerr.t_v_idx'::regclass, '{v}', ARRAY[(SELECT id FROM q)],
            'DROP INDEX CONCURRENTLY adv_simerr.t_v_idx', 'r', 0.3),
           ((SELECT id FROM snap), 'missing_index', 'index:adv_simerr.t(bad)', 'adv_simerr.t', NULL, NULL, '{k}', ARRAY[(SELECT id FROM q)],
            'CREATE INDEX ON adv_simerr.t (k); DROP TABLE adv_simerr.t', 'r', 0.9)
    RETURNING id, type, key)
SELECT * FROM ins;
CREATE TEMP VIEW idx AS SELECT id FROM recs WHERE key = 'index:adv_simerr.t(k)';
CREATE TEMP TABLE before AS SELECT (SELECT count(*) FROM howdah_advisor.simulations) AS sims, (SELECT count(*) FROM howdah_advisor.simulation_sets) AS sets;

SELECT throws_ok(format('SELECT howdah_advisor.simulate(-1, %s)', (SELECT id FROM idx)), 'P0002', 'no query -1', 'an unknown query is P0002');
SELECT throws_ok(format('SELECT howdah_advisor.simulate(%s, -1)', (SELECT id FROM q)), 'P0002', 'no recommendation -1', 'an unknown recommendation is P0002');
SELECT throws_ok('SELECT howdah_advisor.simulate_set(ARRAY[-1]::bigint[])', 'P0002', 'no recommendation -1', 'an unknown recommendation in a set is P0002');
SELECT throws_ok('SELECT howdah_internal.advisor_prove(-1)', 'P0002', 'no snapshot -1', 'prove of an unknown snapshot is P0002');
SELECT throws_ok(format('SELECT howdah_advisor.simulate(%s, %s, mode => NULL)', (SELECT id FROM q), (SELECT id FROM idx)),
                 '22023', 'mode must be hypopg or real, not NULL', 'a NULL mode is 22023');
SELECT throws_ok(format('SELECT howdah_advisor.simulate(%s, %s, mode => ''real'')', (SELECT id FROM q), (SELECT id FROM idx)),
                 '22023', 'mode real needs sandbox: the schema whose tables may have indexes built and dropped', 'mode real without a sandbox is 22023');
SELECT throws_ok(format('SELECT howdah_advisor.simulate(%s, %s, sandbox => ''adv_simerr'')', (SELECT id FROM q), (SELECT id FROM idx)),
                 '22023', 'sandbox is only for mode real: hypopg builds nothing', 'a sandbox with mode hypopg is 22023');
SELECT throws_ok(format('SELECT howdah_advisor.simulate(%s, %s, mode => ''real'', sandbox => ''nowhere'')', (SELECT id FROM q), (SELECT id FROM idx)),
                 '22023', NULL, 'a sandbox that does not exist is 22023');
SELECT throws_ok(format('SELECT howdah_advisor.simulate(%s, %s, mode => ''real'', sandbox => ''howdah_advisor'')', (SELECT id FROM q), (SELECT id FROM idx)),
                 '22023', NULL, 'howdah''s schemas are never a sandbox');
SELECT throws_ok(format('SELECT howdah_advisor.simulate(%s, %s, mode => ''real'', sandbox => ''public'')', (SELECT id FROM q), (SELECT id FROM idx)),
                 '22023', format('recommendation %s is on table adv_simerr.t, which is not in sandbox public: mode real builds only there', (SELECT id FROM idx)),
                 'a table outside the sandbox is 22023');
SELECT throws_ok(format('SELECT howdah_advisor.simulate(%s, %s, params => ARRAY[''1'', ''2''])', (SELECT id FROM q), (SELECT id FROM idx)),
                 '22023', 'params has 2 value(s), and the statement has 1 parameter(s) ($1 ...)', 'the wrong number of params is 22023');
SELECT throws_ok(format('SELECT howdah_advisor.simulate(%s, %s)', (SELECT id FROM q), (SELECT id FROM recs WHERE type = 'stats')),
                 '22023', format('recommendation %s is a stats finding: only index recommendations (create or drop an index) can be simulated', (SELECT id FROM recs WHERE type = 'stats')),
                 'a stats finding cannot be simulated');
SELECT throws_ok(format('SELECT howdah_advisor.simulate(%s, %s)', (SELECT id FROM q), (SELECT id FROM recs WHERE key = 'index:adv_simerr.t(bad)')),
                 '22023', NULL, 'a DDL of two statements is refused');
SELECT has_table('adv_simerr', 't', 'and its second statement did not run');
SELECT throws_ok(format('SELECT howdah_advisor.simulate(%s, %s)', (SELECT id FROM q), (SELECT id FROM recs WHERE type = 'unused_index')),
                 '55000', NULL, 'simulating a drop with hypopg 1.3 (no hypopg_hide_index) is 55000');
SET LOCAL howdah_advisor.max_simulations = 'lots';
SELECT throws_ok(format('SELECT howdah_advisor.simulate(%s, %s)', (SELECT id FROM q), (SELECT id FROM idx)),
                 '22023', 'setting howdah_advisor.max_simulations must be a number between 1 and 1000, not ''lots''', 'a bad setting is 22023, naming it');
RESET howdah_advisor.max_simulations;
SELECT is((SELECT row((SELECT count(*) FROM howdah_advisor.simulations) - sims, (SELECT count(*) FROM howdah_advisor.simulation_sets) - sets)::text FROM before),
          row(0, 0)::text, 'bad input stored nothing');

-- The per-minute limit counts the calls of the last minute (others may have run: one more allowed).
SELECT set_config('howdah_advisor.simulations_per_minute',
                  (1 + (SELECT count(*) FROM howdah_advisor.simulations WHERE set_id IS NULL AND details ->> 'caller' = 'simulate' AND ran_at > clock_timestamp() - interval '1 minute')
                     + (SELECT count(*) FROM howdah_advisor.simulation_sets WHERE ran_at > clock_timestamp() - interval '1 minute'))::text, true);
SELECT lives_ok(format('SELECT howdah_advisor.simulate(%s, %s)', (SELECT id FROM q), (SELECT id FROM idx)), 'one more simulation runs');
SELECT throws_ok(format('SELECT howdah_advisor.simulate(%s, %s)', (SELECT id FROM q), (SELECT id FROM idx)),
                 '53400', NULL, 'the next is refused: 53400');
SELECT throws_like(format('SELECT howdah_advisor.simulate(%s, %s)', (SELECT id FROM q), (SELECT id FROM idx)),
                   '% simulations ran in the last minute, the limit (howdah_advisor.simulations_per_minute) is %', 'naming the setting');
SELECT lives_ok(format('SELECT howdah_internal.advisor_prove(%s)', (SELECT id FROM snap)), 'prove, a scan stage, is not counted');
RESET howdah_advisor.simulations_per_minute;

-- Without hypopg (dropped here, back at the ROLLBACK).
DROP EXTENSION hypopg;
SELECT throws_ok(format('SELECT howdah_advisor.simulate(%s, %s)', (SELECT id FROM q), (SELECT id FROM idx)),
                 '55000', 'simulations with mode hypopg need the extension hypopg, which database ' || quote_ident(current_database()) || ' does not have',
                 'hypopg missing is 55000');

SELECT * FROM finish();
ROLLBACK;
