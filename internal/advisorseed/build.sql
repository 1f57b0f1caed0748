-- The seeded schema of `howdah advisor seed`: a small shop (users, products, orders, order_items,
-- events). Run by advisorseed.Run one step at a time (each step starts with a `-- step:` line and
-- is printed as progress), with search_path set to the seed's schema alone, so every name here is
-- unqualified, and the row counts in the custom settings advisor_seed.users, .products, .orders,
-- .items and .events (set from --scale). Everything is set-based (generate_series), with
-- deterministic pseudo-random values (multiplicative hashing of the row number), so two seeds at
-- one scale hold the same data. Tables are loaded first and indexed after, as a bulk load should.
-- The indexes are part of the seeded patterns: see Patterns in seed.go and docs/advisor.md.
--
-- A step name ending in `@N` runs on build connection N, at the same time as the steps of the
-- other connection next to it (users, products, orders and events load on 1 while order items,
-- the largest table, load on 2); a step without one runs alone, after every step before it.

-- step: tables
CREATE TABLE users (
    id bigint NOT NULL,
    email text NOT NULL,
    name text NOT NULL,
    city text NOT NULL,
    zip text NOT NULL,          -- 4 zips per city, each in one city: city and zip are correlated
    referrer_id bigint,         -- nullable: the NOT IN pattern reads it
    created_at timestamptz NOT NULL
);
CREATE TABLE products (
    id bigint NOT NULL,
    sku text NOT NULL,
    name text NOT NULL,
    category text NOT NULL,
    price numeric(10, 2) NOT NULL,
    stock integer NOT NULL
);
CREATE TABLE orders (
    id bigint NOT NULL,
    customer_id bigint NOT NULL,  -- a foreign key without an index: the missing-index pattern
    ref text NOT NULL,
    status text NOT NULL,
    total numeric(12, 2) NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE TABLE order_items (
    id bigint NOT NULL,
    order_id bigint NOT NULL,
    product_id bigint,
    quantity integer NOT NULL,  -- independent of product_id: 1 to 5, a fifth of each product's items
    price numeric(10, 2) NOT NULL
);
CREATE TABLE events (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    created_at timestamptz NOT NULL,
    payload jsonb NOT NULL
);

-- step: users @1
INSERT INTO users (id, email, name, city, zip, referrer_id, created_at)
SELECT i, 'User' || i || '@Example.com', 'user ' || i, 'city_' || i % 50,
       lpad(((i % 50) * 4 + (i / 50) % 4)::text, 5, '0'),
       CASE WHEN i % 5 <> 0 THEN 1 + (i * 7919) % n END,
       timestamptz '2023-01-01 00:00+00' + (i % 730) * interval '1 day'
  FROM (SELECT current_setting('advisor_seed.users')::bigint AS n) c, generate_series(1, c.n) i;

-- step: products @1
INSERT INTO products (id, sku, name, category, price, stock)
SELECT i, 'SKU-' || i, 'product ' || i, 'cat_' || i % 50, 1 + (i * 37 % 20000) / 100.0, 100 + i % 900
  FROM generate_series(1, current_setting('advisor_seed.products')::bigint) i;

-- step: orders @1
INSERT INTO orders (id, customer_id, ref, status, total, created_at)
SELECT i, 1 + (i * 48271) % u, 'ORD-' || i,
       CASE WHEN i % 100 < 88 THEN 'delivered' WHEN i % 100 < 94 THEN 'shipped' WHEN i % 100 < 97 THEN 'pending'
            WHEN i % 100 < 99 THEN 'cancelled' ELSE 'returned' END,
       (i * 7 % 50000) / 100.0,
       timestamptz '2023-01-01 00:00+00' + i * (interval '730 days' / n)
  FROM (SELECT current_setting('advisor_seed.orders')::bigint AS n, current_setting('advisor_seed.users')::bigint AS u) c,
       generate_series(1, c.n) i;

-- step: order_items @2
INSERT INTO order_items (id, order_id, product_id, quantity, price)
SELECT j, 1 + (j - 1) * o / n, 1 + (j * 7907) % p, 1 + (j / p) % 5, 1 + (j * 37 % 20000) / 100.0
  FROM (SELECT current_setting('advisor_seed.items')::bigint AS n, current_setting('advisor_seed.orders')::bigint AS o,
               current_setting('advisor_seed.products')::bigint AS p) c,
       generate_series(1, c.n) j;

-- step: events @1
INSERT INTO events (id, user_id, created_at, payload)
SELECT i, 1 + (i * 6007) % u, timestamptz '2024-01-01 00:00+00' + i * (interval '365 days' / n),
       jsonb_build_object('kind', CASE WHEN i % 200 < 120 THEN 'view' WHEN i % 200 < 170 THEN 'click'
                                       WHEN i % 200 < 190 THEN 'cart' WHEN i % 200 < 198 THEN 'purchase' ELSE 'refund' END,
                          'path', '/p/' || i % 1000, 'ms', i % 500)
  FROM (SELECT current_setting('advisor_seed.events')::bigint AS n, current_setting('advisor_seed.users')::bigint AS u) c,
       generate_series(1, c.n) i;

-- step: indexes of users, products, events @1
ALTER TABLE users ADD PRIMARY KEY (id), ADD CONSTRAINT users_email_key UNIQUE (email);
CREATE INDEX users_city_idx ON users (city);
CREATE INDEX users_zip_idx ON users (zip);
ALTER TABLE products ADD PRIMARY KEY (id), ADD CONSTRAINT products_sku_key UNIQUE (sku);
CREATE INDEX products_category_idx ON products (category);
ALTER TABLE events ADD PRIMARY KEY (id);
CREATE INDEX events_user_id_idx ON events (user_id);
CREATE INDEX events_created_at_idx ON events (created_at);   -- large and never used

-- step: indexes of orders, order_items @2
ALTER TABLE orders ADD PRIMARY KEY (id);
CREATE INDEX orders_ref_idx ON orders (ref);
CREATE INDEX orders_status_created_at_idx ON orders (status, created_at);
CREATE INDEX orders_status_idx ON orders (status);           -- redundant: a prefix of the one above
ALTER TABLE order_items ADD PRIMARY KEY (id);

-- step: foreign keys
ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES users;
ALTER TABLE order_items ADD CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders,
                        ADD CONSTRAINT order_items_product_id_fkey FOREIGN KEY (product_id) REFERENCES products;
ALTER TABLE events ADD CONSTRAINT events_user_id_fkey FOREIGN KEY (user_id) REFERENCES users;

-- step: vacuum users, products, events @1
VACUUM (ANALYZE) users, products, events;

-- step: vacuum orders, order_items @2
VACUUM (ANALYZE) orders, order_items;
