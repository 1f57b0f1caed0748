package auth

import (
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
)

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
