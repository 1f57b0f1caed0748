package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// editView is a record's edit form: the columns the role may read, those it may change as text
// boxes.
type editView struct {
	Action  string
	CSRF    string
	ID      string
	Back    string
	Fields  []editField
	Problem *problem
}

type editField struct {
	Column   columnRow
	Value    string
	Null     bool
	Editable bool
	// Orig and OrigNull are the value the form was drawn with: only fields that differ from
	// them are sent, so a column someone else changed meanwhile is left alone.
	Orig     string
	OrigNull bool
}

// editRecord shows (GET) and saves (POST, through howdah.patch_record) one record.
func (u *UI) editRecord(q *request) {
	if !u.requireModule(q, "Catalog") {
		return
	}
	q.view.Title = "Edit record"
	p := &catalogPage{}
	q.view.Page = p
	schOID, err1 := strconv.ParseInt(q.r.PathValue("schema"), 10, 64)
	tabOID, err2 := strconv.ParseInt(q.r.PathValue("table"), 10, 64)
	id := q.r.FormValue("id")
	if err1 != nil || err2 != nil || !json.Valid([]byte(id)) || len(id) == 0 || id[0] != '{' {
		p.Problem = &problem{Title: "Not found", Message: "This is not the address of a record.",
			Try: []string{"Open the table and use a record's Edit link."}, Status: http.StatusNotFound}
		u.render(q.w, q.r, http.StatusNotFound, "catalog", q.view)
		return
	}
	ev := &editView{Action: fmt.Sprintf("/ui/catalog/%d/%d/edit", schOID, tabOID), ID: id,
		Back: safeNext(q.r.FormValue("back")), CSRF: q.view.CSRF}
	p.Edit = ev
	res := q.run(u,
		call{method: "howdah.list_schemas"},
		call{method: "howdah.get_schema_table_details", params: map[string]any{"sch": schOID}},
	)
	var schemas []schemaRow
	var tables []tableRow
	for i, v := range []any{&schemas, &tables} {
		if pr := decode(res[i], v); pr != nil {
			p.Problem = pr
			u.render(q.w, q.r, pr.Status, "catalog", q.view)
			return
		}
	}
	for i := range schemas {
		if slices.Contains(schemas[i].Priv, "USAGE") {
			p.Schemas = append(p.Schemas, schemas[i])
		}
		if schemas[i].OID == schOID {
			p.Schema = &schemas[i]
		}
	}
	for i := range tables {
		if tables[i].visible() {
			p.Tables = append(p.Tables, tables[i])
		}
	}
	for i := range p.Tables {
		if p.Tables[i].OID == tabOID {
			p.Table = &p.Tables[i]
		}
	}
	if p.Table == nil {
		p.Problem = &problem{Title: "Not found", Message: "This schema has no such table you may use.",
			Try: []string{"Pick a table from the list."}, Status: http.StatusNotFound}
		u.render(q.w, q.r, http.StatusNotFound, "catalog", q.view)
		return
	}
	q.view.Title = "Edit a record of " + p.Table.Name
	editable := map[int]bool{}
	for _, c := range editableColumns(p.Table) {
		editable[c.Attnum] = true
	}
	status := http.StatusOK
	if q.r.Method == http.MethodPost {
		rec := map[string]any{}
		for _, c := range readableColumns(p.Table) {
			if !editable[c.Attnum] {
				continue
			}
			k := strconv.Itoa(c.Attnum)
			val, null := q.r.PostFormValue("c"+k), q.r.PostFormValue("n"+k) == "on"
			if val == q.r.PostFormValue("o"+k) && null == (q.r.PostFormValue("on"+k) == "on") {
				continue
			}
			if null {
				rec[k] = nil
			} else {
				rec[k] = val
			}
		}
		r := q.run(u, call{method: "howdah.patch_record", params: map[string]any{"tab": tabOID, "id": json.RawMessage(id), "rec": rec}})[0]
		if r.Err == nil {
			http.Redirect(q.w, q.r, ev.Back, http.StatusSeeOther)
			return
		}
		// Draw the form again with what was typed, and the database's refusal.
		ev.Problem = explain(r.Err)
		status = ev.Problem.Status
		for _, c := range readableColumns(p.Table) {
			k := strconv.Itoa(c.Attnum)
			ev.Fields = append(ev.Fields, editField{Column: c, Editable: editable[c.Attnum],
				Value: q.r.PostFormValue("c" + k), Null: q.r.PostFormValue("n"+k) == "on",
				Orig: q.r.PostFormValue("o" + k), OrigNull: q.r.PostFormValue("on"+k) == "on"})
		}
		u.render(q.w, q.r, status, "catalog", q.view)
		return
	}
	var rec map[string]json.RawMessage
	if pr := decode(q.run(u, call{method: "howdah.get_record", params: map[string]any{"tab": tabOID, "id": json.RawMessage(id)}})[0], &rec); pr != nil {
		p.Problem = pr
		u.render(q.w, q.r, pr.Status, "catalog", q.view)
		return
	}
	for _, c := range readableColumns(p.Table) {
		v := showFull(rec[strconv.Itoa(c.Attnum)])
		ev.Fields = append(ev.Fields, editField{Column: c, Editable: editable[c.Attnum],
			Value: v.Text, Null: v.Null, Orig: v.Text, OrigNull: v.Null})
	}
	u.render(q.w, q.r, status, "catalog", q.view)
}

// showFull is showValue without the cut: the whole value, for a text box.
func showFull(raw json.RawMessage) cell {
	c := showValue(raw)
	if c.Title != "" {
		c.Text = c.Title
	}
	if c.Null {
		c.Text = ""
	}
	return c
}
