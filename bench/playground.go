package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/howdah/howdah/client/playground"
	"github.com/howdah/howdah/installer"
)

// playgroundDB is the database of the playground cases: the playground module (schema
// playground) holding a catalog of 5,000 examples, made once for all of them.
var playgroundDB struct {
	once sync.Once
	url  string
}

const playgroundExamples = 5000

// playgroundCatalogDoc is an import_catalog document of n examples over 4 SDKs and 25
// categories, each with one file and three precompiled outputs.
func playgroundCatalogDoc(n int) []byte {
	sdks := []string{"SDK_JAVA", "SDK_GO", "SDK_PYTHON", "SDK_SCIO"}
	type file struct {
		Name    string `json:"name"`
		Content string `json:"content"`
		IsMain  bool   `json:"is_main"`
	}
	type example struct {
		SDK         string            `json:"sdk"`
		Name        string            `json:"name"`
		Description string            `json:"description"`
		Tags        []string          `json:"tags"`
		Categories  []string          `json:"categories"`
		Complexity  string            `json:"complexity"`
		Files       []file            `json:"files"`
		Outputs     map[string]string `json:"outputs"`
	}
	doc := struct {
		SchemaVersion string           `json:"schema_version"`
		SDKs          []map[string]any `json:"sdks"`
		Examples      []example        `json:"examples"`
	}{SchemaVersion: "0.0.2"}
	for _, s := range sdks {
		doc.SDKs = append(doc.SDKs, map[string]any{"id": s, "default_example": "Example0000"})
	}
	for i := range n {
		name := fmt.Sprintf("Example%04d", i/len(sdks))
		doc.Examples = append(doc.Examples, example{
			SDK: sdks[i%len(sdks)], Name: name, Description: "An example of the benchmark catalog, " + name + ".",
			Tags:       []string{"bench", fmt.Sprintf("tag%d", i%40)},
			Categories: []string{fmt.Sprintf("Category %02d", i%25), fmt.Sprintf("Category %02d", (i+7)%25)},
			Complexity: []string{"basic", "medium", "advanced"}[i%3],
			Files:      []file{{Name: "main.txt", Content: fmt.Sprintf("// %s\nrun()\n", name), IsMain: true}},
			Outputs:    map[string]string{"OUTPUT": "out " + name + "\n", "LOG": "log\n", "GRAPH": "digraph {}"},
		})
	}
	b, _ := json.Marshal(doc)
	return b
}

// playgroundConn connects to the playground database, making it on first use (outside the timer).
func playgroundConn(b *testing.B, e *env) *pgx.Conn {
	b.StopTimer()
	defer b.StartTimer()
	playgroundDB.once.Do(func() {
		url := e.freshDB(b)
		conn := connect(b, e, url)
		defer conn.Close(e.ctx)
		in, err := installer.New(conn, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := in.Install(e.ctx, []installer.Target{{Module: "playground"}}); err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(os.Stderr, "bench: importing a catalog of %d examples …\n", playgroundExamples)
		var counts string
		if err := conn.QueryRow(e.ctx, `SELECT playground.import_catalog(doc => $1::jsonb)::text`,
			string(playgroundCatalogDoc(playgroundExamples))).Scan(&counts); err != nil {
			b.Fatal(err)
		}
		var same bool
		if err := conn.QueryRow(e.ctx, `SELECT playground.catalog()::jsonb = playground.build_catalog()`).Scan(&same); err != nil || !same {
			b.Fatalf("the cached catalog differs from the rebuilt one (%v)", err)
		}
		playgroundDB.url = url
	})
	return connect(b, e, playgroundDB.url)
}

// timedLoop runs op b.N times and returns each call's duration.
func timedLoop(b *testing.B, op func() error) []time.Duration {
	var ds []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
	}
	return ds
}

// quantile is the q-th (0..1) quantile of ds, rounded to the microsecond.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*q))].Round(time.Microsecond)
}

func init() {
	// The catalog a page load asks for: served from the cache the triggers keep, against the
	// same catalog rebuilt by query on every read (what a cache-less store does).
	var size int
	catalogSide := func(fn, key string) func(b *testing.B, e *env) {
		return func(b *testing.B, e *env) {
			conn := playgroundConn(b, e)
			defer conn.Close(e.ctx)
			ds := timedLoop(b, func() error {
				var out []byte
				err := conn.QueryRow(e.ctx, `SELECT playground.`+fn+`()::text`).Scan(&out)
				size = len(out)
				return err
			})
			e.note("playground-catalog-"+key, "playground catalog, %d examples (%.1f MB of JSON), %s: p50 %s, p99 %s over %d calls",
				playgroundExamples, float64(size)/1e6, fn+"()", quantile(ds, 0.5), quantile(ds, 0.99), len(ds))
		}
	}
	cases = append(cases, benchCase{
		name:         "playground catalog: 5,000 examples",
		baselineName: "build_catalog() (query)",
		howdahName:   "catalog() (cache)",
		baseline:     catalogSide("build_catalog", "query"),
		howdah:       catalogSide("catalog", "cache"),
	})

	// A page load of a Playground backend through client/playground: GetCatalog revalidates the
	// copy it holds (catalog_if_changed, one round trip without the document while the catalog
	// is unchanged), against rebuilding by query. The first call, which transfers the document,
	// is made outside the timer; catalog() above is the cost of that transfer.
	cases = append(cases, benchCase{
		name:         "playground catalog page load: 5,000 examples",
		baselineName: "build_catalog() (query)",
		howdahName:   "Database.GetCatalog",
		baseline:     catalogSide("build_catalog", "query"),
		howdah: func(b *testing.B, e *env) {
			playgroundConn(b, e).Close(e.ctx)
			b.StopTimer()
			pool, err := pgxpool.New(e.ctx, playgroundDB.url)
			if err != nil {
				b.Fatal(err)
			}
			defer pool.Close()
			c, err := playground.New(pool, nil)
			if err != nil {
				b.Fatal(err)
			}
			db := c.Database()
			first, err := db.GetCatalog(e.ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			ds := timedLoop(b, func() error {
				doc, err := db.GetCatalog(e.ctx)
				if err == nil && len(doc) != len(first) {
					err = fmt.Errorf("GetCatalog returned %d bytes, the first call %d", len(doc), len(first))
				}
				return err
			})
			e.note("playground-catalog-client", "playground catalog, %d examples, Database.GetCatalog revalidating its copy: p50 %s, p99 %s over %d calls",
				playgroundExamples, quantile(ds, 0.5), quantile(ds, 0.99), len(ds))
		},
	})

	// Saving a new snippet (two files): put_snippet (normalise, hash, upsert the snippet and its
	// files, main-file rule) against plain inserts of the same rows with a client-side id.
	var seq int
	files := func() (string, string) {
		seq++
		return fmt.Sprintf("package main\n\n// snippet %d\nfunc main() { run() }\n", seq), "package main\n\nfunc run() {}\n"
	}
	cases = append(cases, benchCase{
		name:         "playground put_snippet: new 2-file snippet",
		baselineName: "INSERT snippet + 2 files",
		howdahName:   "put_snippet",
		baseline: func(b *testing.B, e *env) {
			conn := playgroundConn(b, e)
			defer conn.Close(e.ctx)
			b.StopTimer()
			if _, err := conn.Exec(e.ctx, `CREATE TABLE IF NOT EXISTS bench_snippets (id text PRIMARY KEY, sdk text NOT NULL,
				created timestamptz NOT NULL DEFAULT now(), number_of_files int NOT NULL);
				CREATE TABLE IF NOT EXISTS bench_files (snippet text REFERENCES bench_snippets ON DELETE CASCADE, ordinal int,
				name text NOT NULL, content text NOT NULL, is_main boolean NOT NULL, PRIMARY KEY (snippet, ordinal))`); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			ds := timedLoop(b, func() error {
				main, other := files()
				_, err := conn.Exec(e.ctx, `WITH s AS (INSERT INTO bench_snippets (id, sdk, number_of_files)
					VALUES (md5($1 || $2), 'SDK_GO', 2) RETURNING id)
					INSERT INTO bench_files SELECT s.id, f.o, f.n, f.c, f.o = 0 FROM s,
					(VALUES (0, 'main.go', $1), (1, 'run.go', $2)) f(o, n, c)`, main, other)
				return err
			})
			e.note("playground-put-plain", "playground put_snippet, plain INSERTs: %.0f snippets/s, p99 %s", float64(len(ds))/sum(ds).Seconds(), quantile(ds, 0.99))
		},
		howdah: func(b *testing.B, e *env) {
			conn := playgroundConn(b, e)
			defer conn.Close(e.ctx)
			ds := timedLoop(b, func() error {
				main, other := files()
				doc, _ := json.Marshal([]map[string]any{{"name": "main.go", "content": main, "is_main": true}, {"name": "run.go", "content": other}})
				var id string
				return conn.QueryRow(e.ctx, `SELECT playground.put_snippet(sdk => 'SDK_GO', files => $1::jsonb)`, string(doc)).Scan(&id)
			})
			e.note("playground-put-howdah", "playground put_snippet: %.0f snippets/s, p99 %s (one connection)", float64(len(ds))/sum(ds).Seconds(), quantile(ds, 0.99))
		},
	})
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}
