package reliability

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/installer"
	"github.com/howdah/howdah/internal/pgtest"
)

// withAppName adds application_name to a database URL, so that a process's session can be
// found in pg_stat_activity.
func withAppName(url, name string) string {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "application_name=" + name
}

// killMidTransaction waits until the session named app has written inside its open transaction
// (backend_xid is set: the install's one transaction is under way), waits a random moment more,
// and SIGKILLs cmd. It reports whether the kill landed while that transaction was open.
func killMidTransaction(t *testing.T, conn *pgx.Conn, cmd *exec.Cmd, app string, done <-chan struct{}) bool {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return false // finished before we could catch it
		default:
		}
		var writing bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_catalog.pg_stat_activity
			WHERE application_name = $1 AND backend_xid IS NOT NULL)`, app).Scan(&writing); err != nil {
			t.Fatal(err)
		}
		if writing {
			time.Sleep(time.Duration(rand.IntN(200)) * time.Millisecond)
			var still bool
			if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_catalog.pg_stat_activity
				WHERE application_name = $1 AND backend_xid IS NOT NULL)`, app).Scan(&still); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Process.Signal(syscall.SIGKILL)
			return still
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("session %q never began writing", app)
	return false
}

// waitGone waits until no session named app is left (its backend noticed the client died and
// rolled back).
func waitGone(t *testing.T, conn *pgx.Conn, app string) {
	t.Helper()
	for i := 0; ; i++ {
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE application_name = $1`, app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if i > 3000 {
			t.Fatalf("the session of killed process %q is still there after 30 s", app)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestInstallerUnderFaults(t *testing.T) {
	bin := buildHowdah(t)
	ctx := context.Background()
	start := time.Now()
	var killsInTx, rounds int

	// A lone installer killed inside its transaction leaves the database as it was.
	t.Run("killed alone", func(t *testing.T) {
		for try := 0; try < size(1, 5) || killsInTx == 0 && try < 5; try++ {
			url := pgtest.NewDatabase(t)
			conn := pgtest.Connect(t, url)
			before := pgtest.Catalog(t, conn)
			app := fmt.Sprintf("rel_alone_%d", try)
			cmd := exec.Command(bin, "install", "--db", withAppName(url, app))
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			inTx := killMidTransaction(t, conn, cmd, app, done)
			<-done
			waitGone(t, conn, app)
			rounds++
			if !inTx {
				continue // it committed before the kill: nothing to check here
			}
			killsInTx++
			if onlyBefore, onlyAfter := pgtest.Diff(before, pgtest.Catalog(t, conn)); len(onlyBefore)+len(onlyAfter) > 0 {
				t.Fatalf("an installer killed mid-transaction left a partial install: removed %q, added %q", onlyBefore, onlyAfter)
			}
			var locks int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&locks); err != nil || locks != 0 {
				t.Fatalf("advisory locks left after the kill: %d (%v)", locks, err)
			}
		}
		if killsInTx == 0 {
			t.Fatal("no kill landed inside an install's transaction")
		}
	})

	// Four installers at once, the one that holds the lock killed mid-transaction: the others
	// wait, one of them installs everything, verify finds nothing wrong.
	url := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, url)
	t.Run("four at once, one killed", func(t *testing.T) {
		cmds := make([]*exec.Cmd, 4)
		outs := make([]strings.Builder, 4)
		dones := make([]chan struct{}, 4)
		for i := range cmds {
			cmds[i] = exec.Command(bin, "install", "--db", withAppName(url, fmt.Sprintf("rel_four_%d", i)))
			cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
			if err := cmds[i].Start(); err != nil {
				t.Fatal(err)
			}
			dones[i] = make(chan struct{})
			go func(i int) { cmds[i].Wait(); close(dones[i]) }(i)
		}
		// The victim is whichever took the lock and is writing.
		victim := -1
		for deadline := time.Now().Add(2 * time.Minute); victim < 0 && time.Now().Before(deadline); {
			var app string
			err := conn.QueryRow(ctx, `SELECT application_name FROM pg_catalog.pg_stat_activity
				WHERE application_name LIKE 'rel\_four\_%' AND backend_xid IS NOT NULL LIMIT 1`).Scan(&app)
			if err == nil {
				fmt.Sscanf(app, "rel_four_%d", &victim)
				break
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond)
		}
		if victim < 0 {
			t.Fatal("no installer began writing")
		}
		time.Sleep(time.Duration(rand.IntN(100)) * time.Millisecond)
		_ = cmds[victim].Process.Signal(syscall.SIGKILL)
		for i := range cmds {
			<-dones[i]
			if i == victim {
				continue
			}
			if code := cmds[i].ProcessState.ExitCode(); code != 0 {
				t.Errorf("installer %d (not killed) exited %d:\n%s", i, code, outs[i].String())
			}
		}
		var dup int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT module, schema_name, version FROM howdah_internal.history
			WHERE direction = 'up' GROUP BY 1, 2, 3 HAVING count(*) > 1) d`).Scan(&dup); err != nil || dup != 0 {
			t.Errorf("steps applied more than once: %d (%v)", dup, err)
		}
		if out, code := runHowdah(t, bin, "verify", "--db", url); code != 0 || !strings.Contains(out, "ok:") {
			t.Errorf("verify after the concurrent installs: exit %d\n%s", code, out)
		}
		ref := pgtest.NewDatabase(t)
		refConn := pgtest.Connect(t, ref)
		pgtest.Install(t, refConn)
		if onlyRef, onlyHere := pgtest.Diff(pgtest.Catalog(t, refConn), pgtest.Catalog(t, conn)); len(onlyRef)+len(onlyHere) > 0 {
			t.Errorf("catalog differs from a clean install: missing %q, extra %q", onlyRef, onlyHere)
		}
	})

	// A migration failing half-way, and a migration file cut off in the middle of a statement,
	// change nothing: not the catalog, not a row.
	t.Run("failing migration", func(t *testing.T) {
		files := fstest.MapFS{
			"faulty/migrations/001_faulty.sql": {Data: []byte("CREATE SCHEMA faulty;\nCREATE TABLE faulty.a (id int PRIMARY KEY, note text);\nINSERT INTO faulty.a SELECT g, 'row ' || g FROM generate_series(1, 100) g;\n---- create above / drop below ----\nDROP TABLE faulty.a;\nDROP SCHEMA faulty;\n")},
		}
		mod := &installer.Module{Name: "faulty", Schema: "faulty", Requires: []string{"core"}, FS: files}
		in := func() *installer.Installer {
			in, err := installer.New(conn, &installer.Config{Modules: append(installer.Modules(), mod)})
			if err != nil {
				t.Fatal(err)
			}
			return in
		}
		if _, err := in().Install(ctx, []installer.Target{{Module: "faulty"}}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ name, body string }{
			{"002_fails_halfway.sql", "CREATE TABLE faulty.b (id int);\nUPDATE faulty.a SET note = 'changed';\nDELETE FROM faulty.a WHERE id > 50;\nINSERT INTO faulty.a VALUES (1, 'duplicate');\n---- create above / drop below ----\nDROP TABLE faulty.b;\n"},
			{"002_cut_off.sql", "CREATE TABLE faulty.c (id int);\nUPDATE faulty.a SET note = 'changed';\nALTER TABLE faulty.a ADD COLUMN sz\n---- create above / drop below ----\nDROP TABLE faulty.c;\n"},
		} {
			catalog, sums := pgtest.Catalog(t, conn), tableChecksums(t, conn)
			files["faulty/migrations/"+c.name] = &fstest.MapFile{Data: []byte(c.body)}
			_, err := in().Install(ctx, []installer.Target{{Module: "faulty"}})
			delete(files, "faulty/migrations/"+c.name)
			var merr *installer.MigrationError
			if !errors.As(err, &merr) || merr.Step != c.name {
				t.Errorf("%s: err = %v, want a MigrationError naming the file", c.name, err)
			}
			if onlyBefore, onlyAfter := pgtest.Diff(catalog, pgtest.Catalog(t, conn)); len(onlyBefore)+len(onlyAfter) > 0 {
				t.Errorf("%s changed the catalog: removed %q, added %q", c.name, onlyBefore, onlyAfter)
			}
			sameChecksums(t, sums, tableChecksums(t, conn))
		}
		if _, err := in().Uninstall(ctx, []installer.Target{{Module: "faulty"}}, true); err != nil {
			t.Fatal(err)
		}
	})

	// Functions dropped by hand: verify names them, install --repair restores them, no row moves.
	var restored int
	t.Run("hand-dropped functions", func(t *testing.T) {
		if _, err := conn.Exec(ctx, `SELECT howdah_queue.push('reliability', '{"n": 1}'); SELECT howdah_queue.push('reliability', '{"n": 2}')`); err != nil {
			t.Fatal(err)
		}
		// Repair writes its own bookkeeping (history, fingerprints); every other row must stay.
		userData := func() map[string]string {
			sums := tableChecksums(t, conn)
			for tbl := range sums {
				if strings.HasPrefix(tbl, "howdah_internal.") {
					delete(sums, tbl)
				}
			}
			return sums
		}
		sums := userData()
		if _, err := conn.Exec(ctx, "DROP FUNCTION howdah_queue.push; DROP FUNCTION howdah.list_records"); err != nil {
			t.Fatal(err)
		}
		out, code := runHowdah(t, bin, "verify", "--db", url)
		if code != 1 || !strings.Contains(out, "function howdah_queue.push(") || !strings.Contains(out, "function howdah.list_records(") {
			t.Fatalf("verify after dropping two functions: exit %d\n%s", code, out)
		}
		out, code = runHowdah(t, bin, "install", "--repair", "--db", url)
		restored = strings.Count(out, "restored:")
		if code != 0 || restored != 2 || !strings.Contains(out, "howdah_queue.push(") || !strings.Contains(out, "howdah.list_records(") {
			t.Fatalf("install --repair: exit %d\n%s", code, out)
		}
		if out, code := runHowdah(t, bin, "verify", "--db", url); code != 0 {
			t.Fatalf("verify after repair: exit %d\n%s", code, out)
		}
		sameChecksums(t, sums, userData())
		if _, err := conn.Exec(ctx, `SELECT howdah_queue.push('reliability', '{"n": 3}')`); err != nil {
			t.Fatalf("push after repair: %v", err)
		}
	})
	report(t, "installer", "lone installers killed: %d (%d inside the transaction, none left a trace); 4 concurrent with 1 killed: ok; failing migrations: 2, nothing changed; functions restored by --repair: %d; %.1fs",
		rounds, killsInTx, restored, time.Since(start).Seconds())
}
