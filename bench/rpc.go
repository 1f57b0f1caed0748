package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/sidecar"
	"github.com/howdah/howdah/sidecar/auth"
)

// rpcConcurrency is the number of clients calling at once, on both sides.
const rpcConcurrency = 8

// The sidecar's cost over calling the same function directly with pgx: JSON-RPC decoding,
// auth, role and claims settings, HTTP on loopback. Each side runs rpcConcurrency clients;
// time/op is wall time per call (the inverse of throughput), and the p50/p99 latencies of
// single calls are printed on stderr.
func init() {
	var (
		once sync.Once
		rs   *rpcSetup
	)
	get := func(b *testing.B, e *env) *rpcSetup {
		b.StopTimer()
		defer b.StartTimer()
		once.Do(func() { rs = newRPCSetup(b, e) })
		if rs == nil {
			b.Fatal("rpc bench setup failed")
		}
		return rs
	}
	for _, c := range []struct{ method, sql string }{
		{"howdah.version", "SELECT howdah.version()"},
		{"howdah.list_schemas", "SELECT howdah.list_schemas()"},
	} {
		body := []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":%q}`, c.method))
		cases = append(cases, benchCase{
			name:         "rpc " + c.method + "() over HTTP",
			baselineName: "pgx pool",
			howdahName:   "POST /rpc",
			baseline: func(b *testing.B, e *env) {
				s := get(b, e)
				runParallel(b, "pgx "+c.method, func() error {
					var out []byte
					return s.direct.QueryRow(e.ctx, c.sql).Scan(&out)
				})
			},
			howdah: func(b *testing.B, e *env) {
				s := get(b, e)
				runParallel(b, "rpc "+c.method, func() error { return s.post(body) })
			},
		})
	}
}

type rpcSetup struct {
	direct *pgxpool.Pool
	client *http.Client
	url    string
}

// newRPCSetup installs howdah into a fresh database and starts a sidecar on loopback for the
// rest of the run.
func newRPCSetup(b *testing.B, e *env) *rpcSetup {
	url := e.freshDB(b)
	conn := connect(b, e, url)
	in, err := installer.New(conn, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := in.Install(e.ctx, nil); err != nil {
		b.Fatal(err)
	}
	// The anonymous role: a superuser like the baseline's login role, so both sides see the
	// same thing (the sidecar refuses the login role itself as a request's role).
	if _, err := conn.Exec(e.ctx, `DO $$ BEGIN CREATE ROLE howdah_bench_rpc SUPERUSER NOLOGIN;
		EXCEPTION WHEN duplicate_object THEN NULL; END $$`); err != nil {
		b.Fatal(err)
	}
	conn.Close(e.ctx)
	direct, err := pgxpool.New(e.ctx, url+"&pool_max_conns="+fmt.Sprint(rpcConcurrency))
	if err != nil {
		b.Fatal(err)
	}
	// The sidecar switches into a role on every call, as in production.
	srv, err := sidecar.New(e.ctx, &sidecar.Config{DatabaseURL: url, PoolMaxConns: rpcConcurrency,
		Auth: auth.Config{AnonRole: "howdah_bench_rpc"}})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(context.Background(), ln)
	tr := &http.Transport{MaxIdleConnsPerHost: rpcConcurrency, MaxConnsPerHost: rpcConcurrency}
	return &rpcSetup{direct: direct, client: &http.Client{Transport: tr}, url: "http://" + ln.Addr().String() + "/rpc"}
}

func (s *rpcSetup) post(body []byte) error {
	resp, err := s.client.Post(s.url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || !bytes.Contains(out, []byte(`"result":`)) {
		return fmt.Errorf("status %d: %s", resp.StatusCode, out)
	}
	return nil
}

// runParallel runs op b.N times from rpcConcurrency goroutines and, for the final (largest)
// run, prints the p50 and p99 latencies and the throughput.
func runParallel(b *testing.B, label string, op func() error) {
	var (
		mu   sync.Mutex
		lats = make([]time.Duration, 0, b.N)
		next = make(chan struct{}, b.N)
		errs = make(chan error, rpcConcurrency)
	)
	for range b.N {
		next <- struct{}{}
	}
	close(next)
	start := time.Now()
	var wg sync.WaitGroup
	for range rpcConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, b.N/rpcConcurrency+1)
			for range next {
				t0 := time.Now()
				if err := op(); err != nil {
					errs <- err
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	if b.N >= 1000 && len(lats) > 0 {
		slices.Sort(lats)
		p := func(q float64) time.Duration { return lats[int(q*float64(len(lats)-1))].Round(time.Microsecond) }
		fmt.Fprintf(os.Stderr, "bench: %-28s N=%-7d p50 %-8s p99 %-8s %8.0f req/s (%d clients)\n",
			label, b.N, p(0.50), p(0.99), float64(b.N)/wall.Seconds(), rpcConcurrency)
	}
}
