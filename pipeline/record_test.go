package pipeline

import (
	"strings"
	"testing"

	json "github.com/goccy/go-json"
)

func TestDecodeObjectKeepsNumbersExact(t *testing.T) {
	m, err := DecodeObject([]byte(`{"big":12345678901234567890123,"f":1.10,"n":{"x":[1e400]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := m["big"].(json.Number); !ok || n.String() != "12345678901234567890123" {
		t.Fatalf("big = %#v", m["big"])
	}
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"big":12345678901234567890123,"f":1.10,"n":{"x":[1e400]}}` {
		t.Fatalf("round trip changed numbers: %s", b)
	}
}

func TestDecodeObjectErrors(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", "  ", "empty record"},
		{"array", `[1]`, "not an object"},
		{"string", `"x"`, "not an object"},
		{"truncated", `{"a":`, ""},
		{"trailing", `{"a":1} {"b":2}`, ""},
		{"garbage", `%%`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeObject([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	in := map[string]any{"email": "a@x.io", "password": "hunter2", "custom_password_hash": map[string]any{
		"algorithm": "md5", "hash": map[string]any{"value": "abc", "encoding": "hex"}}, "meta": map[string]any{"apiKey": "k", "n": "ok"},
		// A Keycloak credential written for import: the clear password under "value".
		"credentials": []any{map[string]any{"type": "password", "value": "clear-pw-1", "temporary": false}}}
	b, _ := Marshal(Redact(in))
	for _, secret := range []string{"hunter2", `"abc"`, `"k"`, "clear-pw-1"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("%s survived redaction: %s", secret, b)
		}
	}
	for _, kept := range []string{"a@x.io", `"algorithm":"md5"`, `"encoding":"hex"`, `"n":"ok"`, `"type":"password"`} {
		if !strings.Contains(string(b), kept) {
			t.Errorf("%s lost: %s", kept, b)
		}
	}
	if got := RedactText([]byte(`{"email":"a@x.io","password":"hunt`)); strings.Contains(got, "hunt") {
		t.Errorf("RedactText kept the password: %s", got)
	}
}

// TestRedactTimes: a time under a key that names one (passwordChanged, passwordModifiedAt) is not
// password material and survives redaction, decoded or as raw text; every secret stays redacted,
// a time-like value under a secret key included.
func TestRedactTimes(t *testing.T) {
	cases := []struct {
		name, key string
		value     any
		kept      bool
	}{
		{"okta passwordChanged", "passwordChanged", "2017-03-01T17:26:34.000Z", true},
		{"stormpath passwordModifiedAt", "passwordModifiedAt", "2015-08-25T19:57:05.976Z", true},
		{"python isoformat offset", "passwordModifiedAt", "2015-08-25T19:57:05.976000+00:00", true},
		{"snake case", "password_changed_at", "2015-08-25 19:57:05", true},
		{"upper snake case", "PASSWORD_CHANGED_AT", "2015-08-25", true},
		{"last changed", "passwordLastChanged", "2015-08-25T19:57:05Z", true},
		{"date", "passwordDate", "2015-08-25", true},
		{"timestamp number", "passwordTimestamp", json.Number("1440532625976"), true},
		{"epoch as text", "pwdLastSet", "130845926250000000", true},
		{"token expiry", "tokenExpiresAt", json.Number("1440532625"), true},
		{"float time", "passwordUpdatedTime", 1440532625.5, true},
		{"the password", "password", "hunter2", false},
		{"the hash", "passwordHash", "$2a$10$abcdefghijklmnopqrstuu", false},
		{"a digit-only password", "password", "20150825", false},
		{"a time under a secret name", "passwordHash", "2015-08-25T19:57:05Z", false},
		{"a token, not a time", "passwordChangedToken", "2015-08-25", false},
		{"format ends in 'at'", "passwordHashFormat", json.Number("1"), false},
		{"no word boundary", "passwordchangedat", "2015-08-25", false},
		{"text under a time key", "passwordChangedAt", "hunter2", false},
		{"object under a time key", "passwordChangedAt", map[string]any{"value": "2015-08-25"}, false},
		{"array under a time key", "passwordChanged", []any{"2015-08-25"}, false},
		{"bool under a time key", "passwordExpired", true, false},
		{"date with trailing text", "passwordChangedAt", "2015-08-25 hunter2", false},
		{"short digits under a time key", "passwordChanged", "12345678", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := map[string]any{"email": "a@x.io", tc.key: tc.value}
			want, _ := Marshal(in)
			got, _ := Marshal(Redact(in))
			if kept := string(got) == string(want); kept != tc.kept {
				t.Errorf("Redact: %s (kept %v, want %v)", got, kept, tc.kept)
			}
			if !tc.kept && !strings.Contains(string(got), Redacted) {
				t.Errorf("Redact: nothing redacted: %s", got)
			}
			if kept := SecretValue(tc.key, tc.value); kept == tc.kept {
				t.Errorf("SecretValue(%q, %v) = %v", tc.key, tc.value, kept)
			}
			// Inside password material (a password object), nothing but descriptive keys is kept.
			nested, _ := Marshal(Redact(map[string]any{"password": map[string]any{tc.key: tc.value}}))
			if !strings.Contains(string(nested), Redacted) {
				t.Errorf("Redact kept a value inside a password object: %s", nested)
			}
			// The same pair as text that cannot be parsed (cut short after it).
			raw := string(want[:len(want)-1]) + `,"x":`
			out := RedactText([]byte(raw))
			if tc.kept && out != raw {
				t.Errorf("RedactText(%s) = %s", raw, out)
			}
			if !tc.kept && !strings.Contains(out, Redacted) {
				t.Errorf("RedactText kept a secret: %s", out)
			}
		})
	}
	if got := RedactText([]byte(`{"passwordChanged":"2017-03-01T17:26:3`)); strings.Contains(got, "2017") {
		t.Errorf("RedactText kept a value cut short: %s", got)
	}
}
