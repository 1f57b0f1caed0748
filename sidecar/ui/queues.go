package ui

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ChartMinutes is how many minutes the throughput charts cover.
const ChartMinutes = 15

// problemJobs bounds the failed and the retryable jobs the queues page lists.
const problemJobs = 20

// jobStates are the states of howdah_queue.job_state, in their order of life.
var jobStates = []string{"available", "scheduled", "running", "retryable", "completed", "failed", "cancelled"}

type statRow struct {
	Queue     string  `json:"queue"`
	State     string  `json:"state"`
	Jobs      int64   `json:"jobs"`
	OldestAge *string `json:"oldest_age"`
}

type throughputRow struct {
	Queue     string    `json:"queue"`
	Minute    time.Time `json:"minute"`
	Completed int64     `json:"completed"`
	Failed    int64     `json:"failed"`
}

type jobRow struct {
	ID          int64  `json:"id"`
	Queue       string `json:"queue"`
	State       string `json:"state"`
	Attempt     int    `json:"attempt"`
	MaxAttempts int    `json:"max_attempts"`
	RunAt       string `json:"run_at"`
	Errors      []struct {
		Attempt int    `json:"attempt"`
		At      string `json:"at"`
		Error   string `json:"error"`
	} `json:"errors"`
}

// LastError is the error of the job's last failed attempt.
func (j jobRow) LastError() string {
	if len(j.Errors) == 0 {
		return ""
	}
	return j.Errors[len(j.Errors)-1].Error
}

// Action is what the job's button does: retry a final job, cancel one that will run again.
func (j jobRow) Action() string {
	if j.State == "retryable" {
		return "cancel"
	}
	return "retry"
}

type stateCount struct {
	State string
	Jobs  int64
}

type queueView struct {
	Name    string
	Counts  []stateCount
	Waiting int64
	Oldest  string
	Chart   chart
}

type queuesPage struct {
	Queues []queueView
	Jobs   []jobRow
	// Flash is the outcome of the last retry or cancel.
	Flash   string
	Problem *problem
	Failed  int64
	Waiting int64
}

func (u *UI) queues(q *request) {
	if !u.requireModule(q, "Queues") {
		return
	}
	q.view.Title = "Queues"
	p, status := u.loadQueues(q)
	q.view.Page = p
	u.render(q.w, q.r, status, "queues", q.view)
}

func (u *UI) queuesPanel(q *request) {
	if !u.requireModule(q, "Queues") {
		return
	}
	p, status := u.loadQueues(q)
	q.view.Page = p
	u.renderFragment(q.w, status, "queues", "panel", q.view)
}

// loadQueues reads the page's data in one batch: stats, throughput, failed and retryable jobs.
func (u *UI) loadQueues(q *request) (*queuesPage, int) {
	res := q.run(u,
		call{method: "queue.stats"},
		call{method: "queue.throughput", params: map[string]any{"minutes": ChartMinutes}},
		call{method: "queue.list", params: map[string]any{"state": "failed", "max_rows": problemJobs}},
		call{method: "queue.list", params: map[string]any{"state": "retryable", "max_rows": problemJobs}},
	)
	p := &queuesPage{}
	var stats []statRow
	var tp []throughputRow
	var failed, retryable []jobRow
	for i, v := range []any{&stats, &tp, &failed, &retryable} {
		if pr := decode(res[i], v); pr != nil {
			p.Problem = pr
			return p, pr.Status
		}
	}
	byName := map[string]*queueView{}
	get := func(name string) *queueView {
		if v, ok := byName[name]; ok {
			return v
		}
		v := &queueView{Name: name}
		for _, s := range jobStates {
			v.Counts = append(v.Counts, stateCount{State: s})
		}
		byName[name] = v
		return v
	}
	var oldest = map[string]time.Duration{}
	for _, s := range stats {
		v := get(s.Queue)
		for i := range v.Counts {
			if v.Counts[i].State == s.State {
				v.Counts[i].Jobs = s.Jobs
			}
		}
		switch s.State {
		case "available", "scheduled", "retryable":
			v.Waiting += s.Jobs
			p.Waiting += s.Jobs
			if s.OldestAge != nil {
				if d, ok := parseInterval(*s.OldestAge); ok && d >= oldest[s.Queue] {
					oldest[s.Queue] = d
					v.Oldest = human(d)
				}
			}
		case "failed":
			p.Failed += s.Jobs
		}
	}
	now := time.Now().Truncate(time.Minute)
	perQueue := map[string][]throughputRow{}
	for _, t := range tp {
		get(t.Queue)
		perQueue[t.Queue] = append(perQueue[t.Queue], t)
	}
	for name, v := range byName {
		v.Chart = makeChart(perQueue[name], now)
	}
	for _, v := range byName {
		p.Queues = append(p.Queues, *v)
	}
	sort.Slice(p.Queues, func(i, j int) bool { return p.Queues[i].Name < p.Queues[j].Name })
	p.Jobs = append(failed, retryable...)
	sort.Slice(p.Jobs, func(i, j int) bool { return p.Jobs[i].ID > p.Jobs[j].ID })
	return p, http.StatusOK
}

// jobAction retries or cancels a job through queue.retry or queue.cancel, then shows the queues
// again with the outcome.
func (u *UI) jobAction(q *request) {
	if !u.requireModule(q, "Queues") {
		return
	}
	action := q.r.PathValue("action")
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 || (action != "retry" && action != "cancel") {
		u.render(q.w, q.r, http.StatusNotFound, "error", &view{Title: "Not found", Error: &problem{
			Title: "There is no such action", Message: "Jobs can be retried or cancelled: /ui/queues/jobs/ID/retry or /cancel.",
			Try: []string{"Use the buttons of the queues page."}}})
		return
	}
	res := q.run(u, call{method: "queue." + action, params: map[string]any{"id": id}})[0]
	var flash string
	var pr *problem
	if res.Err != nil {
		pr = explain(res.Err)
	} else if action == "retry" {
		flash = fmt.Sprintf("Job %d is available again.", id)
	} else {
		flash = fmt.Sprintf("Job %d is cancelled.", id)
	}
	if !q.htmx() {
		if pr != nil {
			q.view.Title, q.view.Error = "Queues", pr
			u.render(q.w, q.r, pr.Status, "error", q.view)
			return
		}
		http.Redirect(q.w, q.r, "/ui/queues", http.StatusSeeOther)
		return
	}
	p, status := u.loadQueues(q)
	if p.Problem == nil {
		p.Flash, p.Problem = flash, pr
	}
	q.view.Page = p
	u.renderFragment(q.w, status, "queues", "panel", q.view)
}

// chart is a throughput bar chart, drawn as inline SVG by the template.
type chart struct {
	Bars    []bar
	Max     int64
	Total   int64
	Failed  int64
	Width   int
	Height  int
	Summary string
}

type bar struct {
	X, W              float64
	CY, CH            float64 // completed: y and height
	FY, FH            float64 // failed
	Completed, Failed int64
	Label             string
}

const (
	chartW = 300
	chartH = 60
)

// makeChart draws one bar per minute of the last ChartMinutes, ending with now's minute.
func makeChart(rows []throughputRow, now time.Time) chart {
	c := chart{Width: chartW, Height: chartH}
	byMinute := map[int64]throughputRow{}
	for _, r := range rows {
		byMinute[r.Minute.Truncate(time.Minute).Unix()] = r
	}
	// Only the minutes drawn count: the database's clock may be a minute off this one's.
	for i := 0; i < ChartMinutes; i++ {
		r := byMinute[now.Add(time.Duration(i-ChartMinutes+1)*time.Minute).Unix()]
		c.Total += r.Completed
		c.Failed += r.Failed
		c.Max = max(c.Max, r.Completed+r.Failed)
	}
	scale := 1.0
	if c.Max > 0 {
		scale = float64(chartH-2) / float64(c.Max)
	}
	w := float64(chartW) / ChartMinutes
	for i := 0; i < ChartMinutes; i++ {
		m := now.Add(time.Duration(i-ChartMinutes+1) * time.Minute)
		r := byMinute[m.Unix()]
		b := bar{X: float64(i)*w + 1, W: w - 2, Completed: r.Completed, Failed: r.Failed,
			Label: fmt.Sprintf("%s: %d completed, %d failed", m.UTC().Format("15:04"), r.Completed, r.Failed)}
		b.CH = float64(r.Completed) * scale
		b.FH = float64(r.Failed) * scale
		b.CY = chartH - b.CH
		b.FY = b.CY - b.FH
		c.Bars = append(c.Bars, b)
	}
	c.Summary = fmt.Sprintf("%d completed and %d failed in the last %d minutes", c.Total, c.Failed, ChartMinutes)
	return c
}

// parseInterval reads PostgreSQL's default interval output ("1 day 02:03:04.5", "00:00:12",
// "3 mons 2 days"), counting a month as 30 days.
func parseInterval(s string) (time.Duration, bool) {
	var d time.Duration
	f := strings.Fields(s)
	for i := 0; i < len(f); i++ {
		if strings.Contains(f[i], ":") {
			neg := strings.HasPrefix(f[i], "-")
			parts := strings.Split(strings.TrimLeft(f[i], "+-"), ":")
			if len(parts) != 3 {
				return 0, false
			}
			h, e1 := strconv.Atoi(parts[0])
			m, e2 := strconv.Atoi(parts[1])
			sec, e3 := strconv.ParseFloat(parts[2], 64)
			if e1 != nil || e2 != nil || e3 != nil {
				return 0, false
			}
			t := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec*float64(time.Second))
			if neg {
				t = -t
			}
			d += t
			continue
		}
		if i+1 >= len(f) {
			return 0, false
		}
		n, err := strconv.Atoi(f[i])
		if err != nil {
			return 0, false
		}
		unit := f[i+1]
		i++
		switch {
		case strings.HasPrefix(unit, "year"):
			d += time.Duration(n) * 365 * 24 * time.Hour
		case strings.HasPrefix(unit, "mon"):
			d += time.Duration(n) * 30 * 24 * time.Hour
		case strings.HasPrefix(unit, "day"):
			d += time.Duration(n) * 24 * time.Hour
		default:
			return 0, false
		}
	}
	return d, true
}

// human writes a duration in its two largest units: "3 d 4 h", "12 min 3 s", "0 s".
func human(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Truncate(time.Second)
	days := d / (24 * time.Hour)
	h := (d % (24 * time.Hour)) / time.Hour
	m := (d % time.Hour) / time.Minute
	s := (d % time.Minute) / time.Second
	switch {
	case days > 0:
		return fmt.Sprintf("%d d %d h", days, h)
	case h > 0:
		return fmt.Sprintf("%d h %d min", h, m)
	case m > 0:
		return fmt.Sprintf("%d min %d s", m, s)
	}
	return fmt.Sprintf("%d s", s)
}
