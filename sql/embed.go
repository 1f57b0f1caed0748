package sql

import "embed"

// FS holds one directory per module.
//
//go:embed */*.sql
var FS embed.FS
