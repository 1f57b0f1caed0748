package ui

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/howdah/howdah/sidecar/rpc"
)

// The advisor's pages: Bottlenecks (/ui/advisor) and Query detail (/ui/advisor/queries/{id}).
// Every call goes through the dispatcher as the signed-in role, like the other pages.

// bottleneckLimits are the choices of the bottlenecks page's limit selector.
var bottleneckLimits = []int{10, 20, 50, 100}

// defaultBottlenecks is the limit of the bottlenecks page when none is asked for.
const defaultBottlenecks = 20

// advisorGrants is docs/advisor.md's reader grant, shown to a role the advisor refuses.
const advisorGrants = "GRANT USAGE ON SCHEMA howdah_advisor TO your_role; GRANT SELECT ON ALL TABLES IN SCHEMA howdah_advisor TO your_role; " +
	"(scan and simulate need the scanner's grants too: docs/advisor.md, Privileges)"

// bottleneckRow is one row of howdah_advisor.bottlenecks().
type bottleneckRow struct {
	Rank           int      `json:"rank"`
	QueryID        int64    `json:"query_id"`
	Fingerprint    string   `json:"fingerprint"`
	Query          string   `json:"query"`
	MeanMS         *float64 `json:"mean_ms"`
	Calls          *int64   `json:"calls"`
	TotalMS        *float64 `json:"total_ms"`
	RecID          int64    `json:"rec_id"`
	Type           string   `json:"type"`
	Reason         string   `json:"reason"`
	DDL            *string  `json:"ddl"`
	Confidence     float64  `json:"confidence"`
	ImprovementPct *float64 `json:"improvement_pct"`
	// Columns bottlenecks() has since 0.2.0: the page reads them instead of each row's
	// query_detail, which it still does for an advisor installed by an older howdah.
	SnapshotID *int64    `json:"snapshot"`
	FamilyCol  *string   `json:"family"`
	Tags       *[]string `json:"anomalies"`
	RiskLevel  *string   `json:"risk_level"`
}

// complete is whether the row carries family, tags and risk itself.
func (r *bottleneckRow) complete() bool {
	return r.SnapshotID != nil && r.Tags != nil
}

// bottleneckView is a row as the page shows it: the function's row and what query_detail adds
// (family, anomaly tags, the finding's risk).
type bottleneckView struct {
	bottleneckRow
	Preview   string
	Family    string
	Anomalies []string
	Risk      string
}

type bottlenecksPage struct {
	Rows       []bottleneckView
	Limit      int
	Limits     []int
	Sort       string
	Dir        string
	Headers    []sortHeader
	SnapshotID int64
	Problem    *problem
	// Flash is the outcome of Scan now.
	Flash string
	// CanScan is whether the catalog has advisor.scan.
	CanScan bool
}

type sortHeader struct {
	Key, Label, URL, Sort string
	Num                   bool
}

// bottleneckColumns are the sortable columns: key, label, numeric.
var bottleneckColumns = []struct {
	key, label string
	num        bool
}{
	{"rank", "#", true}, {"query", "Query", false}, {"mean_ms", "Mean ms", true}, {"calls", "Calls", true},
	{"total_ms", "Total ms", true}, {"family", "Family", false}, {"type", "Finding", false},
	{"confidence", "Confidence", true}, {"risk", "Risk", false},
}

func (u *UI) advisorPage(q *request) {
	if !u.requireModule(q, "Bottlenecks") {
		return
	}
	q.view.Title = "Bottlenecks"
	p := u.loadBottlenecks(q, q.r.URL.Query())
	q.view.Page = p
	status := http.StatusOK
	if p.Problem != nil && p.Problem.Status != 0 && len(p.Rows) == 0 && p.Problem.Status != http.StatusNotFound {
		status = p.Problem.Status
	}
	if q.htmx() && q.r.Header.Get("HX-Target") == "bn-panel" {
		u.renderFragment(q.w, status, "advisor", "bnpanel", q.view)
		return
	}
	u.render(q.w, q.r, status, "advisor", q.view)
}

// loadBottlenecks reads the list (advisor.bottlenecks) and then, in one batch, the detail of each
// listed query for its family, anomaly tags and the risk of its finding.
func (u *UI) loadBottlenecks(q *request, v url.Values) *bottlenecksPage {
	p := &bottlenecksPage{Limit: defaultBottlenecks, Limits: bottleneckLimits, Sort: v.Get("sort"), Dir: v.Get("dir"),
		CanScan: u.cfg.Dispatcher.Catalog().Lookup("advisor.scan") != nil}
	if n, err := strconv.Atoi(v.Get("limit")); err == nil && n >= 1 && n <= 1000 {
		p.Limit = n
	}
	if p.Dir != "desc" {
		p.Dir = "asc"
	}
	known := false
	for _, c := range bottleneckColumns {
		known = known || c.key == p.Sort
	}
	if !known {
		p.Sort, p.Dir = "rank", "asc"
	}
	var rows []bottleneckRow
	if pr := decode(q.run(u, call{method: "advisor.bottlenecks", params: map[string]any{"lim": p.Limit}})[0], &rows); pr != nil {
		p.Problem = advisorProblem(pr)
		p.headers()
		return p
	}
	var calls []call
	for _, r := range rows {
		if !r.complete() {
			calls = append(calls, call{method: "advisor.query_detail", params: map[string]any{"query_id": r.QueryID}})
		}
	}
	var res []rpc.Result
	if len(calls) == len(rows) && len(rows) > 0 {
		res = q.run(u, calls...)
	}
	for i, r := range rows {
		bv := bottleneckView{bottleneckRow: r, Preview: preview(r.Query, 120)}
		var d queryDetail
		if r.complete() {
			p.SnapshotID = *r.SnapshotID
			bv.Anomalies = *r.Tags
			if r.RiskLevel != nil {
				bv.Risk = *r.RiskLevel
			}
			if r.FamilyCol != nil {
				bv.Family = *r.FamilyCol
			}
		} else if i < len(res) && decode(res[i], &d) == nil {
			p.SnapshotID = d.SnapshotID
			if d.Family != nil {
				bv.Family = d.Family.Label
			}
			for _, a := range d.Anomalies {
				bv.Anomalies = append(bv.Anomalies, a.Kind)
			}
			for _, rec := range d.Recommendations {
				if rec.ID == r.RecID {
					bv.Risk = rec.Risk.Level()
				}
			}
		}
		p.Rows = append(p.Rows, bv)
	}
	p.sortRows()
	p.headers()
	return p
}

var riskOrder = map[string]int{"low": 1, "medium": 2, "high": 3}

func (p *bottlenecksPage) sortRows() {
	num := func(f *float64) float64 {
		if f == nil {
			return math.Inf(-1)
		}
		return *f
	}
	less := func(a, b *bottleneckView) bool {
		switch p.Sort {
		case "query":
			return a.Query < b.Query
		case "mean_ms":
			return num(a.MeanMS) < num(b.MeanMS)
		case "calls":
			var x, y int64 = -1, -1
			if a.Calls != nil {
				x = *a.Calls
			}
			if b.Calls != nil {
				y = *b.Calls
			}
			return x < y
		case "total_ms":
			return num(a.TotalMS) < num(b.TotalMS)
		case "family":
			return a.Family < b.Family
		case "type":
			return a.Type < b.Type
		case "confidence":
			return a.Confidence < b.Confidence
		case "risk":
			return riskOrder[a.Risk] < riskOrder[b.Risk]
		}
		return a.Rank < b.Rank
	}
	sort.SliceStable(p.Rows, func(i, j int) bool {
		if p.Dir == "desc" {
			return less(&p.Rows[j], &p.Rows[i])
		}
		return less(&p.Rows[i], &p.Rows[j])
	})
}

// headers are the column headers, each a link that sorts by it (ascending first, then
// descending), keeping the limit.
func (p *bottlenecksPage) headers() {
	for _, c := range bottleneckColumns {
		h := sortHeader{Key: c.key, Label: c.label, Num: c.num}
		dir := "asc"
		if c.key == p.Sort {
			if p.Dir == "asc" {
				h.Sort, dir = "ascending", "desc"
			} else {
				h.Sort = "descending"
			}
		}
		h.URL = fmt.Sprintf("/ui/advisor?limit=%d&sort=%s&dir=%s", p.Limit, c.key, dir)
		p.Headers = append(p.Headers, h)
	}
}

// advisorProblem adds the advisor's grants to a refusal, and says to scan when none finished.
func advisorProblem(pr *problem) *problem {
	switch pr.SQLState {
	case "42501":
		pr.Try = append([]string{"Ask the database's owner for the advisor reader's grants: " + advisorGrants}, pr.Try...)
	case "P0002":
		if strings.Contains(pr.Message, "no advisor scan") {
			pr.Title = "No scan yet"
			pr.Try = []string{"Press Scan now (your role needs the scanner's grants), or run SELECT howdah_advisor.scan(); in psql, or howdah advisor scan."}
		}
	}
	return pr
}

// scanNow runs howdah_advisor.scan() and answers the list again with the outcome.
func (u *UI) scanNow(q *request) {
	if !u.requireModule(q, "Bottlenecks") {
		return
	}
	t0 := time.Now()
	res := q.run(u, call{method: "advisor.scan"})[0]
	var sid int64
	var pr *problem
	if pr = decode(res, &sid); pr != nil {
		pr = advisorProblem(pr)
		pr.Title = "The scan did not run: " + pr.Title
	}
	q.r.ParseForm() // htmx sent the CSRF token as a header, so the form may not be parsed yet
	v := q.r.PostForm
	if !q.htmx() {
		if pr != nil {
			q.view.Title, q.view.Error = "Bottlenecks", pr
			u.render(q.w, q.r, pr.Status, "error", q.view)
			return
		}
		http.Redirect(q.w, q.r, "/ui/advisor?limit="+url.QueryEscape(v.Get("limit")), http.StatusSeeOther)
		return
	}
	p := u.loadBottlenecks(q, v)
	if pr != nil {
		p.Problem = pr
	} else {
		p.Flash = fmt.Sprintf("Scan finished in %s: snapshot %d.", time.Since(t0).Round(10*time.Millisecond), sid)
		if p.SnapshotID != 0 && p.SnapshotID != sid {
			p.Flash += fmt.Sprintf(" It did not finish cleanly (its errors are in howdah_advisor.snapshots), so the list shows snapshot %d, the newest done one.", p.SnapshotID)
		} else if p.Problem == nil {
			p.Flash += fmt.Sprintf(" %d %s with findings.", len(p.Rows), plural(len(p.Rows), "query", "queries"))
		}
	}
	q.view.Page = p
	u.renderFragment(q.w, http.StatusOK, "advisor", "bnpanel", q.view)
}

// queryDetail is howdah_advisor.query_detail()'s JSON.
type queryDetail struct {
	SnapshotID int64 `json:"snapshot_id"`
	Query      struct {
		ID          int64    `json:"id"`
		Fingerprint string   `json:"fingerprint"`
		Verb        string   `json:"verb"`
		Query       string   `json:"query"`
		Tables      []string `json:"tables"`
	} `json:"query"`
	Metrics *struct {
		Calls   int64    `json:"calls"`
		Rows    int64    `json:"rows"`
		TotalMS float64  `json:"total_ms"`
		MeanMS  float64  `json:"mean_ms"`
		MinMS   *float64 `json:"min_ms"`
		MaxMS   *float64 `json:"max_ms"`
		Rank    *int     `json:"rank"`
	} `json:"metrics"`
	History []struct {
		SnapshotID int64     `json:"snapshot_id"`
		CapturedAt time.Time `json:"captured_at"`
		Calls      int64     `json:"calls"`
		MeanMS     float64   `json:"mean_ms"`
	} `json:"history"`
	Plans []struct {
		Kind      string          `json:"kind"`
		TotalCost *float64        `json:"total_cost"`
		EstRows   *float64        `json:"est_rows"`
		Facts     *planFacts      `json:"facts"`
		Error     *string         `json:"error"`
		Plan      json.RawMessage `json:"plan"`
	} `json:"plans"`
	Family *struct {
		ID    int64  `json:"id"`
		Label string `json:"label"`
		Size  int    `json:"size"`
	} `json:"family"`
	Anomalies []struct {
		ID   int64  `json:"id"`
		Kind string `json:"kind"`
	} `json:"anomalies"`
	Recommendations []recommendation `json:"recommendations"`
	Simulations     []simulation     `json:"simulations"`
}

type planFacts struct {
	Analyzed bool `json:"analyzed"`
	SeqScans []struct {
		Table  string   `json:"table"`
		Filter *string  `json:"filter"`
		Rows   *float64 `json:"rows"`
	} `json:"seq_scans"`
	IndexScans []struct {
		Table string  `json:"table"`
		Index *string `json:"index"`
		Node  string  `json:"node"`
	} `json:"index_scans"`
	Joins []struct {
		Node     string  `json:"node"`
		JoinType *string `json:"join_type"`
	} `json:"joins"`
	Skew []struct {
		Table *string  `json:"table"`
		Est   float64  `json:"est"`
		Act   float64  `json:"act"`
		Ratio *float64 `json:"ratio"`
	} `json:"skew"`
}

type recommendation struct {
	ID         int64    `json:"id"`
	Rank       *int     `json:"rank"`
	Type       string   `json:"type"`
	Table      *string  `json:"table"`
	Index      *string  `json:"index"`
	DDL        *string  `json:"ddl"`
	Reason     string   `json:"reason"`
	Rationale  string   `json:"rationale"`
	Confidence float64  `json:"confidence"`
	BenefitMS  *float64 `json:"benefit_ms"`
	Risk       riskInfo `json:"risk"`
}

// More is the rationale after its first sentence (the reason, shown as the title).
func (r recommendation) More() string {
	return strings.TrimSpace(strings.TrimPrefix(r.Rationale, r.Reason))
}

// Simulable is whether simulate() takes the finding (stats and rewrite findings it refuses).
func (r recommendation) Simulable() bool { return r.Type != "stats" && r.Type != "rewrite" }

// riskInfo is a recommendation's risk object.
type riskInfo map[string]any

// Level is risk.level, or "".
func (r riskInfo) Level() string { s, _ := r["level"].(string); return s }

func (r riskInfo) num(k string) (float64, bool) { f, ok := r[k].(float64); return f, ok }

// WriteNote is the write-overhead note: what the index would cost each write of its table.
func (r riskInfo) WriteNote(table string, indexBytes float64) string {
	var parts []string
	if w, ok := r.num("write_rate"); ok {
		parts = append(parts, fmt.Sprintf("%s takes about %s writes a second, and each would also update this index", table, trim(math.Round(w))))
	}
	if n, ok := r.num("index_count"); ok {
		parts = append(parts, fmt.Sprintf("the table has %s %s today", trim(n), plural(int(n), "index", "indexes")))
	}
	if indexBytes == 0 {
		indexBytes, _ = r.num("index_bytes_est")
	}
	if indexBytes > 0 {
		parts = append(parts, "the index would take about "+bytesText(indexBytes))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ") + "."
}

// Lock is risk.lock, or "".
func (r riskInfo) Lock() string { s, _ := r["lock"].(string); return s }

type simulation struct {
	ID             int64           `json:"id"`
	RecID          *int64          `json:"rec_id"`
	Mode           string          `json:"mode"`
	BeforeCost     *float64        `json:"before_cost"`
	AfterCost      *float64        `json:"after_cost"`
	BeforeMS       *float64        `json:"before_ms"`
	AfterMS        *float64        `json:"after_ms"`
	ImprovementPct *float64        `json:"improvement_pct"`
	Gain           *bool           `json:"gain"`
	PlanChanges    []string        `json:"plan_changes"`
	Error          *string         `json:"error"`
	BeforePlan     json.RawMessage `json:"before_plan"`
	AfterPlan      json.RawMessage `json:"after_plan"`
	Details        struct {
		MSSource string `json:"ms_source"`
		Indexes  []struct {
			Bytes float64 `json:"bytes"`
		} `json:"indexes"`
	} `json:"details"`
}

type queryPage struct {
	D          *queryDetail
	Sparkline  *sparkline
	Chips      []chip
	PlanKind   string
	Problem    *problem
	Limit      string
	Questions  []string
	CanSim     bool
	SimResults map[int64]*simView
}

type chip struct {
	Text, Class, Title string
}

func (u *UI) queryPage(q *request) {
	if !u.requireModule(q, "Bottlenecks") {
		return
	}
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		q.view.Title, q.view.Error = "Not found", &problem{Title: "There is no such query",
			Message: fmt.Sprintf("%q is not a query id.", q.r.PathValue("id")), Try: []string{"Open a query from the Bottlenecks list."}, Status: http.StatusNotFound}
		u.render(q.w, q.r, http.StatusNotFound, "error", q.view)
		return
	}
	params := map[string]any{"query_id": id}
	if s, err := strconv.ParseInt(q.r.URL.Query().Get("snapshot_id"), 10, 64); err == nil {
		params["snapshot_id"] = s
	}
	q.view.Title = fmt.Sprintf("Query %d", id)
	var d queryDetail
	if pr := decode(q.run(u, call{method: "advisor.query_detail", params: params})[0], &d); pr != nil {
		q.view.Error = advisorProblem(pr)
		u.render(q.w, q.r, pr.Status, "query", q.view)
		return
	}
	p := &queryPage{D: &d, CanSim: u.cfg.Dispatcher.Catalog().Lookup("advisor.simulate") != nil,
		Questions: []string{fmt.Sprintf("Why is query %d slow?", id), fmt.Sprintf("What index should I add for query %d?", id), "What changed since the last scan?"}}
	p.Sparkline = makeSparkline(&d)
	p.Chips, p.PlanKind = planChips(&d)
	q.view.Page = p
	u.render(q.w, q.r, http.StatusOK, "query", q.view)
}

// sparkline is mean ms across snapshots, drawn as inline SVG by the template.
type sparkline struct {
	Width, Height int
	Points        string
	Dots          []sparkDot
	Summary       string
}

type sparkDot struct {
	X, Y  float64
	Label string
}

const (
	sparkW = 240
	sparkH = 48
)

// makeSparkline draws the history (newest first in query_detail) oldest to newest.
func makeSparkline(d *queryDetail) *sparkline {
	h := d.History
	if len(h) == 0 {
		return nil
	}
	s := &sparkline{Width: sparkW, Height: sparkH}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range h {
		lo, hi = math.Min(lo, x.MeanMS), math.Max(hi, x.MeanMS)
	}
	span := hi - lo
	pad := 4.0
	var pts []string
	n := len(h)
	for i := range h {
		x := h[n-1-i]
		px := sparkW / 2.0
		if n > 1 {
			px = pad + float64(i)*(sparkW-2*pad)/float64(n-1)
		}
		py := sparkH / 2.0
		if span > 0 {
			py = sparkH - pad - (x.MeanMS-lo)/span*(sparkH-2*pad)
		}
		px, py = math.Round(px*10)/10, math.Round(py*10)/10
		pts = append(pts, fmt.Sprintf("%g,%g", px, py))
		s.Dots = append(s.Dots, sparkDot{X: px, Y: py, Label: fmt.Sprintf("snapshot %d (%s): mean %s ms, %d calls",
			x.SnapshotID, x.CapturedAt.UTC().Format("2006-01-02 15:04"), trim(x.MeanMS), x.Calls)})
	}
	s.Points = strings.Join(pts, " ")
	first, last := h[n-1].MeanMS, h[0].MeanMS
	s.Summary = fmt.Sprintf("Mean ms over %d snapshots: from %s to %s (low %s, high %s)", n, trim(first), trim(last), trim(lo), trim(hi))
	return s
}

// planChips are the facts of the query's plan (the analyzed one when there is one): how each
// table is read, join methods, and the row estimate against what came.
func planChips(d *queryDetail) ([]chip, string) {
	idx := -1
	for i, p := range d.Plans {
		if p.Facts == nil {
			continue
		}
		if idx < 0 || p.Kind == "analyze" {
			idx = i
		}
	}
	if idx < 0 {
		return nil, ""
	}
	p := d.Plans[idx]
	f := p.Facts
	var out []chip
	for _, s := range f.SeqScans {
		c := chip{Text: "Seq Scan on " + s.Table, Class: "warn"}
		if s.Filter != nil {
			c.Title = "Filter: " + *s.Filter
		}
		out = append(out, c)
	}
	for _, s := range f.IndexScans {
		c := chip{Text: s.Node + " on " + s.Table, Class: "ok"}
		if s.Index != nil {
			c.Title = "using " + *s.Index
		}
		out = append(out, c)
	}
	for _, j := range f.Joins {
		t := j.Node
		if j.JoinType != nil && *j.JoinType != "Inner" {
			t += " (" + *j.JoinType + ")"
		}
		out = append(out, chip{Text: t, Class: "info"})
	}
	if f.Analyzed {
		for _, s := range f.Skew {
			if s.Ratio == nil || *s.Ratio < 4 {
				continue
			}
			t := "rows"
			if s.Table != nil {
				t = *s.Table
			}
			out = append(out, chip{Text: fmt.Sprintf("est %s vs act %s rows on %s (×%s)", trim(s.Est), trim(s.Act), t, trim(*s.Ratio)), Class: "warn"})
		}
	} else if p.EstRows != nil && d.Metrics != nil && d.Metrics.Calls > 0 && d.Query.Verb == "select" {
		act := float64(d.Metrics.Rows) / float64(d.Metrics.Calls)
		r := math.Max(*p.EstRows, 1) / math.Max(act, 1)
		r = math.Max(r, 1/r)
		c := chip{Text: fmt.Sprintf("est %s vs act %s rows a call (×%s)", trim(*p.EstRows), trim(act), trim(math.Round(r*10)/10)),
			Class: "info", Title: "the plan's estimate of the result against pg_stat_statements' rows per call"}
		if r >= 4 {
			c.Class = "warn"
		}
		out = append(out, c)
	}
	return out, p.Kind
}

// simView is a simulation as the page shows it.
type simView struct {
	S          simulation
	Rec        *recommendation
	WriteNote  string
	Before     *planNode
	After      *planNode
	Changed    int
	Problem    *problem
	RecID      int64
	Improved   bool
	ChangeText string
}

// simulateAction runs advisor.simulate for a recommendation and answers the result fragment.
func (u *UI) simulateAction(q *request) {
	if !u.requireModule(q, "Bottlenecks") {
		return
	}
	qid, err1 := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	rid, err2 := strconv.ParseInt(q.r.PostFormValue("rec_id"), 10, 64)
	sv := &simView{RecID: rid}
	if err1 != nil || err2 != nil {
		sv.Problem = &problem{Title: "The database refused the request", Message: "rec_id must be a recommendation's id.",
			Try: []string{"Use the Run simulation button of a recommendation."}, Status: http.StatusBadRequest}
	} else {
		res := q.run(u,
			call{method: "advisor.simulate", params: map[string]any{"query_id": qid, "rec_id": rid}},
			call{method: "advisor.query_detail", params: map[string]any{"query_id": qid}})
		if pr := decode(res[0], &sv.S); pr != nil {
			sv.Problem = advisorProblem(pr)
			if pr.SQLState == "42501" {
				sv.Problem.Try[0] = "Simulating needs the advisor scanner's grants (docs/advisor.md, Privileges): INSERT on its tables and EXECUTE on howdah_advisor.simulate."
			}
		} else {
			var d queryDetail
			if decode(res[1], &d) == nil {
				for i := range d.Recommendations {
					if d.Recommendations[i].ID == rid {
						sv.Rec = &d.Recommendations[i]
					}
				}
			}
			sv.fill()
		}
	}
	if !q.htmx() {
		if sv.Problem != nil {
			q.view.Title, q.view.Error = "Simulation", sv.Problem
			u.render(q.w, q.r, sv.Problem.Status, "error", q.view)
			return
		}
		http.Redirect(q.w, q.r, fmt.Sprintf("/ui/advisor/queries/%d#rec-%d", qid, rid), http.StatusSeeOther)
		return
	}
	q.view.Page = sv
	u.renderFragment(q.w, http.StatusOK, "query", "simresult", q.view)
}

func (sv *simView) fill() {
	s := &sv.S
	if s.ImprovementPct != nil {
		sv.Improved = *s.ImprovementPct > 0
		sv.ChangeText = fmt.Sprintf("%s%%", trim(math.Round(-*s.ImprovementPct*10)/10))
		if *s.ImprovementPct > 0 {
			sv.ChangeText = "−" + strings.TrimPrefix(sv.ChangeText, "-")
		} else if *s.ImprovementPct < 0 {
			sv.ChangeText = "+" + sv.ChangeText
		}
	}
	before, after := parsePlan(s.BeforePlan), parsePlan(s.AfterPlan)
	sv.Changed = markChanges(before, after)
	sv.Before, sv.After = before, after
	if sv.Rec != nil && (sv.Rec.Type == "missing_index" || sv.Rec.Type == "composite_index") {
		var b float64
		if len(s.Details.Indexes) > 0 {
			b = s.Details.Indexes[0].Bytes
		}
		table := "its table"
		if sv.Rec.Table != nil {
			table = *sv.Rec.Table
		}
		sv.WriteNote = sv.Rec.Risk.WriteNote(table, b)
	}
}

// planNode is one node of an EXPLAIN (FORMAT JSON) tree, drawn as a nested list.
type planNode struct {
	Type     string
	Relation string
	Alias    string
	Index    string
	Detail   string
	Cost     float64
	Rows     float64
	Changed  bool
	Children []*planNode
}

// Label is the node's one-line description.
func (n *planNode) Label() string {
	s := n.Type
	if n.Index != "" {
		s += " using " + n.Index
	}
	if n.Relation != "" {
		s += " on " + n.Relation
		if n.Alias != "" && n.Alias != n.Relation {
			s += " " + n.Alias
		}
	}
	return s
}

// Numbers is the node's cost and rows.
func (n *planNode) Numbers() string {
	return fmt.Sprintf("cost %s, rows %s", trim(n.Cost), trim(n.Rows))
}

func (n *planNode) key() string { return n.Type + "\x00" + n.Relation }

func parsePlan(raw json.RawMessage) *planNode {
	var top struct {
		Plan map[string]any `json:"Plan"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &top) != nil || top.Plan == nil {
		return nil
	}
	return toNode(top.Plan, 0)
}

func toNode(m map[string]any, depth int) *planNode {
	str := func(k string) string { s, _ := m[k].(string); return s }
	f := func(k string) float64 { x, _ := m[k].(float64); return x }
	n := &planNode{Type: str("Node Type"), Relation: str("Relation Name"), Alias: str("Alias"), Index: str("Index Name"),
		Cost: f("Total Cost"), Rows: f("Plan Rows")}
	for _, k := range []string{"Index Cond", "Hash Cond", "Merge Cond", "Filter", "Join Filter", "Recheck Cond"} {
		if v := str(k); v != "" {
			n.Detail = k + ": " + v
			break
		}
	}
	if depth > 50 {
		return n
	}
	if kids, ok := m["Plans"].([]any); ok {
		for _, k := range kids {
			if km, ok := k.(map[string]any); ok {
				n.Children = append(n.Children, toNode(km, depth+1))
			}
		}
	}
	return n
}

// markChanges marks, in both trees, the nodes whose (type, relation) the other tree does not
// have as often: how a relation is read, or a join method, changed. It returns how many
// nodes were marked.
func markChanges(a, b *planNode) int {
	if a == nil || b == nil {
		return 0
	}
	count := func(n *planNode) map[string]int {
		m := map[string]int{}
		walk(n, func(x *planNode) { m[x.key()]++ })
		return m
	}
	ca, cb := count(a), count(b)
	marked := 0
	mark := func(n *planNode, other map[string]int) {
		seen := map[string]int{}
		walk(n, func(x *planNode) {
			seen[x.key()]++
			if seen[x.key()] > other[x.key()] {
				x.Changed = true
				marked++
			}
		})
	}
	mark(a, cb)
	mark(b, ca)
	return marked
}

func walk(n *planNode, fn func(*planNode)) {
	if n == nil {
		return
	}
	fn(n)
	for _, c := range n.Children {
		walk(c, fn)
	}
}

// answer is ask()'s JSON.
type answer struct {
	Intent    string `json:"intent"`
	Answer    string `json:"answer"`
	Citations []struct {
		Kind string `json:"kind"`
		Ref  string `json:"ref"`
		Text string `json:"text"`
	} `json:"citations"`
	CanAnswer []string `json:"can_answer"`
}

// answerPart is a piece of an answer: text, or a citation marker.
type answerPart struct {
	Text string
	Cite int
}

type answerView struct {
	Question string
	A        answer
	Parts    []answerPart
	Problem  *problem
}

var markerRE = regexp.MustCompile(`\[(\d+)\]`)

// splitAnswer cuts the answer at its [n] markers, keeping those that point to a citation.
func splitAnswer(s string, cites int) []answerPart {
	var out []answerPart
	last := 0
	for _, m := range markerRE.FindAllStringSubmatchIndex(s, -1) {
		n, _ := strconv.Atoi(s[m[2]:m[3]])
		if n < 1 || n > cites {
			continue
		}
		if m[0] > last {
			out = append(out, answerPart{Text: s[last:m[0]]})
		}
		out = append(out, answerPart{Cite: n})
		last = m[1]
	}
	if last < len(s) {
		out = append(out, answerPart{Text: s[last:]})
	}
	return out
}

// askAction posts a question to advisor.ask about the page's query.
func (u *UI) askAction(q *request) {
	if !u.requireModule(q, "Bottlenecks") {
		return
	}
	qid, _ := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	av := &answerView{Question: strings.TrimSpace(q.r.PostFormValue("question"))}
	params := map[string]any{"question": av.Question}
	if qid > 0 {
		params["query_id"] = qid
	}
	if pr := decode(q.run(u, call{method: "advisor.ask", params: params})[0], &av.A); pr != nil {
		av.Problem = advisorProblem(pr)
	} else {
		av.Parts = splitAnswer(av.A.Answer, len(av.A.Citations))
	}
	if !q.htmx() {
		q.view.Title = "Answer"
		if av.Problem != nil {
			q.view.Error = av.Problem
			u.render(q.w, q.r, av.Problem.Status, "error", q.view)
			return
		}
	}
	q.view.Page = av
	if !q.htmx() {
		u.render(q.w, q.r, http.StatusOK, "answer", q.view)
		return
	}
	u.renderFragment(q.w, http.StatusOK, "query", "answer", q.view)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// preview is the first n characters of a query on one line.
func preview(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// trim writes a number with at most two decimals and no trailing zeros.
func trim(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "–"
	}
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

func bytesText(b float64) string {
	switch {
	case b >= 1<<30:
		return trim(b/(1<<30)) + " GB"
	case b >= 1<<20:
		return trim(b/(1<<20)) + " MB"
	case b >= 1<<10:
		return trim(b/(1<<10)) + " kB"
	}
	return trim(b) + " bytes"
}

// ms formats an optional number of milliseconds.
func ms(f *float64) string {
	if f == nil {
		return "–"
	}
	return trim(*f)
}
