package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// PageSizes are the page sizes the records table offers; the first is the default.
var PageSizes = []int{50, 25, 100}

// maxCell bounds the characters of a value a cell shows.
const maxCell = 200

// filterOps are the list_records filter operators the records page offers, with their labels.
var filterOps = []struct{ Op, Label string }{
	{"icontains", "contains (any case)"}, {"=", "="}, {"<>", "≠"}, {"<", "<"}, {">", ">"}, {"<=", "≤"}, {">=", "≥"},
	{"contains", "contains"}, {"istarts_with", "starts with (any case)"}, {"starts_with", "starts with"},
	{"is_null", "is empty (NULL)"}, {"is_not_null", "is not empty"},
}

type schemaRow struct {
	OID         int64    `json:"oid"`
	Name        string   `json:"name"`
	Description *string  `json:"description"`
	Priv        []string `json:"current_role_priv"`
	TableCount  int64    `json:"table_count"`
}

type columnRow struct {
	Attnum     int      `json:"attnum"`
	Name       string   `json:"name"`
	Type       string   `json:"type_display"`
	PrimaryKey bool     `json:"primary_key"`
	Nullable   bool     `json:"nullable"`
	Priv       []string `json:"current_role_priv"`
}

type tableRow struct {
	OID         int64       `json:"oid"`
	Name        string      `json:"name"`
	Kind        string      `json:"kind"`
	Description *string     `json:"description"`
	Rows        float64     `json:"estimated_rows"`
	Priv        []string    `json:"current_role_priv"`
	Columns     []columnRow `json:"columns"`
	ColumnOrder []int       `json:"column_order"`
}

// visible reports whether the role has any privilege on the table or one of its columns: a
// table it may not touch at all is not listed.
func (t *tableRow) visible() bool {
	if len(t.Priv) > 0 {
		return true
	}
	for _, c := range t.Columns {
		if len(c.Priv) > 0 {
			return true
		}
	}
	return false
}

type recordsResult struct {
	Results []map[string]json.RawMessage `json:"results"`
	Count   int64                        `json:"count"`
}

// cell is one value as the records table shows it.
type cell struct {
	Text  string
	Null  bool
	Title string
}

type headerCell struct {
	Column   columnRow
	SortURL  string
	Sort     string // "ascending", "descending" or ""
	NextSort string
}

type catalogPage struct {
	Schemas []schemaRow
	Schema  *schemaRow
	Tables  []tableRow
	Table   *tableRow
	Problem *problem
	// Records, when a table is open.
	Records *recordsView
	// Edit, when a record's edit page is open.
	Edit *editView
}

type recordsView struct {
	Base    string
	Headers []headerCell
	Rows    [][]cell
	// EditURLs are the rows' edit pages, when the role may change some column of the table and
	// can read its whole primary key.
	EditURLs []string
	Count    int64
	From     int64
	To       int64
	Page     int
	Pages    int
	Size     int
	Sizes    []int
	Prev     string
	Next     string
	Ops      []struct{ Op, Label string }
	// The filter and sort in force.
	FilterCol int
	FilterOp  string
	FilterVal string
	SortCol   int
	SortDir   string
	Problem   *problem
	Write     []string
}

func (u *UI) catalog(q *request) {
	if !u.requireModule(q, "Catalog") {
		return
	}
	q.view.Title = "Catalog"
	p := &catalogPage{}
	q.view.Page = p
	status := http.StatusOK
	fail := func(pr *problem) {
		p.Problem = pr
		status = pr.Status
	}
	var schOID, tabOID int64
	var err error
	if s := q.r.PathValue("schema"); s != "" {
		if schOID, err = strconv.ParseInt(s, 10, 64); err != nil || schOID <= 0 {
			fail(&problem{Title: "Not found", Message: fmt.Sprintf("%q is not a schema's oid.", s),
				Try: []string{"Pick a schema from the list."}, Status: http.StatusNotFound})
			schOID = 0
		}
	}
	if t := q.r.PathValue("table"); t != "" && schOID > 0 {
		if tabOID, err = strconv.ParseInt(t, 10, 64); err != nil || tabOID <= 0 {
			fail(&problem{Title: "Not found", Message: fmt.Sprintf("%q is not a table's oid.", t),
				Try: []string{"Pick a table from the list."}, Status: http.StatusNotFound})
			tabOID = 0
		}
	}
	calls := []call{{method: "howdah.list_schemas"}}
	if schOID > 0 {
		calls = append(calls, call{method: "howdah.get_schema_table_details", params: map[string]any{"sch": schOID}})
	}
	var rq *recordsQuery
	if tabOID > 0 {
		rq = readRecordsQuery(q.r.URL.Query())
		calls = append(calls, call{method: "howdah.list_records", params: rq.params(tabOID)})
	}
	res := q.run(u, calls...)
	var schemas []schemaRow
	if pr := decode(res[0], &schemas); pr != nil {
		fail(pr)
		u.render(q.w, q.r, status, "catalog", q.view)
		return
	}
	for _, s := range schemas {
		if slices.Contains(s.Priv, "USAGE") {
			p.Schemas = append(p.Schemas, s)
		}
	}
	if schOID > 0 {
		for i := range schemas {
			if schemas[i].OID == schOID {
				p.Schema = &schemas[i]
			}
		}
		var tables []tableRow
		if pr := decode(res[1], &tables); pr != nil {
			fail(pr)
		}
		for i := range tables {
			if tables[i].visible() {
				p.Tables = append(p.Tables, tables[i])
			}
		}
		if p.Schema != nil {
			q.view.Title = p.Schema.Name
		}
	}
	if tabOID > 0 {
		for i := range p.Tables {
			if p.Tables[i].OID == tabOID {
				p.Table = &p.Tables[i]
			}
		}
		base := fmt.Sprintf("/ui/catalog/%d/%d", schOID, tabOID)
		var rr recordsResult
		if pr := decode(res[2], &rr); pr != nil {
			if p.Table == nil {
				fail(pr)
			} else {
				p.Records = rq.view(base, p.Table, nil)
				p.Records.Problem = pr
				status = pr.Status
			}
		} else if p.Table == nil {
			// Readable records of a table the role may not see cannot happen; be safe anyway.
			fail(&problem{Title: "Not found", Message: "This schema has no such table you may use.",
				Try: []string{"Pick a table from the list."}, Status: http.StatusNotFound})
		} else {
			p.Records = rq.view(base, p.Table, &rr)
			q.view.Title = p.Table.Name
		}
	}
	u.render(q.w, q.r, status, "catalog", q.view)
}

// recordsQuery is what the records table's URL asks for.
type recordsQuery struct {
	filterCol int
	filterOp  string
	filterVal string
	sortCol   int
	sortDir   string
	page      int
	size      int
}

func readRecordsQuery(v url.Values) *recordsQuery {
	rq := &recordsQuery{page: 1, size: PageSizes[0], sortDir: "asc"}
	rq.filterCol, _ = strconv.Atoi(v.Get("col"))
	rq.filterOp = v.Get("op")
	rq.filterVal = v.Get("value")
	if !slices.ContainsFunc(filterOps, func(o struct{ Op, Label string }) bool { return o.Op == rq.filterOp }) {
		rq.filterOp = filterOps[0].Op
	}
	rq.sortCol, _ = strconv.Atoi(v.Get("sort"))
	if v.Get("dir") == "desc" {
		rq.sortDir = "desc"
	}
	if n, err := strconv.Atoi(v.Get("page")); err == nil && n > 1 && n < 1<<20 {
		rq.page = n
	}
	if n, err := strconv.Atoi(v.Get("size")); err == nil && slices.Contains(PageSizes, n) {
		rq.size = n
	}
	return rq
}

// filtering reports whether the query has a filter condition.
func (rq *recordsQuery) filtering() bool {
	return rq.filterCol > 0 && (rq.filterVal != "" || rq.filterOp == "is_null" || rq.filterOp == "is_not_null")
}

// params are list_records' parameters.
func (rq *recordsQuery) params(tab int64) map[string]any {
	p := map[string]any{"tab": tab, "lim": rq.size, "off": (rq.page - 1) * rq.size}
	if rq.sortCol > 0 {
		p["order"] = []map[string]any{{"column": rq.sortCol, "direction": rq.sortDir}}
	}
	if rq.filtering() {
		cond := map[string]any{"column": rq.filterCol, "op": rq.filterOp}
		if rq.filterOp != "is_null" && rq.filterOp != "is_not_null" {
			cond["value"] = rq.filterVal
		}
		p["filter"] = cond
	}
	return p
}

// url is base with the query's parameters, changed by set.
func (rq *recordsQuery) url(base string, set map[string]string) string {
	v := url.Values{}
	if rq.filtering() {
		v.Set("col", strconv.Itoa(rq.filterCol))
		v.Set("op", rq.filterOp)
		v.Set("value", rq.filterVal)
	}
	if rq.sortCol > 0 {
		v.Set("sort", strconv.Itoa(rq.sortCol))
		v.Set("dir", rq.sortDir)
	}
	if rq.size != PageSizes[0] {
		v.Set("size", strconv.Itoa(rq.size))
	}
	if rq.page > 1 {
		v.Set("page", strconv.Itoa(rq.page))
	}
	for k, val := range set {
		if val == "" {
			v.Del(k)
		} else {
			v.Set(k, val)
		}
	}
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

// view lays out a page of records (rr nil: the call failed; the controls stay usable).
func (rq *recordsQuery) view(base string, t *tableRow, rr *recordsResult) *recordsView {
	rv := &recordsView{Base: base, Page: rq.page, Size: rq.size, Sizes: PageSizes, Ops: filterOps,
		FilterOp: rq.filterOp, FilterVal: rq.filterVal, SortCol: rq.sortCol, SortDir: rq.sortDir}
	if rq.filtering() {
		rv.FilterCol = rq.filterCol
	}
	for _, p := range t.Priv {
		if p != "SELECT" && p != "REFERENCES" {
			rv.Write = append(rv.Write, p)
		}
	}
	cols := readableColumns(t)
	for _, c := range cols {
		h := headerCell{Column: c, NextSort: "asc"}
		if rq.sortCol == c.Attnum {
			h.Sort = map[string]string{"asc": "ascending", "desc": "descending"}[rq.sortDir]
			if rq.sortDir == "asc" {
				h.NextSort = "desc"
			}
		}
		h.SortURL = rq.url(base, map[string]string{"sort": strconv.Itoa(c.Attnum), "dir": h.NextSort, "page": ""})
		rv.Headers = append(rv.Headers, h)
	}
	if rr == nil {
		return rv
	}
	rv.Count = rr.Count
	rv.Pages = int((rr.Count + int64(rq.size) - 1) / int64(rq.size))
	if len(rr.Results) > 0 {
		rv.From = int64((rq.page-1)*rq.size) + 1
		rv.To = rv.From + int64(len(rr.Results)) - 1
	}
	if rq.page > 1 {
		rv.Prev = rq.url(base, map[string]string{"page": strconv.Itoa(rq.page - 1)})
	}
	if rq.page < rv.Pages {
		rv.Next = rq.url(base, map[string]string{"page": strconv.Itoa(rq.page + 1)})
	}
	editable := len(editableColumns(t)) > 0 && keyReadable(t)
	back := rq.url(base, nil)
	for _, rec := range rr.Results {
		row := make([]cell, len(cols))
		for i, c := range cols {
			row[i] = showValue(rec[strconv.Itoa(c.Attnum)])
		}
		rv.Rows = append(rv.Rows, row)
		if editable {
			v := url.Values{"id": {string(recordID(t, rec))}, "back": {back}}
			rv.EditURLs = append(rv.EditURLs, base+"/edit?"+v.Encode())
		}
	}
	return rv
}

// keyReadable reports whether the table has a primary key whose columns the role may all read:
// records can then be named by id.
func keyReadable(t *tableRow) bool {
	n := 0
	for _, c := range t.Columns {
		if c.PrimaryKey {
			if !slices.Contains(c.Priv, "SELECT") {
				return false
			}
			n++
		}
	}
	return n > 0
}

// recordID is a record's id for get_record and patch_record: its key columns by attnum.
func recordID(t *tableRow, rec map[string]json.RawMessage) json.RawMessage {
	id := map[string]json.RawMessage{}
	for _, c := range t.Columns {
		if c.PrimaryKey {
			id[strconv.Itoa(c.Attnum)] = rec[strconv.Itoa(c.Attnum)]
		}
	}
	b, _ := json.Marshal(id)
	return b
}

// editableColumns are the columns the role may both read and UPDATE and that a text box can
// hold: not json, jsonb or arrays, whose values are JSON structures (change those over /rpc).
func editableColumns(t *tableRow) []columnRow {
	var out []columnRow
	for _, c := range readableColumns(t) {
		if slices.Contains(c.Priv, "UPDATE") && !strings.HasSuffix(c.Type, "[]") && c.Type != "json" && c.Type != "jsonb" {
			out = append(out, c)
		}
	}
	return out
}

// readableColumns are the columns the role may SELECT, in the table's column order.
func readableColumns(t *tableRow) []columnRow {
	var cols []columnRow
	for _, c := range t.Columns {
		if slices.Contains(c.Priv, "SELECT") {
			cols = append(cols, c)
		}
	}
	if len(t.ColumnOrder) > 0 {
		pos := map[int]int{}
		for i, a := range t.ColumnOrder {
			pos[a] = i
		}
		slices.SortStableFunc(cols, func(a, b columnRow) int {
			pa, oka := pos[a.Attnum]
			pb, okb := pos[b.Attnum]
			switch {
			case oka && okb:
				return pa - pb
			case oka:
				return -1
			case okb:
				return 1
			}
			return a.Attnum - b.Attnum
		})
	}
	return cols
}

// showValue writes a JSON value for a cell: strings as they are, NULL marked, anything else as
// JSON; long values are cut, in full in the title.
func showValue(raw json.RawMessage) cell {
	if len(raw) == 0 || string(raw) == "null" {
		return cell{Null: true, Text: "NULL"}
	}
	var text string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			text = string(raw)
		}
	} else {
		text = string(raw)
	}
	c := cell{Text: text}
	if utf8.RuneCountInString(text) > maxCell {
		c.Title = text
		r := []rune(text)
		c.Text = strings.TrimSpace(string(r[:maxCell])) + "…"
	}
	return c
}
