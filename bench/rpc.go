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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/sidecar"
	"github.com/howdah/howdah/sidecar/auth"
)

// rpcConcurrency is the number of clients calling at once in the throughput cases, on both
// sides; it is also the size of both pools.
const rpcConcurrency = 8

// The sidecar's cost over calling the same function directly with pgx: JSON-RPC decoding,
// auth, role and claims settings, HTTP on loopback. Each case runs the same number of clients
// on both sides: 8 for throughput (time/op is wall time per call, the inverse of throughput),
// and 1 for the latency one sequential client sees (time/op is the mean call). The p50/p99
// latencies of single calls are printed on stderr, and the p50 the sidecar adds after the table,
// with the CPU time each call costs: this process's (the clients, and the sidecar on the rpc
// side) and the database's backends'. On a machine shared with other work, CPU per call moves
// much less than wall time does.
func init() {
	var (
		once sync.Once
		rs   *rpcSetup
	)
	// get is called first thing in each side's function: the setup is not timed (freshDB
	// starts the timer again, so it is reset here).
	get := func(b *testing.B, e *env) *rpcSetup {
		once.Do(func() { rs = newRPCSetup(b, e) })
		if rs == nil {
			b.Fatal("rpc bench setup failed")
		}
		b.ResetTimer()
		return rs
	}
	for _, c := range []struct {
		method, sql string
		clients     int
	}{
		{"howdah.version", "SELECT howdah.version()", 1},
		{"howdah.version", "SELECT howdah.version()", rpcConcurrency},
		{"howdah.list_schemas", "SELECT howdah.list_schemas()", rpcConcurrency},
	} {
		body := []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":%q}`, c.method))
		name := fmt.Sprintf("rpc %s() over HTTP, %d client", c.method, c.clients)
		if c.clients > 1 {
			name += "s"
		}
		var base latencies
		cases = append(cases, benchCase{
			name:         name,
			baselineName: "pgx pool",
			howdahName:   "POST /rpc",
			baseline: func(b *testing.B, e *env) {
				s := get(b, e)
				base = s.runParallel(b, "pgx "+c.method, c.clients, func() error {
					var out []byte
					return s.direct.QueryRow(e.ctx, c.sql).Scan(&out)
				})
			},
			howdah: func(b *testing.B, e *env) {
				s := get(b, e)
				ours := s.runParallel(b, "rpc "+c.method, c.clients, func() error { return s.post(body) })
				if ours.n > 0 && base.n > 0 {
					e.note(name, "%s: p50 %s (pgx pool) → %s (POST /rpc): %s added; p99 %s → %s; %.0f → %.0f req/s (%.2fx); "+
						"CPU per call %s + PostgreSQL %s → %s + %s",
						name, base.p50, ours.p50, ours.p50-base.p50, base.p99, ours.p99, base.rate, ours.rate, ours.rate/base.rate,
						base.goCPU, base.pgCPU, ours.goCPU, ours.pgCPU)
				}
			},
		})
	}
}

type rpcSetup struct {
	direct *pgxpool.Pool
	client *http.Client
	url    string
	// backends are the PostgreSQL processes of both pools and of the sidecar's LISTEN.
	backends []int
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
	// The sidecar switches into a role on every call and logs a JSON line per request, as in
	// production (to nowhere: writing it is the writer's cost, not the sidecar's).
	srv, err := sidecar.New(e.ctx, &sidecar.Config{DatabaseURL: url, PoolMaxConns: rpcConcurrency,
		Auth:   auth.Config{AnonRole: "howdah_bench_rpc"},
		Logger: zerolog.New(io.Discard).Level(zerolog.InfoLevel).With().Timestamp().Logger()})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(context.Background(), ln)
	tr := &http.Transport{MaxIdleConnsPerHost: rpcConcurrency, MaxConnsPerHost: rpcConcurrency}
	s := &rpcSetup{direct: direct, client: &http.Client{Transport: tr}, url: "http://" + ln.Addr().String() + "/rpc"}
	// Both pools at full size before anything is timed, so that the backends are known.
	for _, p := range []*pgxpool.Pool{direct, srv.Pool()} {
		var held []*pgxpool.Conn
		for range rpcConcurrency {
			c, err := p.Acquire(e.ctx)
			if err != nil {
				b.Fatal(err)
			}
			held = append(held, c)
		}
		for _, c := range held {
			c.Release()
		}
	}
	if err := direct.QueryRow(e.ctx, `SELECT array_agg(pid) FROM pg_stat_activity
		WHERE datname = current_database()`).Scan(&s.backends); err != nil {
		b.Fatal(err)
	}
	return s
}

// cpu returns the CPU time used so far by this process and by the backends.
func (s *rpcSetup) cpu() (self, pg time.Duration) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for _, pid := range s.backends {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command in parentheses: utime and stime are the 12th and 13th, in
		// clock ticks (100 a second on Linux).
		rest := stat[bytes.LastIndexByte(stat, ')')+1:]
		f := strings.Fields(string(rest))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		k, _ := strconv.ParseInt(f[12], 10, 64)
		pg += time.Duration(u+k) * 10 * time.Millisecond
	}
	return self, pg
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

// latencies summarises the final (largest) run of a case; n is 0 until a run of at least 100
// calls.
type latencies struct {
	n            int
	p50, p99     time.Duration
	rate         float64       // calls per second
	goCPU, pgCPU time.Duration // per call: this process, the backends
}

// runParallel runs op b.N times from clients goroutines and, for runs of at least 100 calls,
// prints the p50 and p99 latencies and the throughput, and returns them.
func (s *rpcSetup) runParallel(b *testing.B, label string, clients int, op func() error) latencies {
	var (
		mu   sync.Mutex
		lats = make([]time.Duration, 0, b.N)
		next = make(chan struct{}, b.N)
		errs = make(chan error, clients)
	)
	for range b.N {
		next <- struct{}{}
	}
	close(next)
	self0, pg0 := s.cpu()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, b.N/clients+1)
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
	self1, pg1 := s.cpu()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	if b.N < 100 || len(lats) == 0 {
		return latencies{}
	}
	slices.Sort(lats)
	p := func(q float64) time.Duration { return lats[int(q*float64(len(lats)-1))].Round(time.Microsecond) }
	l := latencies{n: b.N, p50: p(0.50), p99: p(0.99), rate: float64(b.N) / wall.Seconds(),
		goCPU: ((self1 - self0) / time.Duration(b.N)).Round(time.Microsecond),
		pgCPU: ((pg1 - pg0) / time.Duration(b.N)).Round(time.Microsecond)}
	fmt.Fprintf(os.Stderr, "bench: %-28s N=%-7d p50 %-8s p99 %-8s %8.0f req/s (%d clients), CPU per call %s + PostgreSQL %s\n",
		label, b.N, l.p50, l.p99, l.rate, clients, l.goCPU, l.pgCPU)
	return l
}
