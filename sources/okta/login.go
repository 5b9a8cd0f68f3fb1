package okta

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/usher-migrate/usher/internal/secret"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/internal/live"
	"github.com/usher-migrate/usher/sources/okta/oktaapi"
)

// oktaProven are the /api/v1/authn statuses that prove the password was right
// (https://developer.okta.com/docs/reference/api/authn/): primary authentication passed,
// whatever Okta wants next.
var oktaProven = map[string]bool{"SUCCESS": true, "PASSWORD_WARN": true, "PASSWORD_EXPIRED": true,
	"MFA_REQUIRED": true, "MFA_ENROLL": true, "MFA_ENROLL_ACTIVATE": true, "MFA_CHALLENGE": true}

// LiveUsers is what the Okta live login needs besides /api/v1/authn (*oktaapi.Client).
type LiveUsers interface {
	// User returns GET /api/v1/users/{idOrLogin}, or an error for which Okta.NotFound is true.
	User(ctx context.Context, idOrLogin string) ([]byte, error)
	// UserByEmail finds a user by profile.email, or returns an error for which Okta.NotFound is true.
	UserByEmail(ctx context.Context, email string) ([]byte, error)
}

// LiveLogin is the pipeline.LiveLogin of an Okta org: POST {BaseURL}/api/v1/authn (Classic primary authentication)
// verifies passwords; Users reads accounts. 200 with a status that proves the password → ok, with
// the user id of _embedded.user; 200 LOCKED_OUT or any other status, and 401 E0000004 → not ok;
// any other answer (a revoked token, missing permission, 429, 5xx) and network errors → an error. The password and token never appear in errors.
type LiveLogin struct {
	BaseURL string
	// Token is the API token sent with authn (a trusted application); Users carries its own.
	Token  string
	Client *http.Client
	Users  LiveUsers
	// NotFound reports whether an error of Users means "no such user".
	NotFound func(error) bool
	// Namespace is the app_metadata key under which the mapping kept the Okta login (the
	// mapping's --namespace; "okta" when empty).
	Namespace string
}

// LoginOf implements pipeline.LiveLoginNames: the Okta login the mapping kept in
// app_metadata.<Namespace>.login. When that namespace holds none, the login of the one
// app_metadata object that holds a "login" string (a run with another --namespace); else the
// username (older runs kept an Okta login that differs from the email there); else "".
func (o *LiveLogin) LoginOf(profile map[string]any) string {
	return live.Kept{Namespace: cmp.Or(o.Namespace, "okta"), Key: "login", Fallback: "username"}.LoginOf(profile)
}

// AccountID implements pipeline.LiveLoginNames: the id of an Okta user object.
func (o *LiveLogin) AccountID(account []byte) string { return live.AccountID(account) }

// AccountEmail implements pipeline.LiveLoginNames: the profile.email of an Okta user object.
func (o *LiveLogin) AccountEmail(account []byte) string {
	var u struct {
		Profile struct {
			Email string `json:"email"`
		} `json:"profile"`
	}
	if json.Unmarshal(account, &u) != nil {
		return ""
	}
	return u.Profile.Email
}

// Login implements pipeline.LiveLogin with POST /api/v1/authn.
func (o *LiveLogin) Login(ctx context.Context, login, password string) (string, bool, error) {
	body, _ := json.Marshal(map[string]any{"username": login, "password": password,
		"options": map[string]bool{"multiOptionalFactorEnroll": false, "warnBeforePasswordExpired": false}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(o.BaseURL, "/")+"/api/v1/authn", bytes.NewReader(body))
	if err != nil {
		return "", false, fmt.Errorf("okta authn: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if o.Token != "" {
		req.Header.Set("Authorization", "SSWS "+o.Token)
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return "", false, fmt.Errorf("okta authn: cannot reach Okta: %w", err) // names the URL, no secret
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusOK:
		var a struct {
			Status   string
			Embedded struct {
				User struct{ ID string }
			} `json:"_embedded"`
		}
		if err := json.Unmarshal(b, &a); err != nil {
			return "", false, fmt.Errorf("okta authn: unreadable answer")
		}
		return a.Embedded.User.ID, oktaProven[a.Status], nil
	}
	var e struct{ ErrorCode string }
	json.Unmarshal(b, &e)
	if resp.StatusCode == http.StatusUnauthorized && e.ErrorCode == "E0000004" {
		return "", false, nil // "Authentication failed": wrong password, unknown or locked-out user
	}
	// Anything else (a revoked API token E0000011, missing permission E0000006, rate limit,
	// outage) says nothing about the password: the hook answers 503, never "wrong password".
	return "", false, fmt.Errorf("okta authn: HTTP %d %s", resp.StatusCode, e.ErrorCode)
}

// Account implements pipeline.LiveLogin with GET /api/v1/users/{id} (with its groups when Users fetches them).
func (o *LiveLogin) Account(ctx context.Context, id string) ([]byte, error) {
	return o.Users.User(ctx, id)
}

// Lookup implements pipeline.LiveLogin with GET /api/v1/users/{login} (Okta takes a login in place of the id),
// then, when no user has that login, a search by profile.email (a login need not be the email).
func (o *LiveLogin) Lookup(ctx context.Context, login string) ([]byte, error) {
	u, err := o.Users.User(ctx, login)
	if err != nil && o.NotFound != nil && o.NotFound(err) {
		u, err = o.Users.UserByEmail(ctx, login)
		if err != nil && o.NotFound(err) {
			return nil, nil
		}
	}
	return u, err
}

// LiveOptions are the settings of Okta's live login (usher hook serve --okta-<name>).
var LiveOptions = []pipeline.Option{
	{Name: "url", Help: "verify the passwords of users stored without one (Okta users) with this Okta org's /api/v1/authn"},
	{Name: "token-file", Help: "file holding the Okta API token (authn as a trusted application, and the users' profiles)"},
}

// newLive builds the live login from LiveOptions' values. An API call makes one retry at most: a
// person is waiting, and the hook bounds the call with its own timeout.
func newLive(opts map[string]string, logf func(format string, args ...any)) (pipeline.LiveLogin, error) {
	url, tokenFile := opts["url"], opts["token-file"]
	if url == "" || tokenFile == "" {
		return nil, errors.New("--okta-url and --okta-token-file go together (the token reads the users' profiles)")
	}
	token, err := secret.Read("okta API token", tokenFile, "")
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 8 * time.Second}
	users, err := oktaapi.New(oktaapi.Config{BaseURL: url, Token: token, Groups: true, MaxRetries: 1, HTTPClient: client, Logf: logf})
	if err != nil {
		return nil, err
	}
	return &LiveLogin{BaseURL: url, Token: token, Client: client, Users: users,
		NotFound: func(err error) bool { return errors.Is(err, oktaapi.ErrUserNotFound) }}, nil
}
