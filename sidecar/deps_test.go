package sidecar

import (
	"strings"
	"testing"

	"github.com/howdah/howdah/internal/pgtest"
)

// The sidecar serves whatever is installed; it does not depend on the installer (the constants
// both need live in internal/release).
func TestSidecarDoesNotImportInstaller(t *testing.T) {
	deps := pgtest.Deps(t, "./...")
	for _, dep := range deps {
		if strings.HasSuffix(dep, "/howdah/installer") {
			t.Errorf("the sidecar links %s", dep)
		}
	}
}
