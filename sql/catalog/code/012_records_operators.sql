-- catalog code 012: what the records functions ask of a column's type — the type under its
-- domains, its default btree/hash operator class, and SQL comparing two values with the type's
-- own operators (so citext compares as citext, hstore is refused rather than compared as text).

CREATE FUNCTION howdah_internal.catalog_base_type(typ oid)
RETURNS oid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The type under any domains over `typ` (typ itself when it is no domain). PL/pgSQL rather than
-- a recursive query: it runs for every filter value, and PL/pgSQL keeps its plan.
DECLARE
    t oid := typ;
    under oid;
BEGIN
    LOOP
        SELECT y.typbasetype INTO under FROM pg_type y WHERE y.oid = t AND y.typtype = 'd';
        EXIT WHEN under IS NULL;
        t := under;
    END LOOP;
    RETURN t;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_base_type(oid) IS 'The type under any domains over `typ` (typ itself when it is no domain). Errors: none.';

CREATE FUNCTION howdah_internal.catalog_default_opclass(typ oid, am name)
RETURNS oid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The default operator class of index method `am` ('btree': values sort and compare; 'hash':
-- values compare for equality) that serves type `typ` (or the type under its domains), as
-- PostgreSQL picks it for ORDER BY, GROUP BY and an index: declared on the type itself, on
-- its polymorphic family (enum, range, multirange, composite), on a type it converts to
-- without a function (varchar -> text), or anyarray's for an array whose elements have one.
-- NULL when there is none.
DECLARE
    base oid := howdah_internal.catalog_base_type(typ);
    kind "char";
    elem oid;
    category "char";
    opc oid;
BEGIN
    SELECT y.typtype, y.typelem, y.typcategory INTO kind, elem, category FROM pg_type y WHERE y.oid = base;
    SELECT o.oid INTO opc
      FROM pg_opclass o JOIN pg_am m ON m.oid = o.opcmethod
     WHERE m.amname = am AND o.opcdefault
       AND o.opcintype IN (base, CASE kind WHEN 'e' THEN 'anyenum'::regtype WHEN 'r' THEN 'anyrange'::regtype
                                           WHEN 'm' THEN 'anymultirange'::regtype WHEN 'c' THEN 'record'::regtype END)
     ORDER BY o.opcintype <> base
     LIMIT 1;
    IF opc IS NOT NULL THEN
        RETURN opc;
    END IF;
    -- A type it converts to implicitly without a function, as PostgreSQL's own lookup allows.
    SELECT o.oid INTO opc
      FROM pg_cast k
      JOIN pg_opclass o ON o.opcintype = k.casttarget
      JOIN pg_am m ON m.oid = o.opcmethod
      JOIN pg_type y ON y.oid = k.casttarget
     WHERE k.castsource = base AND k.castmethod = 'b' AND k.castcontext = 'i' AND m.amname = am AND o.opcdefault
     ORDER BY y.typispreferred DESC, o.oid
     LIMIT 1;
    IF opc IS NOT NULL THEN
        RETURN opc;
    END IF;
    -- An array compares when its elements do (anyarray's operator classes).
    IF category = 'A' AND elem <> 0
       AND EXISTS (SELECT FROM pg_type y WHERE y.oid = base AND y.typsubscript = 'array_subscript_handler'::regproc)
       AND howdah_internal.catalog_default_opclass(elem, am) IS NOT NULL THEN
        SELECT o.oid INTO opc
          FROM pg_opclass o JOIN pg_am m ON m.oid = o.opcmethod
         WHERE m.amname = am AND o.opcdefault AND o.opcintype = 'anyarray'::regtype;
    END IF;
    RETURN opc;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_default_opclass(oid, name) IS 'The default operator class of an index method (btree, hash) that serves a type, or NULL. Errors: none.';

CREATE FUNCTION howdah_internal.catalog_has_opclass(typ oid, am name)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN howdah_internal.catalog_default_opclass(typ, am) IS NOT NULL;
COMMENT ON FUNCTION howdah_internal.catalog_has_opclass(oid, name) IS 'Whether a type has a default operator class of an index method (btree: ORDER BY, GROUP BY and < work; hash: = works). Errors: none.';

CREATE FUNCTION howdah_internal.catalog_compare_sql(typ oid, op text, lhs text, rhs text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- SQL comparing the expressions `lhs` and `rhs` (both of type `typ`) with the type's own
-- operator for `op` (=, <>, <, <=, >=, >; '= ANY' with an array expression as `rhs`), or NULL
-- when the type has none. The operator is the one its default btree operator class gives the
-- strategy (1 <, 2 <=, 3 =, 4 >=, 5 >), else for = its default hash class's; <> is the
-- negator of =, else NOT (=). It is written schema-qualified, OPERATOR(schema.op), because the
-- functions run with search_path pinned to pg_catalog: an unqualified = on citext would
-- compare as text, one on hstore would not be found. Its name must be `op` itself (hstore
-- orders with #<#, so < does not apply to it), so only these fixed names reach the SQL.
DECLARE
    want text := CASE op WHEN '<>' THEN '=' WHEN '= ANY' THEN '=' ELSE op END;
    strategy int2 := CASE want WHEN '<' THEN 1 WHEN '<=' THEN 2 WHEN '=' THEN 3 WHEN '>=' THEN 4 WHEN '>' THEN 5 END;
    opr oid;
    neg oid;
    qualified text;
BEGIN
    IF strategy IS NULL OR op NOT IN ('=', '<>', '<', '<=', '>=', '>', '= ANY') THEN
        RETURN NULL;
    END IF;
    SELECT a.amopopr INTO opr
      FROM pg_opclass c JOIN pg_amop a ON a.amopfamily = c.opcfamily AND a.amoplefttype = c.opcintype
                                      AND a.amoprighttype = c.opcintype AND a.amopstrategy = strategy
     WHERE c.oid = howdah_internal.catalog_default_opclass(typ, 'btree');
    IF opr IS NULL AND want = '=' THEN
        SELECT a.amopopr INTO opr
          FROM pg_opclass c JOIN pg_amop a ON a.amopfamily = c.opcfamily AND a.amoplefttype = c.opcintype
                                          AND a.amoprighttype = c.opcintype AND a.amopstrategy = 1
         WHERE c.oid = howdah_internal.catalog_default_opclass(typ, 'hash');
    END IF;
    SELECT format('OPERATOR(%I.%s)', n.nspname, o.oprname), o.oprnegate INTO qualified, neg
      FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
     WHERE o.oid = opr AND o.oprname = want;
    IF qualified IS NULL THEN
        RETURN NULL;
    END IF;
    IF op = '<>' THEN
        RETURN coalesce((SELECT format('%s OPERATOR(%I.%s) %s', lhs, n.nspname, o.oprname, rhs)
                           FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
                          WHERE o.oid = neg AND o.oprname = '<>'),
                        format('NOT (%s %s %s)', lhs, qualified, rhs));
    END IF;
    IF op = '= ANY' THEN
        RETURN format('%s %s ANY (%s)', lhs, qualified, rhs);
    END IF;
    RETURN format('%s %s %s', lhs, qualified, rhs);
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_compare_sql(oid, text, text, text) IS 'SQL comparing two expressions of a type with the type''s own operator (from its default btree or hash operator class), schema-qualified; NULL when the type has none. Errors: none.';
