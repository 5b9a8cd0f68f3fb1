package keycloakapi

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzAnswers feeds any bytes to the decoders of Keycloak's answers (a users page, an OAuth
// error, a token's subject) and to appendKeys: errors, never a panic; appendKeys of a user
// object gives valid JSON holding the added key (a UTF-8 key: the client's keys are constants).
func FuzzAnswers(f *testing.F) {
	f.Add([]byte(`[{"id":"u1","username":"a"},{"id":"u2"}]`), "federatedIdentities")
	f.Add([]byte(`{"error":"invalid_grant","error_description":"Invalid user credentials"}`), "groups")
	f.Add([]byte(`{"id":"u1","groups":["/a"]}`), "groups")
	f.Add([]byte(`{}`), "realmRoles")
	f.Fuzz(func(t *testing.T, body []byte, key string) {
		if elems, err := decodeArray(body); err == nil {
			for _, e := range elems {
				userID(e)
			}
		}
		for _, st := range []int{400, 401} {
			if oe := parseOAuthError(st, body); oe != nil && oe.Code == "" {
				t.Fatal("an OAuth error without a code")
			}
		}
		newAPIError("GET", "/x", 500, body)
		Subject(string(body))
		if _, err := userID(body); err == nil && utf8.ValidString(key) {
			out := appendKeys(body, []field{{key, []byte(`[]`)}})
			var m map[string]json.RawMessage
			if err := json.Unmarshal(out, &m); err != nil {
				t.Fatalf("appendKeys(%s) = %s: %v", body, out, err)
			}
			if _, ok := m[key]; !ok {
				t.Fatalf("appendKeys(%s) lost %q: %s", body, key, out)
			}
		}
	})
}
