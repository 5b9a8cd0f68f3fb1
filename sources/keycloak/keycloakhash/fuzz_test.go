package keycloakhash

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

// FuzzParseKeycloak feeds any JSON value to Material, and the material (or, when there is none,
// the value itself as an object) to Parse: an error, or a Hash whose contract holds
// (legacytest.CheckParse: a snake_case report name, a bounded Verify that never panics, exactly
// one translation or an error); never a panic or a hang.
func FuzzParseKeycloak(f *testing.F) {
	f.Cleanup(legacy.FuzzBounds())
	for _, v := range loadVectors(f) {
		b, err := json.Marshal([]any{v.Credential})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, v.Password)
	}
	f.Add([]byte(`[{"type":"password","secretData":"{\"value\":\"AA==\",\"salt\":\"__SALT__\"}","credentialData":"{\"hashIterations\":1,\"algorithm\":\"argon2\",\"additionalParameters\":{\"type\":[\"d\"]}}"}]`), "x")
	f.Add([]byte(`{"hashedSaltedValue":"AAAA","salt":"AAAA","hashIterations":"7","algorithm":"pbkdf2-sha512"}`), "x")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		m, err := Material(v, nil)
		if err != nil || m == nil {
			obj, ok := v.(map[string]any)
			if !ok {
				return
			}
			m = obj
		}
		h, err := Parse(m)
		legacytest.CheckParse(t, h, err, password)
		if err == nil && !strings.HasPrefix(h.Format(), "keycloak_") {
			t.Fatalf("Format %q is not one of this scheme's", h.Format())
		}
	})
}
