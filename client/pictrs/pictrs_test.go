package pictrs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/howdah/howdah/client/notifier"
	"github.com/howdah/howdah/client/pictrs"
	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgtest"
	"github.com/howdah/howdah/sidecar"
	"github.com/howdah/howdah/sidecar/auth"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var roleSeq atomic.Int64

type env struct {
	ctx   context.Context
	conn  *pgx.Conn
	pool  *pgxpool.Pool
	n     *notifier.Notifier
	c     *pictrs.Client // schema pictrs
	media *pictrs.Client // a second instance, schema media
	rpc   string         // the sidecar's /rpc URL
}

// setup installs every module plus a second pictrs instance (schema media) into a fresh
// database, and starts a pool, a shared notifier and a sidecar whose anonymous role may use
// both instances and the queue.
func setup(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	dbURL := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, dbURL)
	pgtest.Install(t, conn)
	in, err := installer.New(conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Install(ctx, []installer.Target{{Module: "pictrs", Schema: "media"}}); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	n, err := notifier.New(pool.Config().ConnConfig, &notifier.Config{MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go n.Run(ctx)
	e := &env{ctx: ctx, conn: conn, pool: pool, n: n}
	if e.c, err = pictrs.New(pool, "", n); err != nil {
		t.Fatal(err)
	}
	if e.media, err = pictrs.New(pool, "media", n); err != nil {
		t.Fatal(err)
	}

	seq := roleSeq.Add(1)
	anon, authn := fmt.Sprintf("pictrs_test_anon_%d", seq), fmt.Sprintf("pictrs_test_authn_%d", seq)
	for _, sql := range []string{
		"CREATE ROLE " + anon + " NOLOGIN",
		"GRANT USAGE ON SCHEMA pictrs, media, howdah_queue TO " + anon,
		"GRANT ALL ON ALL TABLES IN SCHEMA pictrs, media, howdah_queue TO " + anon,
		"GRANT USAGE ON ALL SEQUENCES IN SCHEMA howdah_queue TO " + anon,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dbURL)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		for _, r := range []string{authn, anon} {
			c.Exec(context.Background(), "DROP OWNED BY "+r)
			c.Exec(context.Background(), "DROP ROLE IF EXISTS "+r)
		}
	})
	if _, err := installer.EnsureAuthenticator(ctx, conn, authn, "", []string{anon}); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(dbURL)
	u.User = url.User(authn)
	srv, err := sidecar.New(ctx, &sidecar.Config{DatabaseURL: u.String(),
		Auth:   auth.Config{Secret: []byte("a test secret that is long enough: 0123456789"), AnonRole: anon},
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), ShutdownTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	e.rpc = "http://" + ln.Addr().String() + "/rpc"
	return e
}

// call runs a method over /rpc with named parameters and decodes its result into dst; an
// error response fails the test.
func (e *env) call(t *testing.T, method string, params map[string]any, dst any) {
	t.Helper()
	req := map[string]any{"jsonrpc": "2.0", "id": 1, "method": method}
	if params != nil {
		req["params"] = params
	}
	body, _ := json.Marshal(req)
	resp, err := http.Post(e.rpc, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || r.Error != nil {
		t.Fatalf("%s %v: status %d, %s", method, params, resp.StatusCode, raw)
	}
	if dst != nil {
		if err := json.Unmarshal(r.Result, dst); err != nil {
			t.Fatalf("%s: result %s: %v", method, r.Result, err)
		}
	}
}

// must returns v, panicking on err (a failed call fails the test with its stack).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func check(t *testing.T, what string, got, want any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// An image host's life, half over Go and half over /rpc: an upload completed while two
// requests wait for it, a hash and aliases, variants, access, eviction of the cold variant and
// proxied alias, deletion by token, and cleanup returning every identifier exactly once. A
// second instance (schema media) holding the same hash is untouched throughout.
func TestImageHostLife(t *testing.T) {
	e := setup(t)
	ctx, c := e.ctx, e.c
	var deleted []string // every identifier the host was told to delete
	created := []string{"files/h1", "motion/h1", "files/h1-thumb", "files/h1-crop", "files/h2"}

	must(e.media.Hashes.Create(ctx, "h1", "media/h1"))

	// Upload: created over /rpc; two requests wait (one shared LISTEN connection); the worker
	// stores the hash and alias and completes the upload over /rpc.
	var id string
	e.call(t, "pictrs.create_upload", nil, &id)
	type waited struct {
		res json.RawMessage
		err error
	}
	results := make(chan waited, 2)
	for range 2 {
		go func() {
			r, err := c.Uploads.Wait(ctx, id)
			results <- waited{r, err}
		}()
	}
	check(t, "create_hash", must(c.Hashes.Create(ctx, "h1", "files/h1")), true)
	check(t, "create_hash again", must(c.Hashes.Create(ctx, "h1", "files/dup")), false)
	var status string
	e.call(t, "pictrs.create_alias", map[string]any{"alias": "cat.png", "hash": "h1", "delete_token": "tok-1"}, &status)
	check(t, "create_alias over /rpc", status, "ok")
	check(t, "a taken alias", must(c.Aliases.Create(ctx, "cat.png", "h1", "tok-x")), false)
	e.call(t, "pictrs.complete_upload", map[string]any{"id": id, "result": map[string]any{"alias": "cat.png", "token": "tok-1"}}, nil)
	for range 2 {
		select {
		case w := <-results:
			if w.err != nil {
				t.Fatal(w.err)
			}
			var r struct{ Alias, Token string }
			if err := json.Unmarshal(w.res, &r); err != nil || r.Alias != "cat.png" || r.Token != "tok-1" {
				t.Fatalf("waiter got %s (%v)", w.res, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a waiter never saw the completion")
		}
	}
	// A waiter arriving after the completion finds it at once (the re-check after subscribing).
	check(t, "late waiter", string(must(c.Uploads.Wait(ctx, id))), `{"alias": "cat.png", "token": "tok-1"}`)
	check(t, "claim", must(c.Uploads.Claim(ctx, id)), true)
	if _, err := c.Uploads.Result(ctx, id); err == nil {
		t.Fatal("a claimed upload still has a result")
	}

	// Variants, motion file, details.
	check(t, "thumb", must(c.Hashes.RelateVariantIdentifier(ctx, "h1", "thumb", "files/h1-thumb")), true)
	check(t, "thumb again", must(c.Hashes.RelateVariantIdentifier(ctx, "h1", "thumb", "files/other")), false)
	e.call(t, "pictrs.relate_variant_identifier", map[string]any{"hash": "h1", "variant": "crop", "identifier": "files/h1-crop"}, &status)
	check(t, "crop over /rpc", status, "ok")
	noErr(t, c.Hashes.RelateMotionIdentifier(ctx, "h1", "motion/h1"))
	noErr(t, c.Details.Relate(ctx, "files/h1", json.RawMessage(`{"width": 640}`)))
	check(t, "variants", must(c.Hashes.Variants(ctx, "h1")), []pictrs.Variant{{"crop", "files/h1-crop"}, {"thumb", "files/h1-thumb"}})

	// A proxied image of another hash.
	must(c.Hashes.Create(ctx, "h2", "files/h2"))
	must(c.Aliases.Create(ctx, "remote.png", "h2", "tok-2"))
	check(t, "relate_url", must(c.Proxies.RelateURL(ctx, "https://example.com/r.png", "remote.png")), true)

	// Access: the thumb and the proxied alias go cold; the crop is read now.
	if _, err := e.conn.Exec(ctx, `UPDATE pictrs.variants SET accessed = now() - interval '30 days';
		UPDATE pictrs.proxies SET accessed = now() - interval '30 days'`); err != nil {
		t.Fatal(err)
	}
	var ok bool
	e.call(t, "pictrs.variant_accessed", map[string]any{"hash": "h1", "variant": "crop"}, &ok)
	check(t, "variant_accessed over /rpc", ok, true)
	cutoff := time.Now().Add(-24 * time.Hour)

	// Eviction of cold variants and proxied aliases.
	cold := must(c.Access.OlderVariants(ctx, cutoff, 0))
	check(t, "cold variants", cold, []pictrs.HashVariant{{"h1", "thumb"}})
	for _, v := range cold {
		deleted = append(deleted, must(c.Hashes.VariantIdentifier(ctx, v.Hash, v.Variant)))
		must(c.Hashes.RemoveVariant(ctx, v.Hash, v.Variant))
	}
	coldAliases := must(c.Access.OlderAliases(ctx, cutoff, 0))
	check(t, "cold aliases", coldAliases, []string{"remote.png"})
	for _, a := range coldAliases {
		h := must(c.Aliases.Cleanup(ctx, a))
		if len(must(c.Aliases.ForHash(ctx, h))) == 0 {
			deleted = append(deleted, must(c.Hashes.Cleanup(ctx, h))...)
		}
	}
	check(t, "related after eviction", must(c.Proxies.Related(ctx, "https://example.com/r.png")), "")

	// Delete by token, over /rpc: the token matches, the alias goes, the last alias takes the hash.
	var tok string
	e.call(t, "pictrs.delete_token", map[string]any{"alias": "cat.png"}, &tok)
	check(t, "delete_token", tok, "tok-1")
	var h string
	e.call(t, "pictrs.cleanup_alias", map[string]any{"alias": "cat.png"}, &h)
	check(t, "cleanup_alias", h, "h1")
	var left []string
	e.call(t, "pictrs.aliases_for_hash", map[string]any{"hash": h}, &left)
	check(t, "aliases left", len(left), 0)
	var ids []string
	e.call(t, "pictrs.cleanup_hash", map[string]any{"hash": h}, &ids)
	deleted = append(deleted, ids...)
	for _, id := range ids {
		must(c.Details.Cleanup(ctx, id))
	}

	sort.Strings(deleted)
	slices.Sort(created)
	check(t, "every identifier deleted exactly once", deleted, created)
	check(t, "size", must(c.Hashes.Size(ctx)), 0)
	check(t, "the other instance keeps its hash", must(e.media.Hashes.Identifier(ctx, "h1")), "media/h1")
	check(t, "the other instance's size", must(e.media.Hashes.Size(ctx)), 1)
}

// AllHashes streams every hash in order through keyset pages.
func TestAllHashes(t *testing.T) {
	e := setup(t)
	if _, err := e.conn.Exec(e.ctx, `INSERT INTO pictrs.hashes (hash, identifier) SELECT lpad(g::text, 5, '0'), 'f' FROM generate_series(1, 2500) g`); err != nil {
		t.Fatal(err)
	}
	var got []string
	for h, err := range e.c.Hashes.All(e.ctx, 1000) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, h)
	}
	if len(got) != 2500 || !slices.IsSorted(got) || got[0] != "00001" || got[2499] != "02500" {
		t.Fatalf("streamed %d hashes, first %v", len(got), got[:min(3, len(got))])
	}
	check(t, "the other instance streams nothing", len(must(e.media.Hashes.Page(e.ctx, "", 0))), 0)
}

// Concurrent workers pop the instance's jobs; one is killed mid-job and its jobs come back with
// requeue_in_progress, their attempt counted. Every job completes exactly once; the other
// instance's job is never popped.
func TestJobsWorkersKilled(t *testing.T) {
	e := setup(t)
	ctx, c := e.ctx, e.c
	const jobs = 30
	want := map[int64]bool{}
	for i := range jobs {
		id := must(c.Jobs.Push(ctx, "process", json.RawMessage(fmt.Sprintf(`{"n": %d}`, i)), fmt.Sprintf("process:%d", i)))
		want[id] = true
	}
	check(t, "a deduped push", must(c.Jobs.Push(ctx, "process", json.RawMessage(`{"n": 0}`), "process:0")), slices.Min(slices.Collect(mapKeys(want))))
	other := must(e.media.Jobs.Push(ctx, "process", json.RawMessage(`{}`), ""))

	// The doomed worker takes two jobs and dies without completing them.
	var doomed []int64
	for range 2 {
		j := must(c.Jobs.TryPop(ctx, "process", "w-doomed", time.Hour))
		doomed = append(doomed, j.ID)
	}

	var mu sync.Mutex
	done := map[int64]int{}
	attempts := map[int64]int{}
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			worker := fmt.Sprintf("w%d", w)
			for {
				j, err := c.Jobs.Pop(wctx, "process", worker, time.Minute, 50*time.Millisecond)
				if err != nil {
					return // stopped
				}
				if _, err := c.Jobs.Heartbeat(ctx, j.ID, worker, j.Attempt, 0); err != nil {
					t.Error(err)
				}
				state, err := c.Jobs.Complete(ctx, j.ID, worker, pictrs.Success, "", j.Attempt)
				if err != nil || state != "completed" {
					t.Errorf("complete %d: %s %v", j.ID, state, err)
				}
				mu.Lock()
				done[j.ID]++
				attempts[j.ID] = j.Attempt
				mu.Unlock()
			}
		}()
	}
	waitFor := func(n int) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			mu.Lock()
			got := len(done)
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d jobs done, want %d", got, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor(jobs - 2)
	check(t, "requeue_in_progress", must(c.Jobs.RequeueInProgress(ctx, "w-doomed")), 2)
	waitFor(jobs)
	stop()
	wg.Wait()

	for id := range want {
		if done[id] != 1 {
			t.Errorf("job %d done %d times", id, done[id])
		}
	}
	for _, id := range doomed {
		check(t, fmt.Sprintf("attempt of requeued job %d", id), attempts[id], 2)
	}
	check(t, "queue length", must(c.Jobs.Length(ctx, "process")), 0)
	check(t, "the other instance's job", must(e.media.Jobs.Length(ctx, "process")), 1)
	if _, ok := done[other]; ok {
		t.Fatal("a worker of pictrs popped the media instance's job")
	}
}

func mapKeys(m map[int64]bool) func(func(int64) bool) {
	return func(yield func(int64) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
