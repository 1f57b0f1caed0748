package reliability

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/howdah/howdah/sidecar"
)

// hostile are strings an attacker puts where identifiers and values go.
var hostile = []string{
	`"; DROP TABLE fixture.secret; --`, `fixture.secret`, `pg_catalog.pg_authid`, `howdah_internal.drop_code`,
	`' OR 1=1 --`, `$1`, `%I%L%s`, "\x00", `\\`, `../../etc/passwd`, strings.Repeat("a", 64), strings.Repeat("é", 300),
	`{{.Schema}}`, `1e400`, `-0`, `NaN`, `Infinity`, `😀`, "\u202e", `pg_sleep(10)`, `"quoted"`, `a.b.c.d`, ``,
	`howdah.list_records`, `rpc.discover`, `select`, `null`, `true`,
}

// fuzzer makes JSON-RPC bodies from a seeded generator: random JSON, wrong types, huge
// numbers, deep nesting, hostile identifiers in method names and params, batch mixes.
type fuzzer struct {
	r       *rand.Rand
	methods []string
	args    map[string][]string
}

func (f *fuzzer) pick(xs []string) string { return xs[f.r.IntN(len(xs))] }

func (f *fuzzer) number() string {
	switch f.r.IntN(8) {
	case 0:
		return "1e400"
	case 1:
		return "-" + strings.Repeat("9", 1+f.r.IntN(400))
	case 2:
		return "123456789012345678901234567890"
	case 3:
		return "-0.0"
	case 4:
		return strconv.FormatFloat(f.r.NormFloat64()*1e12, 'g', -1, 64)
	case 5:
		return "2147483648"
	case 6:
		return "9223372036854775808"
	}
	return strconv.Itoa(f.r.IntN(100) - 10)
}

func (f *fuzzer) value(depth int) string {
	switch n := f.r.IntN(10); {
	case n == 0 && depth < 6:
		parts := make([]string, f.r.IntN(4))
		for i := range parts {
			parts[i] = f.value(depth + 1)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case n == 1 && depth < 6:
		parts := make([]string, f.r.IntN(4))
		for i := range parts {
			k, _ := json.Marshal(f.pick(hostile))
			parts[i] = string(k) + ":" + f.value(depth+1)
		}
		return "{" + strings.Join(parts, ",") + "}"
	case n == 2:
		d := 1 + f.r.IntN(3000) // deep nesting
		return strings.Repeat("[", d) + "1" + strings.Repeat("]", d)
	case n == 3:
		return f.number()
	case n == 4:
		return f.pick([]string{"true", "false", "null"})
	case n == 5:
		return "[" + strings.TrimSuffix(strings.Repeat("1,", 1+f.r.IntN(20000)), ",") + "]"
	default:
		s, _ := json.Marshal(f.pick(hostile))
		return string(s)
	}
}

func (f *fuzzer) params(method string) string {
	names := f.args[method]
	switch f.r.IntN(6) {
	case 0:
		return f.value(0)
	case 1: // by position, random values
		parts := make([]string, f.r.IntN(len(names)+2))
		for i := range parts {
			parts[i] = f.value(1)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	var parts []string
	for _, n := range names {
		if f.r.IntN(3) > 0 {
			k, _ := json.Marshal(n)
			parts = append(parts, string(k)+":"+f.value(1))
		}
	}
	if f.r.IntN(4) == 0 {
		k, _ := json.Marshal(f.pick(hostile))
		parts = append(parts, string(k)+":"+f.value(1))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func (f *fuzzer) request() string {
	method := f.pick(f.methods)
	switch f.r.IntN(6) {
	case 0:
		method = f.pick(hostile)
	case 1:
		method = f.pick([]string{"howdah", "queue", "advisor", "howdah_internal", "pg_catalog", "fixture", "rpc"}) + "." + f.pick(hostile)
	}
	m, _ := json.Marshal(method)
	id := f.pick([]string{"1", `"x"`, "null", f.number(), "[]", "{}"})
	switch f.r.IntN(12) {
	case 0:
		return f.value(0) // not a request at all
	case 1:
		return fmt.Sprintf(`{"jsonrpc":"1.0","id":%s,"method":%s}`, id, m)
	case 2:
		return fmt.Sprintf(`{"jsonrpc":"2.0","method":%s,"params":%s}`, m, f.params(method)) // notification
	case 3:
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":%s,"params":%s,"params":%s}`, id, m, f.params(method), f.params(method))
	}
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":%s,"params":%s}`, id, m, f.params(method))
}

func (f *fuzzer) body() string {
	switch f.r.IntN(10) {
	case 0:
		parts := make([]string, f.r.IntN(30))
		for i := range parts {
			parts[i] = f.request()
		}
		return "[" + strings.Join(parts, ",") + "]"
	case 1:
		b := f.request()
		return b[:f.r.IntN(len(b)+1)] // cut off
	case 2:
		b := []byte(f.request())
		for range 3 {
			b[f.r.IntN(len(b))] = byte(f.r.IntN(256))
		}
		return string(b)
	}
	return f.request()
}

// leak matches what an error body must never show: stack traces, Go source, SQL, driver names.
var leak = regexp.MustCompile(`goroutine \d|\.go:\d|runtime error|panic|pgx|pgconn|(?i)\bselect\b.+\bfrom\b|SQLSTATE`)

// checkAnswer checks one /rpc answer: never a 500 that leaks, always JSON-RPC (an object with
// result or an error {code, message}, or an array of them), or empty for notifications.
func checkAnswer(status int, body []byte) error {
	if status == http.StatusInternalServerError && leak.Match(body) {
		return fmt.Errorf("500 leaking internals: %.300s", body)
	}
	if len(body) == 0 {
		if status == http.StatusNoContent || status == http.StatusOK {
			return nil
		}
		return fmt.Errorf("status %d with an empty body", status)
	}
	var one rpcResponse
	var many []rpcResponse
	if json.Unmarshal(body, &many) == nil {
		for _, r := range many {
			if err := checkShape(r); err != nil {
				return err
			}
		}
		return nil
	}
	if err := json.Unmarshal(body, &one); err != nil {
		return fmt.Errorf("status %d, body not JSON: %.300s", status, body)
	}
	if err := checkShape(one); err != nil {
		return err
	}
	if one.Error != nil && status == http.StatusInternalServerError && one.Error.Data != nil && one.Error.Data.Message != "" {
		return fmt.Errorf("500 carries the server's message: %.300s", body)
	}
	return nil
}

func checkShape(r rpcResponse) error {
	if r.JSONRPC != "2.0" {
		return fmt.Errorf("answer without jsonrpc 2.0: %+v", r)
	}
	if (r.Error == nil) == (r.Result == nil) {
		return fmt.Errorf("answer with neither or both of result and error: %+v", r)
	}
	if r.Error != nil {
		if r.Error.Code == 0 || r.Error.Message == "" {
			return fmt.Errorf("error without code or message: %+v", r.Error)
		}
		if leak.MatchString(r.Error.Message) {
			return fmt.Errorf("error message leaks internals: %q", r.Error.Message)
		}
	}
	return nil
}

// sseStreams is how many /events subscribers the abuse part opens.
func sseStreams() int { return size(100, 1000) }

// TestSidecar runs the parts that need a sidecar against one served database, in order: the
// privilege matrix, the abuse and the hostile identifiers (which check that no row changed), then
// the load (which writes).
func TestSidecar(t *testing.T) {
	s := serve(t, func(c *sidecar.Config) {
		c.ReadTimeout = 2 * time.Second
		c.EventsAllow = []string{"rel_*"}
		c.MaxConnections = 4 * sseStreams()
		c.MaxEventStreams = 2 * sseStreams()
	})
	t.Run("privileges", func(t *testing.T) { testPrivilegeMatrix(t, s) })
	t.Run("abuse", func(t *testing.T) { testSidecarAbuse(t, s) })
	t.Run("identifiers", func(t *testing.T) { testHostileIdentifiers(t, s) })
	t.Run("load", func(t *testing.T) { testLoad(t, s) })
}

func testSidecarAbuse(t *testing.T, s *served) {
	start := time.Now()
	streams := sseStreams()
	before := tableChecksums(t, s.conn)

	// 1. Fuzzed bodies, as the anonymous role (which may change nothing).
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("HOWDAH_RELIABILITY_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	f := &fuzzer{r: rand.New(rand.NewPCG(seed, 1)), args: map[string][]string{}}
	cat := s.srv.Catalog()
	for _, m := range cat.Methods() {
		f.methods = append(f.methods, m)
		for _, a := range cat.Lookup(m).Args {
			f.args[m] = append(f.args[m], a.Name)
		}
	}
	// The go fuzz corpus first (every testdata/fuzz of the repository: FuzzDecode's inputs, found
	// by fuzzing the JSON-RPC decoder, and seeds aimed at the sidecar), then the random cases.
	corpus, targets := fuzzCorpus(t)
	cases := size(1000, 10000)
	bodies := append([]string{}, corpus...)
	for range cases {
		bodies = append(bodies, f.body())
	}
	cases = len(bodies)
	statuses := map[int]int{}
	var mu sync.Mutex
	var failures atomic.Int64
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < cases; i = int(next.Add(1)) - 1 {
				status, out, err := s.post(t, "", []byte(bodies[i]))
				if err == nil {
					err = checkAnswer(status, out)
				}
				if err != nil {
					if failures.Add(1) <= 10 {
						from := fmt.Sprintf("seed %d", seed)
						if i < len(corpus) {
							from = "go fuzz corpus"
						}
						t.Errorf("fuzz case %d (%s): %v\nbody: %.300s", i, from, err, bodies[i])
					}
					continue
				}
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	// 2. Bad tokens: each refused with the JSON error shape, none runs as another role.
	now := time.Now()
	tokens := map[string]string{
		"expired":           token(t, jwt.MapClaims{"role": s.user, "exp": now.Add(-time.Hour).Unix()}),
		"future iat":        token(t, jwt.MapClaims{"role": s.user, "iat": now.Add(time.Hour).Unix()}),
		"role too long":     token(t, jwt.MapClaims{"role": s.authn + strings.Repeat("x", 64)}),
		"unknown role":      token(t, jwt.MapClaims{"role": "rel_no_such_role"}),
		"authenticator":     token(t, jwt.MapClaims{"role": s.authn}),
		"superuser":         token(t, jwt.MapClaims{"role": "postgres"}),
		"not a JWT":         "not.a.jwt",
		"empty":             "",
		"bad signature":     token(t, jwt.MapClaims{"role": s.user})[:20] + "xx" + token(t, jwt.MapClaims{"role": s.user})[22:],
		"alg none":          noneToken(t, jwt.MapClaims{"role": s.user}),
		"wrong secret":      otherSecretToken(t, jwt.MapClaims{"role": s.user}),
		"role not a string": token(t, jwt.MapClaims{"role": 42}),
	}
	tokenStatus := map[string]int{}
	for name, tok := range tokens {
		if name == "empty" {
			continue
		}
		req := []byte(`{"jsonrpc":"2.0","id":1,"method":"howdah.list_records","params":{"tab":` + strconv.Itoa(int(s.secretOID)) + `}}`)
		status, out, err := s.post(t, tok, req)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkAnswer(status, out); err != nil {
			t.Errorf("token %s: %v", name, err)
		}
		var r rpcResponse
		_ = json.Unmarshal(out, &r)
		if r.Error == nil || status < 400 || status >= 500 {
			t.Errorf("token %s: status %d, %.300s; want a refusal", name, status, out)
		}
		tokenStatus[name] = status
	}

	// 3. Slow clients: bodies that stall mid-way are cut off after ReadTimeout while /readyz
	// and calls go on being answered.
	slow := size(50, 300)
	var conns []net.Conn
	addr := strings.TrimPrefix(s.base, "http://")
	for range slow {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("slow client: %v", err)
		}
		fmt.Fprintf(c, "POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n[%s", strings.Repeat(`{"jsonrpc":"2.0","id":1,"method":"howdah.version"},`, 200))
		conns = append(conns, c)
	}
	if status, r := s.call(t, "", "howdah.version", map[string]any{}); status != http.StatusOK || r.Error != nil {
		t.Errorf("a call while %d clients stall: status %d, %+v", slow, status, r.Error)
	}
	if resp, err := s.client.Get(s.base + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz while %d clients stall: %v %v", slow, resp, err)
	} else {
		resp.Body.Close()
	}
	cut, answered408 := 0, 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, err := io.ReadAll(c)
		if err == nil || len(b) > 0 {
			cut++
		}
		if strings.HasPrefix(string(b), "HTTP/1.1 408") {
			answered408++
		}
		c.Close()
	}
	if cut != slow {
		t.Errorf("%d of %d stalled bodies were cut off within ReadTimeout + 10 s", cut, slow)
	}

	// 4. Many SSE subscribers: each gets a notification.
	sseClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: -1}}
	defer sseClient.CloseIdleConnections()
	ctx, cancel := context.WithCancel(s.ctx)
	var got atomic.Int64
	var ready, done sync.WaitGroup
	var sseErr atomic.Value
	for range streams {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/events?channel=rel_ping", nil)
			resp, err := sseClient.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				sseErr.Store(fmt.Sprintf("subscribe: %v %v", resp, err))
				ready.Done()
				return
			}
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			first := true
			for sc.Scan() {
				if first && sc.Text() == "" {
					first = false
					ready.Done()
				}
				if strings.HasPrefix(sc.Text(), "data: ") && strings.Contains(sc.Text(), "hello") {
					got.Add(1)
					return
				}
			}
		}()
	}
	ready.Wait()
	t0 := time.Now()
	if _, err := s.conn.Exec(s.ctx, "SELECT pg_notify('rel_ping', 'hello')"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for got.Load() < int64(streams) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	fanout := time.Since(t0)
	cancel()
	done.Wait()
	if e := sseErr.Load(); e != nil {
		t.Errorf("SSE: %v", e)
	}
	if got.Load() != int64(streams) {
		t.Errorf("%d of %d SSE subscribers got the notification", got.Load(), streams)
	}

	// The hostile run changed no row of any table.
	sameChecksums(t, before, tableChecksums(t, s.conn))

	var st []string
	for code, n := range statuses {
		st = append(st, fmt.Sprintf("%d×%d", code, n))
	}
	sort.Strings(st)
	var ts []string
	for name, code := range tokenStatus {
		ts = append(ts, fmt.Sprintf("%s→%d", name, code))
	}
	sort.Strings(ts)
	report(t, "sidecar abuse", "%d fuzzed bodies (%d from the go fuzz corpus of %s, %d random, seed %d): statuses %s, bad answers %d; bad tokens: %s; %d stalled bodies cut off (%d answered 408) while calls and /readyz answered; %d/%d SSE subscribers notified in %.2fs; table checksums unchanged: %v; %.1fs",
		cases, len(corpus), strings.Join(targets, ", "), cases-len(corpus), seed, strings.Join(st, " "), failures.Load(), strings.Join(ts, " "), cut, answered408, got.Load(), streams, fanout.Seconds(), !t.Failed(), time.Since(start).Seconds())
}

// noneToken is an unsigned token (alg "none"), which must never be accepted.
func noneToken(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// otherSecretToken is signed with HS512 and a secret the sidecar does not know.
func otherSecretToken(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS512, claims).SignedString([]byte("another secret, not the sidecar's, 32+ bytes"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// fuzzCorpus reads every go fuzz corpus of the repository (testdata/fuzz/<Target>/<file>, in
// the "go test fuzz v1" format) and returns each []byte or string value as a body to post, and
// the targets it found them under.
func fuzzCorpus(t *testing.T) (bodies, targets []string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		dir := filepath.Dir(path)
		if d.IsDir() || filepath.Base(filepath.Dir(dir)) != "fuzz" || filepath.Base(filepath.Dir(filepath.Dir(dir))) != "testdata" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) == 0 || lines[0] != "go test fuzz v1" {
			return fmt.Errorf("%s: not a go fuzz corpus file", path)
		}
		for _, l := range lines[1:] {
			var lit string
			switch {
			case strings.HasPrefix(l, "[]byte(") && strings.HasSuffix(l, ")"):
				lit = l[len("[]byte(") : len(l)-1]
			case strings.HasPrefix(l, "string(") && strings.HasSuffix(l, ")"):
				lit = l[len("string(") : len(l)-1]
			default:
				continue // other types are not bodies
			}
			v, err := strconv.Unquote(lit)
			if err != nil {
				return fmt.Errorf("%s: %v", path, err)
			}
			bodies = append(bodies, v)
		}
		rel, _ := filepath.Rel(root, dir)
		if !seen[rel] {
			seen[rel] = true
			targets = append(targets, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the go fuzz corpus: %v", err)
	}
	if len(bodies) == 0 {
		t.Fatalf("no go fuzz corpus under %s (sidecar/rpc/testdata/fuzz/FuzzDecode should be there)", root)
	}
	sort.Strings(targets)
	return bodies, targets
}
