package keycloakhash

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

// vector is one credential of testdata/vectors.json with its password.
type vector struct {
	Name       string         `json:"name"`
	Source     string         `json:"source"`
	Password   string         `json:"password"`
	Credential map[string]any `json:"credential"`
}

// loadVectors reads testdata/vectors.json (see testdata/README.md for each vector's origin).
func loadVectors(t testing.TB) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Published []vector `json:"published"`
		Flat      []vector `json:"published_legacy_flat_format"`
		Own       []vector `json:"own"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber() // as records are decoded
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var out []vector
	for i, v := range doc.Published {
		v.Name = "published/" + v.Password
		if i == 0 {
			v.Name = "published/migration-realm-26.6.0 offline-test-user"
		}
		out = append(out, v)
	}
	for _, v := range doc.Flat {
		v.Name = "flat/" + v.Password
		out = append(out, v)
	}
	for _, v := range doc.Own {
		v.Name = "own/" + v.Name
		out = append(out, v)
	}
	return out
}

// wantFormat is each vector's report name and whether Auth0 imports it.
var wantFormat = map[string]struct {
	format     string
	importable bool
}{
	"published/migration-realm-26.6.0 offline-test-user": {"keycloak_pbkdf2_sha256", true},
	"published/user1":                       {"keycloak_pbkdf2_sha256", true},
	"published/password":                    {"keycloak_argon2id", true},
	"flat/demo":                             {"keycloak_pbkdf2", true},
	"flat/admin":                            {"keycloak_pbkdf2_sha256", true},
	"own/pbkdf2-sha1-kc24-default":          {"keycloak_pbkdf2", true},
	"own/pbkdf2-sha1-kc23-default":          {"keycloak_pbkdf2", true},
	"own/pbkdf2-sha256-kc24-default":        {"keycloak_pbkdf2_sha256", true},
	"own/pbkdf2-sha256-legacy-27500-256bit": {"keycloak_pbkdf2_sha256", true},
	"own/pbkdf2-sha256-legacy-27500-512bit": {"keycloak_pbkdf2_sha256", true},
	"own/pbkdf2-sha512-kc24-default":        {"keycloak_pbkdf2_sha512", true},
	"own/pbkdf2-sha512-kc23-default":        {"keycloak_pbkdf2_sha512", true},
	"own/argon2id-kc25-default":             {"keycloak_argon2id", true},
	"own/argon2id-non-ascii":                {"keycloak_argon2id", true},
	"own/argon2i-v1.0":                      {"keycloak_argon2i", false},
}

// otpCredential is an OTP credential as exported: Material must skip it.
var otpCredential = map[string]any{"type": "otp", "secretData": `{"value":"KRUGS4ZANFZSAYJAONSWG4TFOQ"}`,
	"credentialData": `{"subType":"totp","digits":6,"counter":0,"period":30,"algorithm":"HmacSHA1"}`}

// parseCredential runs a password credential through the path a migration takes: Material on a
// user's credentials array (an OTP credential first), then Parse.
func parseCredential(cred map[string]any) (legacy.Hash, error) {
	m, err := Material([]any{otpCredential, cred}, nil)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("no password credential")
	}
	return Parse(m)
}

func parseVector(t *testing.T, v vector) legacy.Hash {
	t.Helper()
	return legacytest.MustParse(t, v.Credential, parseCredential)
}

// wantJSON writes the custom_password_hash a credential must translate to, from its fields and
// Auth0's documented PHC strings (without this package's code): PBKDF2 "$pbkdf2-<digest>$i=<n>,
// l=<bytes>$<salt>$<hash>", Argon2 "$argon2<type>$v=19$m=,t=,p=$<salt>$<hash>", B64 unpadded.
func wantJSON(t *testing.T, cred map[string]any) string {
	t.Helper()
	var sd struct{ Value, Salt string }
	var cd struct {
		HashIterations       int
		Algorithm            string
		AdditionalParameters map[string][]string
	}
	if s, ok := cred["secretData"].(string); ok {
		json.Unmarshal([]byte(s), &sd)
		json.Unmarshal([]byte(cred["credentialData"].(string)), &cd)
	} else {
		sd.Value, sd.Salt, cd.Algorithm = cred["hashedSaltedValue"].(string), cred["salt"].(string), cred["algorithm"].(string)
		n, _ := cred["hashIterations"].(json.Number).Int64()
		cd.HashIterations = int(n)
	}
	raw := func(b64 string) string { return strings.TrimRight(b64, "=") }
	dec, _ := base64.StdEncoding.DecodeString(sd.Value)
	var phc string
	switch cd.Algorithm {
	case "pbkdf2", "pbkdf2-sha256", "pbkdf2-sha512":
		digest := map[string]string{"pbkdf2": "sha1", "pbkdf2-sha256": "sha256", "pbkdf2-sha512": "sha512"}[cd.Algorithm]
		phc = fmt.Sprintf("$pbkdf2-%s$i=%d,l=%d$%s$%s", digest, cd.HashIterations, len(dec), raw(sd.Salt), raw(sd.Value))
		return `{"algorithm":"pbkdf2","hash":{"value":"` + phc + `","encoding":"utf8"}}`
	case "argon2":
		p := cd.AdditionalParameters
		phc = fmt.Sprintf("$argon2%s$v=19$m=%s,t=%d,p=%s$%s$%s", p["type"][0], p["memory"][0], cd.HashIterations, p["parallelism"][0], raw(sd.Salt), raw(sd.Value))
		return `{"algorithm":"argon2","hash":{"value":"` + phc + `","encoding":"utf8"}}`
	}
	t.Fatalf("no translation for %s", cd.Algorithm)
	return ""
}

// knownAnswers are the vectors of testdata/vectors.json as legacytest vectors.
func knownAnswers(t *testing.T) []legacytest.Vector[map[string]any] {
	t.Helper()
	var out []legacytest.Vector[map[string]any]
	for _, v := range loadVectors(t) {
		want, ok := wantFormat[v.Name]
		if !ok {
			t.Fatalf("%s: no expectation", v.Name)
		}
		lv := legacytest.Vector[map[string]any]{Name: v.Name, Stored: v.Credential, Password: v.Password, Format: want.format}
		if want.importable {
			lv.WantJSON = wantJSON(t, v.Credential)
		} else {
			lv.WantUnimportable = true
		}
		out = append(out, lv)
	}
	if len(out) != len(wantFormat) {
		t.Fatalf("%d vectors, %d expectations", len(out), len(wantFormat))
	}
	return out
}

// TestVectors: every known-answer credential (Keycloak's own test fixture, third-party exports,
// self-generated; testdata/README.md) parses to its format, verifies its password and refuses a
// mutated one, and translates exactly to Auth0's PHC string, which auth0hash verifies (or is
// unimportable: Argon2 version 1.0).
func TestVectors(t *testing.T) {
	legacytest.RunVectors(t, knownAnswers(t), parseCredential)
}

// TestRoundTripAuth0: each translation, checked through auth0hash, accepts the password and
// refuses a mutated one (but Keycloak 24's PBKDF2-SHA1 default, 1,300,000 iterations over four
// blocks, which TestVectors already verifies through auth0hash).
func TestRoundTripAuth0(t *testing.T) {
	var vs []legacytest.Vector[map[string]any]
	for _, v := range knownAnswers(t) {
		if v.Name != "own/pbkdf2-sha1-kc24-default" {
			vs = append(vs, v)
		}
	}
	legacytest.RunRoundTrip(t, vs, parseCredential)
}

// TestCanceled: Verify does nothing expensive once the context is cancelled.
func TestCanceled(t *testing.T) {
	legacytest.CheckCanceled(t, knownAnswers(t), parseCredential)
}

// TestBoundsOfVectors: every vector is within the bounds Verify computes (Keycloak's defaults,
// 1,300,000 PBKDF2-SHA1 iterations over 4 blocks included).
func TestBoundsOfVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		if err := legacy.CheckBounds(parseVector(t, v)); err != nil {
			t.Errorf("%s: %v", v.Name, err)
		}
	}
}

// decodeJSON decodes a JSON value as a record's decoder does (numbers as json.Number).
func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

const (
	fixSecret = `{\"value\":\"kNwotFPNeuwelpT1HWt+E4ONXFK6wjd+h0zbzNBRGwOqacAjeY7vYN9QZQ46DlEKSdn04cEU/3RvX8WPcRegxg==\",\"salt\":\"rEIJDbs+BQqpx31v8mONWA==\"}`
	fixData   = `{\"hashIterations\":27500,\"algorithm\":\"pbkdf2-sha256\",\"additionalParameters\":{}}`
	fixCred   = `{"id":"b22fe342-e3b6-4e31-a76c-7f7ffdeb83ab","type":"password","createdDate":1570002786025,"secretData":"` + fixSecret + `","credentialData":"` + fixData + `"}`
	fixWant   = `{"credentialData":"` + fixData + `","secretData":"` + fixSecret + `"}`
	otpCred   = `{"id":"o1","type":"otp","userLabel":"Phone","secretData":"{\"value\":\"KRUGS4ZANFZSAYJAONSWG4TFOQ\"}","credentialData":"{\"subType\":\"totp\",\"digits\":6,\"period\":30,\"algorithm\":\"HmacSHA1\"}"}`
	flatCred  = `{"type":"password","hashedSaltedValue":"4pf9K2jWSCcHC+CwsZP/qidN5pSmDUe6AX6wBerSGdBVKkExay8MWKx+EKmaaObZW6FVsD8vdW/ZsyUFD9gJ1Q==","salt":"1/qNkZ5kr77jOMOBPBogGw==","hashIterations":27500,"counter":0,"algorithm":"pbkdf2-sha256","digits":0,"period":0,"createdDate":1505479429154}`
	flatWant  = `{"algorithm":"pbkdf2-sha256","hashIterations":27500,"hashedSaltedValue":"4pf9K2jWSCcHC+CwsZP/qidN5pSmDUe6AX6wBerSGdBVKkExay8MWKx+EKmaaObZW6FVsD8vdW/ZsyUFD9gJ1Q==","salt":"1/qNkZ5kr77jOMOBPBogGw=="}`
)

// TestMaterial covers the shapes Material's doc comment lists: the first password credential of
// the credentials array with only its password keys (an OTP credential before it skipped), one
// credential object, no password credential (nil), and errors for what is no credentials array
// or holds a clear-text password. Each material parses (Parse and legacy.ParseMaterial under the
// scheme's name, also after a JSON round trip as a lazy profile stores it) and verifies.
func TestMaterial(t *testing.T) {
	for _, tc := range []struct {
		name     string
		v        string // what the password rule reads, as JSON
		want     string // the material, as JSON ("null": no password), or
		err      string // a substring of the error
		password string // the material's password
	}{
		{name: "an export's credentials, OTP first", v: `[` + otpCred + `,` + fixCred + `]`, want: fixWant, password: "password2"},
		{name: "the first of two password credentials", v: `[` + fixCred + `,` + flatCred + `]`, want: fixWant, password: "password2"},
		{name: "one credential object", v: fixCred, want: fixWant, password: "password2"},
		{name: "one credential object without a type", v: `{"secretData":"` + fixSecret + `","credentialData":"` + fixData + `"}`, want: fixWant, password: "password2"},
		{name: "a pre-10 flat credential", v: `[` + flatCred + `]`, want: flatWant, password: "admin"},
		{name: "no password credential (OTP only)", v: `[` + otpCred + `]`, want: `null`},
		{name: "no credentials", v: `[]`, want: `null`},
		{name: "one OTP credential object", v: otpCred, want: `null`},
		{name: "a credential that is not an object", v: `[` + fixCred + `,"password"]`, want: fixWant, password: "password2"},
		{name: "a non-object before the password", v: `["password",` + fixCred + `]`, err: "credentials[0] is a string"},
		{name: "not an array", v: `"kNwotFPN"`, err: "want Keycloak credentials"},
		{name: "a clear-text value (a realm file written for import)", v: `[{"type":"password","value":"s3cret","temporary":false}]`, err: "clear-text value"},
		{name: "a password credential without material", v: `[{"type":"password","userLabel":"x"}]`, err: "neither secretData"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Material(decodeJSON(t, tc.v), nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(m)
			if string(got) != tc.want {
				t.Fatalf("material %s, want %s", got, tc.want)
			}
			if m == nil {
				return
			}
			var stored map[string]any // as the store gives it back: plain JSON numbers
			json.Unmarshal(got, &stored)
			for _, mm := range []map[string]any{m, stored} {
				h, err := legacy.ParseMaterial(Scheme, mm)
				if err != nil {
					t.Fatalf("ParseMaterial: %v", err)
				}
				if err := h.Verify(context.Background(), tc.password); err != nil {
					t.Fatalf("Verify: %v", err)
				}
			}
		})
	}
}

// cred builds a password credential with the given secretData and credentialData
// documents (as JSON text, stored as strings the way Keycloak exports them).
func cred(secret, data string) map[string]any {
	return map[string]any{"type": "password", "secretData": secret, "credentialData": data}
}

const (
	argonParams = `{"hashLength":["32"],"memory":["7168"],"type":["id"],"version":["1.3"],"parallelism":["1"]}`
	argonSecret = `{"value":"nP0LZ1DFGlBMjW40AradFQ6D3AXXCCgwHAAsbO5XGZc=","salt":"QEFCQ0RFRkdISUpLTE1OTw==","additionalParameters":{}}`
)

// TestParse covers what Parse accepts beyond the vectors and what it refuses: each refusal wraps
// legacy.ErrMalformed (the user is rejected invalid_password_hash), an unknown provider parses
// to an unsupported hash (lazy migration, unverifiable), costs beyond the bounds are refused by
// legacy.CheckBounds, and Argon2 below Auth0's minimum lengths goes to lazy migration.
func TestParse(t *testing.T) {
	pbkdf2Data := func(iter string) string {
		return `{"hashIterations":` + iter + `,"algorithm":"pbkdf2-sha256","additionalParameters":{}}`
	}
	fixS := strings.ReplaceAll(fixSecret, `\"`, `"`)
	argon := func(params string, iter string) string {
		return `{"hashIterations":` + iter + `,"algorithm":"argon2","additionalParameters":` + params + `}`
	}
	for _, tc := range []struct {
		name      string
		m         map[string]any
		malformed string // a substring of an ErrMalformed error, or
		format    string // the format parsed to
		password  string // verified when set
		unsupp    bool   // Verify gives ErrUnsupported
		bounds    bool   // legacy.CheckBounds refuses it
		unimp     bool   // Auth0 gives ErrUnimportable
	}{
		{name: "decoded documents (objects, not strings)", format: "keycloak_pbkdf2_sha256", password: "password2",
			m: map[string]any{"secretData": decodeJSON(t, fixS), "credentialData": decodeJSON(t, strings.ReplaceAll(fixData, `\"`, `"`))}},
		{name: "algorithmData, the constructor's name of additionalParameters", format: "keycloak_argon2id", password: "Correct-Horse-9",
			m: cred(argonSecret, `{"hashIterations":5,"algorithm":"argon2","algorithmData":`+argonParams+`}`)},
		{name: "argon2 parameters as bare strings and numbers", format: "keycloak_argon2id", password: "Correct-Horse-9",
			m: cred(argonSecret, argon(`{"hashLength":32,"memory":"7168","type":"id","version":"1.3","parallelism":[1]}`, "5"))},
		{name: "hashIterations as a string", format: "keycloak_pbkdf2_sha256", password: "password2",
			m: cred(fixS, pbkdf2Data(`"27500"`))},
		{name: "unpadded base64", format: "keycloak_pbkdf2_sha256", password: "password2",
			m: cred(strings.ReplaceAll(fixS, "=", ""), pbkdf2Data("27500"))},
		{name: "an unknown provider", format: "keycloak_unknown", unsupp: true, unimp: true,
			m: cred(fixS, `{"hashIterations":1,"algorithm":"my-custom-sha3"}`)},
		{name: "the bcrypt community provider", format: "keycloak_bcrypt", password: "NotSecure",
			m: cred(`{"value":"$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy","salt":""}`, `{"hashIterations":10,"algorithm":"bcrypt"}`)},
		{name: "the bcrypt provider with something else", format: "keycloak_bcrypt", unsupp: true, unimp: true,
			m: cred(`{"value":"c2FsdA==","salt":""}`, `{"hashIterations":10,"algorithm":"bcrypt"}`)},
		{name: "argon2 with a 4-byte salt is lazy", format: "keycloak_argon2id", unimp: true,
			m: cred(`{"value":"nP0LZ1DFGlBMjW40AradFQ6D3AXXCCgwHAAsbO5XGZc=","salt":"QEFCQw=="}`, argon(argonParams, "5"))},
		{name: "argon2 with an 8-byte hash is lazy", format: "keycloak_argon2id", unimp: true,
			m: cred(`{"value":"nP0LZ1DFGlA=","salt":"QEFCQ0RFRkdISUpLTE1OTw=="}`, argon(strings.Replace(argonParams, `"32"`, `"8"`, 1), "5"))},
		{name: "argon2d is lazy", format: "keycloak_argon2d", unimp: true,
			m: cred(argonSecret, argon(strings.Replace(argonParams, `["id"]`, `["d"]`, 1), "5"))},
		{name: "pbkdf2 beyond the work bound", format: "keycloak_pbkdf2_sha256", bounds: true,
			m: cred(fixS, pbkdf2Data("20000000"))},
		{name: "argon2 beyond the pass bound", format: "keycloak_argon2id", bounds: true,
			m: cred(argonSecret, argon(argonParams, "99"))},
		{name: "argon2 beyond the memory bound", format: "keycloak_argon2id", bounds: true,
			m: cred(argonSecret, argon(strings.Replace(argonParams, `"7168"`, `"4194304"`, 1), "5"))},

		{name: "secretData without credentialData", m: map[string]any{"secretData": fixS}, malformed: "only one of secretData and credentialData"},
		{name: "secretData not JSON", m: cred(`{"value":`, pbkdf2Data("1")), malformed: "secretData is not a JSON object"},
		{name: "secretData a number", m: map[string]any{"secretData": json.Number("1"), "credentialData": pbkdf2Data("1")}, malformed: "secretData is a number"},
		{name: "two documents in secretData", m: cred(fixS+fixS, pbkdf2Data("1")), malformed: "secretData is not a JSON object"},
		{name: "no value", m: cred(`{"salt":"c2FsdA=="}`, pbkdf2Data("1")), malformed: "secretData has no value"},
		{name: "no hashIterations", m: cred(fixS, `{"algorithm":"pbkdf2"}`), malformed: "no hashIterations"},
		{name: "hashIterations 0", m: cred(fixS, pbkdf2Data("0")), malformed: "positive integer"},
		{name: "hashIterations -5", m: cred(fixS, pbkdf2Data("-5")), malformed: "positive integer"},
		{name: "hashIterations 2.5", m: cred(fixS, pbkdf2Data("2.5")), malformed: "positive integer"},
		{name: "hashIterations beyond a Java int", m: cred(fixS, pbkdf2Data("4294967296")), malformed: "positive integer"},
		{name: "hashIterations a list", m: cred(fixS, pbkdf2Data("[1]")), malformed: "credentialData is not a JSON object"},
		{name: "no algorithm", m: cred(fixS, `{"hashIterations":1}`), malformed: "names no algorithm"},
		{name: "no salt", m: cred(`{"value":"kNwo"}`, pbkdf2Data("1")), malformed: "no salt"},
		{name: "the no-salt placeholder", m: cred(`{"value":"kNwo","salt":"__SALT__"}`, pbkdf2Data("1")), malformed: "no salt"},
		{name: "value not base64", m: cred(`{"value":"k!wo","salt":"c2FsdA=="}`, pbkdf2Data("1")), malformed: "value is not base64"},
		{name: "empty value", m: cred(`{"value":"","salt":"c2FsdA=="}`, pbkdf2Data("1")), malformed: "value is not base64"},
		{name: "salt not base64", m: cred(`{"value":"kNwo","salt":"%%"}`, pbkdf2Data("1")), malformed: "salt is not base64"},
		{name: "argon2 without type", m: cred(argonSecret, argon(`{"hashLength":["32"],"memory":["7168"],"version":["1.3"],"parallelism":["1"]}`, "5")), malformed: "type"},
		{name: "argon2 version 1.2", m: cred(argonSecret, argon(strings.Replace(argonParams, "1.3", "1.2", 1), "5")), malformed: "version"},
		{name: "argon2 without memory", m: cred(argonSecret, argon(`{"hashLength":["32"],"type":["id"],"version":["1.3"],"parallelism":["1"]}`, "5")), malformed: "memory"},
		{name: "argon2 hashLength not the value's", m: cred(argonSecret, argon(strings.Replace(argonParams, `"32"`, `"64"`, 1), "5")), malformed: "hashLength says 64"},
		{name: "argon2 memory below 8 × parallelism", m: cred(argonSecret, argon(strings.Replace(strings.Replace(argonParams, `["1"]`, `["16"]`, 1), `"7168"`, `"64"`, 1), "5")), malformed: "argon2"},
		{name: "argon2 parameters not strings", m: cred(argonSecret, argon(`{"type":[{"a":1}]}`, "5")), malformed: "credentialData is not a JSON object"},
		{name: "flat shape without a value", m: map[string]any{"salt": "c2FsdA==", "hashIterations": 1.0, "algorithm": "pbkdf2"}, malformed: "no hashedSaltedValue"},
		{name: "flat shape, salt a number", m: map[string]any{"hashedSaltedValue": "kNwo", "salt": 1.0, "hashIterations": 1.0, "algorithm": "pbkdf2"}, malformed: "salt is a number"},
		{name: "flat shape, no iterations", m: map[string]any{"hashedSaltedValue": "kNwo", "salt": "c2FsdA==", "algorithm": "pbkdf2"}, malformed: "hashIterations is null"},
		{name: "a huge value", m: cred(`{"value":"`+strings.Repeat("A", maxField+4)+`","salt":"c2FsdA=="}`, pbkdf2Data("1")), malformed: "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Parse(tc.m)
			if tc.malformed != "" {
				if !errors.Is(err, legacy.ErrMalformed) || !strings.Contains(err.Error(), tc.malformed) || h != nil {
					t.Fatalf("Parse: %v %v, want ErrMalformed with %q", h, err, tc.malformed)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if h.Format() != tc.format {
				t.Errorf("format %q, want %q", h.Format(), tc.format)
			}
			if err := legacy.CheckBounds(h); (err != nil) != tc.bounds || (err != nil && !errors.Is(err, legacy.ErrOutOfBounds)) {
				t.Errorf("CheckBounds: %v, want refused %v", err, tc.bounds)
			}
			if tc.password != "" {
				if err := h.Verify(context.Background(), tc.password); err != nil {
					t.Errorf("Verify: %v", err)
				}
			}
			if tc.unsupp {
				if err := h.Verify(context.Background(), "x"); !errors.Is(err, legacy.ErrUnsupported) {
					t.Errorf("Verify: %v, want ErrUnsupported", err)
				}
				if legacy.Unverifiable(h) == "" {
					t.Error("Unverifiable says it can be verified")
				}
			}
			if _, _, err := h.Auth0(); errors.Is(err, legacy.ErrUnimportable) != tc.unimp {
				t.Errorf("Auth0: %v, want unimportable %v", err, tc.unimp)
			}
		})
	}
}

// TestScheme: the scheme is registered under its name with its material functions, so mappings
// may name it and the hook reads stored material.
func TestScheme(t *testing.T) {
	s, ok := legacy.SchemeNamed(Scheme)
	if !ok || s.Material == nil || s.ParseMaterial == nil || s.Prefix != "" {
		t.Fatalf("scheme %+v", s)
	}
	found := false
	for _, n := range legacy.MaterialSchemes() {
		found = found || n == Scheme
	}
	if !found {
		t.Fatal("not listed in MaterialSchemes")
	}
}
