package reliability

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// rssMB is this process's resident set size in MiB (VmRSS of /proc/self/status). The sidecar
// runs in-process, so this is the sidecar and the load's clients together.
func rssMB(t *testing.T) float64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	t.Skip("no VmRSS in /proc/self/status")
	return 0
}

func settle() {
	runtime.GC()
	debug.FreeOSMemory()
	time.Sleep(size(500*time.Millisecond, 3*time.Second))
	runtime.GC()
	debug.FreeOSMemory()
}

func testLoad(t *testing.T, s *served) {
	clients := size(20, 200)
	duration := size(5*time.Second, 60*time.Second)
	bearer := token(t, jwt.MapClaims{"role": s.user, "exp": time.Now().Add(time.Hour).Unix()})
	var openOID uint32
	if err := s.conn.QueryRow(s.ctx, "SELECT 'fixture.open'::regclass::oid").Scan(&openOID); err != nil {
		t.Fatal(err)
	}
	// The mix: catalog and record reads, record writes, queue pushes.
	mix := []struct {
		weight int
		method string
		params func(r *rand.Rand) any
	}{
		{30, "howdah.list_records", func(r *rand.Rand) any { return map[string]any{"tab": openOID, "lim": 20, "off": r.IntN(150)} }},
		{20, "howdah.get_record", func(r *rand.Rand) any { return map[string]any{"tab": openOID, "id": 1 + r.IntN(200)} }},
		{10, "howdah.list_columns", func(*rand.Rand) any { return map[string]any{"tab": openOID} }},
		{10, "howdah.add_record", func(r *rand.Rand) any {
			return map[string]any{"tab": openOID, "rec": map[string]any{"note": "load " + strconv.Itoa(r.IntN(1e6))}}
		}},
		{25, "queue.push", func(r *rand.Rand) any {
			return map[string]any{"queue": "load", "payload": map[string]any{"n": r.IntN(1e6)}}
		}},
		{5, "howdah.version", func(*rand.Rand) any { return map[string]any{} }},
	}
	total := 0
	for _, m := range mix {
		total += m.weight
	}

	settle()
	before := rssMB(t)
	var peak atomic.Uint64
	peak.Store(uint64(before))
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-tick.C:
				if v := uint64(rssMB(t)); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()

	var (
		mu        sync.Mutex
		latencies []time.Duration
		shed      atomic.Int64
		errs      atomic.Int64
		wg        sync.WaitGroup
	)
	end := time.Now().Add(duration)
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c), 7))
			var mine []time.Duration
			for time.Now().Before(end) {
				n := r.IntN(total)
				m := mix[0]
				for _, x := range mix {
					if n < x.weight {
						m = x
						break
					}
					n -= x.weight
				}
				body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": m.method, "params": m.params(r)})
				t0 := time.Now()
				status, out, err := s.post(t, bearer, body)
				mine = append(mine, time.Since(t0))
				switch {
				case err != nil:
					if errs.Add(1) <= 5 {
						t.Errorf("%s: %v", m.method, err)
					}
				case status == http.StatusServiceUnavailable:
					shed.Add(1) // documented load shedding
				case status != http.StatusOK:
					if errs.Add(1) <= 5 {
						t.Errorf("%s: status %d: %.300s", m.method, status, out)
					}
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stopSampling)
	<-sampled
	s.client.CloseIdleConnections()
	settle()
	after := rssMB(t)

	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	report(t, "load", "%d clients for %s: %d requests, %.0f req/s, p50 %.1fms, p99 %.1fms, errors %d, shed (503) %d; RSS (test process: sidecar and clients) before %.0f MiB, peak %d MiB, after %.0f MiB",
		clients, duration, len(latencies), float64(len(latencies))/elapsed.Seconds(),
		float64(pct(0.50).Microseconds())/1000, float64(pct(0.99).Microseconds())/1000, errs.Load(), shed.Load(), before, peak.Load(), after)
	if errs.Load() != 0 {
		t.Errorf("%d errors other than load shedding", errs.Load())
	}
	// Memory comes back: what the load took is returned once it ends (a leak keeps it).
	if limit := max(2*before, before+100); after > limit {
		t.Errorf("RSS after the load %.0f MiB, more than %.0f MiB (before %.0f MiB, peak %d MiB)", after, limit, before, peak.Load())
	}
	if len(latencies) == 0 {
		t.Fatal("no request was made")
	}
}
