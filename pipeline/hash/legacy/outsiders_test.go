package legacy

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
)

// outsider is one known-answer vector published by others (testdata/outsiders.json): passlib's
// test suite (Debian python3-passlib 1.7.4), Django's, ASP.NET Core Identity's, Openwall's
// crypt_blowfish tests (via php-src), OpenLDAP's READMEs, and other projects' fixtures; each
// entry's "source" says which.
type outsider struct {
	Format      string `json:"format"`
	Hash        string `json:"hash"`
	Password    string `json:"password"`
	PasswordHex string `json:"password_hex"`
	User        string `json:"user"`
	Source      string `json:"source"`
}

func loadOutsiders(t testing.TB) []outsider {
	t.Helper()
	b, err := os.ReadFile("testdata/outsiders.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []outsider
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	for i := range vs {
		if vs[i].PasswordHex != "" {
			p, err := hex.DecodeString(vs[i].PasswordHex)
			if err != nil {
				t.Fatal(err)
			}
			vs[i].Password = string(p)
		}
	}
	return vs
}

// parseOutsider parses a vector as a user would present it: formats that cannot be told from
// their text are declared (ParseAs), the others are recognised (Parse). It returns the report
// name the vector's format must produce.
func parseOutsider(v outsider) (Hash, string, error) {
	switch v.Format {
	case "django_unsalted_md5":
		if !strings.Contains(v.Hash, "$") { // Django's bare 32-hex form is hex_md5, declared
			h, err := ParseAs("hex_md5", v.Hash, "")
			return h, "hex_md5", err
		}
	case "argon2i_v16":
		h, err := Parse(v.Hash)
		return h, "argon2i", err
	case "phpass":
		h, err := Parse(v.Hash)
		return h, "phpass_md5", err
	}
	if _, ok := declared[v.Format]; ok {
		h, err := ParseAs(v.Format, v.Hash, v.User)
		return h, v.Format, err
	}
	h, err := Parse(v.Hash)
	return h, v.Format, err
}

// TestOutsiderVectors runs every published vector: it must parse to its format, verify with its
// password, refuse a wrong one, and either translate to an Auth0 custom_password_hash (checked by
// auth0hash.Verify and by the independent Python oracle, right and wrong password) or be
// reported unimportable.
func TestOutsiderVectors(t *testing.T) {
	ctx := context.Background()
	vs := loadOutsiders(t)
	var cases []oracle.HashCase
	var names []string
	formats := map[string]int{}
	for _, v := range vs {
		name := v.Format + "/" + v.Hash
		if len(name) > 60 {
			name = name[:60]
		}
		h, want, err := parseOutsider(v)
		if err != nil {
			t.Errorf("%s (%s): parse: %v", name, v.Source, err)
			continue
		}
		got := h.Format()
		if got != want && !(want == "bcrypt" && strings.HasPrefix(got, "bcrypt_2")) {
			t.Errorf("%s: Format = %q, want %q", name, got, want)
		}
		formats[got]++
		if err := h.Verify(ctx, v.Password); err != nil {
			t.Errorf("%s (%s): Verify(right) = %v", name, v.Source, err)
		}
		if err := h.Verify(ctx, "x"+v.Password); !errors.Is(err, ErrMismatch) {
			t.Errorf("%s: Verify(wrong) = %v, want ErrMismatch", name, err)
		}
		ph, custom, err := h.Auth0()
		switch {
		case errors.Is(err, ErrUnimportable):
			continue
		case err != nil:
			t.Errorf("%s: Auth0: %v", name, err)
			continue
		case ph != "":
			if !strings.HasPrefix(ph, "$2a$10$") && !strings.HasPrefix(ph, "$2b$10$") {
				t.Errorf("%s: password_hash %q is not bcrypt cost 10", name, ph)
			}
			custom = &auth0hash.CustomPasswordHash{Algorithm: "bcrypt", Hash: auth0hash.HashValue{Value: ph}}
		}
		if err := auth0hash.Verify(ctx, v.Password, custom); err != nil {
			t.Errorf("%s: auth0hash.Verify(translation) = %v", name, err)
		}
		if !utf8.ValidString(v.Password) {
			continue // Auth0 receives UTF-8 passwords; the oracle reads JSON strings
		}
		cases = append(cases, oracle.HashCase{Password: v.Password, Hash: custom}, oracle.HashCase{Password: "x" + v.Password, Hash: custom})
		names = append(names, name, name+" (wrong password)")
	}
	t.Logf("%d vectors, formats %v", len(vs), formats)
	if len(cases) == 0 {
		t.Fatal("no importable vector")
	}
	for i, got := range oracle.CheckHashes(t, cases) {
		want := "ok"
		if i%2 == 1 {
			want = "fail"
		}
		if got != want {
			b, _ := json.Marshal(cases[i])
			t.Errorf("%s: python oracle %q, want %q\n%s", names[i], got, want, b)
		}
	}
}
