package gigyaapi

import (
	"context"
	"encoding/json"
	"errors"
)

// Gigya errorCodes an accounts.login answer can carry (research sources.md §1.5). The
// "interrupted" codes mean the password was right but Gigya wants another step first.
const (
	CodeInvalidLogin          = 403042 // "Invalid login or password"
	CodeAccountDisabled       = 403041 // [peer] only
	CodeAccountLocked         = 403120 // temporarily locked [UNCONFIRMED]
	CodePendingRegistration   = 206001
	CodePendingVerification   = 206002
	CodePendingPasswordChange = 403100
	CodePendingTFAVerify      = 403101
	CodePendingTFARegister    = 403102
	CodeCaptchaRequired       = 401020
	CodeConflictingAccounts   = 409003
)

// Login calls accounts.login once with loginID (an email or username) and password, server to
// server (apiKey + userKey + secret, targetEnv=mobile so no browser cookie is involved), and
// returns the account's UID when Gigya answered errorCode 0. It is not retried: a person is
// waiting, and Auth0's script has its own time limit. A wrong data center (301001) switches the
// client and re-sends the call once.
//
// A Gigya answer with another errorCode is an *APIError (its UID, when Gigya sent one with an
// interrupted flow, is returned too); a network failure, an HTTP 429 or 5xx or an unreadable answer
// is another error. Neither the password nor the credentials appear in errors.
func (c *Client) Login(ctx context.Context, loginID, password string) (uid string, err error) {
	form := c.authForm()
	form.Set("loginID", loginID)
	form.Set("password", password)
	form.Set("targetEnv", "mobile")
	body := form.Encode()
	decode := func(b []byte) (*envelope, error) {
		var r struct {
			envelope
			UID string `json:"UID"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, err
		}
		if r.ErrorCode == nil {
			return nil, errors.New("no errorCode")
		}
		uid = r.UID
		return &r.envelope, nil
	}
	for tries := 0; ; tries++ {
		base := c.base()
		f := c.attempt(ctx, base, "accounts.login", body, decode)
		switch {
		case f == nil:
			return uid, nil
		case f.apiDomain != "" && tries == 0 && c.switchDataCenter(base, f.apiDomain):
			continue
		}
		return uid, f.err
	}
}

// Logout calls accounts.logout once for uid, ending the session a Login opened. Errors are as
// for Login; callers treat them as best effort.
func (c *Client) Logout(ctx context.Context, uid string) error {
	form := c.authForm()
	form.Set("UID", uid)
	f := c.attempt(ctx, c.base(), "accounts.logout", form.Encode(), func(b []byte) (*envelope, error) {
		var env envelope
		if err := json.Unmarshal(b, &env); err != nil {
			return nil, err
		}
		if env.ErrorCode == nil {
			return nil, errors.New("no errorCode")
		}
		return &env, nil
	})
	if f != nil {
		return f.err
	}
	return nil
}
