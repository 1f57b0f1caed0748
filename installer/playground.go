package installer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// playgroundSplitFiles is the playground module's step 3, the data part of its schema version
// 2: every snippet's inline files (v1's snippets.files jsonb array) become rows of the files
// table, with number_of_files recomputed and exactly one main file per snippet. Snippet ids and
// contents do not change. It walks the snippets in batches by id, so memory stays bounded.
type playgroundSplitFiles struct{}

func (playgroundSplitFiles) Version() int32 { return 3 }

func (playgroundSplitFiles) Description() string {
	return "split inline snippet files into the files table"
}

// playgroundV1File is one element of a v1 snippet's inline files.
type playgroundV1File struct {
	Name        string `json:"name"`
	Content     string `json:"content"`
	IsMain      bool   `json:"is_main"`
	ContextLine int    `json:"context_line"`
}

// playgroundFileRow is one row of the files table, as jsonb_to_recordset reads it.
type playgroundFileRow struct {
	Snippet     string `json:"snippet"`
	Ordinal     int    `json:"ordinal"`
	Name        string `json:"name"`
	Content     string `json:"content"`
	IsMain      bool   `json:"is_main"`
	ContextLine int    `json:"context_line"`
}

// playgroundMainFile picks the main file: the first one marked main, else the first file.
func playgroundMainFile(files []playgroundV1File) int {
	for i, f := range files {
		if f.IsMain {
			return i
		}
	}
	return 0
}

func (playgroundSplitFiles) Apply(ctx context.Context, db DB) error {
	schema := InstanceSchema(ctx)
	if schema == "" {
		return errors.New("playground data step: no instance schema")
	}
	// schema is a plain identifier (schemaFor checks it), so it needs no quoting.
	const batch = 500
	last := ""
	for {
		rows, err := db.Query(ctx, fmt.Sprintf(`SELECT id, coalesce(files, '[]') FROM %s.snippets WHERE id > $1 ORDER BY id LIMIT %d`, schema, batch), last)
		if err != nil {
			return err
		}
		var out []playgroundFileRow
		var ids []string
		counts := map[string]int{}
		for rows.Next() {
			var id string
			var raw []byte
			if err := rows.Scan(&id, &raw); err != nil {
				rows.Close()
				return err
			}
			var files []playgroundV1File
			if err := json.Unmarshal(raw, &files); err != nil {
				rows.Close()
				return fmt.Errorf("snippet %q: inline files: %w", id, err)
			}
			main := playgroundMainFile(files)
			seen := map[string]bool{}
			for i, f := range files {
				if f.Name == "" || seen[f.Name] {
					rows.Close()
					return fmt.Errorf("snippet %q: file %d has an empty or repeated name %q; give each file a unique name and upgrade again", id, i, f.Name)
				}
				seen[f.Name] = true
				out = append(out, playgroundFileRow{Snippet: id, Ordinal: i, Name: f.Name, Content: f.Content,
					IsMain: i == main, ContextLine: max(f.ContextLine, 0)})
			}
			ids = append(ids, id)
			counts[id] = len(files)
			last = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		body, err := json.Marshal(out)
		if err != nil {
			return err
		}
		if _, err := db.Exec(ctx, fmt.Sprintf(`INSERT INTO %s.files (snippet, ordinal, name, content, is_main, context_line)
			SELECT r.snippet, r.ordinal, r.name, r.content, r.is_main, r.context_line
			  FROM jsonb_to_recordset($1::jsonb) AS r(snippet text, ordinal integer, name text, content text, is_main boolean, context_line integer)`, schema), body); err != nil {
			return err
		}
		countJSON, err := json.Marshal(counts)
		if err != nil {
			return err
		}
		if _, err := db.Exec(ctx, fmt.Sprintf(`UPDATE %s.snippets s SET number_of_files = (c.value)::integer, files = NULL
			  FROM jsonb_each_text($1::jsonb) AS c WHERE s.id = c.key`, schema), countJSON); err != nil {
			return err
		}
		if len(ids) < batch {
			return nil
		}
	}
}
