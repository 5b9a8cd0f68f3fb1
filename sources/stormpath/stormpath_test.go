package stormpath

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"hash"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/usher-migrate/usher/pipeline"
)

// rec is one emitted record, decoded.
type rec struct {
	pos  string
	raw  []byte
	err  error
	obj  map[string]any
	Pos  pipeline.Position
	line string // "pos id" or "pos ERR"
}

func readAll(t testing.TB, ins ...string) []rec {
	t.Helper()
	src, err := New(pipeline.SourceConfig{Inputs: ins})
	if err != nil {
		t.Fatal(err)
	}
	var out []rec
	err = src.Read(context.Background(), func(r pipeline.RawRecord) error {
		g := rec{pos: r.Pos.String(), Pos: r.Pos, raw: r.Data, err: r.Err}
		if r.Err == nil {
			m, err := src.Decode(&r)
			if err != nil {
				t.Fatalf("%s: Decode: %v", g.pos, err)
			}
			g.obj = m
		} else if r.Data != nil {
			t.Fatalf("%s: error record with data", g.pos)
		}
		out = append(out, g)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tree writes files (slash paths relative to dir) and returns dir.
func tree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// summary renders records as "relpos id" (or "relpos ERR") for compact comparisons.
func summary(root string, recs []rec) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		p := filepath.ToSlash(strings.TrimPrefix(r.pos, root+string(filepath.Separator)))
		if r.err != nil {
			out[i] = p + " ERR"
		} else {
			out[i] = p + " " + str(r.obj["id"])
		}
	}
	return out
}

func byID(t testing.TB, recs []rec, id string) map[string]any {
	t.Helper()
	for _, r := range recs {
		if r.obj != nil && r.obj["id"] == id {
			return r.obj
		}
	}
	t.Fatalf("no record with id %s", id)
	return nil
}

func groupNames(m map[string]any) []string {
	gs, _ := m["groups"].([]any)
	var out []string
	for _, g := range gs {
		out = append(out, str(g.(map[string]any)["name"]))
	}
	return out
}

func noneContains(t testing.TB, recs []rec, secrets ...string) {
	t.Helper()
	for _, r := range recs {
		for _, s := range secrets {
			if bytes.Contains(r.raw, []byte(s)) || (r.err != nil && strings.Contains(r.err.Error(), s)) {
				t.Errorf("%s: emitted secret %q", r.pos, s)
			}
		}
	}
}

func TestNew(t *testing.T) {
	dir := tree(t, map[string]string{"t/accounts/a.json": `{"id":"a"}`, "only/groups/g.json": `{"id":"g"}`})
	cases := []struct {
		name    string
		cfg     pipeline.SourceConfig
		wantErr string
	}{
		{"tenant folder", pipeline.SourceConfig{Inputs: []string{filepath.Join(dir, "t")}}, ""},
		{"parent of tenants", pipeline.SourceConfig{Inputs: []string{dir}}, ""},
		{"accounts folder", pipeline.SourceConfig{Inputs: []string{filepath.Join(dir, "t", "accounts")}}, ""},
		{"named account file", pipeline.SourceConfig{Inputs: []string{filepath.Join(dir, "t", "accounts", "a.json")}}, ""},
		{"unknown option", pipeline.SourceConfig{Inputs: []string{dir}, Options: map[string]string{"skip-directories": "x"}}, "unknown option"},
		{"no inputs", pipeline.SourceConfig{}, "no --input"},
		{"missing input", pipeline.SourceConfig{Inputs: []string{filepath.Join(dir, "nope")}}, "nope"},
		{"no accounts", pipeline.SourceConfig{Inputs: []string{filepath.Join(dir, "only")}}, "no account files"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg)
			if c.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("error %v, want %q", err, c.wantErr)
			}
		})
	}
}

func TestLayoutAFixture(t *testing.T) {
	root := filepath.Join("testdata", "layout-a")
	recs := readAll(t, root)
	want := []string{
		"7Hkq2e5cVY4b6M8wPgMEXf/accounts/3apenYvL0Z9v9spexaMple.json:1 3apenYvL0Z9v9spexaMple",
		"7Hkq2e5cVY4b6M8wPgMEXf/accounts/4RikerW1lliamThomasRkr.json:1 4RikerW1lliamThomasRkr",
		"7Hkq2e5cVY4b6M8wPgMEXf/accounts/7GuinanElAurianBarXyz1.json:1 7GuinanElAurianBarXyz1",
	}
	if got := summary(root, recs); !reflect.DeepEqual(got, want) {
		t.Fatalf("records\n got %q\nwant %q", got, want)
	}
	noneContains(t, recs, "LayoutA-fixture-apikey-secret-9f8e7d6c5b4a", "1GUINANAPIKEYIDX0ABCD")
	g := byID(t, recs, "7GuinanElAurianBarXyz1")
	if _, ok := g["apiKeys"]; ok {
		t.Error("apiKeys kept")
	}
	if got := groupNames(g); !reflect.DeepEqual(got, []string{"bar"}) {
		t.Errorf("groups %v", got)
	}
	wantGroup := map[string]any{"id": "4bTenFwdStaffGroupXyZq", "name": "bar", "description": "Ten Forward staff",
		"status": "ENABLED", "href": "https://api.stormpath.com/v1/groups/4bTenFwdStaffGroupXyZq"}
	if got := g["groups"].([]any)[0]; !reflect.DeepEqual(got, wantGroup) {
		t.Errorf("group %v", got)
	}
	d := g["directory"].(map[string]any)
	if d["name"] != "Captains" || d["createdAt"] != "2015-08-25T19:50:00.000000+00:00" {
		t.Errorf("directory %v", d)
	}
	p := byID(t, recs, "3apenYvL0Z9v9spexaMple")
	cd := p["customData"].(map[string]any)
	if cd["rank"] != "Captain" || cd["preferences"].(map[string]any)["favoriteColor"] != "red" || p["middleName"] != nil {
		t.Errorf("picard %v", p)
	}
	if _, ok := p["middleName"]; !ok {
		t.Error("null middleName dropped")
	}
}

func TestLayoutBFixture(t *testing.T) {
	root := filepath.Join("testdata", "layout-b")
	recs := readAll(t, root)
	acc := "4zZBpnjp2m2JJ4BqrUiEGw/accounts/"
	want := []string{
		acc + "1TroiGoogleSocialAcct7.json:1 1TroiGoogleSocialAcct7",
		acc + "2GoogPicardSocialAcct9.json:1 8LJuP3l2Lke9XWL4Vpie3o",
		acc + "3BarclayUnsaltedMD5Ac6.json:1 3BarclayUnsaltedMD5Ac6",
		acc + "4RikerImportedMD5Acct1.json:1 4RikerImportedMD5Acct1",
		acc + "5DataSoongSha512Acct22.json:1 5DataSoongSha512Acct22",
		acc + "6WorfIterSha256Acct333.json:1 6WorfIterSha256Acct333",
		acc + "7CrusherBcrypt2aAcct44.json:1 7CrusherBcrypt2aAcct44",
		acc + "9CrusherDupImportAcct5.json:1 9CrusherDupImportAcct5",
	}
	if got := summary(root, recs); !reflect.DeepEqual(got, want) {
		t.Fatalf("records\n got %q\nwant %q", got, want)
	}
	noneContains(t, recs,
		"LayoutB-directory-google-client-secret-77aa", "LayoutB-provider-google-client-secret-88bb",
		"318274502216-fixture", "LayoutB-apikey-secret-3c3c-never-copied",
		"ya29.LayoutB-google-access-token-0c0c", "ya29.LayoutB-google-access-token-1d1d",
		"LayoutB-email-verification-token-5e5e", "redirectUri")

	picard := byID(t, recs, "8LJuP3l2Lke9XWL4Vpie3o")
	if picard["password"] != "$stormpath1$c2FsdHNhbHRzYWx0c2FsdA==$dl/CTlnd183wZqv1lUJGxxQLZsEA3tHngA9DPajn+XQ=" ||
		picard["email"] != "captain@enterprise.com" || picard["externalId"] != nil {
		t.Errorf("merged picard %v", picard)
	}
	wantMerged := []any{map[string]any{"id": "2GoogPicardSocialAcct9",
		"href":      "https://api.stormpath.com/v1/accounts/2GoogPicardSocialAcct9",
		"directory": map[string]any{"id": "2kPWJ7wK0tnmG4yyB7gZQn", "name": "Google Login"}}}
	if !reflect.DeepEqual(picard["mergedAccounts"], wantMerged) {
		t.Errorf("mergedAccounts %v", picard["mergedAccounts"])
	}
	cd := picard["customData"].(map[string]any)
	if cd["rank"] != "Captain" || cd["locale"] != "fr-FR" {
		t.Errorf("customData %v", cd)
	}
	if got := groupNames(picard); !reflect.DeepEqual(got, []string{"officers"}) {
		t.Errorf("picard groups %v", got)
	}
	wantDir := map[string]any{"id": "5LInED46hB6nv9auaOrIYW", "name": "Starfleet Users", "description": "Cloud directory for crew",
		"status": "ENABLED", "href": "https://api.stormpath.com/v1/directories/5LInED46hB6nv9auaOrIYW",
		"provider": map[string]any{"providerId": "stormpath"}}
	if !reflect.DeepEqual(picard["directory"], wantDir) {
		t.Errorf("directory %v", picard["directory"])
	}
	troi := byID(t, recs, "1TroiGoogleSocialAcct7")
	if p := troi["directory"].(map[string]any)["provider"]; !reflect.DeepEqual(p, map[string]any{"providerId": "google"}) {
		t.Errorf("troi provider %v", p)
	}
	if _, ok := troi["password"]; ok {
		t.Error("social account got a password")
	}
	if pd := troi["providerData"].(map[string]any); pd["providerId"] != "google" || pd["accessToken"] != nil {
		t.Errorf("providerData %v", pd)
	}
	crusher := byID(t, recs, "7CrusherBcrypt2aAcct44")
	if _, ok := crusher["emailVerificationToken"]; ok {
		t.Error("emailVerificationToken kept")
	}
	if crusher["status"] != "UNVERIFIED" || crusher["emailVerificationStatus"] != "UNVERIFIED" {
		t.Errorf("crusher %v", crusher)
	}
	if got := groupNames(byID(t, recs, "9CrusherDupImportAcct5")); !reflect.DeepEqual(got, []string{"medical"}) {
		t.Errorf("dup groups %v", got)
	}
	if _, ok := byID(t, recs, "5DataSoongSha512Acct22")["groups"]; ok {
		t.Error("groups key on an account without groups")
	}
	for _, r := range recs {
		if _, ok := r.obj["linkedAccounts"]; ok {
			t.Errorf("%s: linkedAccounts", r.pos)
		}
	}
}

// TestFixturePlaintexts checks the passwords documented in testdata/layout-b/PLAINTEXTS.md.
func TestFixturePlaintexts(t *testing.T) {
	recs := readAll(t, filepath.Join("testdata", "layout-b"))
	plain := map[string]string{
		"8LJuP3l2Lke9XWL4Vpie3o": "Password1!",
		"3BarclayUnsaltedMD5Ac6": "123456",
		"4RikerImportedMD5Acct1": "123456",
		"5DataSoongSha512Acct22": "testing12",
		"6WorfIterSha256Acct333": "Qapla'2017",
		"7CrusherBcrypt2aAcct44": "NotSecure",
		"9CrusherDupImportAcct5": "qwerty",
	}
	for id, pw := range plain {
		t.Run(id, func(t *testing.T) {
			mcf := str(byID(t, recs, id)["password"])
			if ok, err := verify(mcf, pw); !ok {
				t.Errorf("%s does not verify %q (%v)", mcf, pw, err)
			}
			if ok, _ := verify(mcf, pw+"x"); ok {
				t.Errorf("%s verifies a wrong password", mcf)
			}
		})
	}
}

// verify checks a Stormpath MCF password: stormpath1 (HMAC-SHA256 keyed by the salt), stormpath2
// (Shiro: H(salt‖pw), then ITER−1 times H(h)) or bcrypt.
func verify(mcf, pw string) (bool, error) {
	parts := strings.Split(mcf, "$")
	switch {
	case strings.HasPrefix(mcf, "$stormpath1$") && len(parts) == 4:
		key, err := base64.StdEncoding.DecodeString(parts[2])
		if err != nil {
			return false, err
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte(pw))
		return base64.StdEncoding.EncodeToString(m.Sum(nil)) == parts[3], nil
	case strings.HasPrefix(mcf, "$stormpath2$") && len(parts) == 6:
		news := map[string]func() hash.Hash{"MD5": md5.New, "SHA-1": sha1.New, "SHA-256": sha256.New, "SHA-512": sha512.New}
		newH, ok := news[parts[2]]
		iter, err := strconv.Atoi(parts[3])
		if !ok || err != nil || iter < 1 {
			return false, errors.New("bad stormpath2 parameters")
		}
		salt, err := base64.StdEncoding.DecodeString(parts[4])
		if err != nil {
			return false, err
		}
		h := newH()
		h.Write(salt)
		h.Write([]byte(pw))
		sum := h.Sum(nil)
		for i := 1; i < iter; i++ {
			h.Reset()
			h.Write(sum)
			sum = h.Sum(nil)
		}
		return base64.StdEncoding.EncodeToString(sum) == parts[5], nil
	case strings.HasPrefix(mcf, "$2"):
		return bcrypt.CompareHashAndPassword([]byte(mcf), []byte(pw)) == nil, nil
	}
	return false, errors.New("unknown format")
}

func TestLayoutBAccountFolders(t *testing.T) {
	rel := map[string]string{
		"T/directories/D1.json": `{"id":"D1","name":"Users","status":"ENABLED","href":"https://api.stormpath.com/v1/directories/D1",
			"provider":{"href":"https://api.stormpath.com/v1/directories/D1/provider"}}`,
		"T/providers/D1.json":           `{"href":"https://api.stormpath.com/v1/directories/D1/provider","providerId":"stormpath"}`,
		"T/groups/G1.json":              `{"id":"G1","name":"admins","status":"ENABLED","directory":{"id":"D1"},"createdAt":"x"}`,
		"T/groupMemberships/M1.json":    `{"account":{"id":"A1"},"group":{"href":"https://api.stormpath.com/v1/groups/G1"}}`,
		"T/apiKeys/K1.json":             `{"id":"K1","secret":"api-key-secret-never-read","account":{"id":"A1"}}`,
		"T/passwordPolicies/P1.json":    `not even json`,
		"T/applications/X.json":         `{"id":"X"}`,
		"T/organizations/O.json":        `{"id":"O"}`,
		"T/userInfoMappingRules/U.json": `{"id":"U"}`,
	}
	a1 := `{"id":"A1","email":"a1@x.io","password":"$stormpath1$c2FsdHNhbHRzYWx0c2FsdA==$dl/CTlnd183wZqv1lUJGxxQLZsEA3tHngA9DPajn+XQ=","directory":{"id":"D1"}}`
	a2 := `{"href":"https://api.stormpath.com/v1/accounts/A2","email":"a2@x.io","password":"$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"}`
	cases := []struct {
		name     string
		accounts map[string]string
		wantPos  []string
	}{
		{"flat", map[string]string{"T/accounts/A1.json": a1, "T/accounts/A2.json": a2},
			[]string{"T/accounts/A1.json:1 A1", "T/accounts/A2.json:1 A2"}},
		{"nested by directory", map[string]string{"T/accounts/D1/A1.json": a1, "T/accounts/D1/A2.json": a2},
			[]string{"T/accounts/D1/A1.json:1 A1", "T/accounts/D1/A2.json:1 A2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range rel {
				files[k] = v
			}
			for k, v := range c.accounts {
				files[k] = v
			}
			root := tree(t, files)
			recs := readAll(t, filepath.Join(root, "T"))
			got := summary(filepath.Join(root), recs)
			if !reflect.DeepEqual(got, c.wantPos) {
				t.Fatalf("records\n got %q\nwant %q", got, c.wantPos)
			}
			noneContains(t, recs, "api-key-secret-never-read")
			r1 := byID(t, recs, "A1")
			if r1["password"] != "$stormpath1$c2FsdHNhbHRzYWx0c2FsdA==$dl/CTlnd183wZqv1lUJGxxQLZsEA3tHngA9DPajn+XQ=" {
				t.Errorf("password %v", r1["password"])
			}
			wantDir := map[string]any{"id": "D1", "name": "Users", "status": "ENABLED",
				"href": "https://api.stormpath.com/v1/directories/D1", "provider": map[string]any{"providerId": "stormpath"}}
			if !reflect.DeepEqual(r1["directory"], wantDir) {
				t.Errorf("directory %v", r1["directory"])
			}
			wantGroups := []any{map[string]any{"id": "G1", "name": "admins", "status": "ENABLED"}}
			if !reflect.DeepEqual(r1["groups"], wantGroups) {
				t.Errorf("groups %v", r1["groups"])
			}
			r2 := byID(t, recs, "A2")
			if r2["password"] != "$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy" {
				t.Errorf("password %v", r2["password"])
			}
			_, hasDir := r2["directory"]
			if nested := c.name != "flat"; hasDir != nested {
				t.Errorf("A2 directory %v (nested=%v): from the folder name only when nested", r2["directory"], nested)
			}
		})
	}
}

func TestDirectorySecrets(t *testing.T) {
	const secret = "client-secret-do-not-copy"
	cases := []struct {
		name    string
		files   map[string]string
		account string
		want    any // directory.provider
	}{
		{"embedded in directory file", map[string]string{
			"T/directories/D.json": `{"id":"D","name":"G","provider":{"providerId":"google","clientId":"cid","clientSecret":"` + secret + `"}}`},
			`{"id":"A","directory":{"id":"D"}}`, map[string]any{"providerId": "google"}},
		{"from providers folder by href", map[string]string{
			"T/directories/D.json": `{"id":"D","provider":{"href":"https://api.stormpath.com/v1/directories/D/provider"}}`,
			"T/providers/P.json":   `{"href":"https://api.stormpath.com/v1/directories/D/provider","providerId":"facebook","clientSecret":"` + secret + `"}`},
			`{"id":"A","directory":{"href":"https://api.stormpath.com/v1/directories/D"}}`, map[string]any{"providerId": "facebook"}},
		{"providers folder named by directory id", map[string]string{
			"T/directories/D.json": `{"id":"D"}`,
			"T/providers/D.json":   `{"providerId":"github","clientSecret":"` + secret + `"}`},
			`{"id":"A","directory":{"id":"D"}}`, map[string]any{"providerId": "github"}},
		{"embedded in the account (layout A)", map[string]string{},
			`{"id":"A","directory":{"id":"D","name":"X","provider":{"providerId":"saml","clientSecret":"` + secret + `","x":1}}}`,
			map[string]any{"providerId": "saml"}},
		{"provider without id dropped", map[string]string{},
			`{"id":"A","directory":{"id":"D","provider":{"clientSecret":"` + secret + `"}}}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"T/accounts/A.json": c.account}
			for k, v := range c.files {
				files[k] = v
			}
			recs := readAll(t, tree(t, files))
			noneContains(t, recs, secret, "clientId", "cid")
			if len(recs) != 1 {
				t.Fatalf("%d records", len(recs))
			}
			d := recs[0].obj["directory"].(map[string]any)
			if d["id"] != "D" || !reflect.DeepEqual(d["provider"], c.want) {
				t.Errorf("directory %v", d)
			}
		})
	}
}

func TestGroups(t *testing.T) {
	files := map[string]string{
		"T/groups/G1.json":          `{"id":"G1","name":"zeta","description":"last","status":"ENABLED","href":"h/G1","secret":"x"}`,
		"T/groups/G2.json":          `{"href":"https://api.stormpath.com/v1/groups/G2","name":"alpha","status":"DISABLED"}`,
		"T/groups/G4.json":          `{"id":"G4","name":"alpha"}`,
		"T/groupMemberships/1.json": `{"account":{"href":"https://api.stormpath.com/v1/accounts/A"},"group":{"href":"https://api.stormpath.com/v1/groups/G2"}}`,
		"T/groupMemberships/2.json": `{"account":{"id":"A"},"group":{"id":"G1"}}`,
		"T/groupMemberships/3.json": `{"account":{"id":"A"},"group":{"id":"G3"}}`,
		"T/groupMemberships/4.json": `{"account":{"id":"A"},"group":{"id":"G4"}}`,
		"T/groupMemberships/5.json": `{"account":{"id":"A"}}`,
		"T/groupMemberships/6.json": `{"items":[{"account":{"id":"B"},"group":{"id":"G1"}}]}`,
		"T/accounts/A.json":         `{"id":"A","groups":[{"id":"G1","name":"zeta","createdAt":"t"},{"href":"https://api.stormpath.com/v1/groups/G5","name":"mu"}]}`,
		"T/accounts/B.json":         `{"id":"B","groups":{"href":"https://api.stormpath.com/v1/accounts/B/groups"}}`,
		"T/accounts/C.json":         `{"id":"C","groups":[]}`,
	}
	recs := readAll(t, tree(t, files))
	want := []any{
		map[string]any{"id": "G2", "name": "alpha", "status": "DISABLED", "href": "https://api.stormpath.com/v1/groups/G2"},
		map[string]any{"id": "G4", "name": "alpha"},
		map[string]any{"id": "G5", "name": "mu", "href": "https://api.stormpath.com/v1/groups/G5"},
		map[string]any{"id": "G1", "name": "zeta", "description": "last", "status": "ENABLED", "href": "h/G1"},
		map[string]any{"id": "G3"},
	}
	// Sorted by name then id: a group only known by id (G3, name "") sorts first.
	want = append(want[len(want)-1:], want[:len(want)-1]...)
	if got := byID(t, recs, "A")["groups"]; !reflect.DeepEqual(got, want) {
		t.Errorf("A groups\n got %v\nwant %v", got, want)
	}
	if got := groupNames(byID(t, recs, "B")); !reflect.DeepEqual(got, []string{"zeta"}) {
		t.Errorf("B groups %v", got)
	}
	if _, ok := byID(t, recs, "C")["groups"]; ok {
		t.Error("C has groups")
	}
}

func TestLinks(t *testing.T) {
	acct := func(id, email, pw, created string, extra string) string {
		s := `{"id":"` + id + `","href":"https://api.stormpath.com/v1/accounts/` + id + `","email":"` + email + `"`
		if pw != "" {
			s += `,"password":"` + pw + `"`
		}
		if created != "" {
			s += `,"createdAt":"` + created + `"`
		}
		return s + extra + `}`
	}
	link := func(l, r string) string {
		return `{"leftAccount":{"id":"` + l + `"},"rightAccount":{"href":"https://api.stormpath.com/v1/accounts/` + r + `"}}`
	}
	cases := []struct {
		name  string
		files map[string]string
		want  []string // summary
		check func(t *testing.T, recs []rec)
	}{
		{"linked same email different case: merged, primary has the password",
			map[string]string{
				"T/accounts/A.json":     acct("A", "Jo@X.io ", "", "2014-01-01T00:00:00Z", `,"givenName":null,"customData":{"k":"a","only":"a"},"externalId":"ext-1","directory":{"id":"DA","name":"Social"}`),
				"T/accounts/B.json":     acct("B", "jo@x.io", "$2a$10$x", "2016-01-01T00:00:00Z", `,"givenName":"Jo","customData":{"k":"b"},"surname":null,"middleName":null`),
				"T/accounts/C.json":     acct("C", "c@x.io", "", "", ""),
				"T/accountLinks/L.json": link("A", "B"),
			},
			[]string{"T/accounts/A.json:1 B", "T/accounts/C.json:1 C"},
			func(t *testing.T, recs []rec) {
				m := byID(t, recs, "B")
				if m["password"] != "$2a$10$x" || m["email"] != "jo@x.io" || m["givenName"] != "Jo" || m["externalId"] != nil {
					t.Errorf("merged %v", m)
				}
				if cd := m["customData"].(map[string]any); cd["k"] != "b" || cd["only"] != "a" {
					t.Errorf("customData %v", cd)
				}
				want := []any{map[string]any{"id": "A", "href": "https://api.stormpath.com/v1/accounts/A",
					"directory": map[string]any{"id": "DA", "name": "Social"}}}
				if !reflect.DeepEqual(m["mergedAccounts"], want) {
					t.Errorf("mergedAccounts %v", m["mergedAccounts"])
				}
				if _, ok := m["directory"]; ok {
					t.Error("primary took a folded account's directory")
				}
				if _, ok := m["linkedAccounts"]; ok {
					t.Error("linkedAccounts on a full merge")
				}
			}},
		{"no password: earliest createdAt (compared as instants, not strings) is primary",
			map[string]string{
				"T/accounts/A.json":     acct("A", "jo@x.io", "", "2016-01-01T00:00:00.5+02:00", ""),
				"T/accounts/B.json":     acct("B", "jo@x.io", "", "2015-12-31T23:00:00Z", ""),
				"T/accountLinks/L.json": link("B", "A"),
			},
			[]string{"T/accounts/A.json:1 A"}, nil},
		{"two passwords, same createdAt: first path is primary",
			map[string]string{
				"T/accounts/A.json":     acct("A", "jo@x.io", "p1", "2016-01-01T00:00:00Z", ""),
				"T/accounts/B.json":     acct("B", "jo@x.io", "p2", "2016-01-01T00:00:00.000Z", ""),
				"T/accountLinks/L.json": link("B", "A"),
			},
			[]string{"T/accounts/A.json:1 A"}, nil},
		{"linked different emails: two records with linkedAccounts",
			map[string]string{
				"T/accounts/A.json":     acct("A", "a@x.io", "p", "", ""),
				"T/accounts/B.json":     acct("B", "b@x.io", "", "", ""),
				"T/accountLinks/L.json": link("A", "B"),
			},
			[]string{"T/accounts/A.json:1 A", "T/accounts/B.json:1 B"},
			func(t *testing.T, recs []rec) {
				if got := byID(t, recs, "A")["linkedAccounts"]; !reflect.DeepEqual(got, []any{"B"}) {
					t.Errorf("A linkedAccounts %v", got)
				}
				if got := byID(t, recs, "B")["linkedAccounts"]; !reflect.DeepEqual(got, []any{"A"}) {
					t.Errorf("B linkedAccounts %v", got)
				}
				if _, ok := byID(t, recs, "A")["mergedAccounts"]; ok {
					t.Error("mergedAccounts without a merge")
				}
			}},
		{"unlinked same email: two records",
			map[string]string{
				"T/accounts/A.json":     acct("A", "jo@x.io", "p", "", ""),
				"T/accounts/B.json":     acct("B", "jo@x.io", "p", "", ""),
				"T/accounts/C.json":     acct("C", "c@x.io", "p", "", ""),
				"T/accounts/D.json":     acct("D", "d@x.io", "p", "", ""),
				"T/accountLinks/L.json": link("C", "D"),
			},
			[]string{"T/accounts/A.json:1 A", "T/accounts/B.json:1 B", "T/accounts/C.json:1 C", "T/accounts/D.json:1 D"}, nil},
		{"transitive: A-B-C, A and C share an email, B differs",
			map[string]string{
				"T/accounts/A.json":      acct("A", "jo@x.io", "", "", ""),
				"T/accounts/B.json":      acct("B", "b@x.io", "", "", ""),
				"T/accounts/C.json":      acct("C", "JO@x.io", "p", "", ""),
				"T/accountLinks/L1.json": link("A", "B"),
				"T/accountLinks/L2.json": link("B", "C"),
			},
			[]string{"T/accounts/A.json:1 C", "T/accounts/B.json:1 B"},
			func(t *testing.T, recs []rec) {
				if got := byID(t, recs, "C")["linkedAccounts"]; !reflect.DeepEqual(got, []any{"B"}) {
					t.Errorf("C linkedAccounts %v", got)
				}
				if got := byID(t, recs, "B")["linkedAccounts"]; !reflect.DeepEqual(got, []any{"A", "C"}) {
					t.Errorf("B linkedAccounts %v", got)
				}
			}},
		{"file names are not ids, nested and collection files",
			map[string]string{
				"T/accounts/D1/x.json": acct("A", "jo@x.io", "", "", ""),
				"T/accounts/D2/page.json": `{"href":"h","offset":0,"limit":25,"items":[` + acct("Z", "z@x.io", "", "", "") + "," +
					acct("B", "jo@x.io", "pw", "", "") + `]}`,
				"T/accountLinks/L.json": link("A", "B"),
			},
			[]string{"T/accounts/D1/x.json:1 B", "T/accounts/D2/page.json#1 Z"}, nil},
		{"linked accounts in one collection file",
			map[string]string{
				"T/accounts/all.json":   `[` + acct("A", "jo@x.io", "", "", "") + "," + acct("Y", "y@x.io", "", "", "") + "," + acct("B", "jo@x.io", "pw", "", "") + `]`,
				"T/accountLinks/L.json": link("A", "B"),
			},
			[]string{"T/accounts/all.json#1 B", "T/accounts/all.json#2 Y"}, nil},
		{"dangling link and account without email",
			map[string]string{
				"T/accounts/A.json":      acct("A", "", "", "", ""),
				"T/accounts/B.json":      acct("B", "", "", "", ""),
				"T/accountLinks/L1.json": link("A", "B"),
				"T/accountLinks/L2.json": link("A", "GONE"),
			},
			[]string{"T/accounts/A.json:1 A", "T/accounts/B.json:1 B"},
			func(t *testing.T, recs []rec) {
				if got := byID(t, recs, "A")["linkedAccounts"]; !reflect.DeepEqual(got, []any{"B", "GONE"}) {
					t.Errorf("A linkedAccounts %v", got)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := tree(t, c.files)
			recs := readAll(t, root)
			if got := summary(root, recs); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("records\n got %q\nwant %q", got, c.want)
			}
			if c.check != nil {
				c.check(t, recs)
			}
		})
	}
}

func TestErrorsAndDeterminism(t *testing.T) {
	root := tree(t, map[string]string{
		"T/accounts/A.json":          `{"id":"A","email":"a@x.io"}`,
		"T/accounts/B.json":          `{"id":"B","email":"b@x.io","password":"$stormpath1$c2Fs$trunc`,
		"T/accounts/C.json":          "\n\n  {\"id\":\"C\",\"email\":\"c@x.io\"}\n",
		"T/accounts/D.json":          `"just a string"`,
		"T/accounts/E.json":          "  \n",
		"T/accounts/F.json":          `[{"id":"F1"}, 7, {"id":"F3"}]`,
		"T/accounts/G.json":          `{"items":[]}`,
		"T/accounts/H.json":          `{"id":"H"} {"id":"H2"}`,
		"T/groups/bad.json":          `{"id":"G1","name":`,
		"T/groups/good.json":         `{"id":"G2","name":"ok"}`,
		"T/groupMemberships/m.json":  `{"account":{"id":"A"},"group":{"id":"G2"}}`,
		"T/directories/d.json":       `[1]`,
		"T/accountLinks/bad.json":    `{"leftAccount":`,
		"T/providers/p.json":         `{"providerId":"google","clientSecret":"oops-secret-inside-broken-file"`,
		"T/apiKeys/k.json":           `{broken but never read`,
		"T/meta.json":                `{broken but ignored`,
		"T/applications/broken.json": `{broken but ignored`,
	})
	want := []string{
		"T/accountLinks/bad.json:1 ERR",
		"T/directories/d.json#1 ERR",
		"T/groups/bad.json:1 ERR",
		"T/providers/p.json:1 ERR",
		"T/accounts/A.json:1 A",
		"T/accounts/B.json:1 ERR",
		"T/accounts/C.json:3 C",
		"T/accounts/D.json:1 ERR",
		"T/accounts/E.json:1 ERR",
		"T/accounts/F.json#1 F1",
		"T/accounts/F.json#2 ERR",
		"T/accounts/F.json#3 F3",
		"T/accounts/H.json:1 ERR",
	}
	first := readAll(t, root)
	if got := summary(root, first); !reflect.DeepEqual(got, want) {
		t.Fatalf("records\n got %q\nwant %q", got, want)
	}
	noneContains(t, first, "oops-secret-inside-broken-file", "trunc")
	if got := groupNames(byID(t, first, "A")); !reflect.DeepEqual(got, []string{"ok"}) {
		t.Errorf("A groups %v", got)
	}
	if msg := first[5].err.Error(); !strings.Contains(msg, "invalid JSON") {
		t.Errorf("B error %q", msg)
	}
	second := readAll(t, root)
	if len(first) != len(second) {
		t.Fatalf("second run: %d records, first %d", len(second), len(first))
	}
	for i := range first {
		if first[i].pos != second[i].pos || !bytes.Equal(first[i].raw, second[i].raw) ||
			(first[i].err == nil) != (second[i].err == nil) {
			t.Errorf("record %d differs between runs: %s %s / %s %s", i, first[i].pos, first[i].raw, second[i].pos, second[i].raw)
		}
	}
}

func TestAccountFields(t *testing.T) {
	root := tree(t, map[string]string{
		"T/accounts/A.json": `{"href":"https://api.stormpath.com/v1/accounts/A1/","email":"a@x.io","n":12345678901234567890.50,
			"emailVerificationToken":{"href":"https://api.stormpath.com/v1/accounts/emailVerificationTokens/tok-secret"},
			"providerData":{"providerId":"facebook","accessToken":"fb-access-secret","refreshToken":"fb-refresh-secret","userInfo":{"x":1}},
			"customData":{"apiKeys":[{"secret":"nested-secret"}],"note":"<b>&</b>"},"unknownField":{"a":[1,2]}}`,
		"T/accounts/B.json": `{"id":"","href":"https://api.stormpath.com/v1/accounts/B?expand=x"}`,
	})
	recs := readAll(t, root)
	noneContains(t, recs, "tok-secret", "fb-access-secret", "fb-refresh-secret", "nested-secret")
	want := `{"customData":{"note":"<b>&</b>"},"email":"a@x.io","href":"https://api.stormpath.com/v1/accounts/A1/","id":"A1","n":12345678901234567890.50,"providerData":{"providerId":"facebook","userInfo":{"x":1}},"unknownField":{"a":[1,2]}}`
	if got := string(recs[0].raw); got != want {
		t.Errorf("record\n got %s\nwant %s", got, want)
	}
	if got := string(recs[1].raw); got != `{"href":"https://api.stormpath.com/v1/accounts/B?expand=x","id":"B"}` {
		t.Errorf("B record %s", got)
	}
}

func TestSizerAndEmitError(t *testing.T) {
	root := tree(t, map[string]string{
		"T/accounts/A.json":     `{"id":"A","email":"jo@x.io"}`,
		"T/accounts/B.json":     `{"id":"B","email":"jo@x.io"}`,
		"T/accounts/C.json":     `{"id":"C","email":"c@x.io"}`,
		"T/accountLinks/L.json": `{"leftAccount":{"id":"A"},"rightAccount":{"id":"B"}}`,
		"T/apiKeys/K.json":      `{"secret":"s"}`,
		"T/applications/X.json": `{"id":"X"}`,
	})
	src, err := New(pipeline.SourceConfig{Inputs: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	for _, n := range []string{"T/accounts/A.json", "T/accounts/B.json", "T/accounts/C.json", "T/accountLinks/L.json"} {
		st, err := os.Stat(filepath.Join(root, n))
		if err != nil {
			t.Fatal(err)
		}
		want += st.Size()
	}
	if src.TotalBytes() != want {
		t.Errorf("TotalBytes %d, want %d", src.TotalBytes(), want)
	}
	if err := src.Read(context.Background(), func(pipeline.RawRecord) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if src.ReadBytes() != want {
		t.Errorf("ReadBytes %d, want %d", src.ReadBytes(), want)
	}
	stop := errors.New("stop")
	n := 0
	err = src.Read(context.Background(), func(pipeline.RawRecord) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("Read returned %v after %d records, want the emit error after 1", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := src.Read(ctx, func(pipeline.RawRecord) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Read returned %v", err)
	}
}

func TestGzipAndBOM(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"id":"B"}`))
	zw.Close()
	root := tree(t, map[string]string{
		"T/accounts/A.json":    "\ufeff{\"id\":\"A\"}",
		"T/accounts/B.json.gz": gz.String(),
	})
	recs := readAll(t, root)
	want := []string{"T/accounts/A.json:1 A", "T/accounts/B.json.gz:1 B"}
	if got := summary(root, recs); !reflect.DeepEqual(got, want) {
		t.Errorf("records %q", got)
	}
}
