-- catalog 002: display metadata that is not part of the user's schema (column order, per-column
-- display options, table preview templates), kept in howdah_internal keyed by table oid and attnum.
-- Placeholder while the metadata functions are written; replaced in the same release.

SELECT 1;

---- create above / drop below ----

SELECT 1;
