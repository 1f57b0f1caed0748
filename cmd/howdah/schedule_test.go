package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/howdah/howdah/client/queue"
	"github.com/howdah/howdah/internal/pgtest"
)

func TestQueueScheduleCommands(t *testing.T) {
	url := pgtest.NewDatabase(t)
	if _, errOut, code := run(t, "--db", url, "install", "queue"); code != 0 {
		t.Fatalf("install: %s", errOut)
	}
	out, errOut, code := run(t, "queue", "schedule", "add", "--db", url, "--cron", "0 3 * * *", "--max-attempts", "3",
		"nightly", "reports", `{"kind": "daily"}`)
	if code != 0 || !strings.HasPrefix(out, "schedule nightly: queue reports, cron 0 3 * * *, next run ") || !strings.Contains(out, "T03:00:00Z") {
		t.Fatalf("schedule add --cron: code %d, out %q, err %q", code, out, errOut)
	}
	out, errOut, code = run(t, "--db", url, "queue", "schedule", "add", "--every", "90s", "--start-at", "2030-01-02T15:04:05Z",
		"--priority", "-1", "--tag", "a", "--tag", "b", "beat", "mail")
	if code != 0 || out != "schedule beat: queue mail, every 1m30s, next run 2030-01-02T15:04:05Z\n" {
		t.Fatalf("schedule add --every: code %d, out %q, err %q", code, out, errOut)
	}
	list := func() []queue.Schedule {
		t.Helper()
		out, errOut, code := run(t, "--db", url, "queue", "schedule", "list", "--json")
		var got []queue.Schedule
		if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
			t.Fatalf("schedule list --json: code %d, %v, err %q", code, err, errOut)
		}
		return got
	}
	got := list()
	if len(got) != 2 || got[0].Name != "beat" || got[0].Every != 90*time.Second || got[0].Priority != -1 ||
		!slices.Equal(got[0].Tags, []string{"a", "b"}) || compact(got[0].Payload) != "{}" ||
		got[1].Name != "nightly" || got[1].Cron != "0 3 * * *" || got[1].MaxAttempts != 3 || compact(got[1].Payload) != `{"kind":"daily"}` {
		t.Fatalf("schedule list --json = %+v", got)
	}
	out, _, _ = run(t, "--db", url, "queue", "schedule", "list", "--json", "--queue", "mail")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("schedule list --json --queue mail: %v in %s", err, out)
	}
	if keys := slices.Sorted(maps.Keys(rows[0])); !slices.Equal(keys, []string{"created_at", "cron", "every", "last_job_id",
		"last_run_at", "max_attempts", "name", "next_run_at", "payload", "priority", "queue", "tags", "updated_at"}) ||
		rows[0]["cron"] != nil || rows[0]["every"] != float64(90) {
		t.Fatalf("schedule list --json keys and values: %v", rows[0])
	}
	out, _, code = run(t, "--db", url, "queue", "schedule", "list")
	if code != 0 || !strings.Contains(out, "NAME") || !strings.Contains(out, "every 1m30s") || !strings.Contains(out, "cron 0 3 * * *") ||
		!strings.Contains(out, "2030-01-02T15:04:05Z") {
		t.Fatalf("schedule list: %q", out)
	}

	// Declared again with another payload: the next tick stays.
	if _, errOut, code := run(t, "--db", url, "queue", "schedule", "add", "--every", "90s", "beat", "mail", `"v2"`); code != 0 {
		t.Fatalf("schedule add again: %s", errOut)
	}
	if again := list(); !again[0].NextRunAt.Equal(got[0].NextRunAt) || compact(again[0].Payload) != `"v2"` || again[0].Priority != 0 {
		t.Fatalf("declared again: %+v, want the next run %s kept and the new settings", again[0], got[0].NextRunAt)
	}

	before := list()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"add", "x", "mail"}, "give --cron or --every"},
		{[]string{"add", "--cron", "* * * * *", "--every", "1m", "x", "mail"}, "give --cron or --every"},
		{[]string{"add", "--every", "500ms", "x", "mail"}, "--every must be at least 1s"},
		{[]string{"add", "--cron", "* * 32 * *", "x", "mail"}, "cron expression '* * 32 * *': day-of-month field: 32 is out of range 1-31 (SQLSTATE 22023)"},
		{[]string{"add", "--every", "1m", "Bad", "mail"}, "schedule name 'Bad' is invalid"},
		{[]string{"add", "--every", "1m", "x", "Mail"}, "queue name 'Mail' is invalid"},
		{[]string{"add", "--every", "1m", "x", "mail", "{oops"}, `payload "{oops" is not valid JSON`},
		{[]string{"add", "--every", "1m", "x"}, "schedule add needs NAME, QUEUE"},
		{[]string{"add", "--every", "1m", "--max-attempts", "0", "x", "mail"}, "--max-attempts must be from 1 to 32767, got 0"},
		{[]string{"add", "--every", "100000h", "x", "mail"}, "every must be from 1 second to 3650 days"},
		{[]string{"remove"}, "schedule remove needs at least one schedule NAME"},
	} {
		_, errOut, code := run(t, append([]string{"--db", url, "queue", "schedule"}, c.args...)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("schedule %v: code %d, stderr %q, want %q", c.args, code, errOut, c.want)
		}
	}
	if after := list(); !slices.EqualFunc(after, before, func(a, b queue.Schedule) bool {
		return a.Name == b.Name && a.UpdatedAt.Equal(b.UpdatedAt) && a.NextRunAt.Equal(b.NextRunAt)
	}) {
		t.Fatalf("refused commands changed the schedules: %+v, was %+v", after, before)
	}

	out, errOut, code = run(t, "--db", url, "queue", "schedule", "remove", "beat", "nope")
	if code != 1 || out != "removed schedule beat\n" || !strings.Contains(errOut, `schedule "nope" does not exist`) {
		t.Fatalf("schedule remove beat nope: code %d, out %q, err %q", code, out, errOut)
	}
	if left := list(); len(left) != 1 || left[0].Name != "nightly" {
		t.Fatalf("after remove: %+v", left)
	}
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
