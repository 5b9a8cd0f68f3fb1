package oktaapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ErrUserNotFound is User's answer to a 404 (Okta's E0000007).
var ErrUserNotFound = errors.New("okta: user not found")

// User fetches one user with GET /api/v1/users/{idOrLogin} (Okta takes the id, the login or its
// short name) and returns its JSON object verbatim, with a last top-level key "groups" holding
// its groups when Config.Groups is set, exactly as Users emits it. Transient failures are retried
// as for Users; a 404 is ErrUserNotFound; other answers are an *APIError.
func (c *Client) User(ctx context.Context, idOrLogin string) ([]byte, error) {
	obj, _, _, err := fetch(ctx, c, c.baseStr+"/api/v1/users/"+url.PathEscape(idOrLogin), func(body []byte) ([]byte, error) {
		b := bytes.TrimSpace(body)
		if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
			return nil, fmt.Errorf("%w: not a JSON object", errBadJSON)
		}
		return b, nil
	})
	var ae *APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound {
		return nil, ErrUserNotFound
	}
	if err != nil || !c.cfg.Groups {
		return obj, err
	}
	us, err := decodePage(append(append([]byte{'['}, obj...), ']'))
	if err != nil || len(us) != 1 {
		return nil, fmt.Errorf("okta: GET /api/v1/users/%s: unreadable user: %v", url.PathEscape(idOrLogin), err)
	}
	u := us[0]
	if u.hasGroups {
		return nil, fmt.Errorf("okta: user %s already has a top-level \"groups\" key; cannot add its groups", u.id)
	}
	groups, err := c.userGroups(ctx, u.id)
	if err != nil {
		return nil, err
	}
	return withGroups(obj, groups), nil
}

// UserByEmail finds a user by profile.email with GET /api/v1/users?search=profile.email eq
// "<email>" (Okta compares case-insensitively), preferring one that is not DEPROVISIONED, and
// returns it as User does; ErrUserNotFound when there is none or when email holds a character
// ('"' or '\\') that cannot appear in the search literal.
func (c *Client) UserByEmail(ctx context.Context, email string) ([]byte, error) {
	if email == "" || strings.ContainsAny(email, "\"\\") {
		return nil, ErrUserNotFound
	}
	q := url.Values{"search": {`profile.email eq "` + email + `"`}, "limit": {"20"}}
	users, _, _, err := fetch(ctx, c, c.baseStr+"/api/v1/users?"+q.Encode(), decodePage)
	if err != nil {
		return nil, err
	}
	pick := -1 // the first user that is not DEPROVISIONED, else the first
	for i := range users {
		var st struct{ Status string }
		json.Unmarshal(users[i].raw, &st)
		if st.Status != "DEPROVISIONED" {
			pick = i
			break
		}
		if pick < 0 {
			pick = i
		}
	}
	if pick < 0 {
		return nil, ErrUserNotFound
	}
	return c.User(ctx, users[pick].id)
}
