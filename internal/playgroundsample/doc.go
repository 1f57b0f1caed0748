// Package playgroundsample holds a small Beam Playground catalog (two SDKs, a few examples
// with code and precompiled outputs) in the format `howdah playground import` reads: the demo
// loads it and the playground client's tests import it.
package playgroundsample

import _ "embed"

// Catalog is the sample catalog document (docs/playground.md describes the format).
//
//go:embed catalog.json
var Catalog []byte
