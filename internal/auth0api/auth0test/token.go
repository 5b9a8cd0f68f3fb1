package auth0test

import (
	"crypto/subtle"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

// tokenAnswer is the client-credentials grant's answer.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
	TokenType   string `json:"token_type"`
}

// otherGrants are grant types Auth0 knows but this M2M application may not use.
var otherGrants = []string{
	"authorization_code", "password", "refresh_token", "implicit",
	"http://auth0.com/oauth/grant-type/password-realm", "urn:ietf:params:oauth:grant-type:device_code",
	"http://auth0.com/oauth/grant-type/passwordless/otp", "http://auth0.com/oauth/grant-type/mfa-otp",
}

// token serves POST /oauth/token.
//
// Answers: 200 with a token; 400 invalid_request (unreadable body, missing grant_type) or
// unsupported_grant_type; 403 unauthorized_client for another known grant type; 401
// access_denied "Unauthorized" for missing or wrong client credentials; 403 access_denied when
// the audience is missing or is not this server's URL + "/api/v2/".
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.TokenRequests++ })
	deny := func(status int, code, desc string) {
		s.count(func(st *Stats) { st.TokensDenied++ })
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, status, oauthError(code, desc))
	}
	if r.Method != http.MethodPost {
		s.count(func(st *Stats) { st.NotFound++ })
		writeJSON(w, http.StatusNotFound, apiErrorBody(http.StatusNotFound, "Not Found", ""))
		return
	}
	params, ok := tokenParams(r)
	if !ok {
		deny(http.StatusBadRequest, "invalid_request", "The request body must be application/x-www-form-urlencoded or application/json")
		return
	}
	if id, secret, basic := r.BasicAuth(); basic {
		if params["client_id"] == "" {
			params["client_id"] = id
		}
		if params["client_secret"] == "" {
			params["client_secret"] = secret
		}
	}
	grant := params["grant_type"]
	switch {
	case grant == "":
		deny(http.StatusBadRequest, "invalid_request", "Missing required parameter: grant_type")
		return
	case grant == "client_credentials":
	case slices.Contains(otherGrants, grant):
		deny(http.StatusForbidden, "unauthorized_client", "Grant type '"+grant+"' not allowed for the client.")
		return
	default:
		deny(http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type: "+grant)
		return
	}
	if !equal(params["client_id"], s.o.ClientID) || !equal(params["client_secret"], s.o.ClientSecret) {
		deny(http.StatusUnauthorized, "access_denied", "Unauthorized")
		return
	}
	aud := params["audience"]
	switch {
	case aud == "":
		deny(http.StatusForbidden, "access_denied", "No audience parameter was provided, and no default audience has been configured")
		return
	case aud != s.base(r)+"/api/v2/":
		deny(http.StatusForbidden, "access_denied", "Service not found: "+aud)
		return
	}
	tok := randomToken(32)
	now := s.now()
	s.mu.Lock()
	if len(s.tokens) >= 1024 { // forget long-expired tokens (sandbox runs for days)
		for k, ti := range s.tokens {
			if now.Sub(ti.expires) > time.Hour {
				delete(s.tokens, k)
			}
		}
	}
	s.tokens[tok] = tokenInfo{expires: now.Add(s.o.TokenTTL), scopes: s.o.Scopes}
	s.stats.TokensIssued++
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, tokenAnswer{
		AccessToken: tok,
		ExpiresIn:   int64(s.o.TokenTTL / time.Second),
		Scope:       strings.Join(s.o.Scopes, " "),
		TokenType:   "Bearer",
	})
}

// tokenParams reads the string parameters of a token request body.
func tokenParams(r *http.Request) (map[string]string, bool) {
	params := map[string]string{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded":
		r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			return nil, false
		}
		for k := range r.PostForm {
			params[k] = r.PostForm.Get(k)
		}
	case "application/json":
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			return nil, false
		}
		v, err := decodeJSON(body)
		m, isObj := v.(map[string]any)
		if err != nil || !isObj {
			return nil, false
		}
		for k, x := range m {
			if str, isStr := x.(string); isStr {
				params[k] = str
			}
		}
	case "":
		// No body: only HTTP Basic credentials, and grant_type is then missing.
	default:
		return nil, false
	}
	return params, true
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
