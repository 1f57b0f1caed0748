-- queue migration 001: the job table, its state enum and indexes. The functions that work on
-- jobs are code: checks and errors (code/001), wake-ups (002), push (003), what workers call
-- (004) and what operators call (005).
--
-- State machine (docs/queue.md draws it):
--   push        → available (run_at <= now()) | scheduled (run_at later)
--   claim       available | scheduled | retryable, with run_at <= now() → running
--   complete    running → completed
--   fail        running → retryable (attempts left) | failed
--   rescue      running with an expired lease → retryable | failed
--   release     running → available (the attempt is given back)
--   cancel      available | scheduled | retryable | running → cancelled
--   retry       completed | failed | cancelled → available (attempt back to 0)
-- completed, failed and cancelled are final (finalized_at is set) until retry; prune deletes them.

CREATE SCHEMA howdah_queue;
COMMENT ON SCHEMA howdah_queue IS 'howdah queue: durable jobs with SKIP LOCKED claims, leases, retries and NOTIFY wake-ups. No privileges are granted by default; docs/queue.md lists the GRANT lines for worker and producer roles.';
REVOKE ALL ON SCHEMA howdah_queue FROM PUBLIC;

CREATE TYPE howdah_queue.job_state AS ENUM
    ('available', 'scheduled', 'running', 'retryable', 'completed', 'failed', 'cancelled');
COMMENT ON TYPE howdah_queue.job_state IS 'Where a job is in its life: available, scheduled (run_at later), running (held under a lease), retryable (failed, attempts left), completed, failed (out of attempts), cancelled. The last three are final.';

-- Columns by alignment: 8-byte fixed-width first, then 4/2-byte, then variable-length.
CREATE TABLE howdah_queue.jobs (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_at           timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempted_at     timestamptz,
    finalized_at     timestamptz,
    lease_expires_at timestamptz,
    state            howdah_queue.job_state NOT NULL DEFAULT 'available',
    priority         smallint    NOT NULL DEFAULT 0,
    attempt          smallint    NOT NULL DEFAULT 0,
    max_attempts     smallint    NOT NULL DEFAULT 25,
    queue            text        NOT NULL,
    worker_id        text,
    unique_key       text,
    payload          jsonb       NOT NULL,
    errors           jsonb       NOT NULL DEFAULT '[]',
    tags             text[]      NOT NULL DEFAULT '{}',
    -- A bounded repetition such as {0,127} makes PostgreSQL's regex engine ~10x slower: length apart.
    CONSTRAINT jobs_queue_name CHECK (char_length(queue) <= 128 AND queue ~ '^[a-z0-9][a-z0-9_.-]*$'),
    CONSTRAINT jobs_attempts CHECK (max_attempts >= 1 AND attempt >= 0),
    CONSTRAINT jobs_finalized CHECK ((state IN ('completed', 'failed', 'cancelled')) = (finalized_at IS NOT NULL)),
    CONSTRAINT jobs_running_lease CHECK (state <> 'running' OR (worker_id IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CONSTRAINT jobs_unique_key CHECK (unique_key IS NULL OR char_length(unique_key) BETWEEN 1 AND 512)
) WITH (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
COMMENT ON TABLE howdah_queue.jobs IS 'One row per job. Write it through the howdah_queue functions; read it freely.';
COMMENT ON COLUMN howdah_queue.jobs.run_at IS 'When the job may run next: set by push, by fail (backoff) and by rescue/release/retry.';
COMMENT ON COLUMN howdah_queue.jobs.priority IS 'Smaller runs first (claim orders by priority, then run_at, then id).';
COMMENT ON COLUMN howdah_queue.jobs.attempt IS 'Attempts so far, counted when claimed; release gives one back, retry resets to 0.';
COMMENT ON COLUMN howdah_queue.jobs.worker_id IS 'The worker holding the job (running) or that held it last.';
COMMENT ON COLUMN howdah_queue.jobs.lease_expires_at IS 'While running: when rescue may take the job back unless heartbeat extends it.';
COMMENT ON COLUMN howdah_queue.jobs.unique_key IS 'At most one job per (queue, unique_key) that is not completed, failed or cancelled.';
COMMENT ON COLUMN howdah_queue.jobs.errors IS 'One {"attempt", "at", "error"} object per failed attempt, oldest first.';

-- claim: WHERE queue = $1 AND state IN (claimable) AND run_at <= now() ORDER BY priority, run_at, id.
CREATE INDEX jobs_claim_idx ON howdah_queue.jobs (queue, priority, run_at, id)
    WHERE state IN ('available', 'scheduled', 'retryable');
-- push: ON CONFLICT target for unique keys among jobs that are not final.
CREATE UNIQUE INDEX jobs_unique_idx ON howdah_queue.jobs (queue, unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('available', 'scheduled', 'running', 'retryable');
-- rescue and release: the few running jobs. lease_expires_at stays out of every index so that
-- heartbeats can be HOT updates.
CREATE INDEX jobs_running_idx ON howdah_queue.jobs (worker_id) WHERE state = 'running';
-- prune: final jobs, oldest first.
CREATE INDEX jobs_finalized_idx ON howdah_queue.jobs (finalized_at) WHERE state IN ('completed', 'failed', 'cancelled');

---- create above / drop below ----

DROP TABLE howdah_queue.jobs;
DROP TYPE howdah_queue.job_state;
DROP SCHEMA howdah_queue;
