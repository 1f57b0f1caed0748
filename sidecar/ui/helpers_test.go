package ui

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseInterval(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"00:00:12.5":              12500 * time.Millisecond,
		"01:02:03":                time.Hour + 2*time.Minute + 3*time.Second,
		"1 day 02:00:00":          26 * time.Hour,
		"3 days":                  72 * time.Hour,
		"1 mon 2 days 00:00:01":   (32*24)*time.Hour + time.Second,
		"1 year":                  365 * 24 * time.Hour,
		"-00:00:05":               -5 * time.Second,
		"2 days -01:00:00":        47 * time.Hour,
		"00:00:00":                0,
		"12 days 23:59:59.999999": 12*24*time.Hour + 23*time.Hour + 59*time.Minute + 59999999*time.Microsecond,
	} {
		if got, ok := parseInterval(in); !ok || got != want {
			t.Errorf("parseInterval(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"soon", "1 fortnight", "1:2", "3", "a:b:c"} {
		if _, ok := parseInterval(bad); ok {
			t.Errorf("parseInterval(%q) accepted", bad)
		}
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0 s", 59 * time.Second: "59 s", 61 * time.Second: "1 min 1 s", 2*time.Hour + 5*time.Minute: "2 h 5 min",
		50 * time.Hour: "2 d 2 h", -time.Second: "0 s",
	} {
		if got := human(d); got != want {
			t.Errorf("human(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestMakeChart(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c := makeChart([]throughputRow{
		{Queue: "q", Minute: now, Completed: 4, Failed: 1},
		{Queue: "q", Minute: now.Add(-14 * time.Minute), Completed: 2},
		{Queue: "q", Minute: now.Add(-15 * time.Minute), Completed: 100}, // outside the window: drawn nowhere
	}, now)
	if len(c.Bars) != ChartMinutes {
		t.Fatalf("%d bars, want %d", len(c.Bars), ChartMinutes)
	}
	if c.Total != 6 || c.Failed != 1 || c.Max != 5 {
		t.Fatalf("total %d, failed %d, max %d: want 6, 1, 5 (the minutes drawn only)", c.Total, c.Failed, c.Max)
	}
	first, last := c.Bars[0], c.Bars[ChartMinutes-1]
	if first.Completed != 2 || last.Completed != 4 || last.Failed != 1 {
		t.Fatalf("first %+v, last %+v", first, last)
	}
	if last.FY+last.FH != last.CY || last.CY+last.CH != chartH {
		t.Errorf("the failed part does not sit on the completed part on the axis: %+v", last)
	}
	for _, b := range c.Bars {
		if b.CY < 0 || b.FY < 0 {
			t.Errorf("a bar leaves the chart: %+v", b)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/ui/catalog/1?page=2": "/ui/catalog/1?page=2",
		"//evil.example/ui/":   "/ui/",
		"https://evil.example": "/ui/",
		"/rpc":                 "/ui/",
		"/ui/\\evil":           "/ui/",
		"":                     "/ui/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMarkChanges(t *testing.T) {
	before := parsePlan([]byte(`{"Plan": {"Node Type": "Aggregate", "Plans": [{"Node Type": "Hash Join", "Plans": [
		{"Node Type": "Seq Scan", "Relation Name": "orders"}, {"Node Type": "Hash", "Plans": [{"Node Type": "Seq Scan", "Relation Name": "users"}]}]}]}}`))
	after := parsePlan([]byte(`{"Plan": {"Node Type": "Aggregate", "Plans": [{"Node Type": "Nested Loop", "Plans": [
		{"Node Type": "Seq Scan", "Relation Name": "users"}, {"Node Type": "Index Scan", "Relation Name": "orders", "Index Name": "orders_user_idx"}]}]}}`))
	if n := markChanges(before, after); n != 5 {
		t.Fatalf("%d nodes marked, want 5 (Hash Join, Seq Scan on orders, Hash; Nested Loop, Index Scan on orders)", n)
	}
	var got []string
	for _, p := range []*planNode{before, after} {
		walk(p, func(n *planNode) {
			if n.Changed {
				got = append(got, n.Label())
			}
		})
	}
	want := "Hash Join|Seq Scan on orders|Hash|Nested Loop|Index Scan using orders_user_idx on orders"
	if strings.Join(got, "|") != want {
		t.Errorf("marked %q, want %q", strings.Join(got, "|"), want)
	}
	if parsePlan([]byte(`null`)) != nil || parsePlan([]byte(`{"x": 1}`)) != nil || markChanges(nil, after) != 0 {
		t.Errorf("a missing plan is no tree and marks nothing")
	}
}

func TestSplitAnswer(t *testing.T) {
	parts := splitAnswer("Slow [1]. Seq scan [2][3]. Not [9].", 2)
	var b strings.Builder
	for _, p := range parts {
		if p.Cite > 0 {
			fmt.Fprintf(&b, "<%d>", p.Cite)
		} else {
			b.WriteString(p.Text)
		}
	}
	if got := b.String(); got != "Slow <1>. Seq scan <2>[3]. Not [9]." {
		t.Errorf("split %q", got)
	}
}

func TestSparkline(t *testing.T) {
	var d queryDetail
	if makeSparkline(&d) != nil {
		t.Fatal("a sparkline without history")
	}
	if err := json.Unmarshal([]byte(`{"history": [{"snapshot_id": 3, "mean_ms": 9, "calls": 3, "captured_at": "2026-01-01T00:00:00Z"},
		{"snapshot_id": 2, "mean_ms": 1, "calls": 2, "captured_at": "2026-01-01T00:00:00Z"},
		{"snapshot_id": 1, "mean_ms": 5, "calls": 1, "captured_at": "2026-01-01T00:00:00Z"}]}`), &d); err != nil {
		t.Fatal(err)
	}
	s := makeSparkline(&d)
	// Oldest first, left to right; the highest mean at the top (y = 4), the lowest at the bottom.
	if s.Points != "4,24 120,44 236,4" || len(s.Dots) != 3 || !strings.HasPrefix(s.Dots[0].Label, "snapshot 1 ") {
		t.Errorf("points %q, dots %+v", s.Points, s.Dots)
	}
	if s.Summary != "Mean ms over 3 snapshots: from 5 to 9 (low 1, high 9)" {
		t.Errorf("summary %q", s.Summary)
	}
}

func TestBottleneckRowComplete(t *testing.T) {
	var plain, full bottleneckRow
	json.Unmarshal([]byte(`{"rank": 1, "query_id": 5}`), &plain)
	json.Unmarshal([]byte(`{"rank": 1, "query_id": 5, "snapshot": 3, "family": null, "anomalies": [], "risk_level": "low"}`), &full)
	if plain.complete() || !full.complete() {
		t.Errorf("complete: %v for today's row, %v for one with the proposed columns", plain.complete(), full.complete())
	}
}
