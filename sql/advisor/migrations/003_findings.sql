-- advisor migration 003: what the later stages conclude — recommendations, simulations (one
-- query, and whole recommendation sets), query families and anomalies. Each row names its
-- snapshot; deleting a snapshot (prune) deletes them all.

CREATE TABLE howdah_advisor.recommendations (
    id               bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    snapshot_id      bigint           NOT NULL REFERENCES howdah_advisor.snapshots (id) ON DELETE CASCADE,
    created_at       timestamptz      NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    confidence       real             NOT NULL,
    benefit_ms       double precision,
    benefit_total_ms double precision,
    rank             integer,
    table_relid      oid,
    index_relid      oid,
    type             howdah_advisor.recommendation_type NOT NULL,
    key              text             NOT NULL,
    table_name       text,
    index_name       text,
    columns          text[]           NOT NULL DEFAULT '{}',
    query_ids        bigint[]         NOT NULL DEFAULT '{}',
    ddl              text,
    rationale        text             NOT NULL,
    risk             jsonb            NOT NULL DEFAULT '{}',
    evidence         jsonb            NOT NULL DEFAULT '{}',
    CONSTRAINT recommendations_key UNIQUE (snapshot_id, key),
    CONSTRAINT recommendations_rank UNIQUE (snapshot_id, rank),
    CONSTRAINT recommendations_confidence CHECK (confidence >= 0 AND confidence <= 1),
    CONSTRAINT recommendations_rank_positive CHECK (rank >= 1),
    CONSTRAINT recommendations_ddl CHECK (ddl IS NOT NULL OR type = 'rewrite'),
    CONSTRAINT recommendations_index_target CHECK (type NOT IN ('redundant_index', 'unused_index') OR index_relid IS NOT NULL)
);
COMMENT ON TABLE howdah_advisor.recommendations IS 'Ranked findings of a snapshot, deduplicated across the workload: one index that serves five queries is one row listing the five.';
COMMENT ON COLUMN howdah_advisor.recommendations.key IS 'What makes two findings the same, such as index:public.orders(customer_id,created_at): unique per snapshot, and the way to follow a finding across snapshots.';
COMMENT ON COLUMN howdah_advisor.recommendations.rank IS 'Position in the snapshot''s list (1 first): by type (the enum''s order), then by benefit_total_ms.';
COMMENT ON COLUMN howdah_advisor.recommendations.columns IS 'The target columns or expressions in reasoned order: equality before range before sort.';
COMMENT ON COLUMN howdah_advisor.recommendations.ddl IS 'The exact statement to run (CREATE INDEX CONCURRENTLY ..., ANALYZE ..., DROP INDEX CONCURRENTLY ...); NULL for a rewrite, whose sketch is in the rationale.';
COMMENT ON COLUMN howdah_advisor.recommendations.rationale IS 'Plain English, quoting the facts it rests on.';
COMMENT ON COLUMN howdah_advisor.recommendations.risk IS 'Write rate and existing index count of the table, estimated index size (hypopg_relation_size), lock notes.';
COMMENT ON COLUMN howdah_advisor.recommendations.evidence IS 'The facts behind the finding, for citations: plan facts, metrics, index statistics.';
COMMENT ON COLUMN howdah_advisor.recommendations.benefit_ms IS 'Estimated time saved per call of the queries it serves (from a simulation when there is one).';
COMMENT ON COLUMN howdah_advisor.recommendations.benefit_total_ms IS 'benefit_ms weighted by calls over the queries it serves: the ranking key within a type.';

-- Bottlenecks by snapshot in rank order come from recommendations_rank; a query's findings:
CREATE INDEX recommendations_query_ids_idx ON howdah_advisor.recommendations USING gin (query_ids);

CREATE TABLE howdah_advisor.simulation_sets (
    id              bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    snapshot_id     bigint           NOT NULL REFERENCES howdah_advisor.snapshots (id) ON DELETE CASCADE,
    ran_at          timestamptz      NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    before_total_ms double precision,
    after_total_ms  double precision,
    improvement_pct double precision,
    mode            howdah_advisor.simulation_mode NOT NULL DEFAULT 'hypopg',
    ran_by          text             NOT NULL DEFAULT current_user,
    rec_ids         bigint[]         NOT NULL,
    error           text
);
COMMENT ON TABLE howdah_advisor.simulation_sets IS 'One simulate_set() run: a set of recommendations applied at once over every query of the snapshot, the totals weighted by calls; the per-query results are simulations rows with its set_id.';

CREATE TABLE howdah_advisor.simulations (
    id              bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    snapshot_id     bigint           NOT NULL REFERENCES howdah_advisor.snapshots (id) ON DELETE CASCADE,
    query_id        bigint           NOT NULL REFERENCES howdah_advisor.queries (id) ON DELETE CASCADE,
    rec_id          bigint           REFERENCES howdah_advisor.recommendations (id) ON DELETE CASCADE,
    set_id          bigint           REFERENCES howdah_advisor.simulation_sets (id) ON DELETE CASCADE,
    ran_at          timestamptz      NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    before_cost     double precision,
    after_cost      double precision,
    before_ms       double precision,
    after_ms        double precision,
    improvement_pct double precision,
    mode            howdah_advisor.simulation_mode NOT NULL,
    gain            boolean,
    ran_by          text             NOT NULL DEFAULT current_user,
    before_plan     jsonb,
    after_plan      jsonb,
    plan_changes    text[]           NOT NULL DEFAULT '{}',
    details         jsonb            NOT NULL DEFAULT '{}',
    error           text,
    CONSTRAINT simulations_result_or_error CHECK (error IS NOT NULL OR (before_cost IS NOT NULL AND after_cost IS NOT NULL)),
    CONSTRAINT simulations_rec_or_set CHECK (rec_id IS NOT NULL OR set_id IS NOT NULL)
);
COMMENT ON TABLE howdah_advisor.simulations IS 'One simulated before/after of a query under a recommendation (or under a set: set_id). Costs are the planner''s; the ms are estimates: the measured mean scaled by the cost ratio.';
COMMENT ON COLUMN howdah_advisor.simulations.gain IS 'false when the improvement is under the minimum delta: reported as no gain.';
COMMENT ON COLUMN howdah_advisor.simulations.plan_changes IS 'Labels such as "Seq Scan → Index Scan on orders", "Nested Loop → Hash Join".';
COMMENT ON COLUMN howdah_advisor.simulations.details IS 'How it ran: hypopg version, hypothetical index sizes, sandbox schema, timings.';

CREATE INDEX simulations_query_idx ON howdah_advisor.simulations (query_id, ran_at DESC);
CREATE INDEX simulations_rec_idx ON howdah_advisor.simulations (rec_id) WHERE rec_id IS NOT NULL;
CREATE INDEX simulations_set_idx ON howdah_advisor.simulations (set_id) WHERE set_id IS NOT NULL;
CREATE INDEX simulations_snapshot_idx ON howdah_advisor.simulations (snapshot_id);
CREATE INDEX simulation_sets_snapshot_idx ON howdah_advisor.simulation_sets (snapshot_id);

CREATE TABLE howdah_advisor.families (
    id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    snapshot_id bigint  NOT NULL REFERENCES howdah_advisor.snapshots (id) ON DELETE CASCADE,
    size        integer NOT NULL DEFAULT 0,
    label       text    NOT NULL,
    tokens      text[]  NOT NULL DEFAULT '{}',
    details     jsonb   NOT NULL DEFAULT '{}',
    CONSTRAINT families_label UNIQUE (snapshot_id, label)
);
COMMENT ON TABLE howdah_advisor.families IS 'Clusters of similar queries at a snapshot (TF-IDF over queries.tokens), each labelled in words from its dominant tokens, such as orders_join_2col.';
COMMENT ON COLUMN howdah_advisor.families.tokens IS 'The dominant tokens, strongest first.';
COMMENT ON COLUMN howdah_advisor.families.details IS 'How the clustering ran: method, k and how it was chosen, median and MAD of mean_ms.';

CREATE TABLE howdah_advisor.query_families (
    snapshot_id bigint NOT NULL REFERENCES howdah_advisor.snapshots (id) ON DELETE CASCADE,
    query_id    bigint NOT NULL REFERENCES howdah_advisor.queries (id) ON DELETE CASCADE,
    family_id   bigint NOT NULL REFERENCES howdah_advisor.families (id) ON DELETE CASCADE,
    similarity  real,
    PRIMARY KEY (snapshot_id, query_id)
);
COMMENT ON TABLE howdah_advisor.query_families IS 'The family of each clustered query at a snapshot, with its similarity to the family''s centre.';
CREATE INDEX query_families_family_idx ON howdah_advisor.query_families (family_id);
CREATE INDEX query_families_query_idx ON howdah_advisor.query_families (query_id);

CREATE TABLE howdah_advisor.anomalies (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    snapshot_id bigint      NOT NULL REFERENCES howdah_advisor.snapshots (id) ON DELETE CASCADE,
    query_id    bigint      NOT NULL REFERENCES howdah_advisor.queries (id) ON DELETE CASCADE,
    detected_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    kind        howdah_advisor.anomaly_kind NOT NULL,
    detail      jsonb       NOT NULL DEFAULT '{}',
    CONSTRAINT anomalies_once UNIQUE (snapshot_id, query_id, kind)
);
COMMENT ON TABLE howdah_advisor.anomalies IS 'Queries tagged as unusual at a snapshot, with the numbers behind each tag in detail.';
CREATE INDEX anomalies_query_idx ON howdah_advisor.anomalies (query_id, snapshot_id DESC);

---- create above / drop below ----

DROP TABLE howdah_advisor.anomalies;
DROP TABLE howdah_advisor.query_families;
DROP TABLE howdah_advisor.families;
DROP TABLE howdah_advisor.simulations;
DROP TABLE howdah_advisor.simulation_sets;
DROP TABLE howdah_advisor.recommendations;
