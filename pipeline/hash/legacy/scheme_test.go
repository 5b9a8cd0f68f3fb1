package legacy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
)

// The registry is tested with test-only schemes ("testscheme", …), never with a legacy system's:
// this package's tests link none of them (sources/<kind>/… import this package).

// testHash is a test scheme's hash: SHA-256 of the password. cost > 1 makes it out of bounds
// (Bounds) and why makes it unverifiable (WhyUnverifiable), for the optional interfaces.
type testHash struct {
	format string
	sum    []byte
	cost   int
	why    string
}

func (h *testHash) Format() string { return h.format }

func (h *testHash) Verify(ctx context.Context, password string) error {
	if err := CheckPassword(ctx, password); err != nil {
		return err
	}
	if err := h.Bounds(); err != nil {
		return err
	}
	if h.why != "" {
		return fmt.Errorf("%w: %s", ErrUnsupported, h.why)
	}
	sum := sha256.Sum256([]byte(password))
	return Equal(sum[:], h.sum)
}

func (h *testHash) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	return "", &auth0hash.CustomPasswordHash{Algorithm: "sha256",
		Hash: auth0hash.HashValue{Value: hex.EncodeToString(h.sum), Encoding: "hex"}}, nil
}

func (h *testHash) Bounds() error {
	if h.cost > 1 {
		return fmt.Errorf("%w: test cost %d", ErrOutOfBounds, h.cost)
	}
	return nil
}

func (h *testHash) WhyUnverifiable() string { return h.why }

// testParseString parses "<prefix><hex sha256>[$cost=N][$why=…]" as format.
func testParseString(prefix, format string) func(string) (Hash, error) {
	return func(s string) (Hash, error) {
		rest, ok := strings.CutPrefix(s, prefix)
		if !ok {
			return nil, fmt.Errorf("%w: %s: no prefix", ErrMalformed, format)
		}
		fields := strings.Split(rest, "$")
		sum, err := hex.DecodeString(fields[0])
		if err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("%w: %s: want 64 hex digits", ErrMalformed, format)
		}
		h := &testHash{format: format, sum: sum, cost: 1}
		for _, f := range fields[1:] {
			switch k, v, _ := strings.Cut(f, "="); k {
			case "cost":
				if _, err := fmt.Sscan(v, &h.cost); err != nil {
					return nil, fmt.Errorf("%w: %s: cost", ErrMalformed, format)
				}
			case "why":
				h.why = v
			default:
				return nil, fmt.Errorf("%w: %s: field %q", ErrMalformed, format, k)
			}
		}
		return h, nil
	}
}

// testMaterial takes {"sum": "<hex sha256>"}, or a bare hex string; an empty object holds no password.
func testMaterial(v any, _ map[string]any) (map[string]any, error) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			return nil, nil
		}
		return t, nil
	case string:
		return map[string]any{"sum": t}, nil
	}
	return nil, errors.New("want an object")
}

func testParseMaterial(format string) func(map[string]any) (Hash, error) {
	return func(m map[string]any) (Hash, error) {
		s, _ := m["sum"].(string)
		sum, err := hex.DecodeString(s)
		if err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("%w: %s: want sum, 64 hex digits", ErrMalformed, format)
		}
		return &testHash{format: format, sum: sum, cost: 1}, nil
	}
}

// Test schemes: prefixed only, material only, and both. "$testscheme$" and "$testscheme2$"
// do not overlap (neither is a prefix of the other).
var (
	testPrefixed = Scheme{Name: "testscheme", Formats: []string{"testscheme_sha256"}, Prefix: "$testscheme$",
		ParseString: testParseString("$testscheme$", "testscheme_sha256")}
	testPrefixed2 = Scheme{Name: "testscheme2", Formats: []string{"testscheme2_sha256"}, Prefix: "$testscheme2$",
		ParseString: testParseString("$testscheme2$", "testscheme2_sha256")}
	testMaterialOnly = Scheme{Name: "testmaterial", Formats: []string{"testmaterial_sha256"},
		Material: testMaterial, ParseMaterial: testParseMaterial("testmaterial_sha256")}
	testBoth = Scheme{Name: "testboth", Formats: []string{"testboth_sha256"}, Prefix: "$testboth$",
		ParseString: testParseString("$testboth$", "testboth_sha256"),
		Material:    testMaterial, ParseMaterial: testParseMaterial("testboth_sha256")}
)

// withRegistry gives the test an empty scheme registry holding only schemes, and restores the
// registry when it ends. Tests that use it must not be parallel.
func withRegistry(t *testing.T, registered ...Scheme) {
	t.Helper()
	schemes.Lock()
	byName, prefixed := schemes.byName, schemes.prefixed
	schemes.byName, schemes.prefixed = nil, nil
	schemes.Unlock()
	t.Cleanup(func() {
		schemes.Lock()
		schemes.byName, schemes.prefixed = byName, prefixed
		schemes.Unlock()
	})
	for _, s := range registered {
		Register(s)
	}
}

// registerPanic calls Register and returns what it panicked with ("" when it did not).
func registerPanic(s Scheme) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
			if msg == "" {
				msg = "(empty panic)"
			}
		}
	}()
	Register(s)
	return ""
}

// sha256Hex is the hex SHA-256 of s.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestRegister(t *testing.T) {
	parse := testPrefixed.ParseString
	with := func(s Scheme, edit func(*Scheme)) Scheme { edit(&s); return s }
	for _, tc := range []struct {
		name   string
		before []Scheme // registered first, without panicking
		s      Scheme
		panic  string // a substring of the panic; "" when Register must succeed
	}{
		{name: "prefixed", s: testPrefixed},
		{name: "material", s: testMaterialOnly},
		{name: "prefixed and material", s: testBoth},
		{name: "prefixes that do not overlap", before: []Scheme{testPrefixed}, s: testPrefixed2},
		{name: "no name", s: with(testPrefixed, func(s *Scheme) { s.Name = "" }), panic: "without a name"},
		{name: "prefix without ParseString", s: with(testPrefixed, func(s *Scheme) { s.ParseString = nil }),
			panic: "Prefix and ParseString go together"},
		{name: "ParseString without prefix", s: with(testPrefixed, func(s *Scheme) { s.Prefix = "" }),
			panic: "Prefix and ParseString go together"},
		{name: "Material without ParseMaterial", s: with(testMaterialOnly, func(s *Scheme) { s.ParseMaterial = nil }),
			panic: "Material and ParseMaterial go together"},
		{name: "ParseMaterial without Material", s: with(testMaterialOnly, func(s *Scheme) { s.Material = nil }),
			panic: "Material and ParseMaterial go together"},
		{name: "neither prefix nor material", s: Scheme{Name: "testscheme", Formats: []string{"testscheme_sha256"}},
			panic: "neither a prefix nor material"},
		{name: "the name of a declared format", s: with(testPrefixed, func(s *Scheme) { s.Name = "hex_md5" }),
			panic: "the name of a built-in format"},
		{name: "the name auto", s: with(testPrefixed, func(s *Scheme) { s.Name = FormatAuto }),
			panic: "the name of a built-in format"},
		{name: "duplicate name", before: []Scheme{testPrefixed},
			s: with(testPrefixed, func(s *Scheme) { s.Prefix = "$testscheme-other$" }), panic: `Register "testscheme" twice`},
		{name: "duplicate name, material then prefixed", before: []Scheme{testMaterialOnly},
			s: Scheme{Name: "testmaterial", Prefix: "$testmaterial$", ParseString: parse}, panic: `Register "testmaterial" twice`},
		{name: "same prefix", before: []Scheme{testPrefixed},
			s: with(testPrefixed, func(s *Scheme) { s.Name = "testscheme3" }), panic: `prefix "$testscheme$" is read by a built-in format or a scheme`},
		{name: "prefix extending a registered one", before: []Scheme{testPrefixed},
			s: Scheme{Name: "testscheme3", Prefix: "$testscheme$v3$", ParseString: parse}, panic: `prefix "$testscheme$v3$" is not "$<id>$"`},
		{name: "prefix without its closing dollar", before: []Scheme{testPrefixed},
			s: Scheme{Name: "testscheme3", Prefix: "$test", ParseString: parse}, panic: `prefix "$test" is not "$<id>$"`},
		{name: "prefix a built-in format reads (bcrypt)",
			s: Scheme{Name: "testscheme3", Prefix: "$2b$", ParseString: parse}, panic: `prefix "$2b$" is read by a built-in format or a scheme`},
		{name: "prefix a built-in format reads (apr1)",
			s: Scheme{Name: "testscheme3", Prefix: "$apr1$", ParseString: parse}, panic: `prefix "$apr1$" is read by a built-in format or a scheme`},
		{name: "name of a built-in self-identifying format",
			s: Scheme{Name: "bcrypt", Prefix: "$testscheme3$", ParseString: parse}, panic: `the name of a built-in format`},
		{name: "format of a built-in format",
			s: Scheme{Name: "testscheme3", Prefix: "$testscheme3$", ParseString: parse, Formats: []string{"md5_crypt"}}, panic: `format "md5_crypt" is a built-in format's`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			withRegistry(t, tc.before...)
			beforeFormats, beforeMaterial := DeclaredFormats(), MaterialSchemes()
			was, wasNamed := SchemeNamed(tc.s.Name)
			got := registerPanic(tc.s)
			if tc.panic == "" {
				if got != "" {
					t.Fatalf("Register panicked: %s", got)
				}
				s, ok := SchemeNamed(tc.s.Name)
				if !ok || s.Name != tc.s.Name || s.Prefix != tc.s.Prefix {
					t.Errorf("SchemeNamed(%q) = %+v, %v", tc.s.Name, s, ok)
				}
				return
			}
			if !strings.Contains(got, tc.panic) {
				t.Fatalf("Register panicked with %q, want %q", got, tc.panic)
			}
			// A refused scheme leaves the registry as it was.
			if s, ok := SchemeNamed(tc.s.Name); ok != wasNamed || s.Prefix != was.Prefix || (s.Material == nil) != (was.Material == nil) {
				t.Errorf("SchemeNamed(%q) = %+v, %v after a refused Register; was %+v, %v", tc.s.Name, s, ok, was, wasNamed)
			}
			if got := DeclaredFormats(); !slices.Equal(got, beforeFormats) {
				t.Errorf("DeclaredFormats changed by a refused Register:\n%v\nwas\n%v", got, beforeFormats)
			}
			if got := MaterialSchemes(); !slices.Equal(got, beforeMaterial) {
				t.Errorf("MaterialSchemes = %v after a refused Register, was %v", got, beforeMaterial)
			}
		})
	}
}

// TestSchemePrefixDispatch: Parse (and ParseAs, CheckBounds, Unverifiable) find a registered
// self-identifying scheme by its prefix, and only then.
func TestSchemePrefixDispatch(t *testing.T) {
	ctx := context.Background()
	const pw = "correct horse"
	valid := "$testscheme$" + sha256Hex(pw)
	t.Run("unregistered", func(t *testing.T) {
		withRegistry(t)
		if _, err := Parse(valid); !errors.Is(err, ErrUnrecognized) {
			t.Errorf("Parse = %v, want ErrUnrecognized", err)
		}
		if _, err := ParseAs("testscheme_sha256", valid, ""); err == nil || !strings.Contains(err.Error(), "unknown password format") {
			t.Errorf("ParseAs = %v, want unknown password format", err)
		}
		if slices.Contains(DeclaredFormats(), "testscheme_sha256") {
			t.Error("DeclaredFormats lists an unregistered scheme's format")
		}
	})

	withRegistry(t, testPrefixed, testPrefixed2, testMaterialOnly, testBoth)
	for _, tc := range []struct {
		name   string
		s      string
		format string // the parsed format, or
		err    error  // the error Parse wraps
		bounds bool   // CheckBounds gives ErrOutOfBounds
		why    string // Unverifiable
	}{
		{name: "prefixed scheme", s: valid, format: "testscheme_sha256"},
		{name: "second prefixed scheme", s: "$testscheme2$" + sha256Hex(pw), format: "testscheme2_sha256"},
		{name: "scheme with prefix and material", s: "$testboth$" + sha256Hex(pw), format: "testboth_sha256"},
		{name: "scheme's own parse error", s: "$testscheme$zz", err: ErrMalformed},
		{name: "prefix of no scheme", s: "$testschemeX$" + sha256Hex(pw), err: ErrUnrecognized},
		{name: "a prefix cut short", s: "$testscheme", err: ErrUnrecognized},
		{name: "material-only scheme has no prefix", s: "$testmaterial$" + sha256Hex(pw), err: ErrUnrecognized},
		{name: "built-in formats are unaffected", s: "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/", format: "md5_crypt"},
		{name: "Bounds", s: valid + "$cost=2", format: "testscheme_sha256", bounds: true, why: "test cost 2"},
		{name: "WhyUnverifiable", s: valid + "$why=no verifier", format: "testscheme_sha256", why: "no verifier"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Parse(tc.s)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || h != nil {
					t.Fatalf("Parse = %v, %v; want %v", h, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if h.Format() != tc.format {
				t.Errorf("Format = %q, want %q", h.Format(), tc.format)
			}
			if err := CheckBounds(h); (err != nil) != tc.bounds || (tc.bounds && !errors.Is(err, ErrOutOfBounds)) {
				t.Errorf("CheckBounds = %v, want out of bounds: %v", err, tc.bounds)
			}
			if got := Unverifiable(h); !strings.Contains(got, tc.why) || (tc.why == "") != (got == "") {
				t.Errorf("Unverifiable = %q, want %q", got, tc.why)
			}
			if tc.why == "" {
				pass := pw
				if tc.format == "md5_crypt" {
					pass = "password"
				}
				if err := h.Verify(ctx, pass); err != nil {
					t.Errorf("Verify(right) = %v", err)
				}
				if err := h.Verify(ctx, pass+"x"); !errors.Is(err, ErrMismatch) {
					t.Errorf("Verify(wrong) = %v", err)
				}
			}
		})
	}

	t.Run("DeclaredFormats", func(t *testing.T) {
		got := DeclaredFormats()
		for _, f := range []string{"testscheme_sha256", "testscheme2_sha256", "testboth_sha256"} {
			if !slices.Contains(got, f) {
				t.Errorf("DeclaredFormats lacks %s", f)
			}
		}
		if slices.Contains(got, "testmaterial_sha256") {
			t.Error("DeclaredFormats lists a material-only scheme's format")
		}
	})
	for _, tc := range []struct {
		name, format, s string
		err             error // nil: parses
	}{
		{"declared, of that format", "testscheme_sha256", valid, nil},
		{"declared, of another scheme's format", "testscheme2_sha256", valid, ErrMalformed},
		{"declared, a built-in format", "testscheme_sha256", "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/", ErrMalformed},
		{"declared, malformed", "testscheme_sha256", "$testscheme$zz", ErrMalformed},
		{"auto", FormatAuto, valid, nil},
	} {
		t.Run("ParseAs/"+tc.name, func(t *testing.T) {
			h, err := ParseAs(tc.format, tc.s, "")
			switch {
			case tc.err == nil && err != nil:
				t.Fatalf("ParseAs: %v", err)
			case tc.err == nil:
				if err := h.Verify(ctx, pw); err != nil {
					t.Errorf("Verify = %v", err)
				}
			case !errors.Is(err, tc.err):
				t.Errorf("ParseAs = %v, want %v", err, tc.err)
			}
		})
	}
}

// TestSchemeMaterial: ParseMaterial finds object-shaped schemes by name and refuses other kinds
// with ErrUnsupported; MaterialSchemes lists them.
func TestSchemeMaterial(t *testing.T) {
	ctx := context.Background()
	const pw = "correct horse"
	withRegistry(t, testPrefixed, testMaterialOnly, testBoth)
	if got, want := MaterialSchemes(), []string{"testboth", "testmaterial"}; !slices.Equal(got, want) {
		t.Errorf("MaterialSchemes = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		name, kind string
		material   map[string]any
		format     string // parsed, or
		err        error
	}{
		{"material scheme", "testmaterial", map[string]any{"sum": sha256Hex(pw)}, "testmaterial_sha256", nil},
		{"scheme with prefix and material", "testboth", map[string]any{"sum": sha256Hex(pw)}, "testboth_sha256", nil},
		{"scheme's own parse error", "testmaterial", map[string]any{"sum": "zz"}, "", ErrMalformed},
		{"unknown kind", "testnosuchscheme", map[string]any{"sum": sha256Hex(pw)}, "", ErrUnsupported},
		{"empty kind", "", map[string]any{"sum": sha256Hex(pw)}, "", ErrUnsupported},
		{"prefixed scheme without material", "testscheme", map[string]any{"sum": sha256Hex(pw)}, "", ErrUnsupported},
		{"a built-in format is no kind", "md5_crypt", map[string]any{"sum": sha256Hex(pw)}, "", ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ParseMaterial(tc.kind, tc.material)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || h != nil {
					t.Fatalf("ParseMaterial = %v, %v; want %v", h, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMaterial: %v", err)
			}
			if h.Format() != tc.format {
				t.Errorf("Format = %q, want %q", h.Format(), tc.format)
			}
			if err := h.Verify(ctx, pw); err != nil {
				t.Errorf("Verify = %v", err)
			}
		})
	}
	t.Run("unregistered", func(t *testing.T) {
		withRegistry(t)
		if _, err := ParseMaterial("testmaterial", map[string]any{"sum": sha256Hex(pw)}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("ParseMaterial = %v, want ErrUnsupported", err)
		}
		if got := MaterialSchemes(); len(got) != 0 {
			t.Errorf("MaterialSchemes = %v", got)
		}
	})
}
