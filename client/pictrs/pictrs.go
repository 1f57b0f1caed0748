package pictrs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/howdah/howdah/client/notifier"
)

// DB is what the client runs its calls on: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Client calls the functions of one pictrs instance. It is safe for concurrent use when its
// DB is (a pool is).
type Client struct {
	db       DB
	schema   string
	fn       string // the schema, quoted, with a dot: where every call's function lives
	notifier *notifier.Notifier

	Hashes         Hashes
	Aliases        Aliases
	Settings       Settings
	Details        Details
	StoreMigration StoreMigration
	Proxies        Proxies
	Access         Access
	Uploads        Uploads
	Jobs           Jobs
}

var schemaRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,55}$`)

// New returns a client of the instance installed in schema ("" means the default, pictrs). n
// is the shared notifier Uploads.Wait and Jobs.Pop wait on; it may be nil when they are not used.
func New(db DB, schema string, n *notifier.Notifier) (*Client, error) {
	if db == nil {
		return nil, errors.New("pictrs: New needs a DB")
	}
	if schema == "" {
		schema = "pictrs"
	}
	if !schemaRE.MatchString(schema) {
		return nil, fmt.Errorf("pictrs: schema %q is not a pictrs schema name (lowercase letters, digits and _, at most 56)", schema)
	}
	c := &Client{db: db, schema: schema, fn: pgx.Identifier{schema}.Sanitize() + ".", notifier: n}
	c.Hashes, c.Aliases, c.Settings, c.Details = Hashes{c}, Aliases{c}, Settings{c}, Details{c}
	c.StoreMigration, c.Proxies, c.Access, c.Uploads, c.Jobs = StoreMigration{c}, Proxies{c}, Access{c}, Uploads{c}, Jobs{c}
	return c, nil
}

// Schema is the instance's schema.
func (c *Client) Schema() string { return c.schema }

// UploadChannel is the channel complete_upload notifies: <schema>_upload, payload the upload id.
func (c *Client) UploadChannel() string { return c.schema + "_upload" }

// QueueName is the howdah_queue queue that holds the jobs of the instance's queue q.
func (c *Client) QueueName(q string) string { return "pictrs." + c.schema + "." + q }

// call is the SQL of a call of the instance's function name with the named arguments, each
// given as "name => $n" by the caller (names are constants of this package, never input).
func (c *Client) call(name string, args ...string) string {
	return c.fn + name + "(" + strings.Join(args, ", ") + ")"
}

// scalar runs SELECT fn(args) and scans its one value into dst.
func (c *Client) scalar(ctx context.Context, dst any, name string, params []string, vals ...any) error {
	return c.db.QueryRow(ctx, "SELECT "+c.call(name, params...), vals...).Scan(dst)
}

// text runs a call returning text, "" for NULL.
func (c *Client) text(ctx context.Context, name string, params []string, vals ...any) (string, error) {
	var s *string
	if err := c.scalar(ctx, &s, name, params, vals...); err != nil || s == nil {
		return "", err
	}
	return *s, nil
}

func (c *Client) boolean(ctx context.Context, name string, params []string, vals ...any) (bool, error) {
	var b bool
	err := c.scalar(ctx, &b, name, params, vals...)
	return b, err
}

func (c *Client) exec(ctx context.Context, name string, params []string, vals ...any) error {
	_, err := c.db.Exec(ctx, "SELECT "+c.call(name, params...), vals...)
	return err
}

func (c *Client) texts(ctx context.Context, name string, params []string, vals ...any) ([]string, error) {
	rows, err := c.db.Query(ctx, "SELECT * FROM "+c.call(name, params...), vals...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func p(s ...string) []string { return s }

// Hashes is HashRepo: original files by content hash.
type Hashes struct{ c *Client }

// Size is the number of hashes (size).
func (h Hashes) Size(ctx context.Context) (int64, error) {
	var n int64
	err := h.c.scalar(ctx, &n, "size", nil)
	return n, err
}

// Page returns up to n hashes after after ("" for the first page), in order (hashes_page); n
// 0 means the function's default (1000).
func (h Hashes) Page(ctx context.Context, after string, n int) ([]string, error) {
	params, vals := []string{}, []any{}
	if after != "" {
		vals = append(vals, after)
		params = append(params, fmt.Sprintf("after => $%d", len(vals)))
	}
	if n != 0 {
		vals = append(vals, n)
		params = append(params, fmt.Sprintf("n => $%d", len(vals)))
	}
	return h.c.texts(ctx, "hashes_page", params, vals...)
}

// All streams every hash in order, by keyset pages of batch hashes (0: the default, 1000), each
// page one short query whatever its depth. An error ends the sequence.
func (h Hashes) All(ctx context.Context, batch int) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		after := ""
		for {
			page, err := h.Page(ctx, after, batch)
			if err != nil {
				yield("", err)
				return
			}
			for _, s := range page {
				if !yield(s, nil) {
					return
				}
			}
			want := batch
			if want == 0 {
				want = 1000
			}
			if len(page) < want {
				return
			}
			after = page[len(page)-1]
		}
	}
}

// Create stores a hash and its file's identifier (create_hash): true when created, false when
// the hash existed (nothing changed).
func (h Hashes) Create(ctx context.Context, hash, identifier string) (bool, error) {
	s, err := h.c.text(ctx, "create_hash", p("hash => $1", "identifier => $2"), hash, identifier)
	return s == "created", err
}

// UpdateIdentifier points a hash at another file (update_identifier).
func (h Hashes) UpdateIdentifier(ctx context.Context, hash, identifier string) error {
	return h.c.exec(ctx, "update_identifier", p("hash => $1", "identifier => $2"), hash, identifier)
}

// Identifier is the identifier of a hash's file, "" for an unknown hash (identifier).
func (h Hashes) Identifier(ctx context.Context, hash string) (string, error) {
	return h.c.text(ctx, "identifier", p("hash => $1"), hash)
}

// RelateMotionIdentifier records a hash's motion file (relate_motion_identifier).
func (h Hashes) RelateMotionIdentifier(ctx context.Context, hash, identifier string) error {
	return h.c.exec(ctx, "relate_motion_identifier", p("hash => $1", "identifier => $2"), hash, identifier)
}

// MotionIdentifier is a hash's motion file, "" when none (motion_identifier).
func (h Hashes) MotionIdentifier(ctx context.Context, hash string) (string, error) {
	return h.c.text(ctx, "motion_identifier", p("hash => $1"), hash)
}

// RelateBlurhash records a hash's blurhash (relate_blurhash).
func (h Hashes) RelateBlurhash(ctx context.Context, hash, blurhash string) error {
	return h.c.exec(ctx, "relate_blurhash", p("hash => $1", "blurhash => $2"), hash, blurhash)
}

// Blurhash is a hash's blurhash, "" when none (blurhash).
func (h Hashes) Blurhash(ctx context.Context, hash string) (string, error) {
	return h.c.text(ctx, "blurhash", p("hash => $1"), hash)
}

// RelateVariantIdentifier records the file of a variant (relate_variant_identifier): true, or
// false when the variant had a file already (unchanged).
func (h Hashes) RelateVariantIdentifier(ctx context.Context, hash, variant, identifier string) (bool, error) {
	s, err := h.c.text(ctx, "relate_variant_identifier", p("hash => $1", "variant => $2", "identifier => $3"), hash, variant, identifier)
	return s == "ok", err
}

// VariantIdentifier is the file of a variant, "" when none (variant_identifier).
func (h Hashes) VariantIdentifier(ctx context.Context, hash, variant string) (string, error) {
	return h.c.text(ctx, "variant_identifier", p("hash => $1", "variant => $2"), hash, variant)
}

// Variant is a generated file of a hash.
type Variant struct {
	Variant    string
	Identifier string
}

// Variants lists a hash's variants by variant (variants).
func (h Hashes) Variants(ctx context.Context, hash string) ([]Variant, error) {
	rows, err := h.c.db.Query(ctx, "SELECT * FROM "+h.c.call("variants", "hash => $1"), hash)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Variant])
}

// RemoveVariant forgets a variant (remove_variant); false when there was none.
func (h Hashes) RemoveVariant(ctx context.Context, hash, variant string) (bool, error) {
	return h.c.boolean(ctx, "remove_variant", p("hash => $1", "variant => $2"), hash, variant)
}

// Cleanup removes a hash with its variants, aliases and proxies and returns every identifier
// whose file must now be deleted, each once (cleanup_hash).
func (h Hashes) Cleanup(ctx context.Context, hash string) ([]string, error) {
	return h.c.texts(ctx, "cleanup_hash", p("hash => $1"), hash)
}

// Aliases is AliasRepo: the names users see.
type Aliases struct{ c *Client }

// Create names a hash (create_alias): true, or false when the alias is taken.
func (a Aliases) Create(ctx context.Context, alias, hash, deleteToken string) (bool, error) {
	s, err := a.c.text(ctx, "create_alias", p("alias => $1", "hash => $2", "delete_token => $3"), alias, hash, deleteToken)
	return s == "ok", err
}

// DeleteToken is an alias's delete token, "" for an unknown alias (delete_token).
func (a Aliases) DeleteToken(ctx context.Context, alias string) (string, error) {
	return a.c.text(ctx, "delete_token", p("alias => $1"), alias)
}

// Hash is the hash an alias names, "" for an unknown alias (hash_for_alias).
func (a Aliases) Hash(ctx context.Context, alias string) (string, error) {
	return a.c.text(ctx, "hash_for_alias", p("alias => $1"), alias)
}

// ForHash lists a hash's aliases (aliases_for_hash).
func (a Aliases) ForHash(ctx context.Context, hash string) ([]string, error) {
	return a.c.texts(ctx, "aliases_for_hash", p("hash => $1"), hash)
}

// Cleanup removes an alias and its proxy relation and returns the hash it named, "" when the
// alias was unknown (cleanup_alias).
func (a Aliases) Cleanup(ctx context.Context, alias string) (string, error) {
	return a.c.text(ctx, "cleanup_alias", p("alias => $1"), alias)
}

// Settings is SettingsRepo: key-value settings, bytes.
type Settings struct{ c *Client }

// Set sets a setting (set_setting).
func (s Settings) Set(ctx context.Context, key string, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	return s.c.exec(ctx, "set_setting", p("key => $1", "value => $2::bytea"), key, value)
}

// Get is a setting's value, nil when not set (get_setting).
func (s Settings) Get(ctx context.Context, key string) ([]byte, error) {
	var b []byte
	err := s.c.scalar(ctx, &b, "get_setting", p("key => $1"), key)
	return b, err
}

// Remove removes a setting (remove_setting); false when it was not set.
func (s Settings) Remove(ctx context.Context, key string) (bool, error) {
	return s.c.boolean(ctx, "remove_setting", p("key => $1"), key)
}

// Details is DetailsRepo: what is known of a stored file, a JSON object.
type Details struct{ c *Client }

// Relate records a file's details (relate_details).
func (d Details) Relate(ctx context.Context, identifier string, details json.RawMessage) error {
	return d.c.exec(ctx, "relate_details", p("identifier => $1", "details => $2::jsonb"), identifier, string(details))
}

// Get is a file's details, nil when none are recorded (details).
func (d Details) Get(ctx context.Context, identifier string) (json.RawMessage, error) {
	var s *string
	if err := d.c.scalar(ctx, &s, "details", p("identifier => $1"), identifier); err != nil || s == nil {
		return nil, err
	}
	return json.RawMessage(*s), nil
}

// Cleanup forgets a file's details (cleanup_details); false when none were recorded.
func (d Details) Cleanup(ctx context.Context, identifier string) (bool, error) {
	return d.c.boolean(ctx, "cleanup_details", p("identifier => $1"), identifier)
}

// StoreMigration is StoreMigrationRepo: the files a store migration already copied.
type StoreMigration struct{ c *Client }

// IsContinuing reports whether a migration recorded files (is_continuing_migration).
func (s StoreMigration) IsContinuing(ctx context.Context) (bool, error) {
	return s.c.boolean(ctx, "is_continuing_migration", nil)
}

// MarkMigrated records a copied file (mark_migrated).
func (s StoreMigration) MarkMigrated(ctx context.Context, oldIdentifier, newIdentifier string) error {
	return s.c.exec(ctx, "mark_migrated", p("old_identifier => $1", "new_identifier => $2"), oldIdentifier, newIdentifier)
}

// IsMigrated reports whether a file of the old store was copied (is_migrated).
func (s StoreMigration) IsMigrated(ctx context.Context, identifier string) (bool, error) {
	return s.c.boolean(ctx, "is_migrated", p("identifier => $1"), identifier)
}

// Clear forgets the records of a finished migration and returns how many (clear_migrations).
func (s StoreMigration) Clear(ctx context.Context) (int64, error) {
	var n int64
	err := s.c.scalar(ctx, &n, "clear_migrations", nil)
	return n, err
}

// Proxies is ProxyRepo: remote URLs served through an alias.
type Proxies struct{ c *Client }

// RelateURL relates a URL to an alias (relate_url): true, or false when the URL was related.
func (pr Proxies) RelateURL(ctx context.Context, url, alias string) (bool, error) {
	s, err := pr.c.text(ctx, "relate_url", p("url => $1", "alias => $2"), url, alias)
	return s == "ok", err
}

// Related is the alias of a URL, "" when none (related).
func (pr Proxies) Related(ctx context.Context, url string) (string, error) {
	return pr.c.text(ctx, "related", p("url => $1"), url)
}

// RemoveRelation forgets the URLs of an alias and returns how many (remove_relation).
func (pr Proxies) RemoveRelation(ctx context.Context, alias string) (int, error) {
	var n int
	err := pr.c.scalar(ctx, &n, "remove_relation", p("alias => $1"), alias)
	return n, err
}

// Access is AliasAccessRepo and VariantAccessRepo: access times for eviction.
type Access struct{ c *Client }

// AliasAccessed marks a proxied alias accessed now (alias_accessed); false when not proxied.
func (a Access) AliasAccessed(ctx context.Context, alias string) (bool, error) {
	return a.c.boolean(ctx, "alias_accessed", p("alias => $1"), alias)
}

// OlderAliases lists up to n proxied aliases last accessed before before, oldest first
// (older_aliases); n 0 means the default (1000).
func (a Access) OlderAliases(ctx context.Context, before time.Time, n int) ([]string, error) {
	if n == 0 {
		return a.c.texts(ctx, "older_aliases", p("before => $1"), before)
	}
	return a.c.texts(ctx, "older_aliases", p("before => $1", "n => $2"), before, n)
}

// RemoveAliasAccess stops tracking an alias's access (remove_alias_access).
func (a Access) RemoveAliasAccess(ctx context.Context, alias string) (bool, error) {
	return a.c.boolean(ctx, "remove_alias_access", p("alias => $1"), alias)
}

// VariantAccessed marks a variant accessed now (variant_accessed); false when unknown.
func (a Access) VariantAccessed(ctx context.Context, hash, variant string) (bool, error) {
	return a.c.boolean(ctx, "variant_accessed", p("hash => $1", "variant => $2"), hash, variant)
}

// ContainsVariant reports whether a variant's access is tracked (contains_variant).
func (a Access) ContainsVariant(ctx context.Context, hash, variant string) (bool, error) {
	return a.c.boolean(ctx, "contains_variant", p("hash => $1", "variant => $2"), hash, variant)
}

// HashVariant names a variant of a hash.
type HashVariant struct {
	Hash    string
	Variant string
}

// OlderVariants lists up to n variants last accessed before before, oldest first
// (older_variants); n 0 means the default (1000).
func (a Access) OlderVariants(ctx context.Context, before time.Time, n int) ([]HashVariant, error) {
	sql := "SELECT * FROM " + a.c.call("older_variants", "before => $1")
	args := []any{before}
	if n != 0 {
		sql = "SELECT * FROM " + a.c.call("older_variants", "before => $1", "n => $2")
		args = append(args, n)
	}
	rows, err := a.c.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[HashVariant])
}

// RemoveVariantAccess stops tracking a variant's access (remove_variant_access).
func (a Access) RemoveVariantAccess(ctx context.Context, hash, variant string) (bool, error) {
	return a.c.boolean(ctx, "remove_variant_access", p("hash => $1", "variant => $2"), hash, variant)
}
