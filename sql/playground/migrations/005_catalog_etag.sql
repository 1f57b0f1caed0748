-- playground migration 005: the cached catalog gets an entity tag, the md5 of its text, so a
-- client holding a copy revalidates it with catalog_if_changed(known_etag) in one round trip
-- instead of transferring the whole document (several MB at thousands of examples) again.

ALTER TABLE {{.Schema}}.catalog_cache ADD COLUMN etag text NOT NULL DEFAULT md5('[]');
UPDATE {{.Schema}}.catalog_cache SET etag = md5(catalog::text);

---- create above / drop below ----

ALTER TABLE {{.Schema}}.catalog_cache DROP COLUMN etag;
