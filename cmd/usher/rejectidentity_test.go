package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestRejectLinesNameTheUser: a record a mapping rule rejects before or after its fields (Gigya's
// not_registered, Firebase's phone_only, Keycloak's service_account) has its rejects.ndjson line
// name the user by the key and e-mail the record had, as every reject line does.
func TestRejectLinesNameTheUser(t *testing.T) {
	for _, tc := range []struct {
		source string
		args   []string
		code   string
		key    string
		email  string
	}{
		{"gigya", []string{"--input", "../../testdata/samples/gigya"}, "not_registered", "g-pending", "pending@example.com"},
		{"firebase", []string{"--input", "../../sources/firebase/testdata/auth-export.json", "--firebase-hash-config", "../../sources/firebase/testdata/hash-config.txt"},
			"phone_only", "Zq8Wn1Ye5Rt7Ui9Op0As2Df4Gh63", ""},
		{"keycloak", []string{"--input", "../../sources/keycloak/testdata/export-file/realm-export.json"}, "service_account", "6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a05", ""},
	} {
		t.Run(tc.source+"/"+tc.code, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			args := append([]string{"migrate", "--source", tc.source, "--out", out, "--progress", "never"}, tc.args...)
			if code, msg := usher(t, args...); code != exitRejected {
				t.Fatalf("exit %d: %s", code, msg)
			}
			f, err := os.Open(filepath.Join(out, "rejects.ndjson"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			found := false
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var line struct {
					Key, Email string
					Errors     []struct{ Code string }
				}
				if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
					t.Fatal(err)
				}
				if len(line.Errors) == 0 || line.Errors[0].Code != tc.code || line.Key != tc.key {
					continue
				}
				found = true
				if line.Email != tc.email {
					t.Errorf("%s line of %s: email %q, want %q", tc.code, tc.key, line.Email, tc.email)
				}
			}
			if !found {
				t.Fatalf("no %s line with key %q", tc.code, tc.key)
			}
		})
	}
}
