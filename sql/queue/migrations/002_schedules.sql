-- queue migration 002: periodic jobs. One row per schedule: a cron expression or an interval, and
-- the job each tick enqueues. The functions are code: the cron parser (code/006) and schedule,
-- unschedule, schedules and enqueue_due (code/007).
--
-- next_run_at is the next tick not yet enqueued. enqueue_due moves it past now() in the same
-- statement that inserts the tick's job, with the row locked (FOR UPDATE SKIP LOCKED): each tick
-- gets one job however many callers race. Cron expressions are validated by code (schedule), not
-- by a CHECK here, since a migration may not depend on code.

CREATE TABLE howdah_queue.schedules (
    name         text        PRIMARY KEY,
    queue        text        NOT NULL,
    cron         text,
    every        interval,
    payload      jsonb       NOT NULL,
    priority     smallint    NOT NULL,
    max_attempts smallint    NOT NULL,
    tags         text[]      NOT NULL,
    next_run_at  timestamptz NOT NULL,
    last_run_at  timestamptz,
    last_job_id  bigint,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT schedules_name CHECK (char_length(name) <= 128 AND name ~ '^[a-z0-9][a-z0-9_.-]*$'),
    CONSTRAINT schedules_queue_name CHECK (char_length(queue) <= 128 AND queue ~ '^[a-z0-9][a-z0-9_.-]*$'),
    CONSTRAINT schedules_cron_or_every CHECK ((cron IS NULL) <> (every IS NULL)),
    CONSTRAINT schedules_every CHECK (every IS NULL OR (date_part('month', every) = 0 AND date_part('year', every) = 0
                                                        AND every >= interval '1 second')),
    CONSTRAINT schedules_payload CHECK (jsonb_typeof(payload) <> 'null'),
    CONSTRAINT schedules_attempts CHECK (max_attempts >= 1)
);
COMMENT ON TABLE howdah_queue.schedules IS 'Periodic jobs: one row per schedule (a cron expression or an interval) and the job each tick enqueues. Write it through howdah_queue.schedule and unschedule; enqueue_due turns due ticks into jobs.';
COMMENT ON COLUMN howdah_queue.schedules.cron IS 'A 5-field cron expression (minute hour day-of-month month day-of-week) or @hourly, @daily, @weekly, @monthly, @yearly, matched in UTC; NULL when every is set.';
COMMENT ON COLUMN howdah_queue.schedules.every IS 'The interval between ticks (1 second or more, no months); NULL when cron is set.';
COMMENT ON COLUMN howdah_queue.schedules.next_run_at IS 'The next tick not yet enqueued; enqueue_due moves it past now() when it enqueues a job.';
COMMENT ON COLUMN howdah_queue.schedules.last_run_at IS 'The tick of the last job enqueued (that job''s run_at); NULL before the first.';
COMMENT ON COLUMN howdah_queue.schedules.last_job_id IS 'The id of the last job enqueued; it may have been pruned since.';

-- enqueue_due: WHERE next_run_at <= now(), on every poll of every worker.
CREATE INDEX schedules_due_idx ON howdah_queue.schedules (next_run_at);

---- create above / drop below ----

DROP TABLE howdah_queue.schedules;
