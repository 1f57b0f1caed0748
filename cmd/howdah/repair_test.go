package main

import (
	"context"
	"strings"
	"testing"

	"github.com/howdah/howdah/internal/pgtest"
)

func TestInstallRepair(t *testing.T) {
	url := pgtest.NewDatabase(t)
	if _, errOut, code := run(t, "--db", url, "install", "queue"); code != 0 {
		t.Fatalf("install: %s", errOut)
	}
	if out, _, code := run(t, "--db", url, "install", "--repair"); code != 0 || !strings.Contains(out, "nothing to repair") {
		t.Fatalf("repair of a healthy database: code %d, out %q", code, out)
	}
	if _, errOut, code := run(t, "--db", url, "install", "--repair", "queue"); code == 0 || !strings.Contains(errOut, "give no module names") {
		t.Fatalf("repair with a module name: code %d, err %q", code, errOut)
	}
	conn := pgtest.Connect(t, url)
	if _, err := conn.Exec(context.Background(), "DROP FUNCTION howdah_queue.push"); err != nil {
		t.Fatal(err)
	}
	if out, _, code := run(t, "--db", url, "verify"); code != 1 || !strings.Contains(out, "howdah_queue.push(") || !strings.Contains(out, "missing") {
		t.Fatalf("verify after a hand-dropped function: code %d, out %q", code, out)
	}
	out, errOut, code := run(t, "--db", url, "install", "--repair")
	if code != 0 || !strings.Contains(out, "restored: queue (howdah_queue): function howdah_queue.push(") || !strings.Contains(out, "recreated the code of") {
		t.Fatalf("repair: code %d, out %q, err %q", code, out, errOut)
	}
	if out, _, code := run(t, "--db", url, "verify"); code != 0 || !strings.Contains(out, "ok:") {
		t.Fatalf("verify after repair: code %d, out %q", code, out)
	}
	if _, err := conn.Exec(context.Background(), "UPDATE howdah_internal.modules SET version = version - 1 WHERE name = 'queue'; UPDATE howdah_internal.version_queue SET version = version - 1"); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "--db", url, "install", "--repair"); code == 0 || !strings.Contains(errOut, "pending") || !strings.Contains(errOut, "run `howdah upgrade`") {
		t.Fatalf("repair with a pending step: code %d, err %q", code, errOut)
	}
}
