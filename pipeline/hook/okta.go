package hook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Delegate verifies a password with the legacy system itself, for users the store holds without
// password material (Okta never exports hashes; a Gigya export may lack them). ok false is a wrong
// password (or a user who may not sign in); an error means the legacy system could not answer (the
// hook says 503). With ok, id is the legacy system's identifier of the account that signed in (the
// Okta user id, the Gigya UID), or "" when its answer named none: the hook refuses the login when
// id is not the stored user's user_id (the login now belongs to another account).
type Delegate func(ctx context.Context, login, password string) (id string, ok bool, err error)

// oktaProven are the /api/v1/authn statuses that prove the password was right (research
// sources.md §2.5): primary authentication passed, whatever Okta wants next.
var oktaProven = map[string]bool{"SUCCESS": true, "PASSWORD_WARN": true, "PASSWORD_EXPIRED": true,
	"MFA_REQUIRED": true, "MFA_ENROLL": true, "MFA_ENROLL_ACTIVATE": true, "MFA_CHALLENGE": true}

// OktaAuthn returns a Delegate that calls POST {baseURL}/api/v1/authn (Okta's Classic primary
// authentication), with the API token when one is given (a trusted application). 200 with a
// status that proves the password → ok, with the user id of _embedded.user; 200 LOCKED_OUT or any
// other status, and 401 → not ok; 429, 5xx and network errors → an error. The password and token
// never appear in errors.
func OktaAuthn(baseURL, token string, client *http.Client) Delegate {
	baseURL = strings.TrimRight(baseURL, "/")
	return func(ctx context.Context, login, password string) (string, bool, error) {
		body, _ := json.Marshal(map[string]any{"username": login, "password": password,
			"options": map[string]bool{"multiOptionalFactorEnroll": false, "warnBeforePasswordExpired": false}})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/api/v1/authn", bytes.NewReader(body))
		if err != nil {
			return "", false, fmt.Errorf("okta authn: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "SSWS "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", false, fmt.Errorf("okta authn: cannot reach Okta: %w", ctx.Err())
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
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			return "", false, nil
		}
		return "", false, fmt.Errorf("okta authn: HTTP %d", resp.StatusCode)
	}
}
