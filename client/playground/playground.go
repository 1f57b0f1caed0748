package playground

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/howdah/howdah/client/notifier"
)

// DefaultSchema is the schema of the module's default instance.
const DefaultSchema = "playground"

// ErrNotFound is wrapped by errors for an unknown snippet, example, precompiled object or run
// (SQLSTATE P0002).
var ErrNotFound = errors.New("not found")

// Error is a failed call of the module; it keeps the server's error (a *pgconn.PgError with
// Code, Message, Detail, Hint).
type Error struct {
	Op  string
	Err error
}

func (e *Error) Error() string { return "playground: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the server's error, and ErrNotFound for P0002.
func (e *Error) Unwrap() []error {
	var pg *pgconn.PgError
	if errors.As(e.Err, &pg) && pg.Code == "P0002" {
		return []error{e.Err, ErrNotFound}
	}
	return []error{e.Err}
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, Err: err}
}

// Config configures a Client. A nil Config means defaults.
type Config struct {
	// Schema is the module instance's schema; "" means DefaultSchema.
	Schema string
	// Notifier is the shared LISTEN connection WatchCancel subscribes through; WatchCancel
	// fails without it. The caller runs it.
	Notifier *notifier.Notifier
}

// Client calls one instance of the playground module through a pool.
type Client struct {
	pool   *pgxpool.Pool
	schema string // quoted identifier
	raw    string
	n      *notifier.Notifier

	catalog catalogCopy
}

// catalogCopy is the last catalog a Client read and its etag.
type catalogCopy struct {
	mu   sync.Mutex
	etag string
	doc  json.RawMessage
}

// get revalidates the copy against the module's cache and returns the current catalog.
func (k *catalogCopy) get(ctx context.Context, c *Client) (json.RawMessage, error) {
	k.mu.Lock()
	etag, doc := k.etag, k.doc
	k.mu.Unlock()
	var known *string // nil until a first read: catalog_if_changed(NULL) always sends the document
	if doc != nil {
		known = &etag
	}
	var cur string
	var fresh []byte
	err := c.pool.QueryRow(ctx, `SELECT etag, catalog FROM `+c.fn("catalog_if_changed")+`(known_etag => $1)`, known).Scan(&cur, &fresh)
	if err != nil {
		return nil, wrap("get catalog", err)
	}
	if fresh == nil { // the copy read under etag is current
		return doc, nil
	}
	k.mu.Lock()
	k.etag, k.doc = cur, fresh
	k.mu.Unlock()
	return fresh, nil
}

var schemaRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// New returns a Client for the instance cfg names.
func New(pool *pgxpool.Pool, cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	s := cfg.Schema
	if s == "" {
		s = DefaultSchema
	}
	if !schemaRE.MatchString(s) {
		return nil, fmt.Errorf("playground: schema %q: use lowercase letters, digits and _", s)
	}
	return &Client{pool: pool, schema: pgx.Identifier{s}.Sanitize(), raw: s, n: cfg.Notifier}, nil
}

// Cache returns the Redis replacement: pipeline sub-keys, expiry, catalog reads.
func (c *Client) Cache() *Cache { return &Cache{c} }

// Database returns the Datastore replacement: snippets, SDKs, examples, schema versions.
func (c *Client) Database() *Database { return &Database{c} }

// fn is the qualified name of a module function; names come from this package only.
func (c *Client) fn(name string) string { return c.schema + "." + name }

func (c *Client) scan(ctx context.Context, op, sql string, dst any, args ...any) error {
	return wrap(op, c.pool.QueryRow(ctx, sql, args...).Scan(dst))
}

func interval(d time.Duration) string { return fmt.Sprintf("%d microseconds", d.Microseconds()) }

// File is one file of a snippet.
type File struct {
	Name        string `json:"name"`
	Content     string `json:"content"`
	IsMain      bool   `json:"is_main"`
	ContextLine int    `json:"context_line"`
	// Key is <snippet>_<n>, set when read.
	Key string `json:"key,omitempty"`
}

// Dataset links a snippet to a dataset.
type Dataset struct {
	ID       string          `json:"id"`
	Path     string          `json:"path,omitempty"`
	Emulator string          `json:"emulator,omitempty"`
	Config   json.RawMessage `json:"config,omitempty"`
}

// Snippet is a saved piece of code. PutSnippet reads SDK, Files, PipelineOptions, Origin,
// Complexity, OwnerID, PersistenceKey, Datasets and SchemaVersion; GetSnippet fills all.
type Snippet struct {
	ID              string    `json:"id"`
	SDK             string    `json:"sdk"`
	Files           []File    `json:"files"`
	PipelineOptions string    `json:"pipeline_options"`
	Origin          string    `json:"origin"`
	Complexity      *string   `json:"complexity"`
	OwnerID         *string   `json:"owner_id"`
	PersistenceKey  *string   `json:"persistence_key"`
	SchemaVersion   *string   `json:"schema_version"`
	Datasets        []Dataset `json:"datasets"`
	Created         time.Time `json:"created"`
	LastVisited     time.Time `json:"last_visited"`
	VisitCount      int64     `json:"visit_count"`
	NumberOfFiles   int       `json:"number_of_files"`
}

// SDK is an SDK with its default example's id ("" when none).
type SDK struct {
	ID             string `json:"id"`
	DefaultExample string `json:"default_example,omitempty"`
}
