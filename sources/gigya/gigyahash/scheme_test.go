package gigyahash

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// decodeJSON decodes a JSON value as a mapping reads it.
func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMaterial covers the shapes Material's doc comment lists: an object as it is, an object
// without a password as nil, a hash string with hashSettings beside it (consumed from the parent)
// as {hashedPassword, hashSettings}, a self-identifying hash string alone as
// {compoundHashedPassword}, and errors for any other string or a non-object. The hashes are
// vectors used elsewhere in this package's tests (G1, G3, the Stormpath Ruby SDK's bcrypt, the
// passlib pbkdf2-sha256 of pipeline/hash/legacy/testdata/outsiders.json); each material must
// parse (Parse, and legacy.ParseMaterial under the scheme's name) and verify its password.
func TestMaterial(t *testing.T) {
	const (
		g1       = `{"hash":"XMGVWTbeKf4Xd+CGiuEZde8x7QA=","hashSettings":{"algorithm":"pbkdf2","rounds":10000,"salt":"wJuJqLoUFsdXa8k3sFhRlA=="}}`
		g3       = `{"algorithm":"sha1"}`
		g3Hash   = "W6ph5Mm5Pz8GgiULbPgzG37mj9g="
		bcryptNS = "$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"
		passlib  = "$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ"
	)
	for _, tc := range []struct {
		name       string
		v          string // the value the password rule reads, as JSON
		parent     string // the object holding it, as JSON ("" for none)
		want       string // the material, as JSON ("null": no password), or
		err        string // a substring of the error
		parentWant string // the parent afterwards, as JSON ("" for unchanged)
		password   string // the material's password, when it has one
		format     string // its format
		sameObject bool   // the material is v itself
	}{
		{name: "exported object as is", v: g1, parent: `{"password":` + g1 + `,"hashSettings":` + g3 + `}`,
			want: g1, password: "Test@123", format: "gigya_pbkdf2", sameObject: true},
		{name: "import file hashedPassword object as is", v: `{"hashedPassword":"` + g3Hash + `","hashSettings":` + g3 + `}`,
			want: `{"hashedPassword":"` + g3Hash + `","hashSettings":` + g3 + `}`, password: "password", format: "gigya_sha1", sameObject: true},
		{name: "import file compoundHashedPassword object as is", v: `{"compoundHashedPassword":"` + bcryptNS + `"}`,
			want: `{"compoundHashedPassword":"` + bcryptNS + `"}`, password: "NotSecure", format: "bcrypt_2a", sameObject: true},
		{name: "empty object (social-only account)", v: `{}`, parent: `{"password":{},"hashSettings":` + g3 + `}`, want: `null`},
		{name: "object with empty strings", v: `{"hash":"","hashedPassword":"","compoundHashedPassword":"","hashSettings":{}}`, want: `null`},
		{name: "hash string with hashSettings beside it (GigyaPasswordValidator template)", v: `"` + g3Hash + `"`,
			parent:     `{"password":"` + g3Hash + `","hashSettings":` + g3 + `,"email":"a@example.com"}`,
			want:       `{"hashedPassword":"` + g3Hash + `","hashSettings":` + g3 + `}`,
			parentWant: `{"password":"` + g3Hash + `","email":"a@example.com"}`, password: "password", format: "gigya_sha1"},
		{name: "self-identifying string with hashSettings beside it is a hash with settings", v: `"` + bcryptNS + `"`,
			parent:     `{"password":"` + bcryptNS + `","hashSettings":{"algorithm":"bcrypt"}}`,
			want:       `{"hashedPassword":"` + bcryptNS + `","hashSettings":{"algorithm":"bcrypt"}}`,
			parentWant: `{"password":"` + bcryptNS + `"}`, password: "NotSecure", format: "bcrypt_2a"},
		{name: "self-identifying string alone (bcrypt)", v: `"` + bcryptNS + `"`, parent: `{"password":"` + bcryptNS + `"}`,
			want: `{"compoundHashedPassword":"` + bcryptNS + `"}`, password: "NotSecure", format: "bcrypt_2a"},
		{name: "self-identifying string alone (passlib), no parent", v: `"` + passlib + `"`,
			want: `{"compoundHashedPassword":"` + passlib + `"}`, password: "password", format: "pbkdf2_sha256"},
		{name: "self-identifying string, hashSettings beside it not an object", v: `"` + bcryptNS + `"`,
			parent: `{"password":"` + bcryptNS + `","hashSettings":"bcrypt"}`,
			want:   `{"compoundHashedPassword":"` + bcryptNS + `"}`, password: "NotSecure", format: "bcrypt_2a"},
		{name: "other string", v: `"` + g3Hash + `"`, parent: `{"password":"` + g3Hash + `"}`,
			err: "a string without hashSettings beside it, and not a hash string usher recognises"},
		{name: "other string, hashSettings beside it not an object", v: `"` + g3Hash + `"`,
			parent: `{"password":"` + g3Hash + `","hashSettings":"sha1"}`, err: "not a hash string usher recognises"},
		{name: "empty string (no password)", v: `""`, want: `null`},
		{name: "empty string, hashSettings beside it (no password)", v: `""`, parent: `{"password":"","hashSettings":` + g3 + `}`,
			want: `null`, parentWant: `{"password":"","hashSettings":` + g3 + `}`},
		{name: "null", v: `null`, err: "want a Gigya password object, got null"},
		{name: "number", v: `12`, err: "want a Gigya password object, got number"},
		{name: "boolean", v: `true`, err: "want a Gigya password object, got boolean"},
		{name: "array", v: `[` + g1 + `]`, err: "want a Gigya password object, got array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := decodeJSON(t, tc.v)
			var parent map[string]any
			if tc.parent != "" {
				parent = decodeJSON(t, tc.parent).(map[string]any)
			}
			before := maps.Clone(parent)
			got, err := Material(v, parent)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || got != nil {
					t.Fatalf("Material = %v, %v; want error %q", got, err, tc.err)
				}
			} else {
				if err != nil {
					t.Fatalf("Material: %v", err)
				}
				b, _ := json.Marshal(got)
				if want, _ := json.Marshal(decodeJSON(t, tc.want)); string(b) != string(want) {
					t.Errorf("Material =\n %s\nwant\n %s", b, want)
				}
				if tc.sameObject && reflect.ValueOf(got).UnsafePointer() != reflect.ValueOf(v).UnsafePointer() {
					t.Error("Material copied the object; want it as is")
				}
			}
			wantParent := before
			if tc.parentWant != "" {
				wantParent = decodeJSON(t, tc.parentWant).(map[string]any)
			}
			if !reflect.DeepEqual(parent, wantParent) {
				t.Errorf("parent afterwards = %v, want %v", parent, wantParent)
			}
			if got == nil || tc.password == "" {
				return
			}
			for _, parse := range []struct {
				name  string
				parse func(map[string]any) (legacy.Hash, error)
			}{
				{"Parse", Parse},
				{"legacy.ParseMaterial", func(m map[string]any) (legacy.Hash, error) { return legacy.ParseMaterial(Scheme, m) }},
			} {
				h, err := parse.parse(got)
				if err != nil {
					t.Fatalf("%s(material): %v", parse.name, err)
				}
				if h.Format() != tc.format {
					t.Errorf("%s: Format = %q, want %q", parse.name, h.Format(), tc.format)
				}
				if err := h.Verify(context.Background(), tc.password); err != nil {
					t.Errorf("%s: Verify = %v", parse.name, err)
				}
			}
		})
	}
}

// TestScheme: package gigyahash registers the object-shaped scheme "gigya" with pipeline/hash/
// legacy, listing every gigya_* report name its hashes give.
func TestScheme(t *testing.T) {
	s, ok := legacy.SchemeNamed(Scheme)
	if !ok {
		t.Fatalf("legacy.SchemeNamed(%q): not registered", Scheme)
	}
	if s.Material == nil || s.ParseMaterial == nil || s.Prefix != "" || s.ParseString != nil {
		t.Errorf("scheme %q: want Material and ParseMaterial only, got %+v", Scheme, s)
	}
	if !slices.Contains(legacy.MaterialSchemes(), Scheme) {
		t.Errorf("legacy.MaterialSchemes() = %v, want %q in it", legacy.MaterialSchemes(), Scheme)
	}
	// Gigya's formats are not self-identifying: a mapping names the scheme, not a format.
	for _, f := range s.Formats {
		if slices.Contains(legacy.DeclaredFormats(), f) {
			t.Errorf("legacy.DeclaredFormats() lists %s", f)
		}
	}
	var gigyaFormats []string
	for _, v := range vectors {
		gigyaFormats = append(gigyaFormats, v.Format)
	}
	gigyaFormats = append(gigyaFormats, "gigya_pbkdf2_sha1", "gigya_sha1_hashbytes", "gigya_sha512_hexa",
		"gigya_md5_double_salted", "gigya_drupal", "gigya_symphony2", "gigya_sap_abap", "gigya_custom", "gigya_unknown", "gigya_bcrypt")
	for _, f := range gigyaFormats {
		if strings.HasPrefix(f, "gigya_") && !slices.Contains(s.Formats, f) {
			t.Errorf("scheme Formats %v lacks %s", s.Formats, f)
		}
	}
	for name, m := range map[string]map[string]any{
		"empty": {}, "no settings": {"hash": "W6ph5Mm5Pz8GgiULbPgzG37mj9g="},
		"bad compound": {"compoundHashedPassword": "not-a-hash"},
	} {
		if _, err := legacy.ParseMaterial(Scheme, m); !errors.Is(err, legacy.ErrMalformed) {
			t.Errorf("legacy.ParseMaterial(%q, %s) = %v, want ErrMalformed", Scheme, name, err)
		}
	}
	// No self-identifying string reaches the scheme: it has no prefix.
	if _, err := legacy.Parse(`{"hash":"W6ph5Mm5Pz8GgiULbPgzG37mj9g="}`); err == nil {
		t.Error("legacy.Parse read a Gigya object's JSON")
	}
}
