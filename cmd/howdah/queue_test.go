package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/howdah/howdah/client/queue"
	"github.com/howdah/howdah/internal/pgtest"
)

func TestQueueHelpIsComplete(t *testing.T) {
	for _, sub := range queueCommand().Subcommands {
		help, _, code := run(t, "queue", sub.Name, "--help")
		if code != 0 || !strings.Contains(help, sub.Usage) {
			t.Errorf("queue %s --help: code %d, lacks its usage: %q", sub.Name, code, help)
		}
		for _, f := range sub.Flags {
			if !strings.Contains(help, "--"+f.Names()[0]) {
				t.Errorf("queue %s --help does not document --%s", sub.Name, f.Names()[0])
			}
		}
		if top, _, _ := run(t, "queue", "--help"); !strings.Contains(top, sub.Name) {
			t.Errorf("queue --help does not list %q", sub.Name)
		}
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
	if err := json.Unmarshal([]byte(out), &stats); err != nil || len(stats) != 2 || stats[0] != (queue.Stat{Queue: "later", State: "scheduled", Jobs: 1}) ||
		stats[1].Queue != "mail" || stats[1].Jobs != 3 {
		t.Fatalf("stats --json = %+v (%v)", stats, err)
	}

	out, _, code = run(t, "--db", url, "queue", "list", "--queue", "mail")
	if code != 0 || !strings.Contains(out, first) || !strings.Contains(out, `{"to": "a@example.com"}`) || !strings.Contains(out, "0/25") {
		t.Fatalf("list: %q", out)
	}
	out, _, _ = run(t, "--db", url, "queue", "list", "--state", "available", "--json", "--limit", "1")
	var jobs []queue.Job
	if err := json.Unmarshal([]byte(out), &jobs); err != nil || len(jobs) != 1 || jobs[0].Queue != "mail" {
		t.Fatalf("list --json: %q %v", out, err)
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
