package main

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/extension"
	"github.com/howdah/howdah/installer"
)

// The installer's cost over running the same SQL as one script: per-step transactions, the
// advisory lock, checksum checks and version tables.
func init() {
	cases = append(cases, benchCase{
		name:         "install every module into an empty database",
		baselineName: "extension script",
		howdahName:   "howdah install",
		baseline: func(b *testing.B, e *env) {
			files, err := extension.New("extension").Files()
			if err != nil {
				b.Fatal(err)
			}
			script := string(files[extension.ScriptFile])
			for b.Loop() {
				conn := connect(b, e, e.freshDB(b))
				if _, err := conn.Exec(e.ctx, script); err != nil {
					b.Fatal(err)
				}
				conn.Close(e.ctx)
			}
		},
		howdah: func(b *testing.B, e *env) {
			for b.Loop() {
				conn := connect(b, e, e.freshDB(b))
				in, err := installer.New(conn, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := in.Install(e.ctx, bundled()); err != nil {
					b.Fatal(err)
				}
				conn.Close(e.ctx)
			}
		},
	})
}

// bundled targets the modules the extension script carries, so both sides install the same.
func bundled() []installer.Target {
	var targets []installer.Target
	for _, m := range extension.Modules(installer.Modules()) {
		targets = append(targets, installer.Target{Module: m.Name})
	}
	return targets
}

func connect(b *testing.B, e *env, url string) *pgx.Conn {
	conn, err := pgx.Connect(e.ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	return conn
}
