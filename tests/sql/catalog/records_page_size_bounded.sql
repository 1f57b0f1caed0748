-- list_records and search_records return bounded pages: list_records gives 100 records when no
-- lim is given (an anonymous call without lim returned 108 MB), NULL asks for the maximum page
-- size, and a lim over it gets 22023 naming the limit and the setting howdah.max_page_size
-- (10000 unless set). count still counts every row that passes the filter.
BEGIN;
SELECT plan(12);

CREATE TABLE public.rec_page (id int PRIMARY KEY, name text);
INSERT INTO public.rec_page SELECT i, 'name ' || i FROM generate_series(1, 250) i;

SELECT is(jsonb_array_length(howdah.list_records('public.rec_page'::regclass) -> 'results'), 100, 'list_records without lim: 100 records');
SELECT is(howdah.list_records('public.rec_page'::regclass) -> 'count', '250', '... and the count of all of them');
SELECT is(jsonb_array_length(howdah.list_records('public.rec_page'::regclass, NULL) -> 'results'), 250, 'lim NULL: up to the maximum, 10000');
SELECT throws_ok($$SELECT howdah.list_records('public.rec_page'::regclass, 10001)$$, '22023',
                 'lim must be at most 10000, the maximum page size (setting howdah.max_page_size), got 10001', 'lim over the maximum');
SELECT throws_ok($$SELECT howdah.search_records('public.rec_page'::regclass, '[{"column": "name", "value": "name"}]', 10001)$$, '22023',
                 'lim must be at most 10000, the maximum page size (setting howdah.max_page_size), got 10001', 'search_records: lim over the maximum');

SET LOCAL howdah.max_page_size = 40;
SELECT is(jsonb_array_length(howdah.list_records('public.rec_page'::regclass, NULL) -> 'results'), 40, 'the setting lowers the maximum: lim NULL gives 40');
SELECT is(jsonb_array_length(howdah.list_records('public.rec_page'::regclass, 40, 230) -> 'results'), 20, 'lim at the maximum, the last page');
SELECT throws_ok($$SELECT howdah.list_records('public.rec_page'::regclass)$$, '22023',
                 'lim must be at most 40, the maximum page size (setting howdah.max_page_size), got 100', 'the default lim over a lower maximum');
SELECT is(howdah.search_records('public.rec_page'::regclass, '[{"column": "name", "value": "name 1"}]', NULL) -> 'count', '111',
          'search_records, lim NULL: count of all matches');
SELECT is(jsonb_array_length(howdah.search_records('public.rec_page'::regclass, '[{"column": "name", "value": "name 1"}]', NULL) -> 'results'), 40,
          '... and a page of the maximum');

SET LOCAL howdah.max_page_size = 'lots';
SELECT throws_ok($$SELECT howdah.list_records('public.rec_page'::regclass, 1)$$, '22023',
                 'the setting howdah.max_page_size must be a whole number from 1 to 2147483647, got ''lots''', 'a bad setting is refused');
RESET howdah.max_page_size;
SELECT is(howdah.list_records('public.rec_page'::regclass, 5, 248) -> 'count', '250', 'a short last page counts every row');

SELECT * FROM finish();
ROLLBACK;
