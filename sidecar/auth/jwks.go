package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// key is one usable key of a JWKS.
type key struct {
	kid string
	alg string // the key's "alg", if it names one
	kty string
	pub any // *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey or []byte (oct)
}

type keySet struct{ keys []key }

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	K   string `json:"k"`
}

func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// parseJWKS reads a JWK Set ({"keys": [...]}); keys with "use" other than "sig" are skipped.
func parseJWKS(data []byte) (*keySet, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("not a JWK Set: %w", err)
	}
	ks := &keySet{}
	for i, j := range set.Keys {
		if j.Use != "" && j.Use != "sig" {
			continue
		}
		k := key{kid: j.Kid, alg: j.Alg, kty: j.Kty}
		var err error
		switch j.Kty {
		case "RSA":
			var n, e []byte
			if n, err = b64(j.N); err == nil {
				e, err = b64(j.E)
			}
			if err == nil && (len(n) == 0 || len(e) == 0 || len(e) > 4) {
				err = errors.New("bad n or e")
			}
			if err == nil {
				k.pub = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
			}
		case "EC":
			var curve elliptic.Curve
			switch j.Crv {
			case "P-256":
				curve = elliptic.P256()
			case "P-384":
				curve = elliptic.P384()
			case "P-521":
				curve = elliptic.P521()
			default:
				err = fmt.Errorf("unsupported curve %q", j.Crv)
			}
			var x, y []byte
			if err == nil {
				if x, err = b64(j.X); err == nil {
					y, err = b64(j.Y)
				}
			}
			if err == nil {
				pk := &ecdsa.PublicKey{Curve: curve, X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
				if !curve.IsOnCurve(pk.X, pk.Y) {
					err = errors.New("point not on curve")
				}
				k.pub = pk
			}
		case "OKP":
			var x []byte
			if j.Crv != "Ed25519" {
				err = fmt.Errorf("unsupported curve %q", j.Crv)
			} else if x, err = b64(j.X); err == nil && len(x) != ed25519.PublicKeySize {
				err = errors.New("bad Ed25519 key size")
			}
			k.pub = ed25519.PublicKey(x)
		case "oct":
			var secret []byte
			if secret, err = b64(j.K); err == nil && len(secret) < MinSecretLen {
				err = fmt.Errorf("oct key shorter than %d bytes", MinSecretLen)
			}
			k.pub = secret
		default:
			err = fmt.Errorf("unsupported kty %q", j.Kty)
		}
		if err != nil {
			return nil, fmt.Errorf("key %d (kid %q): %w", i, j.Kid, err)
		}
		ks.keys = append(ks.keys, k)
	}
	if len(ks.keys) == 0 {
		return nil, errors.New("no signing keys")
	}
	return ks, nil
}

// algFamily is the kty a JWS algorithm needs.
func algFamily(alg string) string {
	switch {
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		return "RSA"
	case strings.HasPrefix(alg, "ES"):
		return "EC"
	case alg == "EdDSA":
		return "OKP"
	case strings.HasPrefix(alg, "HS"):
		return "oct"
	}
	return ""
}

func (ks *keySet) methods() []string {
	var out []string
	add := func(m ...string) {
		for _, x := range m {
			if !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
	}
	for _, k := range ks.keys {
		switch k.kty {
		case "RSA":
			add("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
		case "EC":
			add("ES256", "ES384", "ES512")
		case "OKP":
			add("EdDSA")
		case "oct":
			add("HS256", "HS384", "HS512")
		}
	}
	return out
}

func (ks *keySet) byKid(kid string) *key {
	for i := range ks.keys {
		if ks.keys[i].kid == kid {
			return &ks.keys[i]
		}
	}
	return nil
}

// find returns the key for a token: by kid when the token names one, else the only key of the
// algorithm's family.
func (ks *keySet) find(kid, alg string) any {
	fam := algFamily(alg)
	var match []key
	for _, k := range ks.keys {
		if k.kty != fam || (k.alg != "" && k.alg != alg) {
			continue
		}
		if kid != "" && k.kid == kid {
			return k.pub
		}
		match = append(match, k)
	}
	if kid == "" && len(match) == 1 {
		return match[0].pub
	}
	return nil
}
