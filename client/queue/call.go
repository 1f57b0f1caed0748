package queue

import (
	"fmt"
	"strconv"
	"strings"
)

// sqlFunc is a howdah_queue function the client calls with named arguments. Its parameter
// names are constants of this package, never input: they are the only identifiers written into
// the SQL text, and every value travels as a query parameter.
type sqlFunc struct {
	name string
	// params maps each parameter the client may pass to the SQL expression of its value, with
	// %s standing for the placeholder ($1, $2, ...).
	params map[string]string
}

// arg is one argument of a call. A nil value means "not set": the argument is left out of the
// call and the function's own default applies, so defaults live in SQL only.
type arg struct {
	name  string
	value any
}

// call returns the SQL of a call of f with the arguments that are set, by name
// (name => $1, ...), and their values. A parameter f does not declare is a bug in the client.
func (f sqlFunc) call(args ...arg) (string, []any) {
	var b strings.Builder
	b.WriteString(f.name)
	b.WriteByte('(')
	vals := make([]any, 0, len(args))
	for _, a := range args {
		expr, ok := f.params[a.name]
		if !ok {
			panic(fmt.Sprintf("queue: %s has no parameter %q", f.name, a.name))
		}
		if a.value == nil {
			continue
		}
		if len(vals) > 0 {
			b.WriteString(", ")
		}
		vals = append(vals, a.value)
		b.WriteString(a.name)
		b.WriteString(" => ")
		b.WriteString(strings.ReplaceAll(expr, "%s", "$"+strconv.Itoa(len(vals))))
	}
	b.WriteByte(')')
	return b.String(), vals
}

// fixed returns the SQL of a call of f passing the named arguments as $1, $2, ... in order, for
// a statement run many times with every argument set.
func (f sqlFunc) fixed(names ...string) string {
	args := make([]arg, len(names))
	for i, n := range names {
		args[i] = arg{n, true}
	}
	call, _ := f.call(args...)
	return call
}

// micros is the SQL of an interval given in microseconds (a Go duration's Microseconds()).
const micros = "%s * interval '1 microsecond'"

// The howdah_queue functions the client calls, with the parameters it passes.
var (
	pushFunc = sqlFunc{"howdah_queue.push", map[string]string{
		"queue": "%s", "payload": "%s::jsonb", "priority": "%s", "run_at": "%s", "max_attempts": "%s",
		"unique_key": "%s", "tags": "%s"}}
	pushManyFunc  = sqlFunc{"howdah_queue.push_many", map[string]string{"jobs": "%s::jsonb"}}
	claimFunc     = sqlFunc{"howdah_queue.claim", map[string]string{"queue": "%s", "worker_id": "%s", "n": "%s", "lease": micros}}
	heartbeatFunc = sqlFunc{"howdah_queue.heartbeat", map[string]string{
		"ids": "%s", "worker_id": "%s", "attempts": "%s", "lease": micros}}
	completeFunc = sqlFunc{"howdah_queue.complete", map[string]string{"ids": "%s", "worker_id": "%s", "attempts": "%s"}}
	failFunc     = sqlFunc{"howdah_queue.fail", map[string]string{
		"id": "%s", "error": "%s", "worker_id": "%s", "attempt": "%s", "retry_in": micros}}
	releaseFunc = sqlFunc{"howdah_queue.release", map[string]string{"ids": "%s", "worker_id": "%s", "attempts": "%s"}}
	rescueFunc  = sqlFunc{"howdah_queue.rescue", map[string]string{"queue": "%s"}}
	cancelFunc  = sqlFunc{"howdah_queue.cancel", map[string]string{"id": "%s"}}
	retryFunc   = sqlFunc{"howdah_queue.retry", map[string]string{"id": "%s"}}
	listFunc    = sqlFunc{"howdah_queue.list", map[string]string{
		"queue": "%s", "state": "%s::text::howdah_queue.job_state", "max_rows": "%s", "before_id": "%s"}}
	pruneFunc    = sqlFunc{"howdah_queue.prune", map[string]string{"older_than": micros, "batch": "%s"}}
	scheduleFunc = sqlFunc{"howdah_queue.schedule", map[string]string{
		"name": "%s", "queue": "%s", "cron": "%s", "every": micros, "payload": "%s::jsonb", "priority": "%s",
		"max_attempts": "%s", "tags": "%s", "start_at": "%s"}}
	unscheduleFunc = sqlFunc{"howdah_queue.unschedule", map[string]string{"name": "%s"}}
	schedulesFunc  = sqlFunc{"howdah_queue.schedules", map[string]string{"queue": "%s"}}
	enqueueDueFunc = sqlFunc{"howdah_queue.enqueue_due", map[string]string{"queue": "%s", "as_of": "%s"}}
)

// set returns v as an argument value when it is not T's zero value, else nil (not set).
func set[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}
