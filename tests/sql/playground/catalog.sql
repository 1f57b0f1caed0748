-- The catalog: import_catalog loads SDKs, datasets, examples, code and outputs idempotently;
-- catalog() serves the cache the triggers keep equal to build_catalog() after every change;
-- sdks(), default_example, example, example_code, example_output read it; bad input gets 22023.
BEGIN;
SELECT plan(27);

CREATE TEMP TABLE doc AS SELECT '{
  "schema_version": "0.0.1",
  "sdks": [{"id": "SDK_GO", "default_example": "Hello"}, {"id": "SDK_JAVA"}],
  "datasets": [{"id": "CountWords", "path": "gs://bucket/words.avro"}],
  "examples": [
    {"sdk": "SDK_GO", "name": "Hello", "description": "says hello", "tags": ["intro"], "categories": ["Basics", "IO"],
     "complexity": "basic", "files": [{"name": "main.go", "content": "package main"}],
     "outputs": {"OUTPUT": "hello\n", "LOG": "INFO ok", "GRAPH": "digraph {}"}},
    {"sdk": "SDK_GO", "name": "Words", "type": "kata", "categories": ["Basics"],
     "files": [{"name": "main.go", "content": "package words"}], "datasets": [{"id": "CountWords", "config": {"topic": "w"}}]},
    {"sdk": "SDK_JAVA", "name": "Minimal", "files": [{"name": "Minimal.java", "content": "class Minimal {}"}], "outputs": {"output": "done"}}
  ]}'::jsonb AS d;

SELECT is((SELECT row(c.etag, c.catalog::text) FROM playground.catalog_if_changed(NULL) c), row(md5('[]'), '[]'::text),
          'catalog_if_changed on an empty instance: the etag of []');
SELECT is(playground.import_catalog((SELECT d FROM doc)) ->> 'examples', '3', 'import_catalog loads the examples');
SELECT is(playground.catalog()::jsonb, playground.build_catalog(), 'the cached catalog equals the one built from the tables');
SELECT is(jsonb_path_query_array(playground.catalog()::jsonb, '$[*].sdk'), '["SDK_GO", "SDK_JAVA"]', 'grouped by SDK');
SELECT is(jsonb_path_query_array(playground.catalog()::jsonb, '$[0].categories[*].name'), '["Basics", "IO"]', 'then by category');
SELECT is(jsonb_path_query_array(playground.catalog()::jsonb, '$[0].categories[0].examples[*].id'), '["SDK_GO_Hello", "SDK_GO_Words"]', 'then by name');
SELECT is(jsonb_path_query_array(playground.catalog()::jsonb, '$[1].categories[*].name'), '["Other"]', 'an example without category is under Other');
SELECT is(playground.catalog()::jsonb #> '{0,categories,0,examples,0,default}', 'true', 'the default example is flagged');

SELECT is((SELECT c.etag FROM playground.catalog_if_changed(NULL) c), md5(playground.catalog()::text), 'the etag is the md5 of the catalog text');

CREATE TEMP TABLE before AS SELECT playground.catalog()::jsonb AS c, (SELECT count(*) FROM playground.snippets) AS n,
    (SELECT c.etag FROM playground.catalog_if_changed(NULL) c) AS etag;
SELECT is((SELECT c.catalog::text FROM playground.catalog_if_changed((SELECT etag FROM before)) c), NULL,
          'catalog_if_changed sends no document to a holder of the current etag');
SELECT playground.import_catalog((SELECT d FROM doc));
SELECT ok((SELECT c = playground.catalog()::jsonb AND n = (SELECT count(*) FROM playground.snippets) FROM before), 'importing again changes nothing');
SELECT is((SELECT c.etag FROM playground.catalog_if_changed(NULL) c), (SELECT etag FROM before), 'not even the etag');

-- Changes through any statement keep the cache exact.
UPDATE playground.examples SET description = 'says hi' WHERE id = 'SDK_GO_Hello';
SELECT is(playground.catalog()::jsonb #>> '{0,categories,0,examples,0,description}', 'says hi', 'an UPDATE of examples is in the cache');
SELECT is((SELECT c.catalog::text FROM playground.catalog_if_changed((SELECT etag FROM before)) c), playground.catalog()::text,
          'and a holder of the old etag gets the new document');
DELETE FROM playground.precompiled WHERE id = 'SDK_GO_Hello_GRAPH';
SELECT is(playground.catalog()::jsonb #> '{0,categories,0,examples,0,outputs}', '["LOG", "OUTPUT"]', 'a DELETE of a precompiled object too');
SELECT is(playground.catalog()::jsonb, playground.build_catalog(), 'still equal to the built catalog');

-- A refresh without an example removes it.
SELECT is(playground.import_catalog(jsonb_set((SELECT d FROM doc), '{examples}', (SELECT d -> 'examples' FROM doc) - 1)) ->> 'removed', '1',
          'a refresh removes the examples of its SDKs it no longer lists');
SELECT is(jsonb_path_query_array(playground.catalog()::jsonb, '$[0].categories[*].examples[*].id'), '["SDK_GO_Hello", "SDK_GO_Hello"]', 'and the cache follows');

SELECT is(ARRAY(SELECT s.id || '=' || coalesce(s.default_example, '-') FROM playground.sdks() s), '{SDK_GO=SDK_GO_Hello,SDK_JAVA=-}', 'sdks() with their default examples');
SELECT is(playground.default_example('SDK_GO') ->> 'id', 'SDK_GO_Hello', 'default_example');
SELECT is(playground.default_example('SDK_JAVA'), NULL, 'NULL when an SDK has none');
SELECT is(playground.example('SDK_GO_Hello') ->> 'complexity', 'basic', 'example() carries the snippet''s complexity');
SELECT is(playground.example_code('SDK_JAVA_Minimal') -> 0 ->> 'content', 'class Minimal {}', 'example_code');
SELECT is(playground.example_output('SDK_JAVA_Minimal', 'output'), 'done', 'example_output, kind in any case');
SELECT throws_ok($$SELECT playground.example_output('SDK_JAVA_Minimal', 'LOG')$$, 'P0002', 'no precompiled object ''SDK_JAVA_Minimal_LOG''', 'a missing object');
SELECT throws_ok($$SELECT playground.example('SDK_GO_Nope')$$, 'P0002', NULL, 'an unknown example');

-- Bad input names the element and writes nothing.
SELECT throws_ok($$SELECT playground.import_catalog('{"sdks": ["SDK_GO"], "examples": [{"sdk": "SDK_GO", "name": "X", "files": [{"name": "a", "content": "", "is_main": true}, {"name": "b", "content": "", "is_main": true}]}]}')$$,
                 '22023', 'examples[0]: files[0] and files[1] are both marked is_main; a snippet has one main file', 'a bad example is named');

SELECT * FROM finish();
ROLLBACK;
