-- Example data for `howdah demo`, made through the catalog API itself, so the demo also shows
-- what the functions do. Runs once: the demo skips it when schema "shop" exists.
DO $$
DECLARE
    sch oid := (howdah.add_schema('shop', description => 'example data of howdah demo') ->> 'oid')::oid;
    customers oid;
    products oid;
    orders oid;
BEGIN
    customers := (howdah.add_table(sch, 'customers', '[
        {"name": "id", "type": "bigint", "identity": true, "primary_key": true},
        {"name": "name", "type": "text", "not_null": true, "description": "full name"},
        {"name": "email", "type": "character varying", "type_options": {"length": 200}},
        {"name": "joined", "type": "timestamp with time zone", "default_expr": "now"}]',
        '[{"type": "unique", "columns": ["email"]}]', 'people who buy') ->> 'oid')::oid;
    products := (howdah.add_table(sch, 'products', '[
        {"name": "id", "type": "bigint", "identity": true, "primary_key": true},
        {"name": "title", "type": "text", "not_null": true},
        {"name": "price", "type": "numeric", "type_options": {"precision": 10, "scale": 2}, "not_null": true, "default": 0},
        {"name": "tags", "type": "text[]"}]', NULL, 'what is sold') ->> 'oid')::oid;
    orders := (howdah.add_table(sch, 'orders', '[
        {"name": "id", "type": "bigint", "identity": true, "primary_key": true},
        {"name": "customer", "type": "bigint", "not_null": true},
        {"name": "product", "type": "bigint", "not_null": true},
        {"name": "quantity", "type": "integer", "not_null": true, "default": 1},
        {"name": "ordered", "type": "timestamp with time zone", "default_expr": "now"}]',
        jsonb_build_array(
            jsonb_build_object('type', 'foreign_key', 'columns', '["customer"]'::jsonb, 'referent_table', customers::bigint),
            jsonb_build_object('type', 'foreign_key', 'columns', '["product"]'::jsonb, 'referent_table', products::bigint)),
        'who bought what') ->> 'oid')::oid;
    PERFORM howdah.set_table_metadata(customers, '{"preview_template": "{2} <{3}>"}');
    PERFORM howdah.add_record(customers, r) FROM jsonb_array_elements('[
        {"name": "Ada Lovelace", "email": "ada@example.com"},
        {"name": "Edgar Codd", "email": "ted@example.com"},
        {"name": "Jim Gray", "email": "jim@example.com"}]') r;
    PERFORM howdah.add_record(products, r) FROM jsonb_array_elements('[
        {"title": "notebook", "price": 3.50, "tags": ["paper"]},
        {"title": "fountain pen", "price": 24.00, "tags": ["ink", "gift"]},
        {"title": "ink, blue", "price": 6.25, "tags": ["ink"]}]') r;
    INSERT INTO shop.orders (customer, product, quantity)
    SELECT 1 + i % 3, 1 + i % 3, 1 + i % 4 FROM generate_series(0, 11) i;
END $$;

-- The role of anonymous HTTP requests in the demo (howdah demo starts howdah serve with
-- --anon-role howdah_demo_web): it may read the example data, nothing else.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'howdah_demo_web') THEN
        CREATE ROLE howdah_demo_web NOLOGIN;
    END IF;
END $$;
GRANT USAGE ON SCHEMA shop TO howdah_demo_web;
GRANT SELECT ON ALL TABLES IN SCHEMA shop TO howdah_demo_web;
SELECT howdah_queue.push('emails', jsonb_build_object('to', 'ada@example.com', 'subject', 'welcome'));
-- A periodic job: a digest at 06:00 UTC every day (howdah queue schedule list shows it).
SELECT howdah_queue.schedule('daily-digest', 'emails', cron => '0 6 * * *', payload => '{"digest": "daily"}');
