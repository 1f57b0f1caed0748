package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// run executes the CLI in-process and returns stdout, stderr and the exit code. Tests here do
// not run in parallel: urfave/cli shares its help flag between apps and writes to it.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	app := newApp()
	var out, errOut bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errOut
	app.ExitErrHandler = func(*cli.Context, error) {} // report errors, never os.Exit in tests
	code := 0
	if err := runApp(context.Background(), app, append([]string{"howdah"}, args...)); err != nil {
		errOut.WriteString("howdah: " + err.Error() + "\n")
		code = exitCode(err)
	}
	return out.String(), errOut.String(), code
}

func TestHelpIsComplete(t *testing.T) {
	top, _, code := run(t, "--help")
	if code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	for _, cmd := range newApp().Commands {
		if !strings.Contains(top, cmd.Name) || !strings.Contains(top, cmd.Usage) {
			t.Errorf("howdah --help does not list %q with its usage", cmd.Name)
		}
		help, _, code := run(t, cmd.Name, "--help")
		if code != 0 {
			t.Errorf("%s --help exited %d", cmd.Name, code)
		}
		if !strings.Contains(help, cmd.Usage) {
			t.Errorf("%s --help lacks its usage line", cmd.Name)
		}
		for _, f := range cmd.Flags {
			if !strings.Contains(help, "--"+f.Names()[0]) {
				t.Errorf("%s --help does not document --%s", cmd.Name, f.Names()[0])
			}
		}
	}
	// Every command and subcommand documents the global flags it accepts after its name.
	var walk func(path []string, cmds []*cli.Command)
	walk = func(path []string, cmds []*cli.Command) {
		for _, cmd := range cmds {
			p := append(slices.Clone(path), cmd.Name)
			help, _, _ := run(t, append(p, "--help")...)
			for _, g := range globalFlags() {
				if !strings.Contains(help, "--"+g.Names()[0]) {
					t.Errorf("%s --help does not document the global flag --%s", strings.Join(p, " "), g.Names()[0])
				}
			}
			walk(p, cmd.Subcommands)
		}
	}
	walk(nil, newApp().Commands)
	for _, m := range installer.Modules() {
		if help, _, _ := run(t, "install", "--help"); !strings.Contains(help, m.Name) {
			t.Errorf("install --help does not list module %q", m.Name)
		}
	}
}

func TestInstallStatusVerifyUninstall(t *testing.T) {
	url := pgtest.NewDatabase(t)

	out, errOut, code := run(t, "--db", url, "install")
	if code != 0 || !strings.Contains(out, "installed core (howdah): 1 migration step(s) and its code") || !strings.Contains(errOut, "apply 001_core.sql") {
		t.Fatalf("install: code %d, out %q, err %q", code, out, errOut)
	}
	if out, _, code = run(t, "--db", url, "install"); code != 0 || !strings.Contains(out, "nothing to do") {
		t.Fatalf("second install: code %d, out %q", code, out)
	}

	out, _, code = run(t, "--db", url, "status", "--json")
	var st []installer.ModuleStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 {
		t.Fatalf("status --json: code %d, %v: %q", code, err, out)
	}
	if len(st) == 0 || st[0].Module != "core" || !st[0].Installed || st[0].Version != st[0].Latest || len(st[0].Pending) != 0 {
		t.Fatalf("status = %+v", st)
	}
	if out, _, _ = run(t, "--db", url, "status"); !strings.Contains(out, "MODULE") || !strings.Contains(out, "core") {
		t.Fatalf("status table: %q", out)
	}

	if out, _, code = run(t, "--db", url, "verify"); code != 0 || !strings.Contains(out, "ok:") {
		t.Fatalf("verify on a fresh install: code %d, out %q", code, out)
	}
	conn := pgtest.Connect(t, url)
	// A grant made on purpose is a note, not a failure, unless --strict.
	const role = "howdah_test_verify_grant"
	if _, err := conn.Exec(context.Background(), "DROP ROLE IF EXISTS "+role+"; CREATE ROLE "+role+"; GRANT USAGE ON SCHEMA howdah TO "+role); err != nil {
		t.Fatal(err)
	}
	if out, _, code = run(t, "--db", url, "verify"); code != 0 || !strings.Contains(out, "note: core (howdah): schema howdah: privileges granted since install: "+role+"=U/") ||
		!strings.Contains(out, "apart from 1 privilege change") {
		t.Fatalf("verify after a GRANT: code %d, out %q", code, out)
	}
	if out, errOut, code = run(t, "--db", url, "verify", "--strict"); code != 1 || strings.Contains(out, "note:") || !strings.Contains(errOut, "1 problem") {
		t.Fatalf("verify --strict after a GRANT: code %d, out %q, err %q", code, out, errOut)
	}
	if _, err := conn.Exec(context.Background(), "REVOKE USAGE ON SCHEMA howdah FROM "+role+"; DROP ROLE "+role); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(context.Background(), "CREATE OR REPLACE FUNCTION howdah.version() RETURNS jsonb LANGUAGE sql RETURN '{}'::jsonb"); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = run(t, "--db", url, "verify")
	if code != 1 || !strings.Contains(out, "howdah.version()") || !strings.Contains(errOut, "1 problem") {
		t.Fatalf("verify after an edit: code %d, out %q, err %q", code, out, errOut)
	}

	if _, errOut, code = run(t, "--db", url, "uninstall"); code == 0 || !strings.Contains(errOut, "--all") {
		t.Fatalf("uninstall with no module: code %d, err %q", code, errOut)
	}
	if out, errOut, code = run(t, "--db", url, "uninstall", "--all"); code != 0 || !strings.Contains(out, "uninstalled core") {
		t.Fatalf("uninstall --all: code %d, out %q, err %q", code, out, errOut)
	}
	var left bool
	if err := conn.QueryRow(context.Background(), "SELECT to_regnamespace('howdah') IS NOT NULL OR to_regnamespace('howdah_internal') IS NOT NULL").Scan(&left); err != nil || left {
		t.Fatalf("schemas left after uninstall --all: %v %v", left, err)
	}
}

func TestDatabaseFromEnvironment(t *testing.T) {
	url := pgtest.NewDatabase(t)
	t.Setenv("DATABASE_URL", url)
	if out, _, code := run(t, "install"); code != 0 || !strings.Contains(out, "installed core") {
		t.Fatalf("install via DATABASE_URL: code %d, out %q", code, out)
	}
}

// Global flags work before and after the command name, on every command and subcommand: the
// --db closest to the end of the command line wins, then the environment. The URLs point at a
// closed port; the connection error names the database each command chose.
func TestGlobalFlagsBeforeOrAfterTheCommand(t *testing.T) {
	db := func(name string) string { return "postgres://nobody@127.0.0.1:1/" + name + "?connect_timeout=2" }
	cases := []struct {
		env  map[string]string
		args []string
		want string // the database the command connects to
	}{
		{nil, []string{"--db", db("before"), "status"}, "before"},
		{nil, []string{"status", "--db", db("after")}, "after"},
		{nil, []string{"install", "--db", db("after")}, "after"},
		{nil, []string{"upgrade", "--db", db("after")}, "after"},
		{nil, []string{"verify", "--db", db("after")}, "after"},
		{nil, []string{"uninstall", "--db", db("after"), "--all"}, "after"},
		{nil, []string{"--db", db("before"), "status", "--db", db("after")}, "after"},
		{nil, []string{"queue", "--db", db("between"), "stats"}, "between"},
		{nil, []string{"queue", "stats", "--db", db("after")}, "after"},
		{nil, []string{"queue", "push", "--db", db("after"), "mail", "{}"}, "after"},
		{nil, []string{"queue", "list", "--db", db("after")}, "after"},
		{nil, []string{"queue", "retry", "--db", db("after"), "1"}, "after"},
		{nil, []string{"queue", "cancel", "--db", db("after"), "1"}, "after"},
		{nil, []string{"queue", "prune", "--db", db("after")}, "after"},
		// After the positional arguments too.
		{nil, []string{"install", "core", "--db", db("last")}, "last"},
		{nil, []string{"install", "core", "--db=" + db("last")}, "last"},
		{nil, []string{"queue", "push", "mail", "{}", "--db", db("last")}, "last"},
		{nil, []string{"queue", "retry", "1", "--db", db("last")}, "last"},
		{nil, []string{"uninstall", "queue", "--db", db("last"), "--all"}, "last"},
		{nil, []string{"--db", db("before"), "queue", "cancel", "1", "--db", db("last")}, "last"},
		{nil, []string{"--db", db("before"), "queue", "--db", db("between"), "push", "--db", db("after"), "mail"}, "after"},
		{nil, []string{"--db", db("before"), "queue", "--db", db("between"), "list"}, "between"},
		{map[string]string{"DATABASE_URL": db("env")}, []string{"status"}, "env"},
		{map[string]string{"DATABASE_URL": db("env")}, []string{"status", "--db", db("after")}, "after"},
		{map[string]string{"DATABASE_URL": db("env")}, []string{"--db", db("before"), "queue", "stats"}, "before"},
		// serve: --db anywhere, then HOWDAH_DB, then DATABASE_URL.
		{map[string]string{"DATABASE_URL": db("env")}, []string{"serve", "--anon-role", "a"}, "env"},
		{map[string]string{"DATABASE_URL": db("env"), "HOWDAH_DB": db("serve_env")}, []string{"serve", "--anon-role", "a"}, "serve_env"},
		{map[string]string{"HOWDAH_DB": db("serve_env")}, []string{"--db", db("before"), "serve", "--anon-role", "a"}, "before"},
		{map[string]string{"HOWDAH_DB": db("serve_env")}, []string{"serve", "--db", db("after"), "--anon-role", "a"}, "after"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Setenv("DATABASE_URL", "")
			t.Setenv("HOWDAH_DB", "")
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			_, errOut, code := run(t, c.args...)
			if want := fmt.Sprintf("PostgreSQL at 127.0.0.1:1, database %q", c.want); code == 0 || !strings.Contains(errOut, want) {
				t.Fatalf("code %d, stderr %q; want it to contain %q", code, errOut, want)
			}
		})
	}

	// And against a real database.
	url := pgtest.NewDatabase(t)
	if out, errOut, code := run(t, "install", "queue", "--db", url); code != 0 || !strings.Contains(out, "installed queue") {
		t.Fatalf("install queue --db URL: code %d, out %q, err %q", code, out, errOut)
	}
	if out, errOut, code := run(t, "queue", "push", "--db", url, "mail"); code != 0 || strings.TrimSpace(out) == "" {
		t.Fatalf("queue push --db URL: code %d, out %q, err %q", code, out, errOut)
	}
}

func TestClearCLIErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--db", "postgres://nobody@127.0.0.1:1/nowhere?connect_timeout=2", "status"}, `cannot connect to PostgreSQL at 127.0.0.1:1, database "nowhere", user "nobody"`},
		{[]string{"--db", "postgres://%zz", "status"}, "invalid connection string"},
		{[]string{"--db", "postgres://x@127.0.0.1:1/x", "install", "--schema", "pictrs", "core"}, "write it as MODULE=SCHEMA"},
		{[]string{"--db", "postgres://x@127.0.0.1:1/x", "install", "--schema", "shop=eu", "core"}, `--schema names module "shop"`},
	}
	for _, c := range cases {
		_, errOut, code := run(t, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: code %d, stderr %q, want it to contain %q", c.args, code, errOut, c.want)
		}
	}
}

func TestDemoStartsQueryableDatabase(t *testing.T) {
	if pgtest.SharedServer(t).Cluster == nil {
		t.Skip("no local server binaries: the demo needs them")
	}
	// Not t.TempDir(): as root the server runs as postgres, which must reach the directory.
	dir, err := os.MkdirTemp("", "howdah-demo-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run(t, "demo", "--dir", dir, "--destroy") })
	// The demo starts `howdah serve` as a background process: give it a real binary, not this
	// test binary.
	howdahExecutable = filepath.Join(dir, "howdah")
	if out, err := exec.Command("go", "build", "-o", howdahExecutable, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// A small advisor seed: its own test (internal/advisorseed) checks the full one.
	out, errOut, code := run(t, "demo", "--dir", dir, "--listen", "127.0.0.1:0", "--advisor-scale", "0.02")
	if code != 0 {
		t.Fatalf("demo: code %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"seeded the advisor workload: schema advisor_seed", "advisor snapshots [", "howdah advisor bottlenecks", "howdah advisor ask"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q: %q", want, out)
		}
	}
	start := strings.Index(out, "postgres://")
	if start < 0 {
		t.Fatalf("demo printed no connection URL: %q", out)
	}
	url := strings.SplitN(out[start:], `"`, 2)[0]
	var version string
	if err := pgtest.Connect(t, url).QueryRow(context.Background(), "SELECT howdah.version()::text").Scan(&version); err != nil || !strings.Contains(version, `"core"`) {
		t.Fatalf("SELECT howdah.version() on the demo: %q %v", version, err)
	}
	var orders int
	if err := pgtest.Connect(t, url).QueryRow(context.Background(),
		"SELECT (howdah.list_records('shop.orders'::regclass, lim => 1) ->> 'count')::int").Scan(&orders); err != nil || orders != 12 {
		t.Fatalf("demo example data: %d orders, %v", orders, err)
	}
	// The demo's sidecar answers JSON-RPC as the demo's anonymous role.
	const serving = "howdah serve is answering on http://"
	i := strings.Index(out, serving)
	if i < 0 {
		t.Fatalf("demo printed no sidecar address: %q", out)
	}
	addr := strings.Fields(out[i+len(serving):])[0]
	var tab uint32
	if err := pgtest.Connect(t, url).QueryRow(context.Background(), "SELECT 'shop.orders'::regclass::oid").Scan(&tab); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+addr+"/rpc", "application/json", strings.NewReader(fmt.Sprintf(
		`{"jsonrpc": "2.0", "id": 1, "method": "howdah.list_records", "params": {"tab": %d, "lim": 1}}`, tab)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"count": 12`) {
		t.Fatalf("list_records over the demo's sidecar: %s", body)
	}
	// It ends with the dashboard's URL and an operator token that the sidecar accepts.
	const dashboard = "The dashboard: http://"
	if !strings.Contains(out, dashboard+addr+"/ui/") {
		t.Fatalf("demo printed no dashboard URL: %q", out)
	}
	lines := strings.Split(strings.TrimSpace(out[strings.Index(out, dashboard):]), "\n")
	if len(lines) < 3 {
		t.Fatalf("demo printed no operator token: %q", out)
	}
	req, _ := http.NewRequest("POST", "http://"+addr+"/rpc", strings.NewReader(`{"jsonrpc": "2.0", "id": 1, "method": "queue.stats"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(lines[2]))
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"queue": "emails"`) {
			t.Fatalf("queue.stats with the demo's operator token: %d %s", resp.StatusCode, body)
		}
	}
	// The operator may read the advisor (the dashboard's home page) and simulate its findings.
	req, _ = http.NewRequest("GET", "http://"+addr+"/bottlenecks?limit=3", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(lines[2]))
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "[") {
			t.Fatalf("GET /bottlenecks with the demo's operator token: %d %s", resp.StatusCode, body)
		}
	}
	// A second run reuses the running cluster and sidecar and does not seed twice.
	if out2, _, code := run(t, "demo", "--dir", dir); code != 0 || !strings.Contains(out2, url) ||
		strings.Contains(out2, "seeded") || !strings.Contains(out2, serving+addr) {
		t.Fatalf("second demo run: code %d, out %q", code, out2)
	}
	if out, _, _ := run(t, "demo", "--dir", dir, "--stop"); !strings.Contains(out, "howdah serve stopped") || !strings.Contains(out, "demo server stopped") {
		t.Fatalf("demo --stop: %q", out)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatalf("the demo's sidecar still answers after --stop")
	}
}

// The installer's errors name no flags or commands (it is a Go API too); the CLI adds its
// advice where it prints them.
func TestInstallerErrorsGetCLIAdvice(t *testing.T) {
	for _, err := range []error{
		&installer.NotInstalledError{Module: "queue", Schema: "howdah_queue"},
		&installer.DataExistsError{Module: "queue", Tables: []string{"howdah_queue.jobs"}},
	} {
		if msg := err.Error(); strings.Contains(msg, "--") || strings.Contains(msg, "howdah ") {
			t.Errorf("installer error gives CLI advice: %q", msg)
		}
	}

	url := pgtest.NewDatabase(t)
	if _, errOut, code := run(t, "--db", url, "install", "core"); code != 0 {
		t.Fatalf("install core: %s", errOut)
	}
	if _, errOut, _ := run(t, "--db", url, "upgrade", "queue"); !strings.Contains(errOut, "module \"queue\" is not installed in schema \"howdah_queue\"; install it with `howdah install queue`") {
		t.Errorf("upgrade of a module not installed: %q", errOut)
	}
	if _, errOut, code := run(t, "--db", url, "uninstall", "queue"); code == 0 || !strings.Contains(errOut, "is not installed") || strings.Contains(errOut, "howdah install") {
		t.Errorf("uninstall of a module not installed: code %d, %q", code, errOut)
	}
	if _, errOut, code := run(t, "--db", url, "install", "queue"); code != 0 {
		t.Fatalf("install queue: %s", errOut)
	}
	if _, errOut, code := run(t, "--db", url, "queue", "push", "mail"); code != 0 {
		t.Fatalf("queue push: %s", errOut)
	}
	if _, errOut, code := run(t, "--db", url, "uninstall", "queue"); code == 0 || !strings.Contains(errOut, "holds data in howdah_queue.") ||
		!strings.Contains(errOut, "back it up, or pass --force") {
		t.Errorf("uninstall of a module holding data: code %d, %q", code, errOut)
	}
}

func TestHoistFlags(t *testing.T) {
	app := newApp()
	cases := []struct{ in, want string }{
		{"install core --db U", "install --db U core"},
		{"install core catalog --db=U", "install --db=U core catalog"},
		{"queue push mail {} --priority 5 --db U", "queue push --priority 5 --db U mail {}"},
		{"queue push mail -- --db U", "queue push mail -- --db U"},             // after --: arguments
		{"queue push mail -5 --unknown x", "queue push mail -5 --unknown x"},   // not push's flags: stay
		{"--db A queue --db B list --db C", "--db A queue --db B list --db C"}, // no positional: unchanged
		{"install core --db", "install core --db"},                             // no value: not given core as one
	}
	for _, c := range cases {
		got := strings.Join(hoistFlags(app, append([]string{"howdah"}, strings.Fields(c.in)...))[1:], " ")
		if got != c.want {
			t.Errorf("hoistFlags(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
