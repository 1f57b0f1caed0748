package pgtest

import (
	"os/exec"
	"strings"
	"testing"
)

// Deps lists the import paths the packages matching pattern link (go list -deps, test files
// not included), failing the test when go cannot list them.
func Deps(tb testing.TB, pattern string) []string {
	tb.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pattern).CombinedOutput()
	if err != nil {
		tb.Fatalf("go list -deps %s: %v\n%s", pattern, err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		tb.Fatalf("go list -deps %s listed only %q", pattern, deps)
	}
	return deps
}
