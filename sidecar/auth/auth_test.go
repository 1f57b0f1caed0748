package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var secret = []byte("0123456789abcdef0123456789abcdef-test")

func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHS256Tokens(t *testing.T) {
	a, err := New(&Config{Secret: secret, AnonRole: "web_anon"})
	if err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour).Unix()
	cases := []struct {
		name, header, role, reason string
	}{
		{"no header", "", "web_anon", ""},
		{"role claim", "Bearer " + sign(t, jwt.SigningMethodHS256, secret, "", jwt.MapClaims{"role": "web_user", "exp": future, "sub": "u1"}), "web_user", ""},
		{"lowercase scheme", "bearer " + sign(t, jwt.SigningMethodHS384, secret, "", jwt.MapClaims{"role": "r2"}), "r2", ""},
		{"no role claim", "Bearer " + sign(t, jwt.SigningMethodHS256, secret, "", jwt.MapClaims{"sub": "u"}), "web_anon", ""},
		{"expired", "Bearer " + sign(t, jwt.SigningMethodHS256, secret, "", jwt.MapClaims{"role": "web_user", "exp": time.Now().Add(-time.Minute).Unix()}), "", "expired"},
		{"not yet", "Bearer " + sign(t, jwt.SigningMethodHS256, secret, "", jwt.MapClaims{"role": "web_user", "nbf": future}), "", "not valid yet"},
		{"other secret", "Bearer " + sign(t, jwt.SigningMethodHS256, []byte("another secret of enough length, 32+"), "", jwt.MapClaims{"role": "x"}), "", "bad signature"},
		{"alg none", "Bearer " + sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", jwt.MapClaims{"role": "x"}), "", "invalid"},
		{"role none", "Bearer " + sign(t, jwt.SigningMethodHS256, secret, "", jwt.MapClaims{"role": "none"}), "", "must name a role"},
		{"role not a string", "Bearer " + sign(t, jwt.SigningMethodHS256, secret, "", jwt.MapClaims{"role": 5}), "", "must name a role"},
		{"garbage", "Bearer abc.def", "", "malformed"},
		{"basic auth", "Basic dXNlcjpwYXNz", "", "Bearer <JWT>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, err := a.Authenticate(c.header)
			if c.reason != "" {
				var te *TokenError
				if !errors.As(err, &te) || !strings.Contains(err.Error(), c.reason) {
					t.Fatalf("err = %v, want a TokenError containing %q", err, c.reason)
				}
				return
			}
			if err != nil || id.Role != c.role {
				t.Fatalf("identity %+v, err %v; want role %q", id, err, c.role)
			}
			var claims map[string]any
			if err := json.Unmarshal([]byte(id.Claims), &claims); err != nil {
				t.Fatalf("claims %q: %v", id.Claims, err)
			}
		})
	}
	// Claims come through with their numbers intact.
	id, _ := a.Authenticate("Bearer " + sign(t, jwt.SigningMethodHS256, secret, "", jwt.MapClaims{"role": "r", "n": 12345678901234567}))
	if !strings.Contains(id.Claims, `"n":12345678901234567`) {
		t.Fatalf("claims %s", id.Claims)
	}

	noAnon, _ := New(&Config{Secret: secret})
	if _, err := noAnon.Authenticate(""); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("no token, no anon role: %v", err)
	}
	if _, err := noAnon.Authenticate("Bearer " + sign(t, jwt.SigningMethodHS256, secret, "", jwt.MapClaims{"sub": "u"})); err == nil {
		t.Fatal("a token without role and no anon role was accepted")
	}
	if _, err := New(&Config{Secret: []byte("short")}); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Fatalf("short secret: %v", err)
	}
	noKeys, _ := New(&Config{AnonRole: "a"})
	if _, err := noKeys.Authenticate("Bearer x.y.z"); err == nil || !strings.Contains(err.Error(), "accepts no tokens") {
		t.Fatalf("token without keys: %v", err)
	}
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func TestJWKS(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	set := map[string]any{"keys": []map[string]any{
		{"kty": "RSA", "kid": "r1", "use": "sig", "n": b64u(rsaKey.N.Bytes()), "e": b64u(big.NewInt(int64(rsaKey.E)).Bytes())},
		{"kty": "EC", "kid": "e1", "crv": "P-256", "x": b64u(ecKey.X.FillBytes(make([]byte, 32))), "y": b64u(ecKey.Y.FillBytes(make([]byte, 32)))},
		{"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
	}}
	data, _ := json.Marshal(set)
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := New(&Config{JWKSFile: path})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := a.Authenticate("Bearer " + sign(t, jwt.SigningMethodRS256, rsaKey, "r1", jwt.MapClaims{"role": "rsa_user"})); err != nil || id.Role != "rsa_user" {
		t.Fatalf("RS256: %+v %v", id, err)
	}
	if id, err := a.Authenticate("Bearer " + sign(t, jwt.SigningMethodES256, ecKey, "", jwt.MapClaims{"role": "ec_user"})); err != nil || id.Role != "ec_user" {
		t.Fatalf("ES256 without kid (the only EC key): %+v %v", id, err)
	}
	if _, err := a.Authenticate("Bearer " + sign(t, jwt.SigningMethodRS256, otherRSA, "r1", jwt.MapClaims{"role": "x"})); err == nil {
		t.Fatal("a token signed by another RSA key was accepted")
	}
	if _, err := a.Authenticate("Bearer " + sign(t, jwt.SigningMethodRS256, rsaKey, "nope", jwt.MapClaims{"role": "x"})); err == nil || !strings.Contains(err.Error(), `kid "nope"`) {
		t.Fatalf("unknown kid: %v", err)
	}
	if _, err := a.Authenticate("Bearer " + sign(t, jwt.SigningMethodHS256, secret, "", jwt.MapClaims{"role": "x"})); err == nil {
		t.Fatal("HS256 accepted with only asymmetric keys")
	}
	os.WriteFile(path, []byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`), 0o600)
	if _, err := New(&Config{JWKSFile: path}); err == nil {
		t.Fatal("a point off the curve was accepted")
	}
}

func TestEnsureAuthenticator(t *testing.T) {
	ctx := context.Background()
	conn := pgtest.Connect(t, pgtest.NewDatabase(t))
	// Roles are cluster-wide: unique names, dropped at the end.
	name := "howdah_test_authn " + strings.ReplaceAll(t.Name(), "/", "_")
	for _, q := range []string{`CREATE ROLE howdah_test_web_anon NOLOGIN`, `CREATE ROLE "howdah_test_web user" NOLOGIN`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		conn.Exec(ctx, `DROP ROLE IF EXISTS `+pgx.Identifier{name}.Sanitize())
		conn.Exec(ctx, `DROP ROLE IF EXISTS howdah_test_web_anon`)
		conn.Exec(ctx, `DROP ROLE IF EXISTS "howdah_test_web user"`)
	})
	roles := []string{"howdah_test_web_anon", "howdah_test_web user"}
	ran, err := EnsureAuthenticator(ctx, conn, name, "s3cret'; --", roles)
	if err != nil {
		t.Fatal(err)
	}
	if len(ran) != 4 || !strings.HasPrefix(ran[0], "CREATE ROLE") || strings.Contains(strings.Join(ran, ";"), "s3cret") {
		t.Fatalf("ran %q", ran)
	}
	var inherit, login, hasPassword bool
	var members int
	err = conn.QueryRow(ctx, `SELECT rolinherit, rolcanlogin, rolpassword IS NOT NULL,
		(SELECT count(*) FROM pg_auth_members m WHERE m.member = a.oid AND m.roleid IN (SELECT oid FROM pg_roles WHERE rolname = ANY ($2)))
		FROM pg_authid a WHERE rolname = $1`, name, roles).Scan(&inherit, &login, &hasPassword, &members)
	if err != nil || inherit || !login || !hasPassword || members != 2 {
		t.Fatalf("inherit %v login %v password %v members %d (%v)", inherit, login, hasPassword, members, err)
	}
	if ran, err = EnsureAuthenticator(ctx, conn, name, "", roles); err != nil || len(ran) != 1 || !strings.HasPrefix(ran[0], "ALTER ROLE") {
		t.Fatalf("second run: %q %v", ran, err)
	}
	if _, err = EnsureAuthenticator(ctx, conn, name, "", []string{"howdah_test_no_such_role"}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("unknown role: %v", err)
	}
}

func TestEnsureAuthenticatorRefusesPowerfulRoles(t *testing.T) {
	ctx := context.Background()
	conn := pgtest.Connect(t, pgtest.NewDatabase(t))
	cases := map[string]struct{ setup, want string }{
		"howdah_test_authn_super":  {`CREATE ROLE howdah_test_authn_super SUPERUSER INHERIT`, "is a superuser"},
		"howdah_test_authn_bypass": {`CREATE ROLE howdah_test_authn_bypass BYPASSRLS INHERIT`, "has BYPASSRLS"},
		"howdah_test_authn owner": {`CREATE ROLE "howdah_test_authn owner" INHERIT;
			CREATE TABLE owned (id int); ALTER TABLE owned OWNER TO "howdah_test_authn owner"`, "owns 1 object(s)"},
		"howdah_test_authn_dbowner": {`CREATE ROLE howdah_test_authn_dbowner INHERIT;
			DO $$ BEGIN EXECUTE format('ALTER DATABASE %I OWNER TO howdah_test_authn_dbowner', current_database()); END $$`, "owns 1 object(s)"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Cleanup(func() {
				conn.Exec(ctx, `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I OWNER TO postgres', current_database()); END $$`)
				conn.Exec(ctx, `DROP OWNED BY `+pgx.Identifier{name}.Sanitize())
				conn.Exec(ctx, `DROP ROLE IF EXISTS `+pgx.Identifier{name}.Sanitize())
			})
			if _, err := conn.Exec(ctx, c.setup); err != nil {
				t.Fatal(err)
			}
			ran, err := EnsureAuthenticator(ctx, conn, name, "pw", nil)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "choose a new role name") || ran != nil {
				t.Fatalf("ran %q, err %v; want an error containing %q", ran, err, c.want)
			}
			// Nothing changed.
			var inherit, login, hasPassword bool
			if err := conn.QueryRow(ctx, `SELECT rolinherit, rolcanlogin, rolpassword IS NOT NULL FROM pg_authid WHERE rolname = $1`,
				name).Scan(&inherit, &login, &hasPassword); err != nil || !inherit || login || hasPassword {
				t.Fatalf("role changed: inherit %v login %v password %v (%v)", inherit, login, hasPassword, err)
			}
		})
	}
	// The bootstrap superuser, by name.
	if _, err := EnsureAuthenticator(ctx, conn, "postgres", "", nil); err == nil || !strings.Contains(err.Error(), "superuser") {
		t.Fatalf("postgres as the authenticator: %v", err)
	}
	// Nor is a superuser or BYPASSRLS role handed to tokens; nothing is created.
	t.Cleanup(func() { conn.Exec(ctx, `DROP ROLE IF EXISTS howdah_test_authn_grant_bypass`) })
	if _, err := conn.Exec(ctx, `CREATE ROLE howdah_test_authn_grant_bypass NOLOGIN BYPASSRLS`); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"postgres", "howdah_test_authn_grant_bypass"} {
		_, err := EnsureAuthenticator(ctx, conn, "howdah_test_authn_new", "", []string{r})
		var exists bool
		conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'howdah_test_authn_new')`).Scan(&exists)
		if err == nil || !strings.Contains(err.Error(), "bypass the database's checks") || exists {
			t.Fatalf("granting %s to a new authenticator: err %v, role created %v", r, err, exists)
		}
	}
}

// PostgreSQL truncates role names to 63 bytes: a longer claim could name another role (the
// authenticator itself, when its name is exactly 63 bytes), so it is refused, not truncated.
func TestRoleNamesOver63BytesAreRefused(t *testing.T) {
	a, err := New(&Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	max := strings.Repeat("r", 63)
	if id, err := a.Authenticate("Bearer " + sign(t, jwt.SigningMethodHS256, secret, "", jwt.MapClaims{"role": max})); err != nil || id.Role != max {
		t.Fatalf("a 63-byte role: %+v %v", id, err)
	}
	for _, role := range []string{max + "x", strings.Repeat("é", 32)} {
		_, err := a.Authenticate("Bearer " + sign(t, jwt.SigningMethodHS256, secret, "", jwt.MapClaims{"role": role}))
		var te *TokenError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), "64 bytes long") || !strings.Contains(err.Error(), "at most 63") {
			t.Errorf("a %d-byte role claim: %v, want a TokenError saying role names have at most 63 bytes", len(role), err)
		}
	}
	if _, err := New(&Config{Secret: secret, AnonRole: max}); err != nil {
		t.Fatalf("a 63-byte anonymous role: %v", err)
	}
	if _, err := New(&Config{Secret: secret, AnonRole: max + "x"}); err == nil || !strings.Contains(err.Error(), "at most 63") {
		t.Fatalf("a 64-byte anonymous role: %v", err)
	}
}

// docs/sidecar.md says iat is checked: a token issued in the future (beyond the clock-skew
// leeway) is refused.
func TestIssuedInTheFutureIsRefused(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		name   string
		leeway time.Duration
		iat    time.Time
		ok     bool
	}{
		{"issued an hour ago", 0, now.Add(-time.Hour), true},
		{"issued an hour ahead", 0, now.Add(time.Hour), false},
		{"issued 10s ahead, default leeway", 0, now.Add(10 * time.Second), true},
		{"issued 2m ahead, default leeway", 0, now.Add(2 * time.Minute), false},
		{"issued 2m ahead, 5m leeway", 5 * time.Minute, now.Add(2 * time.Minute), true},
		{"issued 10s ahead, 1s leeway", time.Second, now.Add(10 * time.Second), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := New(&Config{Secret: secret, Leeway: c.leeway})
			if err != nil {
				t.Fatal(err)
			}
			id, err := a.Authenticate("Bearer " + sign(t, jwt.SigningMethodHS256, secret, "", jwt.MapClaims{"role": "web_user", "iat": c.iat.Unix()}))
			if c.ok && (err != nil || id.Role != "web_user") {
				t.Fatalf("refused: %v", err)
			}
			var te *TokenError
			if !c.ok && (!errors.As(err, &te) || !strings.Contains(err.Error(), "issued in the future")) {
				t.Fatalf("err = %v, want a TokenError saying the token was issued in the future", err)
			}
		})
	}
	if _, err := New(&Config{Secret: secret, Leeway: -time.Second}); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Fatalf("a negative leeway: %v", err)
	}
}
