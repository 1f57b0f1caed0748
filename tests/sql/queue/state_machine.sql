-- The state machine: cancel from every non-final state, retry from every final state (attempt
-- back to 0, errors kept), and every illegal transition refused with 55000 naming the job and its
-- state, changing nothing. Unknown ids get P0002.
BEGIN;
SELECT plan(23);

CREATE TEMP TABLE s (label text PRIMARY KEY, id bigint);
INSERT INTO s VALUES ('available', howdah_queue.push('sm', '1')),
                     ('scheduled', howdah_queue.push('sm', '2', run_at => now() + interval '1 day')),
                     ('running', howdah_queue.push('sm2', '3', max_attempts => 1)),
                     ('retryable', howdah_queue.push('sm3', '4')),
                     ('completed', howdah_queue.push('sm4', '5')),
                     ('failed', howdah_queue.push('sm5', '6', max_attempts => 1));
SELECT count(*) FROM howdah_queue.claim('sm2', 'w', 1);
SELECT count(*) FROM howdah_queue.claim('sm3', 'w', 1);
SELECT howdah_queue.fail((SELECT id FROM s WHERE label = 'retryable'), 'e', retry_in => interval '1 hour');
SELECT count(*) FROM howdah_queue.claim('sm4', 'w', 1);
SELECT howdah_queue.complete(ARRAY[(SELECT id FROM s WHERE label = 'completed')]);
SELECT count(*) FROM howdah_queue.claim('sm5', 'w', 1);
SELECT howdah_queue.fail((SELECT id FROM s WHERE label = 'failed'), 'last');
SELECT results_eq($$SELECT s.label, j.state::text FROM s JOIN howdah_queue.jobs j USING (id) ORDER BY j.id$$,
                  $$SELECT label, label FROM s ORDER BY id$$, 'one job in each state');

-- Illegal: fail of anything not running.
SELECT throws_ok(format('SELECT howdah_queue.fail(%s, %L)', id, 'x'), '55000',
                 format('job %s is %s; fail needs a job that is running', id, label), 'fail of a ' || label || ' job')
  FROM s WHERE label IN ('available', 'scheduled', 'retryable', 'completed', 'failed') ORDER BY id;
-- Illegal: retry of anything not final.
SELECT throws_ok(format('SELECT howdah_queue.retry(%s)', id), '55000',
                 format('job %s is %s; retry needs a job that is completed, failed or cancelled', id, label), 'retry of a ' || label || ' job')
  FROM s WHERE label IN ('available', 'scheduled', 'running', 'retryable') ORDER BY id;
-- Illegal: cancel of a final job.
SELECT throws_ok(format('SELECT howdah_queue.cancel(%s)', id), '55000',
                 format('job %s is %s; cancel needs a job that is available, scheduled, retryable or running', id, label), 'cancel of a ' || label || ' job')
  FROM s WHERE label IN ('completed', 'failed') ORDER BY id;
SELECT results_eq($$SELECT s.label, j.state::text FROM s JOIN howdah_queue.jobs j USING (id) ORDER BY j.id$$,
                  $$SELECT label, label FROM s ORDER BY id$$, 'refused transitions changed no state');

-- Legal: retry of completed and failed; cancel of the rest, then retry of a cancelled one.
SELECT is((howdah_queue.retry((SELECT id FROM s WHERE label = 'failed'))).state::text, 'available', 'retry of a failed job');
SELECT is((SELECT row(attempt, run_at = now(), finalized_at, jsonb_array_length(errors))::text FROM howdah_queue.jobs WHERE id = (SELECT id FROM s WHERE label = 'failed')),
          '(0,t,,1)', 'attempt reset to 0, runnable now, not final, errors kept');
SELECT is((howdah_queue.retry((SELECT id FROM s WHERE label = 'completed'))).state::text, 'available', 'retry of a completed job');
SELECT is((SELECT count(*)::int FROM s, howdah_queue.cancel(s.id) c WHERE s.label IN ('available', 'scheduled', 'running', 'retryable') AND c.state = 'cancelled'), 4,
          'cancel of an available, scheduled, running and retryable job');
SELECT is((SELECT row(state, finalized_at = now(), lease_expires_at)::text FROM howdah_queue.jobs WHERE id = (SELECT id FROM s WHERE label = 'running')),
          '(cancelled,t,)', 'a cancelled running job is final and has no lease');
SELECT is(howdah_queue.complete(ARRAY[(SELECT id FROM s WHERE label = 'running')], 'w'), 0, 'its worker''s complete then changes nothing');
SELECT is((howdah_queue.retry((SELECT id FROM s WHERE label = 'scheduled'))).state::text, 'available', 'retry of a cancelled job');

SELECT throws_ok('SELECT howdah_queue.cancel(-42)', 'P0002', 'job -42 does not exist', 'cancel of an unknown id');
SELECT throws_ok('SELECT howdah_queue.retry(-42)', 'P0002', 'job -42 does not exist', 'retry of an unknown id');
SELECT throws_ok('SELECT howdah_queue.fail(-42, ''x'')', 'P0002', 'job -42 does not exist', 'fail of an unknown id');

SELECT * FROM finish();
ROLLBACK;
