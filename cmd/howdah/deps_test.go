package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The shipped binary links no test machinery: not the testing package (which also registers
// its -test.* flags), not the Docker client behind internal/pgtest, not internal/pgtest itself.
func TestBinaryLinksNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %q", deps)
	}
	for _, dep := range deps {
		switch {
		case dep == "testing", strings.HasPrefix(dep, "testing/"),
			strings.Contains(dep, "dockertest"), strings.HasPrefix(dep, "github.com/docker/"),
			strings.HasSuffix(dep, "/internal/pgtest"):
			t.Errorf("cmd/howdah links %s", dep)
		}
	}
}
