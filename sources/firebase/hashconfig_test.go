package firebase

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseHashConfig reads the forms a project's hash parameters come in: the console's text
// (as copied, and with quotes, without the wrapper, "=" instead of ":"), JSON with the console's
// names, the admin API's getConfig answer; and refuses what is not one, without showing the key.
func TestParseHashConfig(t *testing.T) {
	const key = "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="
	console := "hash_config {\n  algorithm: SCRYPT,\n  base64_signer_key: " + key + ",\n  base64_salt_separator: Bw==,\n  rounds: 8,\n  mem_cost: 14,\n}\n"
	api, err := os.ReadFile("testdata/api/getConfig-response.json")
	if err != nil {
		t.Fatal(err)
	}
	good := []struct {
		name, text string
		rounds     int
	}{
		{"console", console, 8},
		{"console with CRLF and a BOM", "\ufeff" + strings.ReplaceAll(console, "\n", "\r\n"), 8},
		{"bare items, quoted", `base64_signer_key: "` + key + `"` + "\nbase64_salt_separator: 'Bw=='\nrounds: 4\nmem_cost: 14", 4},
		{"auth:import flag names", "hash-key=" + key + "\nsalt-separator=Bw==\nrounds=8\nmem-cost=14\n", 8},
		{"JSON console names", `{"hash_config":{"algorithm":"SCRYPT","base64_signer_key":"` + key + `","base64_salt_separator":"Bw==","rounds":8,"mem_cost":14}}`, 8},
		{"JSON bare, strings", `{"base64_signer_key":"` + key + `","rounds":"8","mem_cost":"14"}`, 8},
		{"getConfig answer", string(api), 8},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseHashConfig([]byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			if p.Rounds != tc.rounds || p.MemoryCost != 14 || len(p.SignerKey) == 0 {
				t.Fatalf("%v", p)
			}
		})
	}
	bad := []struct{ name, text, want string }{
		{"empty", "", "no base64_signer_key"},
		{"no rounds", "base64_signer_key: " + key + "\nmem_cost: 14", "no rounds"},
		{"other algorithm", "algorithm: HMAC_SHA256\nbase64_signer_key: " + key + "\nrounds: 8\nmem_cost: 14", "SCRYPT"},
		{"unknown name", "base64_signer_key: " + key + "\nrounds: 8\nmem_cost: 14\nmemory: 3", "unknown name"},
		{"a pasted key alone", key, "unknown name"},
		{"a word alone", "SCRYPT", "not a name: value pair"},
		{"key not base64", "base64_signer_key: ****\nrounds: 8\nmem_cost: 14", "signerKey"},
		{"hostile mem_cost", "base64_signer_key: " + key + "\nrounds: 8\nmem_cost: 40", "mem_cost 40"},
		{"rounds twice", "base64_signer_key: " + key + "\nrounds: 8\nrounds: 8\nmem_cost: 14", "twice"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseHashConfig([]byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), key[:16]) {
				t.Fatalf("the error shows the key: %v", err)
			}
		})
	}
}

// TestReadHashConfig reads the file, naming it in errors (never its content).
func TestReadHashConfig(t *testing.T) {
	if _, err := ReadHashConfig("testdata/hash-config.txt"); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "hc")
	os.WriteFile(p, []byte("base64_signer_key: c2VjcmV0LWtleS12YWx1ZQ==\nrounds: 99\nmem_cost: 14\n"), 0o600)
	_, err := ReadHashConfig(p)
	if err == nil || !strings.Contains(err.Error(), p) || bytes.Contains([]byte(err.Error()), []byte("c2VjcmV0")) {
		t.Fatalf("%v", err)
	}
}

// FuzzHashConfig reads any text as a hash config: no panic, and an error never repeats a
// base64_signer_key value given in it.
func FuzzHashConfig(f *testing.F) {
	for _, s := range []string{
		"hash_config {\n  algorithm: SCRYPT,\n  base64_signer_key: c2VjcmV0LWtleS12YWx1ZQ==,\n  base64_salt_separator: Bw==,\n  rounds: 8,\n  mem_cost: 14,\n}\n",
		`{"signIn":{"hashConfig":{"algorithm":"SCRYPT","signerKey":"c2VjcmV0LWtleS12YWx1ZQ==","saltSeparator":"Bw==","rounds":8,"memoryCost":14}}}`,
		"base64_signer_key = \"c2VjcmV0LWtleS12YWx1ZQ==\"; rounds = 99", "{", "hash_config {}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseHashConfig(b)
		if err == nil {
			if p.Check() != nil {
				t.Fatalf("parameters out of bounds accepted: %v", p)
			}
			return
		}
		if i := bytes.Index(b, []byte("signer_key")); i >= 0 {
			rest := string(b[i+len("signer_key"):])
			if j := strings.IndexAny(rest, ":="); j >= 0 {
				val := rest[j+1:]
				if k := strings.IndexAny(val, ",\n}"); k >= 0 {
					val = val[:k]
				}
				val = strings.Trim(strings.TrimSpace(val), `"' `)
				if len(val) >= 12 && strings.Contains(err.Error(), val) {
					t.Fatalf("the error repeats the key %q: %v", val, err)
				}
			}
		}
	})
}
