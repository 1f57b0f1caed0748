-- simulate() with hypopg proves an index on a seq-scanned query (cost drop, gain, estimated ms,
-- plan-change labels), reports no gain for a useless index, leaves hypopg's list as the caller
-- had it (their own hypothetical index and prepared statement survive); simulate_set() totals a
-- set over the snapshot weighted by calls; advisor_prove() keeps the proved recommendation with
-- its benefit and size and deletes the one that gains nothing.
BEGIN;
SELECT plan(30);

CREATE SCHEMA adv_sim;
CREATE TABLE adv_sim.orders (id int PRIMARY KEY, customer_id int NOT NULL, note text);
INSERT INTO adv_sim.orders SELECT g, g % 2000, 'n' FROM generate_series(1, 40000) g;
ANALYZE adv_sim.orders;

-- The workload: a lookup on an unindexed column, twice.
SELECT count(*) FROM adv_sim.orders WHERE customer_id = 5;
SELECT count(*) FROM adv_sim.orders WHERE customer_id = 6;
CREATE TEMP TABLE snap AS SELECT howdah_advisor.ingest(top_n => 10000) AS id;
CREATE TEMP TABLE q AS
SELECT query_id AS id FROM howdah_advisor.metrics
 WHERE snapshot_id = (SELECT id FROM snap)
   AND query_id = (SELECT id FROM howdah_advisor.queries WHERE fingerprint = howdah_advisor.fingerprint('SELECT count(*) FROM adv_sim.orders WHERE customer_id = 1'));
SELECT is((SELECT count(*)::int FROM q), 1, 'the workload''s query is in the snapshot');

-- Recommendations as the rules would write them: one useful, one useless for that query.
CREATE TEMP TABLE recs AS
WITH ins AS (
    INSERT INTO howdah_advisor.recommendations (snapshot_id, type, key, table_name, columns, query_ids, ddl, rationale, confidence)
    VALUES ((SELECT id FROM snap), 'missing_index', 'index:adv_sim.orders(customer_id)', 'adv_sim.orders', '{customer_id}',
            ARRAY[(SELECT id FROM q)], 'CREATE INDEX CONCURRENTLY ON adv_sim.orders USING btree (customer_id)', 'seq scan on orders filtering customer_id', 0.9),
           ((SELECT id FROM snap), 'composite_index', 'index:adv_sim.orders(note,id)', 'adv_sim.orders', '{note,id}',
            ARRAY[(SELECT id FROM q)], 'CREATE INDEX CONCURRENTLY orders_note_id_idx ON adv_sim.orders USING btree (note, id)', 'not useful', 0.5)
    RETURNING id, key)
SELECT * FROM ins;
CREATE TEMP VIEW useful AS SELECT id FROM recs WHERE key = 'index:adv_sim.orders(customer_id)';
CREATE TEMP VIEW useless AS SELECT id FROM recs WHERE key = 'index:adv_sim.orders(note,id)';

-- The caller's own hypothetical index and prepared statement.
CREATE TEMP TABLE mine AS SELECT indexrelid FROM hypopg_create_index('CREATE INDEX ON adv_sim.orders (note)');
PREPARE mine_stmt AS SELECT 1;

CREATE TEMP TABLE s1 AS SELECT * FROM howdah_advisor.simulate((SELECT id FROM q), (SELECT id FROM useful));
SELECT ok((SELECT after_cost < before_cost FROM s1), 'the index lowers the cost');
SELECT cmp_ok((SELECT improvement_pct FROM s1), '>', 50::double precision, 'by more than half');
SELECT ok((SELECT gain FROM s1), 'reported as a gain');
SELECT is((SELECT plan_changes FROM s1)[1] ~ '^Seq Scan → (Index Only Scan|Index Scan|Bitmap Heap Scan) on orders$', true,
          'labelled Seq Scan → an index scan on orders');
SELECT is((SELECT before_ms FROM s1), (SELECT mean_ms FROM howdah_advisor.metrics WHERE snapshot_id = (SELECT id FROM snap) AND query_id = (SELECT id FROM q)),
          'before_ms is the measured mean');
SELECT ok((SELECT abs(after_ms - before_ms * after_cost / before_cost) < 1e-9 FROM s1), 'after_ms is the mean scaled by the cost ratio');
SELECT matches((SELECT details ->> 'ms_source' FROM s1), '^estimate', 'and is labelled an estimate');
SELECT is((SELECT row(details ->> 'hypopg_version' IS NOT NULL, (details #>> '{indexes,0,bytes}')::bigint > 0,
                      details #>> '{indexes,0,ddl}', (details #>> '{ms,total}')::numeric > 0)::text FROM s1),
          row(true, true, 'CREATE INDEX ON adv_sim.orders USING btree (customer_id)', true)::text,
          'details: hypopg version, index size, the DDL as hypopg took it (no CONCURRENTLY), timings');
SELECT is((SELECT before_plan #>> '{Plan,Node Type}' FROM s1), 'Aggregate', 'the plans are stored');
SELECT is((SELECT count(*)::int FROM howdah_advisor.simulations WHERE id = (SELECT id FROM s1) AND rec_id = (SELECT id FROM useful)
             AND snapshot_id = (SELECT id FROM snap) AND mode = 'hypopg'), 1, 'the row is stored with its recommendation and snapshot');

SELECT is(ARRAY(SELECT indexrelid FROM hypopg()), ARRAY(SELECT indexrelid FROM mine), 'hypopg''s list is as the caller had it: only their own index');
SELECT is(ARRAY(SELECT name::text FROM pg_prepared_statements WHERE from_sql ORDER BY 1), '{mine_stmt}'::text[], 'no prepared statement left but the caller''s');

-- A useless index (a name and CONCURRENTLY in its DDL): no gain.
CREATE TEMP TABLE s2 AS SELECT * FROM howdah_advisor.simulate((SELECT id FROM q), (SELECT id FROM useless));
SELECT is((SELECT row(gain, improvement_pct, plan_changes)::text FROM s2), row(false, 0::double precision, '{}'::text[])::text,
          'an index the query cannot use: no gain, no plan change');
SET LOCAL howdah_advisor.min_gain_pct = 100;
SELECT is((SELECT gain FROM howdah_advisor.simulate((SELECT id FROM q), (SELECT id FROM useful))), false,
          'a gain under howdah_advisor.min_gain_pct is no gain');
RESET howdah_advisor.min_gain_pct;

-- params: the plan for those values.
SELECT is((SELECT details -> 'params' FROM howdah_advisor.simulate((SELECT id FROM q), (SELECT id FROM useful), params => ARRAY['7'])),
          '["7"]'::jsonb, 'params are recorded');

-- Labels from plans: scans, joins, sorts.
SELECT is(howdah_internal.advisor_plan_changes(
    '{"Plan": {"Node Type": "Sort", "Plans": [{"Node Type": "Nested Loop", "Plans": [
        {"Node Type": "Seq Scan", "Relation Name": "orders", "Alias": "o"},
        {"Node Type": "Seq Scan", "Relation Name": "users", "Alias": "users"}]}]}}',
    '{"Plan": {"Node Type": "Hash Join", "Plans": [
        {"Node Type": "Index Scan", "Relation Name": "orders", "Alias": "o"},
        {"Node Type": "Hash", "Plans": [{"Node Type": "Seq Scan", "Relation Name": "users", "Alias": "users"}]}]}}'),
    ARRAY['Seq Scan → Index Scan on orders o', 'Nested Loop → Hash Join', 'Sort removed'], 'labels: a scan per relation, the join method, the sort');
SELECT is(howdah_internal.advisor_plan_changes('{"Plan": {"Node Type": "Seq Scan", "Relation Name": "t", "Alias": "t"}}',
                                              '{"Plan": {"Node Type": "Seq Scan", "Relation Name": "t", "Alias": "t"}}'),
          '{}'::text[], 'the same plan: no label');
SELECT is(howdah_internal.advisor_hypo_ddl('create unique index concurrently if not exists "my ""idx""" on only s.t using btree (a, lower(b)) where c;'),
          'CREATE UNIQUE INDEX ON only s.t using btree (a, lower(b)) where c', 'the DDL loses CONCURRENTLY, IF NOT EXISTS, the name and the semicolon');

-- simulate_set: the useful index over every query of the snapshot, weighted by calls.
CREATE TEMP TABLE set1 AS SELECT * FROM howdah_advisor.simulate_set(ARRAY[(SELECT id FROM useful)]);
SELECT is((SELECT count(*)::int FROM howdah_advisor.simulations WHERE set_id = (SELECT id FROM set1)),
          (SELECT count(*)::int FROM howdah_advisor.metrics m JOIN howdah_advisor.queries x ON x.id = m.query_id
            WHERE m.snapshot_id = (SELECT id FROM snap) AND x.verb <> 'utility'), 'a set simulates every query of the snapshot');
SELECT ok((SELECT abs(before_total_ms - (SELECT sum(mean_ms * calls) FROM howdah_advisor.metrics m JOIN howdah_advisor.queries x ON x.id = m.query_id
                                          WHERE m.snapshot_id = (SELECT id FROM snap) AND x.verb <> 'utility')) < 1e-6 FROM set1),
          'before_total_ms is the sum of mean × calls');
SELECT ok((SELECT after_total_ms < before_total_ms AND improvement_pct > 0 FROM set1), 'the set saves time');
SELECT ok((SELECT gain FROM howdah_advisor.simulations WHERE set_id = (SELECT id FROM set1) AND query_id = (SELECT id FROM q)),
          'the query the index serves gains in the set');
SELECT is(ARRAY(SELECT indexrelid FROM hypopg()), ARRAY(SELECT indexrelid FROM mine), 'after a set, hypopg''s list is the caller''s');

-- advisor_prove: keeps the useful one with its benefit, deletes the useless one.
SELECT is(howdah_internal.advisor_prove((SELECT id FROM snap)), 1, 'prove keeps one recommendation');
SELECT is(ARRAY(SELECT key FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap) ORDER BY key),
          '{index:adv_sim.orders(customer_id)}'::text[], 'the one without gain is deleted');
SELECT ok((SELECT benefit_ms > 0 AND abs(benefit_total_ms - benefit_ms * (SELECT calls FROM howdah_advisor.metrics WHERE snapshot_id = (SELECT id FROM snap) AND query_id = (SELECT id FROM q))) < 1e-6
             FROM howdah_advisor.recommendations WHERE id = (SELECT id FROM useful)), 'benefit_ms and benefit_total_ms (× calls) are set');
SELECT ok((SELECT (risk ->> 'index_bytes_est')::bigint > 0 AND jsonb_array_length(evidence -> 'simulations') = 1
             FROM howdah_advisor.recommendations WHERE id = (SELECT id FROM useful)), 'risk.index_bytes_est and evidence.simulations are set');
SELECT is((SELECT stats #>> '{prove,removed,0,key}' FROM howdah_advisor.snapshots WHERE id = (SELECT id FROM snap)),
          'index:adv_sim.orders(note,id)', 'the snapshot''s stats say what prove removed');
SELECT is(ARRAY(SELECT indexrelid FROM hypopg()), ARRAY(SELECT indexrelid FROM mine), 'after prove, hypopg''s list is the caller''s');

-- hypothetical indexes outlive a rollback: drop ours.
SELECT hypopg_drop_index(indexrelid) FROM mine;
DEALLOCATE mine_stmt;
SELECT * FROM finish();
ROLLBACK;
