package cognito

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/usher-migrate/usher/internal/secret"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/cognito/cognitoapi"
	"github.com/usher-migrate/usher/sources/internal/live"
)

// ClientSecretEnv is the environment variable holding the app client's secret when no
// client-secret-file is given (an app client without a secret needs neither).
const ClientSecretEnv = "USHER_COGNITO_CLIENT_SECRET"

// LiveAccounts is what the Cognito live login needs of a pool (*cognitoapi.Client).
type LiveAccounts interface {
	// User returns AdminGetUser's user (by username, alias or sub) as a ListUsers user, or an
	// error wrapping cognitoapi.ErrUserNotFound.
	User(ctx context.Context, username string) ([]byte, error)
	// FindUsers returns the users ListUsers finds with filter, at most limit.
	FindUsers(ctx context.Context, filter string, limit int) ([][]byte, error)
	// Authenticate calls AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH).
	Authenticate(ctx context.Context, username, password string) (cognitoapi.Auth, error)
}

// provenChallenges are the challenges AdminInitiateAuth asks for only once the password was right
// and that stand between the user and their tokens for reasons Auth0 handles itself: a second
// factor (SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP), setting one up (MFA_SETUP), choosing one
// (SELECT_MFA_TYPE). The user migrates; Auth0's MFA policy takes over.
var provenChallenges = map[string]bool{"SMS_MFA": true, "SOFTWARE_TOKEN_MFA": true, "EMAIL_OTP": true,
	"MFA_SETUP": true, "SELECT_MFA_TYPE": true}

// LiveLogin is the pipeline.LiveLogin of a Cognito user pool.
//
// Login first finds the account the login names: AdminGetUser (which takes the username, an alias
// such as the email when the pool has one, or a local user's sub), else, for a login holding
// "@", ListUsers with the filter email = "<login>" (as typed, then lower-cased), which finds the
// account of an email that is not an alias: Cognito usernames are often UUIDs, and people sign in
// to Auth0 with their email. Then AdminInitiateAuth with ADMIN_USER_PASSWORD_AUTH and the
// account's Username (SECRET_HASH computed for that Username when the app client has a secret).
// An unknown login is still sent as typed, so that every refusal costs Cognito the same calls.
//
// What AdminInitiateAuth answers decides:
//   - tokens (AuthenticationResult), or a challenge in provenChallenges: ok, with the account's
//     Username (the cognito mapping's user_id);
//   - NEW_PASSWORD_REQUIRED (FORCE_CHANGE_PASSWORD users: the password is a temporary one an
//     administrator set, which Cognito itself accepts only to replace it): refused and logged,
//     so that a temporary password never becomes the Auth0 password; the person resets it;
//   - any other challenge (custom authentication, device verification): refused and logged;
//   - NotAuthorizedException (a wrong password, a disabled user, too many attempts) and
//     UserNotFoundException: refused, the same answer for both;
//   - UserNotConfirmedException (UNCONFIRMED users, who never confirmed their email or phone in
//     Cognito and could not sign in there either): refused and logged; Cognito does not document
//     that this answer comes only after a right password, so it proves nothing;
//   - PasswordResetRequiredException (RESET_REQUIRED users, such as users imported from a CSV
//     file): refused and logged: Cognito wants a new password first;
//   - UserLambdaValidationException (the pool's pre-authentication trigger refused the sign-in):
//     refused and logged, as the pool itself refuses it;
//   - NotAuthorizedException "Unable to verify secret hash for client …" (a wrong
//     client secret), throttling, server errors, timeouts and every other error: an error (the
//     hook answers 503), never a wrong password.
//
// Account reads AdminGetUser; Lookup finds as Login does. Errors and logs never contain the
// password, the client secret or AWS credentials.
type LiveLogin struct {
	Accounts LiveAccounts
	// Namespace is the app_metadata key under which the mapping kept the Cognito username
	// (--namespace; "cognito" when empty).
	Namespace string
	Logf      func(format string, args ...any)
}

// Login implements pipeline.LiveLogin with AdminInitiateAuth.
func (l *LiveLogin) Login(ctx context.Context, login, password string) (string, bool, error) {
	account, err := l.resolve(ctx, login)
	if err != nil {
		return "", false, err
	}
	username := login
	if account != nil {
		username = accountUsername(account)
	}
	res, err := l.Accounts.Authenticate(ctx, username, password)
	code := cognitoapi.ErrorCode(err)
	switch {
	case err == nil && (res.Authenticated || provenChallenges[res.Challenge]):
		if account == nil {
			// Signed in, but AdminGetUser did not find the login: read the account now.
			if account, err = l.Accounts.User(ctx, username); err != nil {
				return "", false, fmt.Errorf("cognito: reading the account that signed in: %w", err)
			}
		}
		return accountUsername(account), true, nil
	case err == nil && res.Challenge == "NEW_PASSWORD_REQUIRED":
		l.logf("hook: cognito: %q signed in with a temporary password (NEW_PASSWORD_REQUIRED, status FORCE_CHANGE_PASSWORD): refused, the user must set a password", username)
		return "", false, nil
	case err == nil:
		l.logf("hook: cognito: %q: AdminInitiateAuth asked for the challenge %q, which does not prove the password: refused", username, res.Challenge)
		return "", false, nil
	case code == cognitoapi.CodeNotAuthorized && strings.Contains(strings.ToLower(cognitoapi.ErrorMessage(err)), "secret hash"):
		return "", false, fmt.Errorf("cognito: the app client refused the SECRET_HASH: check --cognito-client-id and the client secret: %w", err)
	case code == cognitoapi.CodeNotAuthorized, code == cognitoapi.CodeUserNotFound:
		return "", false, nil
	case code == cognitoapi.CodeUserNotConfirmed:
		l.logf("hook: cognito: %q is not confirmed in Cognito (UserNotConfirmedException): refused", username)
		return "", false, nil
	case code == cognitoapi.CodePasswordResetRequired:
		l.logf("hook: cognito: %q must reset their password in Cognito (PasswordResetRequiredException): refused", username)
		return "", false, nil
	case code == cognitoapi.CodeUserLambdaValidation:
		l.logf("hook: cognito: the pool's pre-authentication trigger refused %q (UserLambdaValidationException: %s): refused", username, cognitoapi.ErrorMessage(err))
		return "", false, nil
	}
	return "", false, fmt.Errorf("cognito: %w", err)
}

// resolve finds the account of login (nil when there is none).
func (l *LiveLogin) resolve(ctx context.Context, login string) ([]byte, error) {
	u, err := l.Accounts.User(ctx, login)
	switch {
	case err == nil:
		return u, nil
	case !errors.Is(err, cognitoapi.ErrUserNotFound):
		return nil, err
	case !strings.Contains(login, "@"):
		return nil, nil
	}
	for i, email := range []string{login, strings.ToLower(login)} {
		if i == 1 && email == login {
			break
		}
		users, err := l.Accounts.FindUsers(ctx, `email = "`+filterQuote(email)+`"`, 2)
		if err != nil {
			return nil, err
		}
		switch len(users) {
		case 0:
			continue
		case 1:
			return users[0], nil
		}
		l.logf("hook: cognito: several users have the email %q (it is no alias in this pool): none is signed in by it", email)
		return nil, nil
	}
	return nil, nil
}

// filterQuote escapes a value for a ListUsers filter's quotes: backslashes and quotes take a
// backslash.
func filterQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// accountUsername is the Username of a ListUsers user.
func accountUsername(account []byte) string {
	var u struct{ Username string }
	if json.Unmarshal(account, &u) != nil {
		return ""
	}
	return u.Username
}

// Account implements pipeline.LiveLogin with AdminGetUser: id is the Username (the cognito
// mapping's user_id).
func (l *LiveLogin) Account(ctx context.Context, id string) ([]byte, error) {
	return l.Accounts.User(ctx, id)
}

// Lookup implements pipeline.LiveLogin: the account Login would sign in (AdminGetUser, then by
// email), or nil.
func (l *LiveLogin) Lookup(ctx context.Context, login string) ([]byte, error) {
	return l.resolve(ctx, login)
}

// LoginOf implements pipeline.LiveLoginNames: the Cognito Username the mapping kept in
// app_metadata.<Namespace>.username; when that namespace holds none, the one of the single
// app_metadata object holding a "username" and a "user_status" (a run with another
// --namespace); else the user_id (the mapping's Username); else "".
func (l *LiveLogin) LoginOf(profile map[string]any) string {
	return live.Kept{Namespace: cmp.Or(l.Namespace, "cognito"), Key: "username", Marker: "user_status", Fallback: "user_id"}.LoginOf(profile)
}

// AccountID implements pipeline.LiveLoginNames: the Username of a ListUsers user.
func (l *LiveLogin) AccountID(account []byte) string { return accountUsername(account) }

// AccountEmail implements pipeline.LiveLoginNames: the email attribute of a ListUsers user.
func (l *LiveLogin) AccountEmail(account []byte) string {
	var u struct {
		Attributes []struct{ Name, Value string }
	}
	if json.Unmarshal(account, &u) != nil {
		return ""
	}
	for _, a := range u.Attributes {
		if a.Name == "email" {
			return a.Value
		}
	}
	return ""
}

func (l *LiveLogin) logf(format string, args ...any) {
	if l.Logf != nil {
		l.Logf(format, args...)
	}
}

// LiveOptions are the settings of Cognito's live login (usher hook serve --cognito-<name>). AWS
// credentials come from the AWS SDK's standard chain; they need cognito-idp:AdminInitiateAuth,
// AdminGetUser and ListUsers on the pool, and the app client must allow
// ALLOW_ADMIN_USER_PASSWORD_AUTH.
var LiveOptions = []pipeline.Option{
	{Name: "user-pool-id", Help: "verify the passwords of Cognito users (stored without one: Cognito exports none) with this pool's AdminInitiateAuth (AWS credentials from the SDK's standard chain)"},
	{Name: "client-id", Help: "the app client AdminInitiateAuth signs in through (it must allow ALLOW_ADMIN_USER_PASSWORD_AUTH)"},
	{Name: "client-secret-file", Help: "file holding the app client's secret, when it has one (else $" + ClientSecretEnv + ")"},
	{Name: "region", Help: "the pool's AWS region (default: the pool id's prefix)"},
	{Name: "endpoint", Help: "Cognito API base URL, overriding the region's (a proxy or an emulator)"},
}

// newLive builds the live login from LiveOptions' values. A call makes one retry at most (a
// person is waiting, and the hook bounds the login with its own timeout) and is not paced.
func newLive(opts map[string]string, logf func(format string, args ...any)) (pipeline.LiveLogin, error) {
	return newLiveWith(opts, logf, nil)
}

// newLiveWith is newLive with a hook that adjusts the client's configuration (tests).
func newLiveWith(opts map[string]string, logf func(format string, args ...any), tweak func(*cognitoapi.Config)) (pipeline.LiveLogin, error) {
	if opts["user-pool-id"] == "" || opts["client-id"] == "" {
		return nil, errors.New("--cognito-user-pool-id and --cognito-client-id go together (AdminInitiateAuth needs both)")
	}
	var sec string
	if opts["client-secret-file"] != "" || os.Getenv(ClientSecretEnv) != "" {
		var err error
		if sec, err = secret.Read("cognito client secret", opts["client-secret-file"], ClientSecretEnv); err != nil {
			return nil, err
		}
	}
	cfg := cognitoapi.Config{PoolID: opts["user-pool-id"], Region: opts["region"], Endpoint: opts["endpoint"],
		ClientID: opts["client-id"], ClientSecret: sec, MaxRetries: 1, Rate: -1,
		HTTPClient: &http.Client{Timeout: 8 * time.Second}, Logf: logf}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := cognitoapi.New(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	return &LiveLogin{Accounts: c, Logf: logf}, nil
}

// SecretHash is the SECRET_HASH AdminInitiateAuth takes for username when the app client has a
// secret: Base64(HMAC-SHA256(client secret, username + client id)) (cognitoapi.SecretHash).
func SecretHash(username, clientID, clientSecret string) string {
	return cognitoapi.SecretHash(username, clientID, clientSecret)
}
