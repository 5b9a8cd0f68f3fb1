package gigyahash

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// TestGigyaImportShapes reads the password shapes of a Gigya import file
// (accounts.importFullAccount / the IdentitySync "import accounts" file), as SAP's import
// reference lists them (password.hashedPassword, password.hashSettings.{algorithm, salt, rounds,
// format, binaryFormat, URL}, password.compoundHashedPassword: SAP's cdc-tools-chrome-extension,
// passwordObjectStructure, and the importFullAccount parameter text quoted in a public TypeScript
// SDK: "compoundHashedPassword … Modular Crypt Format (MCF) strings typically start with a
// \"$...$\" pattern"), and the export's compoundHash (gigya-node's Account interface). Every
// vector is a known answer computed outside usher: G1 (Test@123, a public "PBKDF2 Sample Data /
// Gigya Example" note) and G3 (SAP's importFullAccount sha1 example, base64(SHA1("password"))), the
// compound strings from pipeline/hash/legacy/testdata/outsiders.json (passlib 1.7.4, the Stormpath
// Ruby SDK), the md5 template one with Python's hashlib (base64(md5(b"correct horse::Q7vK2p"))).
// Moved from pipeline/hash/legacy (gigya_import_test.go).
func TestGigyaImportShapes(t *testing.T) {
	cases := []struct {
		name     string
		pw       string // the password object, as JSON
		password string
		format   string
		wantPH   string // bcrypt password_hash, or
		wantJSON string // custom_password_hash, or
		unimp    bool   // lazy migration
	}{
		{name: "hashedPassword pbkdf2 (G1)", password: "Test@123", format: "gigya_pbkdf2",
			pw:       `{"hashedPassword":"XMGVWTbeKf4Xd+CGiuEZde8x7QA=","hashSettings":{"algorithm":"pbkdf2","rounds":10000,"salt":"wJuJqLoUFsdXa8k3sFhRlA=="}}`,
			wantJSON: `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha1$i=10000,l=20$wJuJqLoUFsdXa8k3sFhRlA$XMGVWTbeKf4Xd+CGiuEZde8x7QA","encoding":"utf8"}}`},
		{name: "hashedPassword sha1 unsalted (G3, SAP's import example)", password: "password", format: "gigya_sha1",
			pw:       `{"hashedPassword":"W6ph5Mm5Pz8GgiULbPgzG37mj9g=","hashSettings":{"algorithm":"sha1"}}`,
			wantJSON: `{"algorithm":"sha1","hash":{"value":"W6ph5Mm5Pz8GgiULbPgzG37mj9g=","encoding":"base64"}}`},
		{name: "hashedPassword md5 format $password::$salt: constant and salt folded into a hex suffix", password: "correct horse", format: "gigya_md5",
			pw:       `{"hashedPassword":"KWcUNhTOjZSSZASDdRxkVg==","hashSettings":{"algorithm":"md5","salt":"Q7vK2p","format":"$password::$salt"}}`,
			wantJSON: `{"algorithm":"md5","hash":{"value":"KWcUNhTOjZSSZASDdRxkVg==","encoding":"base64"},"salt":{"value":"3a3a5137764b3270","encoding":"hex","position":"suffix"}}`},
		{name: "compoundHashedPassword bcrypt $2a$ (Stormpath Ruby SDK vector)", password: "NotSecure", format: "bcrypt_2a",
			pw:     `{"compoundHashedPassword":"$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"}`,
			wantPH: "$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"},
		{name: "compoundHashedPassword passlib pbkdf2-sha256", password: "password", format: "pbkdf2_sha256",
			pw:       `{"compoundHashedPassword":"$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ"}`,
			wantJSON: `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=1212,l=32$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg+fJPeq1h/gXXY7acBp9/6c+tmQ","encoding":"utf8"}}`},
		{name: "compoundHashedPassword md5-crypt is lazy", password: "U*U*U*U*", format: "md5_crypt",
			pw: `{"compoundHashedPassword":"$1$dXc3I7Rw$ctlgjDdWJLMT.qwHsWhXR1"}`, unimp: true},
		{name: "export compoundHash", password: "NotSecure", format: "bcrypt_2a",
			pw:     `{"compoundHash":"$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy","hashSettings":{"algorithm":"bcrypt"}}`,
			wantPH: "$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"},
		{name: "hash with hashSettings wins over a compound string", password: "Test@123", format: "gigya_pbkdf2",
			pw:       `{"hash":"XMGVWTbeKf4Xd+CGiuEZde8x7QA=","hashSettings":{"algorithm":"pbkdf2","rounds":10000,"salt":"wJuJqLoUFsdXa8k3sFhRlA=="},"compoundHash":"$1$dXc3I7Rw$ctlgjDdWJLMT.qwHsWhXR1"}`,
			wantJSON: `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha1$i=10000,l=20$wJuJqLoUFsdXa8k3sFhRlA$XMGVWTbeKf4Xd+CGiuEZde8x7QA","encoding":"utf8"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var pw map[string]any
			if err := json.Unmarshal([]byte(tc.pw), &pw); err != nil {
				t.Fatal(err)
			}
			if !HasPassword(pw) {
				t.Fatal("HasPassword: false")
			}
			h, err := Parse(pw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if h.Format() != tc.format {
				t.Errorf("format %q, want %q", h.Format(), tc.format)
			}
			if err := h.Verify(context.Background(), tc.password); err != nil {
				t.Errorf("Verify(right password): %v", err)
			}
			if err := h.Verify(context.Background(), tc.password+"x"); !errors.Is(err, legacy.ErrMismatch) {
				t.Errorf("Verify(wrong password): %v, want ErrMismatch", err)
			}
			ph, custom, err := h.Auth0()
			switch {
			case tc.unimp:
				if !errors.Is(err, legacy.ErrUnimportable) {
					t.Errorf("Auth0: %v, want ErrUnimportable", err)
				}
			case err != nil:
				t.Fatalf("Auth0: %v", err)
			case tc.wantPH != "":
				if ph != tc.wantPH || custom != nil {
					t.Errorf("Auth0 = %q, %+v; want password_hash %q", ph, custom, tc.wantPH)
				}
			default:
				b, _ := json.Marshal(custom)
				if string(b) != tc.wantJSON {
					t.Errorf("custom_password_hash\n got %s\nwant %s", b, tc.wantJSON)
				}
			}
		})
	}
}

func TestGigyaImportShapeErrors(t *testing.T) {
	for _, tc := range []struct{ name, pw string }{
		{"compound that is no hash string", `{"compoundHashedPassword":"not-a-hash"}`},
		{"hashedPassword without hashSettings", `{"hashedPassword":"W6ph5Mm5Pz8GgiULbPgzG37mj9g="}`},
		{"empty object", `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var pw map[string]any
			if err := json.Unmarshal([]byte(tc.pw), &pw); err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(pw); !errors.Is(err, legacy.ErrMalformed) {
				t.Errorf("Parse: %v, want ErrMalformed", err)
			}
		})
	}
	for _, empty := range []string{`{}`, `{"hashedPassword":"","compoundHashedPassword":""}`, `{"hash":"","hashSettings":{}}`} {
		var pw map[string]any
		_ = json.Unmarshal([]byte(empty), &pw)
		if HasPassword(pw) {
			t.Errorf("HasPassword(%s) = true", empty)
		}
	}
}
