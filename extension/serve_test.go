package extension_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/howdah/howdah/extension"
	"github.com/howdah/howdah/internal/pgtest"
	"github.com/howdah/howdah/sidecar"
	"github.com/howdah/howdah/sidecar/auth"
	"github.com/howdah/howdah/sidecar/rpc"
)

// A database set up from the bundle, by CREATE EXTENSION or by running the script, is served
// with every method, while another extension's functions in an API schema stay hidden.
func TestServeExtensionInstall(t *testing.T) {
	ctx := context.Background()
	files, err := extension.New(".").Files()
	if err != nil {
		t.Fatal(err)
	}
	if rpc.ExtensionName != extension.Name {
		t.Fatalf("sidecar/rpc serves the functions of extension %q, the bundle is extension %q", rpc.ExtensionName, extension.Name)
	}
	for _, how := range []struct {
		name    string
		install func(t *testing.T, conn *pgx.Conn)
	}{
		{"CREATE EXTENSION", func(t *testing.T, conn *pgx.Conn) {
			pgtest.ExtensionFiles(t, files)
			if _, err := conn.Exec(ctx, "CREATE EXTENSION howdah"); err != nil {
				t.Fatalf("CREATE EXTENSION howdah: %v", err)
			}
		}},
		{"psql -1 -f script", func(t *testing.T, conn *pgx.Conn) {
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, string(files[extension.ScriptFile])); err != nil {
				t.Fatalf("run bundle script: %v", err)
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(how.name, func(t *testing.T) {
			url := pgtest.NewDatabase(t)
			conn := pgtest.Connect(t, url)
			how.install(t, conn)
			// Another extension (preloaded on every test server) in an API schema: its functions are not howdah's API.
			if _, err := conn.Exec(ctx, "CREATE EXTENSION pg_stat_statements SCHEMA howdah_queue"); err != nil {
				t.Fatal(err)
			}
			anon := fmt.Sprintf("howdah_test_ext_anon_%d", os.Getpid())
			if _, err := conn.Exec(ctx, "CREATE ROLE "+pgx.Identifier{anon}.Sanitize()+" NOLOGIN"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{anon}.Sanitize()) })

			srv, err := sidecar.New(ctx, &sidecar.Config{DatabaseURL: url, Auth: auth.Config{AnonRole: anon},
				Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel)}) // superuser login: warned
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			cat := srv.Catalog()
			if cat.Lookup("howdah.version") == nil || cat.Lookup("queue.push") == nil || cat.Lookup("howdah.list_records") == nil {
				t.Fatalf("served %d methods (%v); want howdah.version, queue.push, howdah.list_records among them", cat.Len(), cat.Methods())
			}
			for _, m := range cat.Methods() {
				if strings.Contains(m, "pg_stat_statements") {
					t.Errorf("pg_stat_statements' function %s is served", m)
				}
			}

			call := func(method string) (int, json.RawMessage, *struct{ Code int }) {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodPost, "/rpc", strings.NewReader(
					`{"jsonrpc": "2.0", "id": 1, "method": "`+method+`"}`))
				req.Header.Set("Content-Type", "application/json")
				srv.Handler().ServeHTTP(rec, req)
				var r struct {
					Result json.RawMessage
					Error  *struct{ Code int }
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
					t.Fatalf("%s: status %d, body is not JSON-RPC: %s", method, rec.Code, rec.Body)
				}
				return rec.Code, r.Result, r.Error
			}
			status, result, rerr := call("howdah.version")
			var modules []struct{ Module string }
			if status != http.StatusOK || rerr != nil || json.Unmarshal(result, &modules) != nil ||
				!slices.ContainsFunc(modules, func(m struct{ Module string }) bool { return m.Module == "core" }) {
				t.Fatalf("howdah.version: status %d, error %+v, result %s", status, rerr, result)
			}
			if _, _, rerr := call("queue.pg_stat_statements_info"); rerr == nil || rerr.Code != -32601 {
				t.Fatalf("queue.pg_stat_statements_info: error %+v, want -32601", rerr)
			}
		})
	}
}
