package sidecar

import (
	"os/exec"
	"strings"
	"testing"
)

// The sidecar serves whatever is installed; it does not depend on the installer (the constants
// both need live in internal/release).
func TestSidecarDoesNotImportInstaller(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %q", deps)
	}
	for _, dep := range deps {
		if strings.HasSuffix(dep, "/howdah/installer") {
			t.Errorf("the sidecar links %s", dep)
		}
	}
}
