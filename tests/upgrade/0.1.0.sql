-- Data for the upgrade test, written through the API of howdah 0.1.0: every module gets rows in
-- every table it owns. Never edit this file after 0.1.0 is released; a later release adds its own.
DO $$
DECLARE
    sch       oid := (howdah.add_schema('upgrade_shop', description => 'made through howdah 0.1.0') ->> 'oid')::oid;
    customers oid;
    orders    oid;
    j         bigint;
BEGIN
    customers := (howdah.add_table(sch, 'customers', '[
        {"name": "id", "type": "bigint", "identity": true, "primary_key": true},
        {"name": "name", "type": "text", "not_null": true},
        {"name": "email", "type": "character varying", "type_options": {"length": 200}}]',
        '[{"type": "unique", "columns": ["email"]}]') ->> 'oid')::oid;
    orders := (howdah.add_table(sch, 'orders', '[
        {"name": "id", "type": "bigint", "identity": true, "primary_key": true},
        {"name": "customer", "type": "bigint", "not_null": true},
        {"name": "total", "type": "numeric", "type_options": {"precision": 10, "scale": 2}}]',
        jsonb_build_array(jsonb_build_object('type', 'foreign_key', 'columns', '["customer"]'::jsonb,
                                             'referent_table', customers::bigint))) ->> 'oid')::oid;
    PERFORM howdah.set_table_metadata(customers, '{"preview_template": "{2} <{3}>"}');
    PERFORM howdah.set_column_metadata(orders, 3::smallint, '{"currency": "EUR"}');
    PERFORM howdah.add_record(customers, r) FROM jsonb_array_elements('[
        {"name": "Ada Lovelace", "email": "ada@example.com"},
        {"name": "Edgar Codd", "email": "ted@example.com"}]') r;
    PERFORM howdah.add_record(orders, r) FROM jsonb_array_elements('[
        {"customer": 1, "total": 12.50}, {"customer": 2, "total": 7}, {"customer": 1, "total": 99.99}]') r;

    -- Jobs in every state.
    PERFORM howdah_queue.push('emails', jsonb_build_object('to', 'ada@example.com'));
    PERFORM howdah_queue.push('emails', '{"to": "ted@example.com"}', unique_key => 'welcome-ted');
    PERFORM howdah_queue.push('reports', '{"month": 11}', priority => 5, run_at => now() + interval '1 day');
    PERFORM howdah_queue.push_many('[{"queue": "thumbnails", "payload": {"id": 1}}, {"queue": "thumbnails", "payload": {"id": 2}},
                                     {"queue": "thumbnails", "payload": {"id": 3}}, {"queue": "thumbnails", "payload": {"id": 4}}]');
    SELECT id INTO j FROM howdah_queue.claim('thumbnails', 'worker-1', 4) ORDER BY id LIMIT 1;
    PERFORM howdah_queue.complete(ARRAY[j], 'worker-1');
    PERFORM howdah_queue.fail(j + 1, 'out of memory', 'worker-1');
    PERFORM howdah_queue.cancel(j + 2);
END $$;
