package firebaseapi

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/usher-migrate/usher/internal/smallfile"
)

// DefaultTokenURI is Google's OAuth 2.0 token endpoint, used when a service-account key names
// none.
const DefaultTokenURI = "https://oauth2.googleapis.com/token"

// Scopes are the OAuth scopes the client asks for: cloud-platform (every Identity Toolkit
// method, the admin v2 getConfig included, lists it) and identitytoolkit (which
// firebase-admin-go asks for too, internal/internal.go FirebaseScopes).
var Scopes = []string{"https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/identitytoolkit"}

// ServiceAccount is a Google service-account key (the JSON file the Cloud console's "Create key"
// or the Firebase console's "Generate new private key" gives). The private key never leaves it:
// it is not exported, and String shows only the account's e-mail.
type ServiceAccount struct {
	ClientEmail  string
	PrivateKeyID string
	TokenURI     string
	ProjectID    string
	key          *rsa.PrivateKey
}

// String names the account without its key.
func (sa *ServiceAccount) String() string { return "service account " + sa.ClientEmail }

// ReadServiceAccount reads a service-account key file (a regular file of at most 4 MiB).
func ReadServiceAccount(path string) (*ServiceAccount, error) {
	b, err := smallfile.Read(path)
	if err != nil {
		return nil, fmt.Errorf("service-account key: %w", err)
	}
	sa, err := ParseServiceAccount(b)
	if err != nil {
		return nil, fmt.Errorf("service-account key %s: %w", path, err)
	}
	return sa, nil
}

// ParseServiceAccount reads a service-account key: type "service_account", client_email,
// private_key (PEM, PKCS#8 as Google issues it, or PKCS#1), private_key_id, token_uri (default
// DefaultTokenURI; an absolute http(s) URL), project_id. Errors name the field, never the key.
func ParseServiceAccount(b []byte) (*ServiceAccount, error) {
	var f struct {
		Type         string `json:"type"`
		ProjectID    string `json:"project_id"`
		PrivateKeyID string `json:"private_key_id"`
		PrivateKey   string `json:"private_key"`
		ClientEmail  string `json:"client_email"`
		TokenURI     string `json:"token_uri"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, errors.New("not a service-account key (JSON with client_email and private_key)")
	}
	if f.Type != "" && f.Type != "service_account" {
		return nil, fmt.Errorf("type %q: want a service_account key (not a user's or an external account's credentials)", cutText(f.Type, 40))
	}
	if f.ClientEmail == "" || f.PrivateKey == "" {
		return nil, errors.New("no client_email or private_key")
	}
	key, err := parseRSAKey(f.PrivateKey)
	if err != nil {
		return nil, err
	}
	tokenURI := f.TokenURI
	if tokenURI == "" {
		tokenURI = DefaultTokenURI
	}
	if u, err := url.Parse(tokenURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("token_uri is not an absolute http(s) URL")
	}
	return &ServiceAccount{ClientEmail: f.ClientEmail, PrivateKeyID: f.PrivateKeyID, TokenURI: tokenURI, ProjectID: f.ProjectID, key: key}, nil
}

// parseRSAKey reads a PEM RSA private key, PKCS#8 or PKCS#1.
func parseRSAKey(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("private_key is not a PEM block")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("private_key is not an RSA key (Google signs service-account assertions with RS256)")
		}
		return rk, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, errors.New("private_key is neither a PKCS#8 nor a PKCS#1 RSA key")
}

// Assertion is the signed JWT of the OAuth 2.0 JWT bearer flow (Google, "Using OAuth 2.0 for
// Server to Server Applications"): header {"alg":"RS256","typ":"JWT","kid":private_key_id},
// claims {"iss": client_email, "scope": the scopes space-separated, "aud": token_uri, "iat": now,
// "exp": now + 1 h}, signed with RSASSA-PKCS1-v1_5 over SHA-256.
func (sa *ServiceAccount) Assertion(scopes []string, now time.Time) (string, error) {
	header := map[string]string{"alg": "RS256", "typ": "JWT"}
	if sa.PrivateKeyID != "" {
		header["kid"] = sa.PrivateKeyID
	}
	claims := map[string]any{"iss": sa.ClientEmail, "scope": strings.Join(scopes, " "), "aud": sa.TokenURI,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	hb, _ := json.Marshal(header)
	cb, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(hb) + "." + enc.EncodeToString(cb)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, sa.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("signing the OAuth assertion: %w", err)
	}
	return signing + "." + enc.EncodeToString(sig), nil
}

// PublicKey is the account's public key (what Google checks the assertion with).
func (sa *ServiceAccount) PublicKey() *rsa.PublicKey { return &sa.key.PublicKey }

func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
