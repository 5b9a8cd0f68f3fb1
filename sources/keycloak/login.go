package keycloak

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/usher-migrate/usher/internal/secret"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/internal/live"
	"github.com/usher-migrate/usher/sources/keycloak/keycloakapi"
)

// LiveAPI is what the Keycloak live login needs of a keycloakapi.Client.
type LiveAPI interface {
	PostTokenOnce(ctx context.Context, realm string, form url.Values, retries int) (*keycloakapi.TokenResponse, error)
	Logout(ctx context.Context, realm string, form url.Values) error
	User(ctx context.Context, id string) ([]byte, error)
	Find(ctx context.Context, attribute, value string) ([]byte, error)
	WithDetails(ctx context.Context, raw []byte) ([]byte, error)
}

// LiveLogin is the pipeline.LiveLogin of a Keycloak realm. Login asks the realm's token endpoint
// for a token with grant_type=password and the configured client (which needs "Direct access
// grants"), and decides on the OAuth error and its description, never on the status alone
// (Keycloak answers a wrong password 401 up to 26.5 and 400 from 26.6):
//
//   - a token: the password is right; the account is the token's subject (sub), else the one
//     Lookup finds; the session is logged out again at once (a failed logout is only logged);
//   - invalid_grant "Invalid user credentials": a wrong password, an unknown user, a user locked
//     by brute-force detection, a service account, or a user whose direct grant flow wants an OTP
//     it was not given: refused;
//   - invalid_grant "Account disabled", "Account is not fully set up" (required actions pending:
//     the password was right, but Keycloak gives no token until the person completes them) and any
//     other invalid_grant: refused, with a log line naming the reason;
//   - anything else (invalid_client, unauthorized_client "Client not allowed for direct access
//     grants", 429, 5xx, no answer): an error, the hook's 503: it says nothing about the password.
//
// Account reads GET …/users/{id}, Lookup GET …/users?username=…&exact=true then ?email=…, each
// with the user's federated identities, groups and role mappings, through the admin API client.
// Errors never contain the password or a secret.
type LiveLogin struct {
	API LiveAPI
	// Realm is the realm users sign in to.
	Realm string
	// ClientID and ClientSecret authenticate the password grant ("" secret: a public client).
	ClientID, ClientSecret string
	// Namespace is the app_metadata key under which the mapping kept the Keycloak username
	// (the mapping's --namespace; "keycloak" when empty).
	Namespace string
	Logf      func(format string, args ...any)
}

// Keycloak's invalid_grant descriptions (services …/authentication/authenticators/directgrant,
// AuthenticationManager).
const (
	descInvalidCredentials = "Invalid user credentials"
	descDisabled           = "Account disabled"
	descNotSetUp           = "Account is not fully set up"
)

func (k *LiveLogin) logf(format string, args ...any) {
	if k.Logf != nil {
		k.Logf(format, args...)
	}
}

// clientForm is the form of the client's authentication.
func (k *LiveLogin) clientForm() url.Values {
	f := url.Values{"client_id": {k.ClientID}}
	if k.ClientSecret != "" {
		f.Set("client_secret", k.ClientSecret)
	}
	return f
}

// Login implements pipeline.LiveLogin with the password grant (see LiveLogin).
func (k *LiveLogin) Login(ctx context.Context, login, password string) (string, bool, error) {
	form := k.clientForm()
	form.Set("grant_type", "password")
	form.Set("username", login)
	form.Set("password", password)
	tr, err := k.API.PostTokenOnce(ctx, k.Realm, form, 1)
	var oe *keycloakapi.OAuthError
	switch {
	case err == nil:
	case errors.As(err, &oe) && oe.Code == "invalid_grant":
		if oe.Description != descInvalidCredentials {
			reason := oe.Description
			switch reason {
			case descDisabled:
				reason = "the account is disabled in Keycloak"
			case descNotSetUp:
				reason = "the password is right, but the account has required actions pending in Keycloak (Account is not fully set up)"
			}
			k.logf("hook: keycloak: the login of %q was refused: %s", login, reason)
		}
		return "", false, nil
	default:
		return "", false, fmt.Errorf("keycloak password grant: %w", err)
	}
	if tr.RefreshToken != "" {
		lf := k.clientForm()
		lf.Set("refresh_token", tr.RefreshToken)
		if err := k.API.Logout(ctx, k.Realm, lf); err != nil {
			k.logf("hook: keycloak: logging the session of %q out after its login: %v", login, err)
		}
	}
	if id := keycloakapi.Subject(tr.AccessToken); id != "" {
		return id, true, nil
	}
	// A token without a subject (a client without the basic scope): the account is the one the
	// login names.
	account, err := k.Lookup(ctx, login)
	if err != nil {
		return "", false, fmt.Errorf("keycloak: finding the account of a login that succeeded: %w", err)
	}
	return k.AccountID(account), true, nil
}

// Account implements pipeline.LiveLogin with GET …/users/{id} and the user's details, plus the
// realm as "realm" (as the source gives every user).
func (k *LiveLogin) Account(ctx context.Context, id string) ([]byte, error) {
	u, err := k.API.User(ctx, id)
	if err != nil {
		return nil, err
	}
	return k.detailed(ctx, u)
}

// detailed adds the user's details and the realm to a user representation.
func (k *LiveLogin) detailed(ctx context.Context, u []byte) ([]byte, error) {
	d, err := k.API.WithDetails(ctx, u)
	if err != nil || k.Realm == "" {
		return d, err
	}
	var have map[string]json.RawMessage
	if err := json.Unmarshal(d, &have); err != nil {
		return nil, fmt.Errorf("keycloak: a user that is not a JSON object: %w", err)
	}
	if _, ok := have["realm"]; ok {
		return d, nil
	}
	realm, _ := json.Marshal(k.Realm)
	t := bytes.TrimSpace(d)
	out := append(bytes.Clone(t[:len(t)-1]), `,"realm":`...)
	return append(append(out, realm...), '}'), nil
}

// Lookup implements pipeline.LiveLogin: the user whose username is login, else whose e-mail
// address is login (exact, case-insensitive matches), with the user's details and realm; nil when
// none.
func (k *LiveLogin) Lookup(ctx context.Context, login string) ([]byte, error) {
	u, err := k.API.Find(ctx, "username", login)
	if err == nil && u == nil {
		u, err = k.API.Find(ctx, "email", login)
	}
	if err != nil || u == nil {
		return nil, err
	}
	return k.detailed(ctx, u)
}

// LoginOf implements pipeline.LiveLoginNames: the Keycloak username the mapping kept in
// app_metadata.<Namespace>.username; when that namespace holds none, the username of the one
// app_metadata object that holds a "username" string; else the user's username; else "".
func (k *LiveLogin) LoginOf(profile map[string]any) string {
	return live.Kept{Namespace: cmp.Or(k.Namespace, "keycloak"), Key: "username", Fallback: "username"}.LoginOf(profile)
}

// AccountID implements pipeline.LiveLoginNames: the id of a user representation.
func (k *LiveLogin) AccountID(account []byte) string { return live.AccountID(account) }

// AccountEmail implements pipeline.LiveLoginNames: the email of a user representation.
func (k *LiveLogin) AccountEmail(account []byte) string {
	var u struct{ Email string }
	if json.Unmarshal(account, &u) != nil {
		return ""
	}
	return u.Email
}

// LiveOptions are the settings of Keycloak's live login (usher hook serve --keycloak-<name>).
var LiveOptions = []pipeline.Option{
	{Name: "url", Help: "verify the passwords of users stored without one (LDAP users, exports without hashes) with this Keycloak's token endpoint (https://kc.example.com; …/auth before Keycloak 17)"},
	{Name: "realm", Help: "the realm users sign in to"},
	{Name: "client-id", Help: "a client of the realm with Direct access grants for the password grant; confidential with a service account holding view-users, it also reads accounts"},
	{Name: "client-secret-file", Help: "file holding the client's secret (else $" + ClientSecretEnv + "; neither: a public client)"},
	{Name: "admin-user", Help: "read accounts as this administrator of admin-realm (admin-cli) instead of the client's service account"},
	{Name: "admin-password-file", Help: "file holding the administrator's password (else $" + AdminPasswordEnv + ")"},
	{Name: "admin-realm", Help: "the administrator's realm", Default: "master"},
}

// newLive builds the live login from LiveOptions' values. An API call makes one retry at most: a
// person is waiting, and the hook bounds the call with its own timeout.
func newLive(opts map[string]string, logf func(format string, args ...any)) (pipeline.LiveLogin, error) {
	if opts["url"] == "" || opts["realm"] == "" || opts["client-id"] == "" {
		return nil, errors.New("--keycloak-url, --keycloak-realm and --keycloak-client-id go together (the client signs users in)")
	}
	given := map[string]string{}
	for k, v := range opts {
		if v != "" {
			given[k] = v
		}
	}
	if err := checkOptions(given, LiveOptions); err != nil {
		return nil, err
	}
	// The client's secret: a file, the environment, or none (a public client signs users in,
	// and an administrator reads the accounts).
	clientSecret := ""
	if given["client-secret-file"] != "" {
		s, err := secret.Read("keycloak client secret", given["client-secret-file"], "")
		if err != nil {
			return nil, err
		}
		clientSecret = s
	} else if s, err := secret.Read("keycloak client secret", "", ClientSecretEnv); err == nil {
		clientSecret = s
	}
	acfg := keycloakapi.Config{BaseURL: given["url"], Realm: given["realm"], ClientID: given["client-id"], ClientSecret: clientSecret,
		Details: allDetails, MaxRetries: 1, HTTPClient: &http.Client{Timeout: 8 * time.Second}, Logf: logf}
	if given["admin-user"] != "" {
		pw, err := secret.Read("keycloak administrator password", given["admin-password-file"], AdminPasswordEnv)
		if err != nil {
			return nil, err
		}
		acfg.ClientID, acfg.ClientSecret = keycloakapi.AdminCLI, ""
		acfg.Username, acfg.Password = given["admin-user"], pw
		acfg.TokenRealm = given["admin-realm"]
		if acfg.TokenRealm == "" {
			acfg.TokenRealm = "master"
		}
	} else if clientSecret == "" {
		return nil, fmt.Errorf("client %q reads the accounts with its service account: give its secret (--keycloak-client-secret-file or $%s), or --keycloak-admin-user", given["client-id"], ClientSecretEnv)
	}
	api, err := keycloakapi.New(acfg)
	if err != nil {
		return nil, err
	}
	return &LiveLogin{API: api, Realm: given["realm"], ClientID: given["client-id"], ClientSecret: clientSecret, Logf: logf}, nil
}
