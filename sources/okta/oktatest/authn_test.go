package oktatest_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/sources/okta/oktatest"
)

// TestAuthn: POST /api/v1/authn signs in by profile.login (case-insensitively), not by
// profile.email, and the emulator records the username of every request.
func TestAuthn(t *testing.T) {
	// The login is an e-mail address other than profile.email (shape: the User object of
	// okta/okta-management-openapi-spec, components.examples.user-example, with our values).
	s := oktatest.NewServer(oktatest.Options{Token: token,
		Users: [][]byte{[]byte(`{"id":"00ub0oNGTSWTBKOLGLNR","status":"ACTIVE","profile":{"login":"isaac.brock@example.com","email":"isaac@example.org"}}`),
			[]byte(`{"id":"00ub0oNGTSWTBKOLGLNS","status":"SUSPENDED","profile":{"login":"susp@example.com","email":"susp@example.org"}}`)},
		Passwords: map[string]string{"isaac.brock@example.com": "Tr0ub4dor&3", "susp@example.com": "Tr0ub4dor&3"}})
	defer s.Close()
	tests := []struct {
		name, username, password string
		status                   int
	}{
		{"the login", "isaac.brock@example.com", "Tr0ub4dor&3", 200},
		{"the login in other case", "Isaac.Brock@Example.com", "Tr0ub4dor&3", 200},
		{"profile.email is not a login", "isaac@example.org", "Tr0ub4dor&3", 401},
		{"wrong password", "isaac.brock@example.com", "tr0ub4dor&3", 401},
		{"suspended", "susp@example.com", "Tr0ub4dor&3", 401},
	}
	var sent []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"username":"` + tt.username + `","password":"` + tt.password + `"}`
			resp, err := http.Post(s.URL+"/api/v1/authn", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
		sent = append(sent, tt.username)
	}
	if got := s.AuthnUsernames(); !slices.Equal(got, sent) {
		t.Errorf("AuthnUsernames %q, want %q", got, sent)
	}
}
