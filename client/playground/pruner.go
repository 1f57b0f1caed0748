package playground

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/howdah/howdah/client/queue"
)

// Queue is the queue the module's schedules enqueue on; every instance of a database shares it,
// and each job's payload names its instance ({"schema": "...", "call": "prune_runs"}).
const Queue = "playground"

// prunePayload is the payload of the jobs schedule playground.<schema>.prune_runs enqueues.
type prunePayload struct {
	Schema string `json:"schema"`
	Call   string `json:"call"`
}

// NewPruner returns queue Workers that handle the jobs the module's schedules
// (playground.<schema>.prune_runs, every minute on queue Queue) enqueue, by calling
// <schema>.prune_runs() in the instance the job names. schemas lists the instances this
// pruner serves (empty means DefaultSchema only); since the queue is shared by all instances
// of the database, give one pruner every instance: a job naming another one fails with an
// error saying so (the schedule's jobs have max_attempts 1, so it is not retried; the next
// tick comes a minute later). The caller Starts and Stops the Workers; cfg is passed to
// queue.New (nil means its defaults, including calling enqueue_due for the queue every poll).
func NewPruner(pool *pgxpool.Pool, schemas []string, cfg *queue.Config) (*queue.Workers, error) {
	if len(schemas) == 0 {
		schemas = []string{DefaultSchema}
	}
	// The SQL of each instance is built once from the validated names given here, never from
	// a job's payload: a payload only selects one of these.
	calls := make(map[string]string, len(schemas))
	for _, s := range schemas {
		if !schemaRE.MatchString(s) {
			return nil, fmt.Errorf("playground: pruner schema %q: use lowercase letters, digits and _", s)
		}
		calls[s] = "SELECT " + pgx.Identifier{s, "prune_runs"}.Sanitize() + "()"
	}
	names := slices.Sorted(maps.Keys(calls))
	handle := func(ctx context.Context, job *queue.Job) error {
		var p prunePayload
		if err := json.Unmarshal(job.Payload, &p); err != nil {
			return fmt.Errorf("playground pruner: job %d: payload is not {\"schema\", \"call\"}: %w", job.ID, err)
		}
		if p.Call != "prune_runs" {
			return fmt.Errorf("playground pruner: job %d: call %q is unknown; only prune_runs is handled", job.ID, p.Call)
		}
		sql, ok := calls[p.Schema]
		if !ok {
			return fmt.Errorf("playground pruner: job %d names instance %q, which this pruner does not serve (%v): "+
				"give NewPruner every playground schema of the database", job.ID, p.Schema, names)
		}
		var n int
		return wrap("prune runs", pool.QueryRow(ctx, sql).Scan(&n))
	}
	return queue.New(pool, Queue, handle, cfg)
}
