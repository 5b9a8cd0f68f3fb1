package gigya

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/usher-migrate/usher/internal/secret"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/gigya/gigyaapi"
)

// LiveAccounts is what the Gigya live login needs of a Gigya client (*gigyaapi.Client).
type LiveAccounts interface {
	Login(ctx context.Context, loginID, password string) (uid string, err error)
	Logout(ctx context.Context, uid string) error
	Account(ctx context.Context, uid string) ([]byte, error)
	Lookup(ctx context.Context, email string) ([]byte, error)
	FindLogin(ctx context.Context, loginID string) ([]string, error)
}

// gigyaRefused are accounts.login errorCodes that answer "wrong password": an invalid login or
// password (403042, SAP/gigya-android-sdk GigyaError.java), a disabled account (403041), a
// temporarily locked one (403120; these two are reported by users, not in SAP's published lists).
var gigyaRefused = map[int]bool{gigyaapi.CodeInvalidLogin: true, gigyaapi.CodeAccountDisabled: true, gigyaapi.CodeAccountLocked: true}

// gigyaInterrupted are accounts.login errorCodes that come only after the password was accepted:
// Gigya wants the person to finish registration, verify an email, change the password or pass a
// second factor. The password is proven, so the user migrates; Auth0's own policies (email
// verification, MFA) take over from there.
var gigyaInterrupted = map[int]bool{gigyaapi.CodePendingRegistration: true, gigyaapi.CodePendingVerification: true,
	gigyaapi.CodePendingPasswordChange: true, gigyaapi.CodePendingTFAVerify: true, gigyaapi.CodePendingTFARegister: true}

// LiveLogin is the pipeline.LiveLogin of a Gigya site. Login calls accounts.login: errorCode 0 and the interrupted
// flows (206001, 206002, 403100, 403101, 403102) → ok with the UID (when the answer names none,
// the one account accounts.search finds with that login; "" when none or several do, which the
// hook refuses); 403042, 403041 and 403120 →
// not ok; every other errorCode (captcha required, conflicting accounts, rate limits, server
// errors, a wrong data center), HTTP errors and network failures → an error (the hook answers 503
// and Auth0's script an Error). After a successful login it calls accounts.logout so the
// migration leaves no Gigya session behind; a failed logout is only logged. Account reads
// accounts.getAccountInfo, Lookup accounts.search by login email. Errors never contain the
// password or the credentials.
type LiveLogin struct {
	Accounts LiveAccounts
	Logf     func(format string, args ...any)
}

// Login implements pipeline.LiveLogin with accounts.login.
func (g *LiveLogin) Login(ctx context.Context, login, password string) (string, bool, error) {
	uid, err := g.Accounts.Login(ctx, login, password)
	var apiErr *gigyaapi.APIError
	switch {
	case err == nil:
		if uid != "" {
			if err := g.Accounts.Logout(ctx, uid); err != nil && g.Logf != nil {
				g.Logf("hook: gigya: logging out %q after its login: %v", uid, err)
			}
		}
		return uid, true, nil
	case errors.As(err, &apiErr) && gigyaRefused[apiErr.ErrorCode]:
		return "", false, nil
	case errors.As(err, &apiErr) && gigyaInterrupted[apiErr.ErrorCode]:
		if uid == "" {
			// Gigya answered an interrupted flow without naming the account (a pending
			// registration's regToken only): find whose login this is, so the hook can check
			// it still belongs to the stored user. None or two: no account is named, and the
			// hook refuses.
			uids, ferr := g.Accounts.FindLogin(ctx, login)
			if ferr != nil {
				return "", false, fmt.Errorf("gigya accounts.search for the account of an interrupted login: %w", ferr)
			}
			if len(uids) == 1 {
				uid = uids[0]
			} else if g.Logf != nil {
				g.Logf("hook: gigya: accounts.login answered %d without a UID and %d accounts have that login", apiErr.ErrorCode, len(uids))
			}
		}
		return uid, true, nil
	}
	return "", false, fmt.Errorf("gigya accounts.login: %w", err)
}

// Account implements pipeline.LiveLogin with accounts.getAccountInfo.
func (g *LiveLogin) Account(ctx context.Context, uid string) ([]byte, error) {
	return g.Accounts.Account(ctx, uid)
}

// Lookup implements pipeline.LiveLogin with accounts.search.
func (g *LiveLogin) Lookup(ctx context.Context, email string) ([]byte, error) {
	return g.Accounts.Lookup(ctx, email)
}

// LiveOptions are the settings of Gigya's live login (usher hook serve --gigya-<name>).
var LiveOptions = []pipeline.Option{
	{Name: "api-key", Help: "verify the passwords of users stored without one (Gigya accounts exported without hashes) with this site's accounts.login"},
	{Name: "user-key", Help: "application key (userKey) for accounts.login"},
	{Name: "secret-file", Help: "file holding the application secret (else $" + SecretEnv + ")"},
	{Name: "data-center", Help: "the site's data center domain", Default: "us1.gigya.com"},
	{Name: "url", Help: "accounts API base URL, overriding --gigya-data-center (a proxy or an emulator)"},
}

// newLive builds the live login from LiveOptions' values. An API call makes one retry at most: a
// person is waiting, and the hook bounds the call with its own timeout.
func newLive(opts map[string]string, logf func(format string, args ...any)) (pipeline.LiveLogin, error) {
	if opts["api-key"] == "" {
		return nil, errors.New("the --gigya-* options need --gigya-api-key")
	}
	sec, err := secret.Read("gigya secret", opts["secret-file"], SecretEnv)
	if err != nil {
		return nil, err
	}
	url := opts["url"]
	if url == "" {
		url = "https://accounts." + opts["data-center"]
	}
	c, err := gigyaapi.New(gigyaapi.Config{BaseURL: url, APIKey: opts["api-key"], UserKey: opts["user-key"], Secret: sec,
		MaxRetries: 1, HTTPClient: &http.Client{Timeout: 8 * time.Second}, Logf: logf})
	if err != nil {
		return nil, err
	}
	return &LiveLogin{Accounts: c, Logf: logf}, nil
}
