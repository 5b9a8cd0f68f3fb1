package hook

import "context"

// Live is a legacy system that is still running, which the hook asks about what its store cannot
// settle: it verifies the passwords of users stored without one (Okta never exports hashes; a
// Gigya export may lack them), and, when Config.Map is set, signs in and finds users the export
// did not hold (registered since, or left out of it).
type Live interface {
	// Login verifies password for login. ok false is a wrong password (or a user who may not sign
	// in); an error means the system could not answer (the hook says 503). With ok, id is the
	// system's identifier of the account that signed in (the Okta user id, the Gigya UID), or ""
	// when its answer named none: the hook refuses the login of a stored user whose user_id is
	// not id (the login now belongs to another account).
	Login(ctx context.Context, login, password string) (id string, ok bool, err error)
	// Account returns the current record of the account id, as the source's mapping reads it.
	Account(ctx context.Context, id string) ([]byte, error)
	// Lookup returns the current record of the account whose login (an email) is login, or nil
	// when there is none.
	Lookup(ctx context.Context, login string) ([]byte, error)
}

// Logins is implemented by a Live (*Okta) whose own login name for a stored user may be kept
// where the store does not look: the okta mapping keeps every profile.login in
// app_metadata.<namespace>.login, and as username only when Auth0 takes it as one. The hook then
// sends that login to Login (the person may have typed the email), and when the store holds no
// user under what the person typed, it asks the legacy system which account that is (the id
// Login names, or AccountID of what Lookup returns) and finds the stored user by that id, before
// it turns to Config.Map (with --staged-only, such a login is answered as an unknown one).
type Logins interface {
	// LoginOf returns the legacy login the stored profile keeps, or "" when it keeps none.
	LoginOf(profile map[string]any) string
	// AccountID returns the id of an account record that Account or Lookup returned ("" when
	// it names none).
	AccountID(account []byte) string
}
