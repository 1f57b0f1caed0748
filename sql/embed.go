package sql

import "embed"

// FS holds one directory per module, each with migrations/ and code/.
//
//go:embed core catalog queue advisor pictrs playground
var FS embed.FS
