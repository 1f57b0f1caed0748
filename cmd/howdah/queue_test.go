package main

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/urfave/cli/v2"

	"github.com/howdah/howdah/client/queue"
	"github.com/howdah/howdah/internal/pgtest"
)

func TestQueueHelpIsComplete(t *testing.T) {
	checkSubcommandHelp(t, []string{"queue"}, queueCommand())
}

// checkSubcommandHelp checks that the help of every subcommand of cmd (reached through path),
// at any depth, shows its usage and documents its flags, and that its parent lists it.
func checkSubcommandHelp(t *testing.T, path []string, cmd *cli.Command) {
	t.Helper()
	parent, _, _ := run(t, append(slices.Clone(path), "--help")...)
	for _, sub := range cmd.Subcommands {
		at := append(slices.Clone(path), sub.Name)
		help, _, code := run(t, append(slices.Clone(at), "--help")...)
		if code != 0 || !strings.Contains(help, sub.Usage) {
			t.Errorf("%s --help: code %d, lacks its usage: %q", strings.Join(at, " "), code, help)
		}
		for _, f := range sub.Flags {
			if !strings.Contains(help, "--"+f.Names()[0]) {
				t.Errorf("%s --help does not document --%s", strings.Join(at, " "), f.Names()[0])
			}
		}
		if !strings.Contains(parent, sub.Name) {
			t.Errorf("%s --help does not list %q", strings.Join(path, " "), sub.Name)
		}
		checkSubcommandHelp(t, at, sub)
	}
}

func TestQueueCommandsEndToEnd(t *testing.T) {
	url := pgtest.NewDatabase(t)
	if _, errOut, code := run(t, "--db", url, "install"); code != 0 {
		t.Fatalf("install: %s", errOut)
	}
	out, errOut, code := run(t, "--db", url, "queue", "push", "--priority", "-2", "--tag", "x", "--tag", "y", "mail", `{"to": "a@example.com"}`)
	if code != 0 || strings.TrimSpace(out) == "" {
		t.Fatalf("push: code %d, out %q, err %q", code, out, errOut)
	}
	first := strings.TrimSpace(out)
	if out, _, _ := run(t, "--db", url, "queue", "push", "--unique-key", "k", "mail", `"other"`); strings.TrimSpace(out) == first {
		t.Fatalf("a second job got the first id")
	}
	keyed, _, _ := run(t, "--db", url, "queue", "push", "--unique-key", "k2", "mail", `"again"`)
	keyedAgain, _, _ := run(t, "--db", url, "queue", "push", "--unique-key", "k2", "mail", `"again"`)
	if keyed != keyedAgain {
		t.Fatalf("unique key: %q then %q, want the same id", keyed, keyedAgain)
	}
	if _, _, code := run(t, "--db", url, "queue", "push", "--in", "1h", "later", "{}"); code != 0 {
		t.Fatal("push --in failed")
	}

	out, _, code = run(t, "--db", url, "queue", "stats")
	if code != 0 || !strings.Contains(out, "QUEUE") || !strings.Contains(out, "mail") || !strings.Contains(out, "scheduled") {
		t.Fatalf("stats: %q", out)
	}
	out, _, _ = run(t, "--db", url, "queue", "stats", "--json")
	var stats []queue.Stat
	if err := json.Unmarshal([]byte(out), &stats); err != nil || len(stats) != 2 || stats[0].Queue != "later" || stats[0].State != "scheduled" ||
		stats[0].Jobs != 1 || stats[1].Queue != "mail" || stats[1].Jobs != 3 {
		t.Fatalf("stats --json = %+v (%v)", stats, err)
	}
	checkStatsJSON(t, out)
	out, _, code = run(t, "--db", url, "queue", "list", "--queue", "mail")
	if code != 0 || !strings.Contains(out, first) || !strings.Contains(out, `{"to": "a@example.com"}`) || !strings.Contains(out, "0/25") {
		t.Fatalf("list: %q", out)
	}
	out, _, _ = run(t, "--db", url, "queue", "list", "--state", "available", "--json", "--limit", "1")
	var jobs []queue.Job
	if err := json.Unmarshal([]byte(out), &jobs); err != nil || len(jobs) != 1 || jobs[0].Queue != "mail" || jobs[0].MaxAttempts != 25 ||
		jobs[0].UniqueKey != "k2" || string(jobs[0].Payload) != `"again"` {
		t.Fatalf("list --json: %q %v", out, err)
	}
	conn := pgtest.Connect(t, url)
	checkListJSON(t, conn, out)
	// A job with a worker, an attempt and an error: every column filled but finalized_at.
	if _, err := conn.Exec(context.Background(), `SELECT howdah_queue.fail(id, 'boom "quoted"', worker_id => 'cli-w', retry_in => interval '1 hour')
		FROM howdah_queue.claim('mail', 'cli-w', 1)`); err != nil {
		t.Fatal(err)
	}
	out, _, _ = run(t, "--db", url, "queue", "list", "--state", "retryable", "--json")
	checkListJSON(t, conn, out)
	var failed []map[string]any
	if err := json.Unmarshal([]byte(out), &failed); err != nil || len(failed) != 1 {
		t.Fatalf("list --json of a failed attempt: %v in %s", err, out)
	}
	errs, _ := failed[0]["errors"].([]any)
	if len(errs) != 1 || failed[0]["worker_id"] != "cli-w" || failed[0]["attempted_at"] == nil {
		t.Fatalf("list --json of a failed attempt: %s", out)
	}
	if e, _ := errs[0].(map[string]any); e["attempt"] != float64(1) || e["error"] != `boom "quoted"` || e["at"] == nil || len(e) != 3 {
		t.Fatalf("list --json errors[0] = %v, want {attempt, at, error}", errs[0])
	}
	out, errOut, code = run(t, "--db", url, "queue", "cancel", first)
	if code != 0 || !strings.Contains(out, "cancelled job "+first) {
		t.Fatalf("cancel: code %d, out %q, err %q", code, out, errOut)
	}
	_, errOut, code = run(t, "--db", url, "queue", "cancel", first, "999999")
	if code != 1 || !strings.Contains(errOut, "job "+first+" is cancelled; cancel needs") || !strings.Contains(errOut, "job 999999 does not exist") {
		t.Fatalf("cancel twice and unknown: code %d, err %q", code, errOut)
	}
	if out, _, code = run(t, "--db", url, "queue", "retry", first); code != 0 || !strings.Contains(out, "retried job "+first) {
		t.Fatalf("retry: %q", out)
	}
	if out, _, code = run(t, "--db", url, "queue", "cancel", first); code != 0 {
		t.Fatalf("cancel again: %q", out)
	}
	if out, _, code = run(t, "--db", url, "queue", "prune", "--older-than", "1h"); code != 0 || out != "pruned 0 job(s)\n" {
		t.Fatalf("prune --older-than 1h: %q", out)
	}
	if out, _, code = run(t, "--db", url, "queue", "prune", "--older-than", "0s", "--batch", "1"); code != 0 || out != "pruned 1 job(s)\n" {
		t.Fatalf("prune --older-than 0s: %q", out)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"queue", "push", "Bad Name"}, "queue name 'Bad Name' is invalid"},
		{[]string{"queue", "push", "mail", "{oops"}, `payload "{oops" is not valid JSON`},
		{[]string{"queue", "push"}, "push needs QUEUE"},
		{[]string{"queue", "push", "--max-attempts", "0", "mail", "{}"}, "--max-attempts must be from 1 to 32767, got 0"},
		{[]string{"queue", "push", "--in", "1h", "--run-at", "2030-01-02T15:04:05Z", "mail", "{}"}, "give --run-at or --in, not both"},
		{[]string{"queue", "list", "--state", "done"}, "invalid input value for enum howdah_queue.job_state"},
		{[]string{"queue", "retry", "abc"}, `job ID "abc" is not an integer`},
		{[]string{"queue", "cancel"}, "cancel needs at least one job ID"},
		{[]string{"queue", "prune", "--older-than", "-1h"}, "older_than must not be negative"},
	} {
		_, errOut, code := run(t, append([]string{"--db", url}, c.args...)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: code %d, stderr %q, want %q", c.args, code, errOut, c.want)
		}
	}
}

// checkStatsJSON checks stats --json against howdah_queue.stats(): its column names, oldest_age
// in seconds or null (the scheduled job of queue "later" is not due: NULL).
func checkStatsJSON(t *testing.T, out string) {
	t.Helper()
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("stats --json: %v in %s", err, out)
	}
	for _, r := range rows {
		if keys := slices.Sorted(maps.Keys(r)); !slices.Equal(keys, []string{"jobs", "oldest_age", "queue", "state"}) {
			t.Fatalf("stats --json keys = %v, want stats()' columns", keys)
		}
		age, isNum := r["oldest_age"].(float64)
		switch {
		case r["queue"] == "later" && r["oldest_age"] != nil:
			t.Fatalf("stats --json: oldest_age of a queue with no due job = %v, want null", r["oldest_age"])
		case r["queue"] == "mail" && (!isNum || age < 0 || age > 600):
			t.Fatalf("stats --json: oldest_age = %v, want the seconds waited (a small number)", r["oldest_age"])
		}
	}
}

// checkListJSON checks list --json against to_jsonb of the same rows: the same keys, the same
// values (timestamps compared as instants), null where the column is NULL.
func checkListJSON(t *testing.T, conn *pgx.Conn, out string) {
	t.Helper()
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) == 0 {
		t.Fatalf("list --json: %v in %s", err, out)
	}
	for _, g := range got {
		var raw []byte
		if err := conn.QueryRow(context.Background(), "SELECT to_jsonb(j) FROM howdah_queue.jobs j WHERE id = $1", int64(g["id"].(float64))).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var want map[string]any
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		if gk, wk := slices.Sorted(maps.Keys(g)), slices.Sorted(maps.Keys(want)); !slices.Equal(gk, wk) {
			t.Fatalf("list --json keys = %v, want the columns %v", gk, wk)
		}
		for k, w := range want {
			v := g[k]
			if ws, ok := w.(string); ok && strings.HasSuffix(k, "_at") {
				wt, err1 := time.Parse(time.RFC3339Nano, ws)
				vs, _ := v.(string)
				vt, err2 := time.Parse(time.RFC3339Nano, vs)
				if err1 != nil || err2 != nil || !wt.Equal(vt) {
					t.Fatalf("list --json %s = %v, want %v", k, v, w)
				}
				continue
			}
			if k == "errors" {
				if len(v.([]any)) != len(w.([]any)) {
					t.Fatalf("list --json errors = %v, want %v", v, w)
				}
				continue
			}
			if vb, _ := json.Marshal(v); string(vb) != string(must(json.Marshal(w))) {
				t.Fatalf("list --json %s = %s, want %v", k, vb, w)
			}
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
