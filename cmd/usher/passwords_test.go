package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/sinks/importfiles"
)

// outsiderVector is one published known-answer vector of pipeline/hash/legacy/testdata/
// outsiders.json (passlib's, Django's, ASP.NET Core's, Openwall's and other projects' test
// vectors; each entry names its source).
type outsiderVector struct {
	Format, Hash, Password, PasswordHex, User string
}

// TestEveryFormatEndToEnd migrates users holding every published vector as a json source would
// present them (formats that cannot be told from their text with --password-format): each user
// is imported or held for lazy migration, never rejected or imported without a password; every
// imported hash verifies its password (and not a wrong one) in the independent Python oracle and
// passes the import schema; every lazy user logs in through a running hook with the right
// password and is refused with a wrong one; report.json counts every format by name.
func TestEveryFormatEndToEnd(t *testing.T) {
	b, err := os.ReadFile("../../pipeline/hash/legacy/testdata/outsiders.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw []struct {
		Format      string `json:"format"`
		Hash        string `json:"hash"`
		Password    string `json:"password"`
		PasswordHex string `json:"password_hex"`
		User        string `json:"user"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, f := range legacy.DeclaredFormats() {
		if legacy.DeclaredHelp(f) != "" {
			declared[f] = true
		}
	}
	// runs: one per declared format (one per user for formats salted with the user name, whose
	// names repeat) and one for every self-identifying format.
	type run struct {
		format string
		users  []map[string]any
	}
	runs := map[string]*run{}
	passwords := map[string]string{}
	formatOf := map[string]string{}
	for i, v := range raw {
		pw := v.Password
		if v.PasswordHex != "" {
			p, _ := hex.DecodeString(v.PasswordHex)
			pw = string(p)
		}
		if pw == "" || !utf8.ValidString(pw) {
			continue // Auth0 and the hook take non-empty UTF-8 passwords
		}
		format := ""
		switch {
		case declared[v.Format]:
			format = v.Format
		case v.Format == "django_unsalted_md5" && !strings.Contains(v.Hash, "$"):
			format = "hex_md5"
		}
		id := fmt.Sprintf("v%03d", i)
		u := map[string]any{"user_id": id, "email": id + "@example.com", "password_hash": v.Hash}
		key := format
		if legacy.NeedsUser(format) {
			u["username"] = v.User
			key = format + "/" + id
		}
		if runs[key] == nil {
			runs[key] = &run{format: format}
		}
		runs[key].users = append(runs[key].users, u)
		passwords[id], formatOf[id] = pw, v.Format
	}
	keys := make([]string, 0, len(runs))
	for k := range runs {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	dir := t.TempDir()
	token, tokenFile := hookToken(t, dir)
	var cases []oracle.HashCase
	var caseIDs []string
	var files []string
	type lazyUser struct{ id, dsn string }
	var lazy []lazyUser
	imported := map[string]bool{}
	for n, k := range keys {
		r := runs[k]
		in := filepath.Join(dir, fmt.Sprintf("in-%02d.ndjson", n))
		var buf bytes.Buffer
		for _, u := range r.users {
			line, _ := json.Marshal(u)
			buf.Write(append(line, '\n'))
		}
		os.WriteFile(in, buf.Bytes(), 0o600)
		out := filepath.Join(dir, fmt.Sprintf("run-%02d", n))
		args := []string{"migrate", "--source", "json", "--input", in, "--out", out, "--progress", "never", "--username-max", "128"}
		if r.format != "" {
			args = append(args, "--password-format", r.format)
		}
		if code, msg := usher(t, args...); code != exitOK {
			rej, _ := os.ReadFile(filepath.Join(out, importfiles.RejectsFile))
			t.Fatalf("%s: exit %d: %s\n%s", k, code, msg, rej)
		}
		rep, fs := checkRun(t, out, importfiles.DefaultMaxFileBytes)
		if rep.Counts.Rejected != 0 || rep.Counts.Read != int64(len(r.users)) || rep.Hashes["none"] != 0 {
			t.Fatalf("%s: counts %+v hashes %v", k, rep.Counts, rep.Hashes)
		}
		total := int64(0)
		for _, c := range rep.Hashes {
			total += c
		}
		if total != rep.Counts.Read {
			t.Errorf("%s: report hashes %v do not add up to %d", k, rep.Hashes, rep.Counts.Read)
		}
		files = append(files, fs...)
		for _, f := range fs {
			b, _ := os.ReadFile(f)
			var users []map[string]any
			if err := json.Unmarshal(b, &users); err != nil {
				t.Fatal(err)
			}
			for _, u := range users {
				id := u["user_id"].(string)
				imported[id] = true
				var h any = u["custom_password_hash"]
				if ph, ok := u["password_hash"].(string); ok {
					h = map[string]any{"algorithm": "bcrypt", "hash": map[string]any{"value": ph}}
				}
				if h == nil {
					t.Errorf("%s (%s): imported without a password", id, formatOf[id])
					continue
				}
				cases = append(cases, oracle.HashCase{Password: passwords[id], Hash: h}, oracle.HashCase{Password: "x" + passwords[id], Hash: h})
				caseIDs = append(caseIDs, id, id+" (wrong password)")
			}
		}
		dsn := "sqlite:" + filepath.Join(out, ledger.FileName)
		lz, _ := os.ReadFile(filepath.Join(out, importfiles.LazyFile))
		for _, line := range bytes.Split(bytes.TrimSpace(lz), []byte("\n")) {
			var l struct{ Key string }
			if len(line) > 0 && json.Unmarshal(line, &l) == nil {
				lazy = append(lazy, lazyUser{l.Key, dsn})
			}
		}
	}
	if len(imported)+len(lazy) != len(passwords) {
		t.Fatalf("%d imported + %d lazy, want %d users", len(imported), len(lazy), len(passwords))
	}
	oracle.ImportFiles(t, files...)
	for i, got := range oracle.CheckHashes(t, cases) {
		want := map[bool]string{true: "fail", false: "ok"}[i%2 == 1]
		if got != want {
			id := strings.Fields(caseIDs[i])[0]
			t.Errorf("%s (%s): python oracle %q, want %q", caseIDs[i], formatOf[id], got, want)
		}
	}
	// Lazy users log in through the hook, one hook per run's store.
	byDSN := map[string][]string{}
	for _, l := range lazy {
		byDSN[l.dsn] = append(byDSN[l.dsn], l.id)
	}
	lazyFormats := map[string]int{}
	for dsn, ids := range byDSN {
		url, stop := startHook(t, "--store", dsn, "--token-file", tokenFile)
		for _, id := range ids {
			lazyFormats[formatOf[id]]++
			for _, tc := range []struct {
				pw   string
				want int
			}{{passwords[id], http.StatusOK}, {"x" + passwords[id], http.StatusUnauthorized}} {
				body, _ := json.Marshal(map[string]string{"username": id + "@example.com", "password": tc.pw})
				req, _ := http.NewRequest(http.MethodPost, url+"/v1/login", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tc.want {
					t.Errorf("%s (%s): hook login: %d, want %d", id, formatOf[id], resp.StatusCode, tc.want)
				}
			}
		}
		stop()
	}
	t.Logf("%d users: %d imported (checked by the Python oracle), %d lazy (logged in through the hook): %v",
		len(passwords), len(imported), len(lazy), lazyFormats)
}

// TestUnverifiableIsCounted: stage and migrate say how many staged users hold a password the hook
// cannot verify, by format (here bcrypt $2$, a Werkzeug pbkdf2 without its iteration count and an
// undeclared bare hex digest), and the hook answers their logins like a wrong password.
func TestUnverifiableIsCounted(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "users.ndjson")
	os.WriteFile(in, []byte(`{"email":"two@example.com","password_hash":"$2$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"}
{"email":"wz@example.com","password_hash":"pbkdf2:sha256$N6yieAjQJO1zPuHV$0c2089e652279e9ca5a0eefc3a55e00aae7c82aff83778eb8412bd2ec7ad9bcf"}
{"email":"hex@example.com","password_hash":"5f4dcc3b5aa765d61d8327deb882cf99"}
{"email":"ok@example.com","password_hash":"$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"}
`), 0o600)
	const want = "3 staged users have a password the hook cannot verify"
	dsn := "sqlite:" + filepath.Join(dir, "lazy.db")
	code, msg := usher(t, "stage", "--source", "json", "--input", in, "--store", dsn, "--progress", "never")
	if code != exitOK || !strings.Contains(msg, "staged 4 users") || !strings.Contains(msg, want) ||
		!strings.Contains(msg, "bcrypt_2 1, unknown 1, werkzeug_pbkdf2 1") {
		t.Fatalf("stage: exit %d: %s", code, msg)
	}
	out := filepath.Join(dir, "run")
	code, msg = usher(t, "migrate", "--source", "json", "--input", in, "--out", out, "--progress", "never")
	if code != exitOK || !strings.Contains(msg, want) {
		t.Fatalf("migrate: exit %d: %s", code, msg)
	}
	token, tokenFile := hookToken(t, dir)
	url, stop := startHook(t, "--store", "sqlite:"+filepath.Join(out, ledger.FileName), "--token-file", tokenFile)
	defer stop()
	runLiveCases(t, url, token, []liveCase{
		{name: "bcrypt $2$ answers 401", path: "/v1/login", user: "two@example.com", pw: "NotSecure", status: 401},
		{name: "undeclared hex answers 401", path: "/v1/login", user: "hex@example.com", pw: "password", status: 401},
		{name: "md5-crypt verifies", path: "/v1/login", user: "ok@example.com", pw: "password", status: 200},
	})
}

// TestDeclaredFormatFromCSV: a CSV export of NT hashes declared with --source-opt
// password-format=nthash (vector: passlib 1.7.4 tests, nthash_test) is imported as Auth0 md4 over
// the UTF-16LE password, which the independent oracle verifies.
func TestDeclaredFormatFromCSV(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "users.csv")
	os.WriteFile(in, []byte("email,password_hash\nnt@example.com,6677b2c394311355b54f25eec5bfacf5\n"), 0o600)
	out := filepath.Join(dir, "run")
	code, msg := usher(t, "migrate", "--source", "csv", "--input", in, "--out", out, "--progress", "never", "--source-opt", "password-format=nthash")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, msg)
	}
	rep, files := checkRun(t, out, importfiles.DefaultMaxFileBytes)
	if rep.Hashes["nthash"] != 1 || rep.Counts.Imported != 1 {
		t.Fatalf("report %+v %v", rep.Counts, rep.Hashes)
	}
	b, _ := os.ReadFile(files[0])
	var users []map[string]any
	json.Unmarshal(b, &users)
	h := users[0]["custom_password_hash"]
	got := oracle.CheckHashes(t, []oracle.HashCase{{Password: "OLDPASSWORD", Hash: h}, {Password: "oldpassword", Hash: h}})
	if got[0] != "ok" || got[1] != "fail" {
		t.Fatalf("oracle %v for %v", got, h)
	}
	if code, msg := usher(t, "migrate", "--source", "csv", "--input", in, "--out", filepath.Join(dir, "bad"), "--password-format", "md5"); code != exitUsage ||
		!strings.Contains(msg, "password format") {
		t.Fatalf("unknown format: exit %d: %s", code, msg)
	}
}
