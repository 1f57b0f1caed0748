-- Snippets: content-hash ids (same content, same id, stored once), normalisation, one main
-- file (checked by put_snippet and enforced by the database), persistence keys, visits,
-- deletion and pruning; bad input gets 22023 and writes nothing.
BEGIN;
SELECT plan(29);

SELECT playground.put_sdks('["SDK_GO", "SDK_JAVA"]');
CREATE TEMP TABLE ids (name text PRIMARY KEY, id text);
INSERT INTO ids VALUES
  ('a', playground.put_snippet('SDK_GO', '[{"name": "main.go", "content": "package main\r\nfunc main() {}"}]')),
  ('a_again', playground.put_snippet('SDK_GO', '[{"name": "main.go", "content": "package main\nfunc main() {}", "is_main": true}]', pipeline_options => '  ')),
  ('b', playground.put_snippet('SDK_GO', '[{"name": "main.go", "content": "package main"}, {"name": "util.go", "content": "package main", "is_main": true, "context_line": 3}]', owner_id => 'ada'));

SELECT matches((SELECT id FROM ids WHERE name = 'a'), '^[0-9a-f]{32}$', 'the id is a 128-bit hex content hash');
SELECT is((SELECT id FROM ids WHERE name = 'a_again'), (SELECT id FROM ids WHERE name = 'a'),
          'the same content (CRLF or LF, implicit or explicit main file, blank options) gives the same id');
SELECT is((SELECT count(*)::int FROM playground.snippets), 2, 'and is stored once');
SELECT isnt((SELECT id FROM ids WHERE name = 'b'), (SELECT id FROM ids WHERE name = 'a'), 'other content, another id');
SELECT isnt(playground.put_snippet('SDK_JAVA', '[{"name": "main.go", "content": "package main\nfunc main() {}"}]'),
            (SELECT id FROM ids WHERE name = 'a'), 'the SDK is part of the content');
SELECT is((SELECT array_agg(name || ':' || is_main || ':' || context_line ORDER BY ordinal) FROM playground.files WHERE snippet = (SELECT id FROM ids WHERE name = 'b')),
          '{main.go:false:0,util.go:true:3}', 'files keep their order; the marked file is main');
SELECT is((SELECT number_of_files FROM playground.snippets WHERE id = (SELECT id FROM ids WHERE name = 'b')), 2, 'number_of_files');
SELECT is((SELECT f.id FROM playground.files f WHERE f.snippet = (SELECT id FROM ids WHERE name = 'b') AND f.ordinal = 1),
          (SELECT id FROM ids WHERE name = 'b') || '_1', 'a file''s key is <snippet>_<n>');

-- One main file: put_snippet refuses two, the database refuses a second one written directly.
SELECT throws_ok($$SELECT playground.put_snippet('SDK_GO', '[{"name": "a.go", "content": "", "is_main": true}, {"name": "b.go", "content": "", "is_main": true}]')$$,
                 '22023', 'files[0] and files[1] are both marked is_main; a snippet has one main file', 'two main files are refused');
SELECT throws_ok(format($$INSERT INTO playground.files (snippet, ordinal, name, content, is_main) VALUES (%L, 5, 'x.go', '', true)$$, (SELECT id FROM ids WHERE name = 'b')),
                 '23505', NULL, 'the database keeps at most one main file per snippet');

-- Bad input.
SELECT throws_ok($$SELECT playground.put_snippet('SDK_COBOL', '[{"name": "a", "content": ""}]')$$, '22023', 'unknown sdk ''SDK_COBOL''', 'unknown sdk');
SELECT throws_ok($$SELECT playground.put_snippet('SDK_GO', '[]')$$, '22023', NULL, 'no files');
SELECT throws_ok($$SELECT playground.put_snippet('SDK_GO', '[{"name": "a", "content": ""}, {"name": "a", "content": "x"}]')$$, '22023',
                 'files[1].name ''a'' repeats an earlier file''s name', 'a repeated file name');
SELECT throws_ok($$SELECT playground.put_snippet('SDK_GO', '[{"name": "a"}]')$$, '22023', 'files[0].content must be a string, got nothing', 'missing content');
SELECT throws_ok($$SELECT playground.put_snippet('SDK_GO', '[{"name": "a", "content": "", "context_line": -1}]')$$, '22023', NULL, 'negative context_line');
SELECT throws_ok($$SELECT playground.put_snippet('SDK_GO', '[{"name": "a", "content": ""}]', origin => 'mars')$$, '22023',
                 'origin must be playground, tour, user or tour_user, got ''mars''', 'bad origin');
SELECT throws_ok($$SELECT playground.put_snippet('SDK_GO', '[{"name": "a", "content": ""}]', complexity => 'hard')$$, '22023', NULL, 'bad complexity');
SELECT throws_ok($$SELECT playground.put_snippet('SDK_GO', '[{"name": "a", "content": ""}]', datasets => '[{"id": "nope"}]')$$, '22023', NULL, 'unknown dataset');
SELECT is((SELECT count(*)::int FROM playground.snippets), 3, 'bad input wrote nothing');

-- Persistence keys: a new save under a key removes the older snippets with that key.
INSERT INTO ids VALUES ('k1', playground.put_snippet('SDK_GO', '[{"name": "m.go", "content": "v1"}]', origin => 'tour_user', persistence_key => 'ada:lesson1'));
INSERT INTO ids VALUES ('k2', playground.put_snippet('SDK_GO', '[{"name": "m.go", "content": "v2"}]', origin => 'tour_user', persistence_key => 'ada:lesson1'));
SELECT is(ARRAY(SELECT id FROM playground.snippets WHERE persistence_key = 'ada:lesson1'), ARRAY[(SELECT id FROM ids WHERE name = 'k2')],
          'only the latest snippet of a persistence key remains');
SELECT is(playground.put_snippet('SDK_GO', '[{"name": "m.go", "content": "v2"}]', origin => 'tour_user', persistence_key => 'ada:lesson1'),
          (SELECT id FROM ids WHERE name = 'k2'), 'saving the same content under its key keeps it');

-- get_snippet counts visits.
SELECT is((playground.get_snippet((SELECT id FROM ids WHERE name = 'b')) ->> 'visit_count')::int, 1, 'get_snippet counts the visit');
SELECT is((playground.get_snippet((SELECT id FROM ids WHERE name = 'b')) -> 'files' -> 1 ->> 'name'), 'util.go', 'and returns the files in order');
SELECT is((SELECT visit_count FROM playground.snippets WHERE id = (SELECT id FROM ids WHERE name = 'b')), 2::bigint, 'visit_count is stored');
SELECT throws_ok($$SELECT playground.get_snippet('0123456789abcdef0123456789abcdef')$$, 'P0002', 'no snippet ''0123456789abcdef0123456789abcdef''', 'unknown snippet');
SELECT is(jsonb_array_length(playground.snippet_files((SELECT id FROM ids WHERE name = 'b'))), 2, 'snippet_files lists the files');

-- Pruning and deletion.
UPDATE playground.snippets SET last_visited = now() - interval '40 days' WHERE id = (SELECT id FROM ids WHERE name = 'k2');
SELECT is(playground.prune_snippets('30 days'), 1, 'prune_snippets removes user snippets not visited for the interval');
SELECT throws_ok($$SELECT playground.prune_snippets('-1 day')$$, '22023', NULL, 'a negative interval is refused');
SELECT ok(playground.delete_snippet((SELECT id FROM ids WHERE name = 'a')) AND NOT playground.delete_snippet((SELECT id FROM ids WHERE name = 'a')),
          'delete_snippet: true once, then false');

SELECT * FROM finish();
ROLLBACK;
