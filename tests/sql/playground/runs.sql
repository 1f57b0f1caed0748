-- Pipeline runs: start_run, the status machine (illegal transitions name both states),
-- incremental output, cancel and is_cancelled, cache sub-keys, expiry and the prune schedule.
BEGIN;
SELECT plan(27);

SELECT playground.put_sdks('["SDK_GO"]');
CREATE TEMP TABLE r AS SELECT playground.start_run('SDK_GO', code => 'package main') AS id,
                              playground.start_run(snippet => playground.put_snippet('SDK_GO', '[{"name": "m.go", "content": "x"}]')) AS id2;

SELECT is(playground.status((SELECT id FROM r)), 'validating', 'a run starts validating');
SELECT is((SELECT sdk FROM playground.runs WHERE id = (SELECT id2 FROM r)), 'SDK_GO', 'sdk defaults to the snippet''s');
SELECT throws_ok($$SELECT playground.start_run('SDK_GO')$$, '22023', 'give snippet (an id) or code, not both and not neither', 'neither snippet nor code');
SELECT throws_ok($$SELECT playground.start_run('SDK_RUST', code => 'x')$$, '22023', 'unknown sdk ''SDK_RUST''', 'unknown sdk');
SELECT throws_ok(format($$SELECT playground.start_run('SDK_GO', code => 'x', id => %L)$$, (SELECT id FROM r)), '23505', NULL, 'a run id taken');

-- Status transitions.
SELECT is(playground.set_status((SELECT id FROM r), 'preparing'), 'validating', 'set_status returns the previous status');
SELECT throws_ok(format($$SELECT playground.set_status(%L, 'finished')$$, (SELECT id FROM r)), '55000',
                 format('run %s cannot go from preparing to finished', (SELECT id FROM r)), 'an illegal transition names both states');
SELECT is(playground.set_status((SELECT id FROM r), 'preparing'), 'preparing', 'setting the same status again is harmless');
SELECT lives_ok(format($$SELECT playground.set_status(%L, 'compiling'), playground.set_status(%L, 'executing')$$, (SELECT id FROM r), (SELECT id FROM r)),
                'preparing → compiling → executing');
SELECT throws_ok(format($$SELECT playground.set_status(%L, 'done')$$, (SELECT id FROM r)), '22023', 'unknown status ''done''', 'an unknown status');
SELECT throws_ok($$SELECT playground.set_status('00000000-0000-0000-0000-000000000000', 'preparing')$$, 'P0002', NULL, 'an unknown run');

-- Incremental output.
SELECT is(playground.append_output((SELECT id FROM r), 'run_output', 'line 1' || E'\n'), 1, 'append_output returns the next index');
SELECT is(playground.append_output((SELECT id FROM r), 'run_output', 'line 2' || E'\n'), 2, 'and counts chunks');
SELECT is((SELECT output || '@' || next_index FROM playground.read_output((SELECT id FROM r), 'run_output')), E'line 1\nline 2\n@2', 'read_output from 0 gets everything');
SELECT is((SELECT output || '@' || next_index FROM playground.read_output((SELECT id FROM r), 'run_output', 1)), E'line 2\n@2', 'from an index, only what is new');
SELECT is((SELECT output || '@' || next_index FROM playground.read_output((SELECT id FROM r), 'run_output', 2)), '@2', 'nothing new: empty, same index');
SELECT is((SELECT output || '@' || next_index FROM playground.read_output((SELECT id FROM r), 'logs')), '@0', 'stages are apart');
SELECT throws_ok(format($$SELECT playground.append_output(%L, 'stdout', 'x')$$, (SELECT id FROM r)), '22023', 'unknown stage ''stdout''', 'an unknown stage');
SELECT throws_ok(format($$SELECT * FROM playground.read_output(%L, 'logs', -1)$$, (SELECT id FROM r)), '22023', NULL, 'a negative index');

-- Cancel.
SELECT ok(playground.cancel((SELECT id FROM r)), 'cancel flags a running run');
SELECT ok(NOT playground.cancel((SELECT id FROM r)) AND playground.is_cancelled((SELECT id FROM r)), 'once');
SELECT is(playground.cancel_channel(), 'playground_cancel', 'the default instance notifies playground_cancel');
SELECT lives_ok(format($$SELECT playground.set_status(%L, 'cancelled')$$, (SELECT id FROM r)), 'the runner then sets cancelled');

-- Cache sub-keys, expiry, pruning.
SELECT playground.set_value((SELECT id2 FROM r), 'RunOutputIndex', '3');
SELECT is(playground.get_value((SELECT id2 FROM r), 'RunOutputIndex'), '3'::jsonb, 'set_value / get_value');
SELECT throws_ok($$SELECT playground.set_expiry(gen_random_uuid(), '1 minute')$$, 'P0002', NULL, 'set_expiry of an unknown run');
UPDATE playground.runs SET expires_at = now() - interval '1 second' WHERE id = (SELECT id FROM r);
SELECT is(playground.prune_runs(), 1, 'prune_runs removes the expired run');
SELECT is((SELECT count(*)::int FROM howdah_queue.schedules WHERE name = 'playground.playground.prune_runs' AND every = '1 minute'), 1,
          'a queue schedule enqueues prune_runs every minute');

SELECT * FROM finish();
ROLLBACK;
