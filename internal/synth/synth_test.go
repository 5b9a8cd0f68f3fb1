package synth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// generate runs write with a hook and returns the output, stats and the kind of every line.
func generate(t testing.TB, cfg Config) ([]byte, Stats, []kind) {
	t.Helper()
	var buf bytes.Buffer
	var kinds []kind
	st, err := write(&buf, cfg, func(k kind) { kinds = append(kinds, k) })
	if err != nil {
		t.Fatalf("write(%+v): %v", cfg, err)
	}
	return buf.Bytes(), st, kinds
}

// splitLines splits NDJSON output into lines, requiring a final '\n'.
func splitLines(t testing.TB, out []byte) [][]byte {
	t.Helper()
	if len(out) == 0 {
		return nil
	}
	if out[len(out)-1] != '\n' {
		t.Fatalf("output does not end with a newline")
	}
	return bytes.Split(out[:len(out)-1], []byte("\n"))
}

func decode(line []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("null")
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return m, nil
}

func TestDeterministic(t *testing.T) {
	for _, style := range []string{StyleExport, StyleImport} {
		cfg := Config{N: 5000, Seed: 42, Style: style, Corrupt: 0.1}
		a, sa, _ := generate(t, cfg)
		prev := runtime.GOMAXPROCS(1)
		b, sb, _ := generate(t, cfg)
		runtime.GOMAXPROCS(prev)
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: two runs differ", style)
		}
		if sa.Bytes != sb.Bytes || sa.Clean != sb.Clean || len(sa.Defects) != len(sb.Defects) {
			t.Fatalf("%s: stats differ: %+v vs %+v", style, sa, sb)
		}
		// Chunked writes through a small-write writer must not change the bytes either.
		var sw smallWriter
		if _, err := Write(&sw, cfg); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, sw.buf.Bytes()) {
			t.Fatalf("%s: output depends on the writer", style)
		}
		cfg.Seed++
		c, _, _ := generate(t, cfg)
		if bytes.Equal(a, c) {
			t.Fatalf("%s: different seeds gave identical output", style)
		}
	}
}

type smallWriter struct{ buf bytes.Buffer }

func (w *smallWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }

var (
	reEmail      = regexp.MustCompile(`^[a-z]+\.[a-z]+\.[0-9]+@example\.(com|org|net|io|de|fr|co\.uk)$`)
	reExportID   = regexp.MustCompile(`^auth0\|[0-9a-f]{24}$`)
	reImportID   = regexp.MustCompile(`^[0-9a-f]{24}$`)
	reBcrypt     = regexp.MustCompile(`^\$2[ab]\$1[02]\$[./A-Za-z0-9]{53}$`)
	rePBKDF2     = regexp.MustCompile(`^\$pbkdf2-(sha1|sha256|sha512)\$i=[0-9]+,l=([0-9]+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)
	reTimestamp  = regexp.MustCompile(`^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z$`)
	reservedKeyz = map[string]bool{
		"__tenant": true, "_id": true, "blocked": true, "clientID": true, "created_at": true,
		"email_verified": true, "email": true, "globalClientID": true, "global_client_id": true,
		"identities": true, "lastIP": true, "lastLogin": true, "loginsCount": true, "metadata": true,
		"multifactor_last_modified": true, "multifactor": true, "updated_at": true, "user_id": true,
	}
	importKeys = map[string]bool{
		"email": true, "email_verified": true, "user_id": true, "given_name": true,
		"family_name": true, "name": true, "nickname": true, "picture": true, "blocked": true,
		"app_metadata": true, "user_metadata": true, "password_hash": true,
		"custom_password_hash": true,
	}
	exportOnlyKeys = map[string]bool{
		"created_at": true, "updated_at": true, "last_login": true, "logins_count": true,
		"identities": true,
	}
)

// checkUser validates a clean (or single-defect) user object.
// It returns a list of problems so defect records can be checked for exactly their defect.
func checkUser(m map[string]any, export bool) (problems []string) {
	add := func(p string) { problems = append(problems, p) }
	for k := range m {
		if !importKeys[k] && !(export && exportOnlyKeys[k]) {
			add("unknown_key:" + k)
		}
	}
	if export {
		for k := range exportOnlyKeys {
			if _, ok := m[k]; !ok && k != "last_login" {
				add("missing:" + k)
			}
		}
	}
	id, _ := m["user_id"].(string)
	if export && !reExportID.MatchString(id) || !export && !reImportID.MatchString(id) {
		add("bad_user_id:" + id)
	}
	email, _ := m["email"].(string)
	if !reEmail.MatchString(strings.ToLower(email)) {
		add("invalid_email")
	} else if email != strings.ToLower(email) {
		add("email_case")
	}
	if _, ok := m["email_verified"].(bool); !ok {
		add("wrong_type:email_verified")
	}
	for _, k := range []string{"given_name", "family_name", "name", "nickname", "picture"} {
		if s, ok := m[k].(string); !ok || s == "" {
			add("wrong_type:" + k)
		}
	}
	if v, ok := m["blocked"]; ok && v != true {
		add("wrong_type:blocked")
	}
	if lc, ok := m["logins_count"]; ok {
		if n, ok := lc.(json.Number); !ok || strings.ContainsAny(n.String(), ".-eE") {
			add("wrong_type:logins_count")
		}
	}
	if pic, _ := m["picture"].(string); !strings.HasPrefix(pic, "https://") {
		add("bad_picture")
	}
	if am, ok := m["app_metadata"].(map[string]any); ok {
		for k := range am {
			if reservedKeyz[k] {
				add("reserved:" + k)
			}
		}
		if _, ok := am["roles"].([]any); !ok {
			add("roles")
		}
	}
	if um, ok := m["user_metadata"].(map[string]any); ok {
		if _, ok := um["newsletter"].(bool); !ok {
			add("newsletter")
		}
		if _, ok := um["preferences"].(map[string]any); !ok {
			add("preferences")
		}
	}
	if export {
		for _, k := range []string{"created_at", "updated_at", "last_login"} {
			if v, ok := m[k]; ok {
				if s, _ := v.(string); !reTimestamp.MatchString(s) {
					add("bad_time:" + k)
				}
			}
		}
		c, _ := m["created_at"].(string)
		u, _ := m["updated_at"].(string)
		if c > u {
			add("created_after_updated")
		}
		ids, _ := m["identities"].([]any)
		if len(ids) != 1 {
			add("identities")
		} else {
			ident, _ := ids[0].(map[string]any)
			if ident["provider"] != "auth0" || ident["isSocial"] != false ||
				ident["user_id"] != strings.TrimPrefix(id, "auth0|") || ident["connection"] == "" {
				add("identity")
			}
		}
	}
	_, hasBcrypt := m["password_hash"]
	_, hasCustom := m["custom_password_hash"]
	if hasBcrypt && hasCustom {
		add("both_hashes")
	}
	return problems
}

// hashKind classifies and verifies the credential of a clean user.
func hashKind(t *testing.T, m map[string]any) string {
	t.Helper()
	if ph, ok := m["password_hash"].(string); ok {
		if len(ph) != 60 || !reBcrypt.MatchString(ph) {
			t.Fatalf("malformed bcrypt %q", ph)
		}
		if _, err := bcrypt.Cost([]byte(ph)); err != nil {
			t.Fatalf("bcrypt.Cost(%q): %v", ph, err)
		}
		return "bcrypt"
	}
	ch, ok := m["custom_password_hash"].(map[string]any)
	if !ok {
		return "none"
	}
	h := ch["hash"].(map[string]any)
	switch ch["algorithm"] {
	case "pbkdf2":
		v := h["value"].(string)
		sm := rePBKDF2.FindStringSubmatch(v)
		if sm == nil || h["encoding"] != "utf8" || ch["salt"] != nil {
			t.Fatalf("malformed pbkdf2 %v", ch)
		}
		if _, err := base64.RawStdEncoding.DecodeString(sm[3]); err != nil {
			t.Fatalf("pbkdf2 salt: %v", err)
		}
		sum, err := base64.RawStdEncoding.DecodeString(sm[4])
		if err != nil || sm[2] != itoa(len(sum)) {
			t.Fatalf("pbkdf2 hash %q: len %d, err %v", v, len(sum), err)
		}
		return "pbkdf2"
	case "sha256":
		salt := ch["salt"].(map[string]any)
		sb, err := hex.DecodeString(salt["value"].(string))
		if err != nil || salt["encoding"] != "hex" || h["encoding"] != "hex" {
			t.Fatalf("malformed sha256 %v", ch)
		}
		pw := []byte(PasswordFor(m["user_id"].(string)))
		var msg []byte
		switch salt["position"] {
		case "prefix":
			msg = append(append(msg, sb...), pw...)
		case "suffix":
			msg = append(append(msg, pw...), sb...)
		default:
			t.Fatalf("salt position %v", salt["position"])
		}
		sum := sha256.Sum256(msg)
		if hex.EncodeToString(sum[:]) != h["value"] {
			t.Fatalf("sha256 hash does not verify with PasswordFor: %v", ch)
		}
		return "sha256"
	}
	t.Fatalf("unexpected custom_password_hash %v", ch)
	return ""
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

// TestAccounting checks every line against the kind the generator says it wrote, and that the
// stats agree with an independent tally.
func TestAccounting(t *testing.T) {
	for _, style := range []string{StyleExport, StyleImport} {
		for _, corrupt := range []float64{0, 0.03, 0.2, 0.75, 1} {
			cfg := Config{N: 12000, Seed: 7, Style: style, Corrupt: corrupt}
			out, st, kinds := generate(t, cfg)
			checkCorpus(t, cfg, out, st, kinds)
		}
	}
}

func checkCorpus(t *testing.T, cfg Config, out []byte, st Stats, kinds []kind) {
	t.Helper()
	export := cfg.Style != StyleImport
	lines := splitLines(t, out)
	if len(lines) != cfg.N || len(kinds) != cfg.N || st.Lines != cfg.N {
		t.Fatalf("%+v: %d lines, %d kinds, stats %d", cfg, len(lines), len(kinds), st.Lines)
	}
	if st.Bytes != int64(len(out)) {
		t.Fatalf("Bytes = %d, output is %d", st.Bytes, len(out))
	}
	tally := map[string]int{}
	clean, users := 0, 0
	emails := map[string]bool{} // lower-cased emails of clean users so far
	ids := map[string]bool{}    // user_ids of clean users so far
	hashes := map[string]int{}
	for i, line := range lines {
		k := kinds[i]
		if k != kClean {
			tally[kindNames[k]]++
		}
		if len(line) > 0 {
			users++
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("%+v line %d (%v): %s\n%s", cfg, i+1, k, fmt.Sprintf(format, args...), line)
		}
		switch k {
		case kBlank:
			if len(line) != 0 {
				fail("blank defect is not empty")
			}
			continue
		case kTruncated:
			if json.Valid(line) || len(line) == 0 || !bytes.HasPrefix(line, []byte(`{"user_id":"`)) {
				fail("truncated line is valid JSON or empty")
			}
			continue
		case kGarbage:
			if len(line) == 0 {
				fail("garbage line is empty")
			}
			if m, err := decode(line); err == nil {
				fail("garbage decodes to an object %v", m)
			}
			continue
		}
		if !utf8.Valid(line) {
			fail("invalid UTF-8")
		}
		m, err := decode(line)
		if err != nil {
			fail("not a JSON object: %v", err)
		}
		problems := checkUser(m, export)
		id, _ := m["user_id"].(string)
		email, _ := m["email"].(string)
		lower := strings.ToLower(email)
		switch k {
		case kClean:
			if len(problems) != 0 {
				fail("clean record has problems %v", problems)
			}
			if emails[lower] || ids[id] {
				fail("clean record repeats an email or user_id")
			}
			emails[lower], ids[id] = true, true
			hashes[hashKind(t, m)]++
			clean++
			continue
		case kDupEmail:
			if !emails[lower] || len(problems) != 1 || problems[0] != "email_case" || ids[id] {
				fail("duplicate_email: seen=%v problems=%v", emails[lower], problems)
			}
		case kDupID:
			if !ids[id] || len(problems) != 0 || emails[lower] {
				fail("duplicate_user_id: seen=%v problems=%v", ids[id], problems)
			}
		default:
			want := map[kind]string{
				kWrongType: "wrong_type:", kInvalidEmail: "invalid_email",
				kReserved: "reserved:", kUnknown: "unknown_key:",
			}[k]
			if len(problems) == 0 || emails[lower] || ids[id] {
				fail("defect record has no problem or repeats a clean user: %v", problems)
			}
			for _, p := range problems {
				if !strings.HasPrefix(p, want) {
					fail("defect %v has unrelated problem %q (all: %v)", k, p, problems)
				}
			}
		}
	}
	if users != st.Users || clean != st.Clean {
		t.Fatalf("%+v: counted users=%d clean=%d, stats %+v", cfg, users, clean, st)
	}
	if len(tally) != len(st.Defects) {
		t.Fatalf("%+v: defects tally %v, stats %v", cfg, tally, st.Defects)
	}
	total := 0
	for k, v := range tally {
		if st.Defects[k] != v {
			t.Fatalf("%+v: defects tally %v, stats %v", cfg, tally, st.Defects)
		}
		total += v
	}
	if st.Rejected() != st.Users-st.Clean || st.Rejected() != total-tally[DefectBlank] {
		t.Fatalf("%+v: Rejected()=%d, users-clean=%d", cfg, st.Rejected(), st.Users-st.Clean)
	}
	// Exact defect count, spread over every kind.
	if want := int(float64(cfg.N) * cfg.Corrupt); total < want-1 || total > want+1 {
		t.Fatalf("%+v: %d defects, want %d", cfg, total, want)
	}
	if cfg.Corrupt > 0 && cfg.Corrupt < 0.5 && len(tally) != int(numKinds) {
		t.Fatalf("%+v: not every kind present: %v", cfg, tally)
	}
	if cfg.Corrupt == 0 && (len(st.Defects) != 0 || st.Clean != cfg.N) {
		t.Fatalf("Corrupt=0 produced defects: %+v", st)
	}
	// Credential mix among clean users (~60/25/10/5).
	if clean >= 2000 {
		for kind, want := range map[string]float64{"bcrypt": 60, "pbkdf2": 25, "sha256": 10, "none": 5} {
			got := 100 * float64(hashes[kind]) / float64(clean)
			if got < want-3 || got > want+3 {
				t.Fatalf("%+v: %s is %.1f%% of clean users, want ~%v%% (%v)", cfg, kind, got, want, hashes)
			}
		}
	}
}

func TestAverageSize(t *testing.T) {
	for _, style := range []string{StyleExport, StyleImport} {
		_, st, _ := generate(t, Config{N: 50000, Seed: 3, Style: style})
		avg := float64(st.Bytes) / float64(st.Users)
		t.Logf("%s: %.0f bytes/line", style, avg)
		if style == StyleExport && (avg < 700 || avg > 1000) {
			t.Fatalf("auth0-export average line is %.0f bytes, want 700..1000", avg)
		}
	}
}

func TestEscapingAndUnicode(t *testing.T) {
	out, _, _ := generate(t, Config{N: 20000, Seed: 5})
	for _, want := range []string{"José", "Zoë", "李", `Jean \"JJ\"`, `Doe\\Roe`, "Дмитрий"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("corpus never contains %q", want)
		}
	}
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "tab\tnl\ncr\r", "\x00\x1f", "José 李", "bad\xffutf8", "\u2028"} {
		var got string
		enc := appendJSONString(nil, s)
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("appendJSONString(%q) = %s: %v", s, enc, err)
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); got != want {
			t.Fatalf("round trip of %q gave %q", s, got)
		}
	}
}

func TestAppendTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		ms := r.Int64N(4102444800000) // 1970..2100
		if i < 3 {
			ms = []int64{0, 951782400000, 4102444799999}[i] // epoch, 2000-02-29, end of 2099
		}
		want := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
		if got := string(appendTime(nil, ms)); got != want {
			t.Fatalf("appendTime(%d) = %s, want %s", ms, got, want)
		}
	}
}

func TestBcryptCompare(t *testing.T) {
	// A generated bcrypt string must be parseable all the way: comparison reports a mismatch,
	// not a format error.
	out, _, _ := generate(t, Config{N: 50, Seed: 9, Style: StyleImport})
	n := 0
	for _, line := range splitLines(t, out) {
		m, _ := decode(line)
		ph, ok := m["password_hash"].(string)
		if !ok || ph[5] != '0' { // only cost 10, to keep the test fast
			continue
		}
		if err := bcrypt.CompareHashAndPassword([]byte(ph), []byte("x")); err != bcrypt.ErrMismatchedHashAndPassword {
			t.Fatalf("CompareHashAndPassword(%q) = %v", ph, err)
		}
		if n++; n == 3 {
			return
		}
	}
	t.Fatalf("only %d bcrypt hashes found", n)
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{N: -1},
		{N: 1, Style: "csv"},
		{N: 1, Corrupt: -0.1},
		{N: 1, Corrupt: 1.5},
	} {
		if _, err := Write(io.Discard, cfg); err == nil {
			t.Errorf("Write(%+v) succeeded", cfg)
		}
	}
	st, err := Write(io.Discard, Config{})
	if err != nil || st.Lines != 0 || st.Bytes != 0 {
		t.Fatalf("N=0: %+v, %v", st, err)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, io.ErrClosedPipe
	}
	w.n--
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	st, err := Write(&failWriter{n: 1}, Config{N: 10000, Seed: 1})
	if !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("err = %v", err)
	}
	if st.Lines >= 10000 {
		t.Fatalf("generation did not stop: %+v", st)
	}
}

func TestDefectKinds(t *testing.T) {
	ks := DefectKinds()
	if len(ks) != int(numKinds) || ks[0] != DefectTruncated || ks[len(ks)-1] != DefectUnknownField {
		t.Fatalf("DefectKinds() = %v", ks)
	}
	ks[0] = "mutated"
	if DefectKinds()[0] != DefectTruncated {
		t.Fatal("DefectKinds returns shared storage")
	}
}

func BenchmarkWrite(b *testing.B) {
	for _, style := range []string{StyleExport, StyleImport} {
		b.Run(style, func(b *testing.B) {
			const n = 100000
			cfg := Config{N: n, Seed: 1, Style: style, Corrupt: 0.01}
			var bytesPerOp int64
			for b.Loop() {
				st, err := Write(io.Discard, cfg)
				if err != nil {
					b.Fatal(err)
				}
				bytesPerOp = st.Bytes
			}
			b.SetBytes(bytesPerOp)
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "users/s")
		})
	}
}
