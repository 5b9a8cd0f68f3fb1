package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/pipeline/hash"
	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/sinks/importfiles"
)

// gigyaImportFile holds Gigya accounts shaped like an import file (accounts.importFullAccount /
// IdentitySync "import accounts": password.hashedPassword + hashSettings or
// password.compoundHashedPassword, loginIDs.emails and emails as strings, as SAP's import reference
// and a public import-file generator write them) next to exported accounts with identities
// (accounts.getAccountInfo). Values are ours; every hash is a known answer computed outside
// usher (G1: a public Gigya PBKDF2 sample; G2: SAP's accounts.search example, plaintext
// "password1" recovered by trial; testdata/outsiders.json; Python's hashlib for the md5 template:
// base64(md5(b"correct horse::Q7vK2p"))). Every account has its own e-mail address.
var gigyaImportFile = []string{
	// 1: hashedPassword pbkdf2 (G1, plaintext Test@123), emails as strings.
	`{"lang":"en","UID":"gi-hashed","loginIDs":{"emails":"gi.hashed@example.net"},"profile":{"firstName":"Hana","email":"gi.hashed@example.net"},"emails":"gi.hashed@example.net","isActive":true,"isVerified":true,"isRegistered":true,"password":{"hashedPassword":"XMGVWTbeKf4Xd+CGiuEZde8x7QA=","hashSettings":{"algorithm":"pbkdf2","rounds":10000,"salt":"wJuJqLoUFsdXa8k3sFhRlA=="}}}`,
	// 2: hashedPassword md5 with a $password::$salt template (plaintext "correct horse").
	`{"lang":"en","UID":"gi-template","loginIDs":{"emails":"gi.template@example.net"},"emails":"gi.template@example.net","isVerified":true,"isRegistered":true,"password":{"hashedPassword":"KWcUNhTOjZSSZASDdRxkVg==","hashSettings":{"algorithm":"md5","salt":"Q7vK2p","format":"$password::$salt"}}}`,
	// 3: compoundHashedPassword bcrypt $2a$ (plaintext NotSecure).
	`{"lang":"en","UID":"gi-compound","loginIDs":{"emails":"gi.compound@example.net"},"emails":"gi.compound@example.net","isVerified":true,"isRegistered":true,"password":{"compoundHashedPassword":"$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"}}`,
	// 4: compoundHashedPassword md5-crypt: Auth0 cannot import it, lazy migration.
	`{"lang":"en","UID":"gi-md5crypt","emails":"gi.md5crypt@example.net","isVerified":true,"isRegistered":true,"password":{"compoundHashedPassword":"$1$dXc3I7Rw$ctlgjDdWJLMT.qwHsWhXR1"}}`,
	// 5: emails as a comma-separated string only, compound passlib pbkdf2-sha256 (plaintext password).
	`{"UID":"gi-emails","emails":"gi.emails@example.net,gi.emails.old@example.org","isVerified":false,"isRegistered":true,"password":{"compoundHashedPassword":"$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ"}}`,
	// 6: social-only: one facebook identity, an empty password object.
	`{"UID":"gi-social","isRegistered":true,"isVerified":true,"loginProvider":"facebook","socialProviders":"facebook","profile":{"email":"gi.social@example.net"},"password":{},"identities":[{"provider":"facebook","providerUID":"10150000000042","isLoginIdentity":true,"allowsLogin":true}]}`,
	// 7: mixed: site and googleplus identities, an exported pbkdf2 password (G2, plaintext password1).
	`{"UID":"gi-mixed","isRegistered":true,"isVerified":true,"loginProvider":"site","socialProviders":"googleplus,site","loginIDs":{"emails":["gi.mixed@example.net"]},"emails":{"verified":["gi.mixed@example.net"]},"identities":[{"provider":"site","providerUID":"gi-mixed"},{"provider":"googleplus","providerUID":"104453917203947029302","isLoginIdentity":true}],"password":{"hash":"YG8PL6PwxlH0+KbUb4vG3w==","hashSettings":{"algorithm":"pbkdf2","rounds":5000,"salt":"iIj9T09VwfcvLv/0D7rFkA=="}}}`,
	// 8: loginIDs as a string: the email rule cannot read it (mapping_error, in plain words).
	`{"UID":"gi-badshape","loginIDs":"gi.badshape@example.net","isRegistered":true}`,
}

// TestGigyaImportFileRun runs `usher migrate --source gigya` over import-file shaped accounts:
// read = imported + lazy + rejected, each user in the right place with the right hash, the
// social-only account rejected social_only by default and imported with --social-only import, the
// mixed one imported with its social identity in app_metadata.gigya.identities.
func TestGigyaImportFileRun(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "accounts.ndjson")
	if err := os.WriteFile(in, []byte(strings.Join(gigyaImportFile, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	imported := map[string]string{ // user_id → the password it must carry (JSON of the hash field)
		"gi-hashed":   `{"custom_password_hash":{"algorithm":"pbkdf2","hash":{"encoding":"utf8","value":"$pbkdf2-sha1$i=10000,l=20$wJuJqLoUFsdXa8k3sFhRlA$XMGVWTbeKf4Xd+CGiuEZde8x7QA"}}}`,
		"gi-template": `{"custom_password_hash":{"algorithm":"md5","hash":{"encoding":"base64","value":"KWcUNhTOjZSSZASDdRxkVg=="},"salt":{"encoding":"hex","position":"suffix","value":"3a3a5137764b3270"}}}`,
		"gi-compound": `{"password_hash":"$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"}`,
		"gi-emails":   `{"custom_password_hash":{"algorithm":"pbkdf2","hash":{"encoding":"utf8","value":"$pbkdf2-sha256$i=1212,l=32$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg+fJPeq1h/gXXY7acBp9/6c+tmQ"}}}`,
		"gi-mixed":    `{"custom_password_hash":{"algorithm":"pbkdf2","hash":{"encoding":"utf8","value":"$pbkdf2-sha1$i=5000,l=16$iIj9T09VwfcvLv/0D7rFkA$YG8PL6PwxlH0+KbUb4vG3w"}}}`,
	}
	plaintexts := map[string]string{"gi-hashed": "Test@123", "gi-template": "correct horse", "gi-compound": "NotSecure",
		"gi-emails": "password", "gi-mixed": "password1"}
	for _, tc := range []struct {
		name     string
		args     []string
		imported []string
		rejected map[string]string // user_id → reason code
	}{
		{name: "default: social-only rejected",
			imported: []string{"gi-hashed", "gi-template", "gi-compound", "gi-emails", "gi-mixed"},
			rejected: map[string]string{"gi-social": "social_only", "gi-badshape": "mapping_error"}},
		{name: "--social-only import", args: []string{"--social-only", "import"},
			imported: []string{"gi-hashed", "gi-template", "gi-compound", "gi-emails", "gi-social", "gi-mixed"},
			rejected: map[string]string{"gi-badshape": "mapping_error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			args := append([]string{"migrate", "--source", "gigya", "--input", in, "--out", out, "--progress", "never"}, tc.args...)
			if code, msg := usher(t, args...); code != exitRejected {
				t.Fatalf("exit %d, want %d (some rejected): %s", code, exitRejected, msg)
			}
			rep, files := checkRun(t, out, importfiles.DefaultMaxFileBytes)
			c := rep.Counts
			if c.Read != int64(len(gigyaImportFile)) || c.Imported != int64(len(tc.imported)) || c.Lazy != 1 || c.Rejected != int64(len(tc.rejected)) {
				t.Fatalf("counts %+v: want read %d, imported %d, lazy 1, rejected %d", c, len(gigyaImportFile), len(tc.imported), len(tc.rejected))
			}
			for _, f := range []string{"gigya_pbkdf2", "gigya_md5", "bcrypt_2a", "pbkdf2_sha256", "md5_crypt"} {
				if rep.Hashes[f] == 0 {
					t.Errorf("report.json hashes has no %s: %v", f, rep.Hashes)
				}
			}
			users := map[string]map[string]any{}
			var order []string
			for _, f := range files {
				b, _ := os.ReadFile(f)
				var arr []map[string]any
				if err := json.Unmarshal(b, &arr); err != nil {
					t.Fatal(err)
				}
				for _, u := range arr {
					id, _ := u["user_id"].(string)
					users[id] = u
					order = append(order, id)
				}
			}
			if strings.Join(order, ",") != strings.Join(tc.imported, ",") {
				t.Fatalf("imported %v, want %v", order, tc.imported)
			}
			var cases []oracle.HashCase
			var names, want []string
			for id, u := range users {
				if wantPW, ok := imported[id]; ok {
					got := map[string]any{}
					for _, k := range []string{"password_hash", "custom_password_hash"} {
						if v, ok := u[k]; ok {
							got[k] = v
						}
					}
					if b, _ := json.Marshal(got); string(b) != wantPW {
						t.Errorf("%s: password\n got %s\nwant %s", id, b, wantPW)
					}
					h := u["custom_password_hash"]
					if ph, ok := u["password_hash"].(string); ok {
						h = map[string]any{"algorithm": "bcrypt", "hash": map[string]any{"value": ph}}
						if err := auth0hash.VerifyBcrypt(t.Context(), plaintexts[id], ph); err != nil {
							t.Errorf("%s: password_hash does not verify %q: %v", id, plaintexts[id], err)
						}
					} else {
						// Auth0's semantics of custom_password_hash, as usher implements them.
						c, err := hash.MapToCustom(h.(map[string]any))
						if err == nil {
							err = auth0hash.Verify(t.Context(), plaintexts[id], c)
						}
						if err != nil {
							t.Errorf("%s: custom_password_hash does not verify %q: %v", id, plaintexts[id], err)
						}
						if auth0hash.Verify(t.Context(), plaintexts[id]+"!x", c) == nil {
							t.Errorf("%s: a wrong password verifies", id)
						}
					}
					cases = append(cases, oracle.HashCase{Password: plaintexts[id], Hash: h}, oracle.HashCase{Password: plaintexts[id] + "!x", Hash: h})
					names = append(names, id, id+" (wrong password)")
					want = append(want, "ok", "fail")
				} else if _, hasPW := u["password_hash"]; hasPW || u["custom_password_hash"] != nil {
					t.Errorf("%s: imported with a password", id)
				}
			}
			emails := map[string]string{"gi-hashed": "gi.hashed@example.net", "gi-template": "gi.template@example.net",
				"gi-compound": "gi.compound@example.net", "gi-emails": "gi.emails@example.net", "gi-mixed": "gi.mixed@example.net", "gi-social": "gi.social@example.net"}
			for id, u := range users {
				if u["email"] != emails[id] {
					t.Errorf("%s: email %v, want %s", id, u["email"], emails[id])
				}
			}
			if v := users["gi-emails"]["email_verified"]; v != false {
				t.Errorf("gi-emails: email_verified %v (a string of addresses says nothing; isVerified is false)", v)
			}
			if v := users["gi-hashed"]["email_verified"]; v != true {
				t.Errorf("gi-hashed: email_verified %v, want true (isVerified)", v)
			}
			meta, _ := users["gi-mixed"]["app_metadata"].(map[string]any)
			gm, _ := meta["gigya"].(map[string]any)
			if b, _ := json.Marshal(gm["identities"]); string(b) != `[{"isLoginIdentity":true,"provider":"googleplus","providerUID":"104453917203947029302"}]` {
				t.Errorf("gi-mixed: app_metadata.gigya.identities = %s", b)
			}
			if u, ok := users["gi-social"]; ok {
				meta, _ := u["app_metadata"].(map[string]any)
				gm, _ := meta["gigya"].(map[string]any)
				if ids, _ := gm["identities"].([]any); len(ids) != 1 {
					t.Errorf("gi-social imported without its facebook identity in app_metadata: %v", gm)
				}
			}

			lazy := gigyaNDJSON(t, filepath.Join(out, importfiles.LazyFile))
			if len(lazy) != 1 || lazy[0]["key"] != "gi-md5crypt" || lazy[0]["reason"] != "unsupported_hash" {
				t.Errorf("lazy.ndjson %v, want gi-md5crypt (unsupported_hash)", lazy)
			}
			rejects := gigyaNDJSON(t, filepath.Join(out, importfiles.RejectsFile))
			got := map[string]string{}
			for _, r := range rejects {
				rec, _ := r["record"].(map[string]any)
				key, _ := rec["UID"].(string)
				errs, _ := r["errors"].([]any)
				var codes []string
				for _, e := range errs {
					m, _ := e.(map[string]any)
					codes = append(codes, m["code"].(string))
					msg, _ := m["message"].(string)
					switch m["code"] {
					case "mapping_error":
						if m["field"] != "email" || !strings.Contains(msg, `email: the rule "first(list(loginIDs?.emails))`) ||
							!strings.Contains(msg, "could not be applied: loginIDs is a string, not an object") || strings.Contains(msg, "(1:") {
							t.Errorf("mapping_error %v", m)
						}
					case "social_only":
						if !strings.Contains(msg, "facebook") {
							t.Errorf("social_only message does not name the provider: %q", msg)
						}
					}
				}
				got[key] = strings.Join(codes, ",")
			}
			if len(got) != len(tc.rejected) {
				t.Errorf("rejected %v, want %v", got, tc.rejected)
			}
			for k, code := range tc.rejected {
				if got[k] != code {
					t.Errorf("%s rejected %q, want %q (all: %v)", k, got[k], code, got)
				}
			}
			// The independent oracles last: they skip the rest when absent (unless CI requires them).
			oracle.ImportFiles(t, files...)
			oracle.ExpectHashes(t, cases, names, want)
		})
	}
}

// gigyaNDJSON reads an NDJSON output file.
func gigyaNDJSON(t testing.TB, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, m)
	}
	return out
}
