package hook

import (
	"context"
	"errors"
	"fmt"

	"github.com/usher-migrate/usher/sources/gigya/gigyaapi"
)

// GigyaAccounts is what the Gigya Live needs of a Gigya client (*gigyaapi.Client).
type GigyaAccounts interface {
	Login(ctx context.Context, loginID, password string) (uid string, err error)
	Logout(ctx context.Context, uid string) error
	Account(ctx context.Context, uid string) ([]byte, error)
	Lookup(ctx context.Context, email string) ([]byte, error)
}

// gigyaRefused are accounts.login errorCodes that answer "wrong password" (research sources.md
// §1.5): an invalid login or password, a disabled account, a temporarily locked one.
var gigyaRefused = map[int]bool{gigyaapi.CodeInvalidLogin: true, gigyaapi.CodeAccountDisabled: true, gigyaapi.CodeAccountLocked: true}

// gigyaInterrupted are accounts.login errorCodes that come only after the password was accepted:
// Gigya wants the person to finish registration, verify an email, change the password or pass a
// second factor. The password is proven, so the user migrates; Auth0's own policies (email
// verification, MFA) take over from there.
var gigyaInterrupted = map[int]bool{gigyaapi.CodePendingRegistration: true, gigyaapi.CodePendingVerification: true,
	gigyaapi.CodePendingPasswordChange: true, gigyaapi.CodePendingTFAVerify: true, gigyaapi.CodePendingTFARegister: true}

// Gigya is the Live of a Gigya site. Login calls accounts.login: errorCode 0 and the interrupted
// flows (206001, 206002, 403100, 403101, 403102) → ok with the UID; 403042, 403041 and 403120 →
// not ok; every other errorCode (captcha required, conflicting accounts, rate limits, server
// errors, a wrong data center), HTTP errors and network failures → an error (the hook answers 503
// and Auth0's script an Error). After a successful login it calls accounts.logout so the
// migration leaves no Gigya session behind; a failed logout is only logged. Account reads
// accounts.getAccountInfo, Lookup accounts.search by login email. Errors never contain the
// password or the credentials.
type Gigya struct {
	Accounts GigyaAccounts
	Logf     func(format string, args ...any)
}

// Login implements Live with accounts.login.
func (g *Gigya) Login(ctx context.Context, login, password string) (string, bool, error) {
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
		return uid, true, nil
	}
	return "", false, fmt.Errorf("gigya accounts.login: %w", err)
}

// Account implements Live with accounts.getAccountInfo.
func (g *Gigya) Account(ctx context.Context, uid string) ([]byte, error) {
	return g.Accounts.Account(ctx, uid)
}

// Lookup implements Live with accounts.search.
func (g *Gigya) Lookup(ctx context.Context, email string) ([]byte, error) {
	return g.Accounts.Lookup(ctx, email)
}
