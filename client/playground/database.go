package playground

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

// Database is the Playground backend's Datastore interface over the module.
type Database struct{ c *Client }

func nullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// PutSnippet saves s and returns its id, a content hash: the same content gives the same id
// and is stored once. With a PersistenceKey, older snippets with that key are removed.
func (d *Database) PutSnippet(ctx context.Context, s *Snippet) (string, error) {
	files, err := json.Marshal(s.Files)
	if err != nil {
		return "", err
	}
	var datasets any
	if len(s.Datasets) > 0 {
		b, err := json.Marshal(s.Datasets)
		if err != nil {
			return "", err
		}
		datasets = string(b)
	}
	origin := s.Origin
	if origin == "" {
		origin = "user"
	}
	var id string
	err = d.c.scan(ctx, "put snippet", `SELECT `+d.c.fn("put_snippet")+`(sdk => $1, files => $2::jsonb, pipeline_options => $3, origin => $4,
		complexity => $5, owner_id => $6, persistence_key => $7, datasets => $8::jsonb, schema_version => $9)`, &id,
		s.SDK, string(files), s.PipelineOptions, origin, nullable(s.Complexity), nullable(s.OwnerID), nullable(s.PersistenceKey), datasets, nullable(s.SchemaVersion))
	return id, err
}

// GetSnippet returns a snippet with its files and counts the visit.
func (d *Database) GetSnippet(ctx context.Context, id string) (*Snippet, error) {
	var raw []byte
	if err := d.c.scan(ctx, "get snippet", `SELECT `+d.c.fn("get_snippet")+`(id => $1)`, &raw, id); err != nil {
		return nil, err
	}
	var s Snippet
	return &s, wrap("get snippet", json.Unmarshal(raw, &s))
}

// GetFiles returns a snippet's files in order, without counting a visit.
func (d *Database) GetFiles(ctx context.Context, id string) ([]File, error) {
	return d.files(ctx, "get files", "snippet_files", id)
}

func (d *Database) files(ctx context.Context, op, fn, id string) ([]File, error) {
	var raw []byte
	if err := d.c.scan(ctx, op, `SELECT `+d.c.fn(fn)+`(id => $1)`, &raw, id); err != nil {
		return nil, err
	}
	var files []File
	return files, wrap(op, json.Unmarshal(raw, &files))
}

// PutSDKs adds the SDKs and sets the default examples given (an example id or name).
func (d *Database) PutSDKs(ctx context.Context, sdks []SDK) error {
	b, err := json.Marshal(sdks)
	if err != nil {
		return err
	}
	_, err = d.c.pool.Exec(ctx, `SELECT `+d.c.fn("put_sdks")+`(sdks => $1::jsonb)`, string(b))
	if err != nil {
		return wrap("put sdks", err)
	}
	for _, s := range sdks {
		if s.DefaultExample != "" {
			if _, err := d.c.pool.Exec(ctx, `SELECT `+d.c.fn("set_default_example")+`(sdk => $1, example => $2)`, s.ID, s.DefaultExample); err != nil {
				return wrap("put sdks", err)
			}
		}
	}
	return nil
}

// GetSDKs returns the SDKs by id.
func (d *Database) GetSDKs(ctx context.Context) ([]SDK, error) {
	rows, err := d.c.pool.Query(ctx, `SELECT id, coalesce(default_example, '') FROM `+d.c.fn("sdks")+`()`)
	if err != nil {
		return nil, wrap("get sdks", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[SDK])
	return out, wrap("get sdks", err)
}

// GetCatalog returns the examples catalog (by SDK, category, name). The Client keeps the last
// copy it read and revalidates it on every call (catalog_if_changed: one round trip that
// carries the document only when it changed), so the result is never stale and a page load
// does not transfer several MB. The returned bytes are shared by the Client's callers: do not
// modify them.
func (d *Database) GetCatalog(ctx context.Context) (json.RawMessage, error) {
	return d.c.catalog.get(ctx, d.c)
}

// GetDefaultExamples returns each SDK's default example (SDKs without one are left out).
func (d *Database) GetDefaultExamples(ctx context.Context) (map[string]json.RawMessage, error) {
	rows, err := d.c.pool.Query(ctx, `SELECT s.id, `+d.c.fn("default_example")+`(sdk => s.id) FROM `+d.c.fn("sdks")+`() s`)
	if err != nil {
		return nil, wrap("get default examples", err)
	}
	out := map[string]json.RawMessage{}
	var sdk string
	var ex []byte
	_, err = pgx.ForEachRow(rows, []any{&sdk, &ex}, func() error {
		if ex != nil {
			out[sdk] = append(json.RawMessage(nil), ex...)
		}
		return nil
	})
	return out, wrap("get default examples", err)
}

// GetExample returns one example (id <SDK>_<name>) as the catalog shows it.
func (d *Database) GetExample(ctx context.Context, id string) (json.RawMessage, error) {
	var raw []byte
	err := d.c.scan(ctx, "get example", `SELECT `+d.c.fn("example")+`(id => $1)`, &raw, id)
	return raw, err
}

// GetExampleCode returns the files of an example.
func (d *Database) GetExampleCode(ctx context.Context, id string) ([]File, error) {
	return d.files(ctx, "get example code", "example_code", id)
}

func (d *Database) output(ctx context.Context, id, kind string) (string, error) {
	var s string
	err := d.c.scan(ctx, "get example "+kind, `SELECT `+d.c.fn("example_output")+`(id => $1, kind => $2)`, &s, id, kind)
	return s, err
}

// GetExampleOutput returns an example's precompiled run output.
func (d *Database) GetExampleOutput(ctx context.Context, id string) (string, error) {
	return d.output(ctx, id, "OUTPUT")
}

// GetExampleLogs returns an example's precompiled logs.
func (d *Database) GetExampleLogs(ctx context.Context, id string) (string, error) {
	return d.output(ctx, id, "LOG")
}

// GetExampleGraph returns an example's precompiled pipeline graph.
func (d *Database) GetExampleGraph(ctx context.Context, id string) (string, error) {
	return d.output(ctx, id, "GRAPH")
}

// DeleteUnusedSnippets removes user snippets not visited for olderThan; it returns how many.
func (d *Database) DeleteUnusedSnippets(ctx context.Context, olderThan time.Duration) (int, error) {
	var n int
	err := d.c.scan(ctx, "delete unused snippets", `SELECT `+d.c.fn("prune_snippets")+`(older_than => $1::interval)`, &n, interval(olderThan))
	return n, err
}

// DeleteSnippet removes a snippet; deleting one that does not exist is not an error.
func (d *Database) DeleteSnippet(ctx context.Context, id string) error {
	_, err := d.c.pool.Exec(ctx, `SELECT `+d.c.fn("delete_snippet")+`(id => $1)`, id)
	return wrap("delete snippet", err)
}

// PutSchemaVersion records a data schema version.
func (d *Database) PutSchemaVersion(ctx context.Context, version, description string) error {
	_, err := d.c.pool.Exec(ctx, `SELECT `+d.c.fn("put_schema_version")+`(version => $1, description => $2)`, version, description)
	return wrap("put schema version", err)
}

// Import loads a catalog document (docs/playground.md) idempotently and returns the module's
// counts.
func (d *Database) Import(ctx context.Context, doc []byte) (json.RawMessage, error) {
	var raw []byte
	err := d.c.scan(ctx, "import", `SELECT `+d.c.fn("import_catalog")+`(doc => $1::jsonb)`, &raw, string(doc))
	return raw, err
}
