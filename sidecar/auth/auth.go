package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MinSecretLen is the shortest HS256 secret accepted, in bytes.
const MinSecretLen = 32

// DefaultRoleClaim is the claim naming the role when Config.RoleClaim is empty.
const DefaultRoleClaim = "role"

// DefaultLeeway is Config.Leeway's default: the clock skew tolerated between the token's
// issuer and the sidecar (PostgREST allows the same 30 seconds).
const DefaultLeeway = 30 * time.Second

// MaxRoleNameLen is the longest role name PostgreSQL keeps, in bytes (NAMEDATALEN - 1). It
// truncates longer names silently, so a longer role is refused: truncated, it could name
// another role, such as the login role itself.
const MaxRoleNameLen = 63

// checkRoleLen refuses a role name PostgreSQL would truncate.
func checkRoleLen(what, role string) error {
	if len(role) > MaxRoleNameLen {
		return fmt.Errorf("%s is %d bytes long: PostgreSQL role names have at most %d bytes", what, len(role), MaxRoleNameLen)
	}
	return nil
}

// Config configures an Authenticator. A nil Config accepts no tokens and has no anonymous role.
type Config struct {
	// Secret verifies HS256/HS384/HS512 tokens; at least MinSecretLen bytes. Empty: none.
	Secret []byte
	// JWKSFile is a JSON Web Key Set file whose keys (RSA, EC, Ed25519, oct) verify tokens
	// signed with RS*, PS*, ES*, EdDSA or HS*, chosen by the token's kid.
	JWKSFile string
	// AnonRole is the role of requests without a token, and of tokens without a role claim.
	// Empty: such requests are refused with ErrNoCredentials.
	AnonRole string
	// RoleClaim is the claim naming the role; empty means DefaultRoleClaim.
	RoleClaim string
	// Leeway tolerates clock skew between the token's issuer and the sidecar when checking exp,
	// nbf and iat: a token is refused once exp+Leeway has passed, and before nbf-Leeway or
	// iat-Leeway. Zero means DefaultLeeway; JWT times are whole seconds, so 1s is as good as none.
	Leeway time.Duration
}

// Identity is who a request runs as.
type Identity struct {
	// Role is the PostgreSQL role to switch into.
	Role string
	// Claims is the token's claims as a JSON object ({"role": AnonRole} for anonymous requests).
	Claims string
	// Anonymous reports that no token was sent.
	Anonymous bool
	// Expires is when the token stops being accepted (its exp plus the leeway); zero when it
	// has no exp. Long-lived responses (event streams) end then.
	Expires time.Time
}

// ErrNoCredentials is returned for a request without a token when there is no anonymous role.
var ErrNoCredentials = errors.New("authentication required: send Authorization: Bearer <JWT>")

// TokenError says why a token was refused.
type TokenError struct{ Reason string }

func (e *TokenError) Error() string { return "invalid token: " + e.Reason }

// Authenticator turns Authorization headers into identities.
type Authenticator struct {
	cfg     Config
	keys    *keySet
	parser  *jwt.Parser
	methods []string
	// anonClaims is the claims of anonymous requests, made once.
	anonClaims string
}

// New checks cfg and loads the JWKS file, if any.
func New(cfg *Config) (*Authenticator, error) {
	a := &Authenticator{}
	if cfg != nil {
		a.cfg = *cfg
	}
	if a.cfg.RoleClaim == "" {
		a.cfg.RoleClaim = DefaultRoleClaim
	}
	switch {
	case a.cfg.Leeway < 0:
		return nil, fmt.Errorf("the JWT leeway %s is negative: use 0 for the default, %s", a.cfg.Leeway, DefaultLeeway)
	case a.cfg.Leeway == 0:
		a.cfg.Leeway = DefaultLeeway
	}
	if len(a.cfg.Secret) > 0 && len(a.cfg.Secret) < MinSecretLen {
		return nil, fmt.Errorf("the JWT secret is %d bytes long; use at least %d (for example: openssl rand -base64 32)",
			len(a.cfg.Secret), MinSecretLen)
	}
	if err := checkRoleLen(fmt.Sprintf("the anonymous role %q", a.cfg.AnonRole), a.cfg.AnonRole); err != nil {
		return nil, err
	}
	a.keys = &keySet{}
	if a.cfg.JWKSFile != "" {
		data, err := os.ReadFile(a.cfg.JWKSFile)
		if err != nil {
			return nil, fmt.Errorf("read the JWKS file: %w", err)
		}
		if a.keys, err = parseJWKS(data); err != nil {
			return nil, fmt.Errorf("JWKS file %q: %w", a.cfg.JWKSFile, err)
		}
	}
	if len(a.cfg.Secret) > 0 {
		a.methods = append(a.methods, "HS256", "HS384", "HS512")
	}
	a.methods = append(a.methods, a.keys.methods()...)
	a.parser = jwt.NewParser(jwt.WithValidMethods(a.methods), jwt.WithLeeway(a.cfg.Leeway),
		jwt.WithIssuedAt(), jwt.WithJSONNumber())
	claims, _ := json.Marshal(map[string]string{a.cfg.RoleClaim: a.cfg.AnonRole})
	a.anonClaims = string(claims)
	return a, nil
}

// AcceptsTokens reports whether any key is configured.
func (a *Authenticator) AcceptsTokens() bool { return len(a.methods) > 0 }

// Authenticate returns the identity of a request from its Authorization header ("" when
// absent). Errors are ErrNoCredentials or a *TokenError; both mean HTTP 401.
func (a *Authenticator) Authenticate(header string) (*Identity, error) {
	if header == "" {
		return a.anonymous()
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, &TokenError{Reason: "the Authorization header must be \"Bearer <JWT>\""}
	}
	if !a.AcceptsTokens() {
		return nil, &TokenError{Reason: "this sidecar has no JWT secret or JWKS configured, so it accepts no tokens"}
	}
	claims := jwt.MapClaims{}
	_, err := a.parser.ParseWithClaims(strings.TrimSpace(token), claims, a.keyFor)
	if err != nil {
		switch {
		case errors.Is(err, jwt.ErrTokenExpired):
			return nil, &TokenError{Reason: "the token has expired"}
		case errors.Is(err, jwt.ErrTokenNotValidYet):
			return nil, &TokenError{Reason: "the token is not valid yet"}
		case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
			return nil, &TokenError{Reason: "the token was issued in the future (iat): check the issuer's clock"}
		case errors.Is(err, jwt.ErrTokenSignatureInvalid):
			return nil, &TokenError{Reason: "bad signature"}
		case errors.Is(err, jwt.ErrTokenMalformed):
			return nil, &TokenError{Reason: "malformed token"}
		}
		var te *TokenError
		if errors.As(err, &te) {
			return nil, te
		}
		return nil, &TokenError{Reason: err.Error()}
	}
	body, err := json.Marshal(claims)
	if err != nil {
		return nil, &TokenError{Reason: "claims are not JSON"}
	}
	raw, present := claims[a.cfg.RoleClaim]
	if !present {
		if a.cfg.AnonRole == "" {
			return nil, &TokenError{Reason: fmt.Sprintf("the token has no %q claim and there is no anonymous role", a.cfg.RoleClaim)}
		}
		return &Identity{Role: a.cfg.AnonRole, Claims: string(body), Expires: a.expires(claims)}, nil
	}
	role, ok := raw.(string)
	// "none" would make set_config('role', ...) fall back to the login role itself.
	if !ok || role == "" || role == "none" {
		return nil, &TokenError{Reason: fmt.Sprintf("the %q claim must name a role", a.cfg.RoleClaim)}
	}
	if err := checkRoleLen(fmt.Sprintf("the %q claim", a.cfg.RoleClaim), role); err != nil {
		return nil, &TokenError{Reason: err.Error()}
	}
	return &Identity{Role: role, Claims: string(body), Expires: a.expires(claims)}, nil
}

// expires is when a token with these (verified) claims stops being accepted.
func (a *Authenticator) expires(claims jwt.MapClaims) time.Time {
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return time.Time{}
	}
	return exp.Add(a.cfg.Leeway)
}

func (a *Authenticator) anonymous() (*Identity, error) {
	if a.cfg.AnonRole == "" {
		return nil, ErrNoCredentials
	}
	return &Identity{Role: a.cfg.AnonRole, Claims: a.anonClaims, Anonymous: true}, nil
}

func (a *Authenticator) keyFor(t *jwt.Token) (any, error) {
	alg, _ := t.Header["alg"].(string)
	kid, _ := t.Header["kid"].(string)
	if strings.HasPrefix(alg, "HS") && len(a.cfg.Secret) > 0 && (kid == "" || a.keys.byKid(kid) == nil) {
		return a.cfg.Secret, nil
	}
	if k := a.keys.find(kid, alg); k != nil {
		return k, nil
	}
	if kid != "" {
		return nil, &TokenError{Reason: fmt.Sprintf("no key with kid %q for %s in the JWKS", kid, alg)}
	}
	return nil, &TokenError{Reason: fmt.Sprintf("no key for %s tokens", alg)}
}
