-- UploadRepo: create, pending result, complete once (55000 the second time), claim removes;
-- unknown uploads P0002; bad input refused with nothing written. The notification itself is
-- checked by the Go client's test (a NOTIFY is delivered at commit).
BEGIN;
SELECT plan(10);

CREATE TEMP TABLE u AS SELECT pictrs.create_upload() AS id;
SELECT is(pictrs.upload_result((SELECT id FROM u)), NULL, 'a new upload is pending');
SELECT throws_ok(format('SELECT pictrs.complete_upload(%L, NULL)', (SELECT id FROM u)), '22023', 'result must be a JSON value other than null', 'a null result is refused');
SELECT is(pictrs.upload_result((SELECT id FROM u)), NULL, 'and the upload is still pending');
SELECT lives_ok(format('SELECT pictrs.complete_upload(%L, %L)', (SELECT id FROM u), '{"alias": "cat.png", "token": "t"}'), 'complete_upload');
SELECT is(pictrs.upload_result((SELECT id FROM u)), '{"alias": "cat.png", "token": "t"}'::jsonb, 'upload_result reads the result');
SELECT throws_ok(format('SELECT pictrs.complete_upload(%L, %L)', (SELECT id FROM u), '{"error": "x"}'), '55000',
                 format('upload %s is completed already', (SELECT id FROM u)), 'a second completion is refused');
SELECT throws_ok($$SELECT pictrs.complete_upload('00000000-0000-0000-0000-000000000000', '{}')$$, 'P0002',
                 'no upload 00000000-0000-0000-0000-000000000000', 'an unknown upload is named');
SELECT ok(pictrs.claim_upload((SELECT id FROM u)), 'claim_upload removes the upload');
SELECT ok(NOT pictrs.claim_upload((SELECT id FROM u)), 'a second claim: false');
SELECT throws_ok(format('SELECT pictrs.upload_result(%L)', (SELECT id FROM u)), 'P0002', format('no upload %s', (SELECT id FROM u)),
                 'the result of a claimed upload: P0002');

SELECT * FROM finish();
ROLLBACK;
