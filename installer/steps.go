package installer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/tern/v2/migrate"
)

// downSeparator splits a migration file into its up and down parts (tern's convention).
const downSeparator = "---- create above / drop below ----"

var stepFileRE = regexp.MustCompile(`^(\d+)_.+\.sql$`)

// Step is one migration step of a module, SQL or Go.
type Step struct {
	Version     int32
	Description string // the file name for SQL steps
	Checksum    string // sha256 of the file as embedded; "go:" + description for Go steps
	Up, Down    string // SQL with templates evaluated; empty for Go steps
	Data        DataMigration

	upLine int // line of the file on which Up starts, for error positions
}

// TemplateData is what migration templates see: {{.Schema}} is the instance's schema, already
// a plain identifier.
type TemplateData struct {
	Schema string
}

// Steps loads a module's migrations for an instance in schema, in order, checking that the
// numbering has no gaps and that every step can be reverted.
func (m *Module) Steps(schema string) ([]Step, error) {
	dir := m.Name + "/migrations"
	entries, err := fs.ReadDir(m.fsys(), dir)
	if err != nil {
		return nil, fmt.Errorf("module %q: read migrations: %w", m.Name, err)
	}
	byVersion := map[int32]Step{}
	add := func(s Step) error {
		if prev, ok := byVersion[s.Version]; ok {
			return fmt.Errorf("module %q: steps %q and %q both have version %d", m.Name, prev.Description, s.Description, s.Version)
		}
		byVersion[s.Version] = s
		return nil
	}
	for _, e := range entries {
		match := stepFileRE.FindStringSubmatch(e.Name())
		if e.IsDir() || match == nil {
			continue
		}
		v, err := strconv.ParseInt(match[1], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("module %q: %s: %w", m.Name, e.Name(), err)
		}
		body, err := fs.ReadFile(m.fsys(), path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		s, err := sqlStep(e.Name(), int32(v), body, TemplateData{Schema: schema})
		if err != nil {
			return nil, fmt.Errorf("module %q: %w", m.Name, err)
		}
		if err := add(s); err != nil {
			return nil, err
		}
	}
	for _, dm := range m.DataMigrations {
		if err := add(Step{Version: dm.Version(), Description: dm.Description(), Checksum: "go:" + dm.Description(), Data: dm}); err != nil {
			return nil, err
		}
	}
	steps := make([]Step, len(byVersion))
	for v, s := range byVersion {
		if v < 1 || int(v) > len(steps) {
			return nil, fmt.Errorf("module %q: step versions must run 1..%d without gaps; found %d (%s)", m.Name, len(steps), v, s.Description)
		}
		steps[v-1] = s
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("module %q: no migrations found", m.Name)
	}
	return steps, nil
}

// Code is a module's code for one instance: the files of sql/<module>/code in name order, with
// templates evaluated, and one checksum over all of them.
type Code struct {
	Files    []CodeFile
	Checksum string // sha256 over the files' names and contents as embedded
}

// CodeFile is one file of a module's code.
type CodeFile struct {
	Name string
	SQL  string
}

// Code loads a module's code for an instance in schema. A module without a code folder has
// empty code.
func (m *Module) Code(schema string) (*Code, error) {
	dir := m.Name + "/code"
	entries, err := fs.ReadDir(m.fsys(), dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("module %q: read code: %w", m.Name, err)
	}
	code := &Code{}
	sum := sha256.New()
	for _, e := range entries { // ReadDir sorts by name
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		body, err := fs.ReadFile(m.fsys(), path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if strings.Contains(string(body), downSeparator) {
			return nil, fmt.Errorf("module %q: code/%s has a down part; code is dropped by the installer, only migrations have one", m.Name, e.Name())
		}
		sql, err := evalTemplate("code/"+e.Name(), string(body), TemplateData{Schema: schema})
		if err != nil {
			return nil, fmt.Errorf("module %q: %w", m.Name, err)
		}
		fmt.Fprintf(sum, "%s\x00%d\x00", e.Name(), len(body))
		sum.Write(body)
		code.Files = append(code.Files, CodeFile{Name: "code/" + e.Name(), SQL: sql})
	}
	code.Checksum = hex.EncodeToString(sum.Sum(nil))
	return code, nil
}

func sqlStep(name string, version int32, body []byte, data TemplateData) (Step, error) {
	sum := sha256.Sum256(body)
	text := string(body)
	up, down, found := strings.Cut(text, downSeparator)
	if !found || strings.TrimSpace(down) == "" {
		return Step{}, fmt.Errorf("%s: no down part after %q; every step must be reversible so uninstall leaves nothing behind", name, downSeparator)
	}
	var err error
	if up, err = evalTemplate(name+" up", up, data); err != nil {
		return Step{}, err
	}
	if down, err = evalTemplate(name+" down", down, data); err != nil {
		return Step{}, err
	}
	return Step{Version: version, Description: name, Checksum: hex.EncodeToString(sum[:]), Up: up, Down: down, upLine: 1}, nil
}

func evalTemplate(name, text string, data TemplateData) (string, error) {
	if !strings.Contains(text, "{{") {
		return text, nil
	}
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return buf.String(), nil
}

// MigrationError reports a migration step or code file that failed. An operation runs in one
// transaction, so nothing of it was applied.
type MigrationError struct {
	Module string
	Step   string // migration file name, Go step description, or code/<file>
	Line   int    // line in the file where the server pointed, 0 when unknown
	Err    error
}

func (e *MigrationError) Error() string {
	where := e.Step
	if e.Line > 0 {
		where = fmt.Sprintf("%s line %d", e.Step, e.Line)
	}
	msg := fmt.Sprintf("module %q: %s failed: %v", e.Module, where, e.Err)
	var pgErr *pgconn.PgError
	if errors.As(e.Err, &pgErr) {
		if pgErr.Detail != "" {
			msg += "\n  detail: " + pgErr.Detail
		}
		if pgErr.Hint != "" {
			msg += "\n  hint: " + pgErr.Hint
		}
		if pgErr.Where != "" {
			msg += "\n  where: " + pgErr.Where
		}
	}
	return msg + "\n  nothing was changed: the whole operation rolled back"
}

func (e *MigrationError) Unwrap() error { return e.Err }

// ternMigration wraps a step so that tern runs it, and the bookkeeping after it, in one
// transaction.
func ternMigration(mod *Module, schema string, s Step) *migrate.Migration {
	record := func(ctx context.Context, conn *pgx.Conn, version int32, direction string) error {
		var exists bool
		// Reverting core's first step drops the bookkeeping itself; nothing is left to record in.
		if err := conn.QueryRow(ctx, `SELECT to_regprocedure('howdah_internal.record_step(text,text,integer,text,text,text,text[])') IS NOT NULL`).Scan(&exists); err != nil || !exists {
			return err
		}
		_, err := conn.Exec(ctx, `SELECT howdah_internal.record_step($1, $2, $3, $4, $5, $6, $7)`,
			mod.Name, schema, version, direction, s.Description, s.Checksum, ownedSchemas(schema))
		return err
	}
	run := func(sql string, startLine int) migrate.MigrationFunc {
		return func(ctx context.Context, conn *pgx.Conn) error {
			var err error
			if s.Data != nil {
				err = s.Data.Apply(context.WithValue(ctx, schemaKey{}, schema), conn)
			} else {
				_, err = conn.Exec(ctx, sql)
			}
			if err != nil {
				return &MigrationError{Module: mod.Name, Step: s.Description, Line: errorLine(sql, startLine, err), Err: err}
			}
			return nil
		}
	}
	up, down := run(s.Up, s.upLine), run(s.Down, strings.Count(s.Up, "\n")+1)
	return &migrate.Migration{
		Sequence: s.Version,
		Name:     s.Description,
		UpFunc: func(ctx context.Context, conn *pgx.Conn) error {
			if err := up(ctx, conn); err != nil {
				return err
			}
			return record(ctx, conn, s.Version, "up")
		},
		DownFunc: func(ctx context.Context, conn *pgx.Conn) error {
			// Data steps have nothing to undo: the SQL steps around them drop the tables.
			if s.Data == nil {
				if err := down(ctx, conn); err != nil {
					return err
				}
			}
			return record(ctx, conn, s.Version-1, "down")
		},
	}
}

// errorLine turns the server's character position into a line of the migration file.
func errorLine(sql string, startLine int, err error) int {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Position == 0 {
		return 0
	}
	// Position counts characters, not bytes.
	runes := []rune(sql)
	pos := int(pgErr.Position)
	if pos > len(runes) {
		return 0
	}
	return startLine + strings.Count(string(runes[:pos-1]), "\n")
}
