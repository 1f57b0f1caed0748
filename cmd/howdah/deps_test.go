package main

import (
	"strings"
	"testing"

	"github.com/howdah/howdah/internal/pgtest"
)

// The shipped binary links no test machinery: not the testing package (which also registers
// its -test.* flags), not the Docker client behind internal/pgtest, not internal/pgtest itself.
func TestBinaryLinksNoTestCode(t *testing.T) {
	deps := pgtest.Deps(t, ".")
	for _, dep := range deps {
		switch {
		case dep == "testing", strings.HasPrefix(dep, "testing/"),
			strings.Contains(dep, "dockertest"), strings.HasPrefix(dep, "github.com/docker/"),
			strings.HasSuffix(dep, "/internal/pgtest"):
			t.Errorf("cmd/howdah links %s", dep)
		}
	}
}
