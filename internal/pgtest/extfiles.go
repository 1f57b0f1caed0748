package pgtest

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// ExtensionFiles puts files (name → content) into the local server's extension directory for
// the rest of the test, so that CREATE EXTENSION and ALTER EXTENSION can use them. Test
// processes of different packages share that directory, so the test holds an exclusive lock on
// it until its cleanup, which also puts back whatever the files replaced. It skips the test when
// the server is not a local cluster or the directory cannot be written.
func ExtensionFiles(tb testing.TB, files map[string][]byte) {
	tb.Helper()
	if SharedServer(tb).Cluster == nil {
		tb.Skip("pgtest: the server is not local; cannot install extension files into it")
	}
	out, err := exec.Command("pg_config", "--sharedir").Output()
	if err != nil {
		tb.Skipf("pgtest: pg_config --sharedir: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "extension")

	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "howdah-pgtest-extension.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		lock.Close()
		tb.Fatalf("pgtest: lock %s: %v", lock.Name(), err)
	}
	var restore []func()
	tb.Cleanup(func() {
		for _, r := range restore {
			r()
		}
		syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
		lock.Close()
	})
	for name, body := range files {
		path := filepath.Join(dir, name)
		old, err := os.ReadFile(path)
		switch {
		case err == nil:
			restore = append(restore, func() { os.WriteFile(path, old, 0o644) })
		case errors.Is(err, fs.ErrNotExist):
			restore = append(restore, func() { os.Remove(path) })
		default:
			tb.Skipf("pgtest: cannot read %s: %v", path, err)
		}
		if err := os.WriteFile(path, body, 0o644); err != nil {
			tb.Skipf("pgtest: cannot write to %s: %v", dir, err)
		}
	}
}
