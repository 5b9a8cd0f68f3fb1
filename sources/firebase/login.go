package firebase

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/usher-migrate/usher/internal/secret"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/firebase/firebaseapi"
	"github.com/usher-migrate/usher/sources/firebase/firebasehash"
)

// APIKeyEnv holds the project's Web API key when no api-key-file is given.
const APIKeyEnv = "USHER_FIREBASE_API_KEY"

// LiveAccounts is what the Firebase live login needs of an Identity Toolkit client
// (*firebaseapi.Client).
type LiveAccounts interface {
	SignIn(ctx context.Context, email, password string) (localID string, err error)
	Lookup(ctx context.Context, by, value string) ([]byte, error)
}

// refused are the signInWithPassword error codes that answer "wrong password": no such e-mail
// and a wrong password (EMAIL_NOT_FOUND, INVALID_PASSWORD; INVALID_LOGIN_CREDENTIALS for both
// when the project has email enumeration protection, the default since September 2023), an
// e-mail the API does not take, no password. USER_DISABLED refuses too, and is logged.
var refused = map[string]bool{"EMAIL_NOT_FOUND": true, "INVALID_PASSWORD": true, "INVALID_LOGIN_CREDENTIALS": true,
	"INVALID_EMAIL": true, "MISSING_PASSWORD": true, "MISSING_EMAIL": true}

// LiveLogin is the pipeline.LiveLogin of a Firebase project. Login calls
// accounts:signInWithPassword: a 200 (also one that asks for a second factor: the password was
// right) → ok with the account's localId; EMAIL_NOT_FOUND, INVALID_PASSWORD,
// INVALID_LOGIN_CREDENTIALS (and INVALID_EMAIL, MISSING_PASSWORD) → not ok; USER_DISABLED → not
// ok, logged; TOO_MANY_ATTEMPTS_TRY_LATER, any other answer (a bad API key, password sign-in
// disabled), 429, 5xx and network failures → an error (the hook answers 503). The code is the
// error message up to " : ", as Firebase's JS SDK reads it. Account and Lookup read
// accounts:lookup with the service account, by localId and by e-mail, and hand the user on
// without its password hash, salt and version (the hook maps a live account only once the
// password was checked live). Errors never hold the password or a key.
type LiveLogin struct {
	Accounts LiveAccounts
	Logf     func(format string, args ...any)
}

// Login implements pipeline.LiveLogin with accounts:signInWithPassword.
func (l *LiveLogin) Login(ctx context.Context, login, password string) (string, bool, error) {
	if !strings.Contains(login, "@") {
		return "", false, nil // Firebase signs in by e-mail address: nothing else can be right
	}
	id, err := l.Accounts.SignIn(ctx, login, password)
	if err == nil {
		if id == "" {
			return "", false, errors.New("firebase accounts:signInWithPassword: the answer names no account (localId)")
		}
		return id, true, nil
	}
	var apiErr *firebaseapi.APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusBadRequest {
		switch {
		case refused[apiErr.Code]:
			return "", false, nil
		case apiErr.Code == "USER_DISABLED":
			if l.Logf != nil {
				l.Logf("hook: firebase: %s: the account is disabled in Firebase (USER_DISABLED); the login is refused", login)
			}
			return "", false, nil
		}
	}
	return "", false, fmt.Errorf("firebase accounts:signInWithPassword: %w", err)
}

// Account implements pipeline.LiveLogin with accounts:lookup by localId.
func (l *LiveLogin) Account(ctx context.Context, id string) ([]byte, error) {
	b, err := l.Accounts.Lookup(ctx, "localId", id)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("firebase: no account %q", id)
	}
	return withoutPassword(b)
}

// Lookup implements pipeline.LiveLogin with accounts:lookup by e-mail.
func (l *LiveLogin) Lookup(ctx context.Context, login string) ([]byte, error) {
	if !strings.Contains(login, "@") {
		return nil, nil
	}
	b, err := l.Accounts.Lookup(ctx, "email", login)
	if err != nil || b == nil {
		return nil, err
	}
	return withoutPassword(b)
}

// withoutPassword removes the password hash, salt and version from an API user.
func withoutPassword(b []byte) ([]byte, error) {
	rec, err := pipeline.DecodeObject(b)
	if err != nil {
		return nil, fmt.Errorf("firebase: accounts:lookup answered a user that is not a JSON object: %w", err)
	}
	delete(rec, "passwordHash")
	delete(rec, firebasehash.KeySalt)
	delete(rec, "version")
	return pipeline.Marshal(rec)
}

// LiveOptions are the settings of Firebase's live login (usher hook serve --firebase-<name>).
var LiveOptions = []pipeline.Option{
	{Name: "api-key-file", Help: "file holding the project's Web API key (else $" + APIKeyEnv + "): verify the passwords of users stored " +
		"without one with accounts:signInWithPassword"},
	{Name: "credentials-file", Help: "service-account key file (else $" + CredentialsEnv + "): read the accounts of users the store does " +
		"not hold with accounts:lookup (not needed with --staged-only)"},
	{Name: "project", Help: "the Firebase project id (default: the service-account key's project_id)"},
	{Name: "tenant", Help: "Identity Platform tenant id of the users"},
	{Name: "url", Help: "Identity Toolkit base URL, overriding https://identitytoolkit.googleapis.com (a proxy or an emulator)"},
}

// newLive builds the live login from LiveOptions' values. A call makes one retry at most: a
// person is waiting, and the hook bounds the call with its own timeout.
func newLive(opts map[string]string, logf func(format string, args ...any)) (pipeline.LiveLogin, error) {
	key, err := secret.Read("firebase Web API key", opts["api-key-file"], APIKeyEnv)
	if err != nil {
		return nil, fmt.Errorf("the --firebase-* options need the Web API key (--firebase-api-key-file): %w", err)
	}
	cfg := firebaseapi.Config{BaseURL: opts["url"], Project: opts["project"], Tenant: opts["tenant"], APIKey: key,
		MaxRetries: 1, HTTPClient: &http.Client{Timeout: 8 * time.Second}, Logf: logf}
	path := opts["credentials-file"]
	if path == "" {
		path = strings.TrimSpace(os.Getenv(CredentialsEnv))
	}
	if path != "" {
		sa, err := firebaseapi.ReadServiceAccount(path)
		if err != nil {
			return nil, err
		}
		cfg.Account = sa
		if cfg.Project == "" {
			cfg.Project = sa.ProjectID
		}
	}
	c, err := firebaseapi.New(cfg)
	if err != nil {
		return nil, err
	}
	return &LiveLogin{Accounts: c, Logf: logf}, nil
}
