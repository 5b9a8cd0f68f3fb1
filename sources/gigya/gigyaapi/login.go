package gigyaapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
)

// Gigya errorCodes an accounts.login answer can carry. The
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
	err = c.send(ctx, "accounts.login", form, decode, 0, true, nil)
	return uid, err
}

// Logout calls accounts.logout once for uid, ending the session a Login opened. Errors are as
// for Login; callers treat them as best effort.
func (c *Client) Logout(ctx context.Context, uid string) error {
	form := c.authForm()
	form.Set("UID", uid)
	return c.send(ctx, "accounts.logout", form, func(b []byte) (*envelope, error) {
		var env envelope
		if err := json.Unmarshal(b, &env); err != nil {
			return nil, err
		}
		if env.ErrorCode == nil {
			return nil, errors.New("no errorCode")
		}
		return &env, nil
	}, 0, false, nil)
}

// envelopeKeys are the members every Gigya answer carries besides the account's own.
var envelopeKeys = map[string]bool{"callId": true, "errorCode": true, "errorMessage": true, "errorDetails": true,
	"apiVersion": true, "statusCode": true, "statusReason": true, "time": true, "sessionInfo": true}

// LiveInclude is what Account asks accounts.getAccountInfo for: AccountInfoInclude without the
// password, which a signed-in user's profile never needs.
const LiveInclude = "identities-all,loginIDs,emails,profile,data,preferences,regSource,lastLoginLocation,groups,customIdentifiers"

// Account returns the account uid as accounts.getAccountInfo gives it (include LiveInclude), with
// the answer's envelope members removed, so it has the shape of an accounts.search result, which
// the gigya mapping reads. Transient failures are retried as for Search (bounded by ctx); an
// unknown UID is an *APIError with CodeUnknownUser.
func (c *Client) Account(ctx context.Context, uid string) ([]byte, error) {
	form := c.authForm()
	form.Set("UID", uid)
	form.Set("include", LiveInclude)
	var body []byte
	err := c.call(ctx, "accounts.getAccountInfo", form, func(b []byte) (*envelope, error) {
		env, _, err := decodeAccountInfo(b)
		body = b
		return env, err
	})
	if err != nil {
		return nil, err
	}
	return withoutMembers(body, envelopeKeys)
}

// Lookup finds the account whose login email is email with accounts.search (WHERE
// loginIDs.emails = "<email, lower-cased>", an exact match: the field is stored encrypted) and
// returns it as Search would emit it, or nil when there is none. An email holding a double quote
// or a backslash cannot be a Gigya login ID and finds nothing. Errors are as for Search.
func (c *Client) Lookup(ctx context.Context, email string) ([]byte, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || strings.ContainsAny(email, "\"\\") {
		return nil, nil
	}
	form := c.authForm()
	form.Set("query", `SELECT * FROM accounts WHERE loginIDs.emails = "`+email+`" LIMIT 1`)
	form.Set("openCursor", "true")
	var page searchResponse
	err := c.call(ctx, "accounts.search", form, func(b []byte) (*envelope, error) {
		var err error
		page, err = decodeSearch(b)
		return &page.envelope, err
	})
	if err != nil || len(page.Results) == 0 {
		return nil, err
	}
	return page.Results[0], nil
}

// FindLogin returns the UIDs of the accounts whose login is loginID: those whose loginIDs.emails
// holds it (lower-cased), else those whose loginIDs.username is it, at most two (two mean the
// login is ambiguous). Errors are as for Login.
func (c *Client) FindLogin(ctx context.Context, loginID string) ([]string, error) {
	loginID = strings.TrimSpace(loginID)
	if loginID == "" || strings.ContainsAny(loginID, "\"\\") {
		return nil, nil
	}
	for _, where := range []string{`loginIDs.emails = "` + strings.ToLower(loginID) + `"`, `loginIDs.username = "` + loginID + `"`} {
		form := c.authForm()
		form.Set("query", "SELECT UID FROM accounts WHERE "+where+" LIMIT 2")
		form.Set("openCursor", "true")
		var page searchResponse
		err := c.call(ctx, "accounts.search", form, func(b []byte) (*envelope, error) {
			var err error
			page, err = decodeSearch(b)
			return &page.envelope, err
		})
		if err != nil {
			return nil, err
		}
		var uids []string
		for _, r := range page.Results {
			var a struct{ UID string }
			if json.Unmarshal(r, &a) == nil && a.UID != "" {
				uids = append(uids, a.UID)
			}
		}
		if len(uids) > 0 {
			return uids, nil
		}
	}
	return nil, nil
}

// withoutMembers returns obj rebuilt without its top-level members named in drop; the values kept
// are copied byte for byte.
func withoutMembers(obj []byte, drop map[string]bool) ([]byte, error) {
	ms, err := members(obj)
	if err != nil {
		return nil, err
	}
	out := append(make([]byte, 0, len(obj)), '{')
	for _, m := range ms {
		if drop[m.key] {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		k, _ := json.Marshal(m.key)
		out = append(append(append(out, k...), ':'), obj[m.start:m.end]...)
	}
	return append(out, '}'), nil
}
