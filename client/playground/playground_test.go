package playground_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/howdah/howdah/client/notifier"
	"github.com/howdah/howdah/client/playground"
	"github.com/howdah/howdah/internal/pgtest"
	"github.com/howdah/howdah/internal/playgroundsample"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type bundle struct {
	ctx    context.Context
	url    string
	pool   *pgxpool.Pool
	client *playground.Client
	n      *notifier.Notifier
}

// setup installs every module (the playground in its default schema) into a fresh database
// and returns a client with a running notifier.
func setup(t *testing.T) *bundle {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	url := pgtest.NewDatabase(t)
	pgtest.Install(t, pgtest.Connect(t, url))
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	cc, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	n, err := notifier.New(cc, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	c, err := playground.New(pool, &playground.Config{Notifier: n})
	if err != nil {
		t.Fatal(err)
	}
	return &bundle{ctx: ctx, url: url, pool: pool, client: c, n: n}
}

// TestVisit plays a visit to the playground: import the catalog, read it, save a snippet twice
// (one id), start a run, stream its output incrementally, and cancel it from another client
// while the runner watches.
func TestVisit(t *testing.T) {
	b := setup(t)
	db, cache := b.client.Database(), b.client.Cache()

	counts, err := db.Import(b.ctx, playgroundsample.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]int
	if err := json.Unmarshal(counts, &got); err != nil || got["examples"] != 5 {
		t.Fatalf("import counts %s (%v), want 5 examples", counts, err)
	}
	if again, err := db.Import(b.ctx, playgroundsample.Catalog); err != nil || !strings.Contains(string(again), `"removed": 0`) {
		t.Fatalf("second import: %s %v", again, err)
	}

	var catalog []struct {
		SDK        string `json:"sdk"`
		Categories []struct {
			Name     string `json:"name"`
			Examples []struct {
				ID string `json:"id"`
			} `json:"examples"`
		} `json:"categories"`
	}
	raw, err := cache.GetCatalog(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &catalog); err != nil || len(catalog) != 3 || catalog[0].SDK != "SDK_GO" {
		t.Fatalf("catalog %s (%v)", raw, err)
	}
	def, err := cache.GetDefaultPrecompiledObject(b.ctx, "SDK_GO")
	if err != nil || !strings.Contains(string(def), `"SDK_GO_MinimalWordCount"`) {
		t.Fatalf("default example %s (%v)", def, err)
	}
	if _, err := cache.GetDefaultPrecompiledObject(b.ctx, "SDK_JAVA"); !errors.Is(err, playground.ErrNotFound) {
		t.Fatalf("SDK_JAVA has no default: err = %v, want ErrNotFound", err)
	}
	code, err := db.GetExampleCode(b.ctx, "SDK_GO_Windowing")
	if err != nil || len(code) != 2 || !code[0].IsMain {
		t.Fatalf("example code %+v (%v)", code, err)
	}
	if out, err := db.GetExampleOutput(b.ctx, "SDK_GO_MinimalWordCount"); err != nil || !strings.HasPrefix(out, "king: 311") {
		t.Fatalf("example output %q (%v)", out, err)
	}
	if _, err := db.GetExampleLogs(b.ctx, "SDK_PYTHON_HelloBeam"); !errors.Is(err, playground.ErrNotFound) {
		t.Fatalf("missing logs: err = %v, want ErrNotFound", err)
	}

	s := &playground.Snippet{SDK: "SDK_GO", Files: []playground.File{{Name: "main.go", Content: "package main\n\nfunc main() {}\n"}}}
	id1, err := db.PutSnippet(b.ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := db.PutSnippet(b.ctx, s)
	if err != nil || id2 != id1 {
		t.Fatalf("second save: id %q (%v), want %q", id2, err, id1)
	}
	got1, err := db.GetSnippet(b.ctx, id1)
	if err != nil || got1.VisitCount != 1 || len(got1.Files) != 1 || !got1.Files[0].IsMain || got1.Files[0].Key != id1+"_0" {
		t.Fatalf("snippet %+v (%v)", got1, err)
	}

	// The runner starts the run and streams output; the browser polls it incrementally.
	run, err := b.client.StartRun(b.ctx, "", playground.RunOptions{Snippet: id1})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{"preparing", "compiling", "executing"} {
		if err := cache.SetValue(b.ctx, run, playground.SubKeyStatus, st); err != nil {
			t.Fatal(err)
		}
	}
	if err := cache.SetValue(b.ctx, run, playground.SubKeyStatus, "validating"); err == nil || !strings.Contains(err.Error(), "cannot go from executing to validating") {
		t.Fatalf("illegal transition: err = %v", err)
	}
	var seen strings.Builder
	idx := 0
	for i, chunk := range []string{"line 1\n", "line 2\n", "line 3\n"} {
		if _, err := b.client.AppendOutput(b.ctx, run, "run_output", chunk); err != nil {
			t.Fatal(err)
		}
		text, next, err := b.client.ReadOutput(b.ctx, run, "run_output", idx)
		if err != nil || text != chunk || next != i+1 {
			t.Fatalf("poll %d: %q next %d (%v), want %q next %d", i, text, next, err, chunk, i+1)
		}
		seen.WriteString(text)
		idx = next
	}
	if seen.String() != "line 1\nline 2\nline 3\n" {
		t.Fatalf("streamed %q", seen.String())
	}
	if err := cache.SetValue(b.ctx, run, "RunOutputIndex", idx); err != nil {
		t.Fatal(err)
	}
	if v, err := cache.GetValue(b.ctx, run, "RunOutputIndex"); err != nil || string(v) != "3" {
		t.Fatalf("RunOutputIndex %s (%v)", v, err)
	}
	if err := cache.SetExpTime(b.ctx, run, 10*time.Minute); err != nil {
		t.Fatal(err)
	}

	// Another client (another pool, as another backend instance) cancels; the runner hears it.
	watch, err := b.client.WatchCancel(b.ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	other, err := pgxpool.New(b.ctx, b.url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	oc, err := playground.New(other, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := oc.Cache().SetValue(b.ctx, run, playground.SubKeyCanceled, true); err != nil {
		t.Fatal(err)
	}
	select {
	case <-watch:
		t.Logf("runner notified %v after the cancel call returned", time.Since(start))
	case <-time.After(10 * time.Second):
		t.Fatal("the runner was not notified of the cancel")
	}
	if v, err := cache.GetValue(b.ctx, run, playground.SubKeyCanceled); err != nil || string(v) != "true" {
		t.Fatalf("Canceled %s (%v)", v, err)
	}
	if err := b.client.SetStatus(b.ctx, run, "cancelled"); err != nil {
		t.Fatal(err)
	}
	// A watch on a run cancelled already fires at once.
	w2, err := b.client.WatchCancel(b.ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	<-w2
}

func TestBadInput(t *testing.T) {
	b := setup(t)
	db := b.client.Database()
	if _, err := playground.New(b.pool, &playground.Config{Schema: "Bad;"}); err == nil {
		t.Fatal("a bad schema name was accepted")
	}
	if err := db.PutSDKs(b.ctx, []playground.SDK{{ID: "SDK_GO"}}); err != nil {
		t.Fatal(err)
	}
	_, err := db.PutSnippet(b.ctx, &playground.Snippet{SDK: "SDK_GO", Files: []playground.File{{Name: "a", IsMain: true}, {Name: "b", IsMain: true}}})
	if err == nil || !strings.Contains(err.Error(), "both marked is_main") {
		t.Fatalf("two main files: err = %v", err)
	}
	if _, err := db.GetSnippet(b.ctx, "0123456789abcdef0123456789abcdef"); !errors.Is(err, playground.ErrNotFound) {
		t.Fatalf("unknown snippet: err = %v, want ErrNotFound", err)
	}
	if _, err := db.Import(b.ctx, []byte(`{"examples": [{"sdk": "SDK_NOPE", "name": "x"}]}`)); err == nil || !strings.Contains(err.Error(), "examples[0].sdk") {
		t.Fatalf("bad import: err = %v", err)
	}
	if raw, err := db.GetCatalog(b.ctx); err != nil || string(raw) != `[{"sdk": "SDK_GO", "categories": [], "default_example": null}]` {
		t.Fatalf("catalog after bad input: %s (%v)", raw, err)
	}
}

// TestCatalogRevalidation: GetCatalog keeps its copy while the module's catalog is unchanged
// (the same bytes come back, not a new transfer), sees a change made by another connection on
// the next call, and a second import of the same file changes nothing a copy depends on.
func TestCatalogRevalidation(t *testing.T) {
	b := setup(t)
	db := b.client.Database()
	if _, err := db.Import(b.ctx, playgroundsample.Catalog); err != nil {
		t.Fatal(err)
	}
	first, err := db.GetCatalog(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	if err := b.pool.QueryRow(b.ctx, `SELECT playground.catalog()`).Scan(&want); err != nil || string(first) != string(want) {
		t.Fatalf("GetCatalog = %.80s… (%v), want catalog()", first, err)
	}
	if _, err := db.Import(b.ctx, playgroundsample.Catalog); err != nil {
		t.Fatal(err)
	}
	second, err := b.client.Cache().GetCatalog(b.ctx)
	if err != nil || &second[0] != &first[0] {
		t.Fatalf("after a second import of the same file GetCatalog transferred the catalog again (%v)", err)
	}

	if _, err := b.pool.Exec(b.ctx, `UPDATE playground.examples SET description = 'changed elsewhere' WHERE id = 'SDK_GO_MinimalWordCount'`); err != nil {
		t.Fatal(err)
	}
	third, err := db.GetCatalog(b.ctx)
	if err != nil || !strings.Contains(string(third), `"changed elsewhere"`) {
		t.Fatalf("GetCatalog after an UPDATE by another connection: %.80s… (%v), want the new description", third, err)
	}
	other, err := playground.New(b.pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fresh, err := other.Database().GetCatalog(b.ctx); err != nil || string(fresh) != string(third) {
		t.Fatalf("a new client's catalog differs from the revalidated copy (%v)", err)
	}
}
