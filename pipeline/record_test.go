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
		"algorithm": "md5", "hash": map[string]any{"value": "abc", "encoding": "hex"}}, "meta": map[string]any{"apiKey": "k", "n": "ok"}}
	b, _ := Marshal(Redact(in))
	for _, secret := range []string{"hunter2", `"abc"`, `"k"`} {
		if strings.Contains(string(b), secret) {
			t.Errorf("%s survived redaction: %s", secret, b)
		}
	}
	for _, kept := range []string{"a@x.io", `"algorithm":"md5"`, `"encoding":"hex"`, `"n":"ok"`} {
		if !strings.Contains(string(b), kept) {
			t.Errorf("%s lost: %s", kept, b)
		}
	}
	if got := RedactText([]byte(`{"email":"a@x.io","password":"hunt`)); strings.Contains(got, "hunt") {
		t.Errorf("RedactText kept the password: %s", got)
	}
}
