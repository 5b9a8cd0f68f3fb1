package pipeline

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestDecodeRecord(t *testing.T) {
	deep := func(n int) string { // a record nesting n levels (itself included)
		return `{"email":"a@x.io","m":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + "}"
	}
	cases := []struct {
		name    string
		in      string
		issues  []string // "code field" of the flags, in order
		wantErr string   // a decoding error containing this
	}{
		{name: "plain record", in: `{"email":"a@x.io","n":12345678901234567890123,"f":1.5e300,"u":"\u00e9\ud83d\ude00"}`},
		{name: "genuine replacement character is fine", in: "{\"name\":\"\uFFFD\",\"n\":\"\\ufffd\"}"},
		{name: "underflow is fine", in: `{"n":1e-999}`},
		{name: "invalid byte in a value", in: "{\"email\":\"a@x.io\",\"name\":\"Jos\xe9\"}", issues: []string{"invalid_encoding name"}},
		{name: "invalid byte in a nested value", in: "{\"user_metadata\":{\"tags\":[\"ok\",\"b\xffd\"]}}", issues: []string{"invalid_encoding user_metadata.tags[1]"}},
		{name: "invalid byte in a key", in: "{\"user_metadata\":{\"k\xfe\":1}}", issues: []string{"invalid_encoding user_metadata"}},
		{name: "invalid byte in a top-level key", in: "{\"k\xfe\":1}", issues: []string{"invalid_encoding "}},
		{name: "truncated multi-byte sequence", in: "{\"a\":\"x\xc3\"}", issues: []string{"invalid_encoding a"}},
		{name: "lone high surrogate escape", in: `{"a":"x\ud800y"}`, issues: []string{"invalid_encoding a"}},
		{name: "lone low surrogate escape", in: `{"a":"\uDC00"}`, issues: []string{"invalid_encoding a"}},
		{name: "reversed surrogate pair", in: `{"a":"\ude00\ud83d"}`, issues: []string{"invalid_encoding a"}},
		{name: "escaped backslash before u is not an escape", in: `{"a":"\\ud800"}`},
		{name: "number overflows", in: `{"email":"a@x.io","user_metadata":{"n":1e999}}`, issues: []string{"invalid_number user_metadata.n"}},
		{name: "negative overflow in an array", in: `{"a":[1,-1e400]}`, issues: []string{"invalid_number a[1]"}},
		{name: "400 digits overflow", in: `{"a":1` + strings.Repeat("0", 400) + `}`, issues: []string{"invalid_number a"}},
		{name: "several problems sorted by field", in: "{\"z\":1e999,\"b\":\"\xff\",\"a\":[1e999]}", issues: []string{"invalid_number a[0]", "invalid_encoding b", "invalid_number z"}},
		{name: "100 levels", in: deep(100)},
		{name: "101 levels", in: deep(101), wantErr: "deeper than 100 levels"},
		{name: "9998 levels", in: deep(9998), wantErr: "deeper than 100 levels"},
		{name: "not an object", in: `[1]`, wantErr: "not an object"},
		{name: "syntax error", in: `{"a":}`, wantErr: "invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeRecord([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, iss := range FlaggedIssues(m) {
				got = append(got, iss.Code+" "+iss.Field)
				if iss.Message == "" {
					t.Errorf("issue %v has no message", iss)
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.issues, "|") {
				t.Fatalf("issues %q, want %q", got, tc.issues)
			}
		})
	}
}

// TestFlagged checks the conveyance of a coded reject: a flagged record is rejected by the
// wrapped mapping with its issues, and shows its reason codes when encoded.
func TestFlagged(t *testing.T) {
	calls := 0
	inner := mappingFunc(func(rec map[string]any) (*Mapped, []Issue) {
		calls++
		return &Mapped{User: rec}, nil
	})
	newNorm := RejectFlagged(func(MappingConfig) (Mapping, error) { return inner, nil })
	n, err := newNorm(MappingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	tooLarge := TooLarge(2<<20, 1<<20)
	cases := []struct {
		name      string
		rec       map[string]any
		wantCodes string // the rejected issues' codes, "" when the record is mapped
		wantJSON  string
	}{
		{"plain record is mapped", map[string]any{"email": "a@x.io"}, "", `{"email":"a@x.io"}`},
		{"a record's own key of that name is data", map[string]any{FlagKey: "x"}, "", `{"_usher_reject":"x"}`},
		{"too large", Flag(nil, tooLarge), "record_too_large", `{"_usher_reject":"record_too_large"}`},
		{"two issues", Flag(map[string]any{"a": "b"}, Issue{Code: CodeInvalidEncoding, Field: "a"}, Issue{Code: CodeInvalidNumber, Field: "n"}),
			"invalid_encoding,invalid_number", `{"_usher_reject":"invalid_encoding,invalid_number","a":"b"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls = 0
			norm, issues := n.Map(tc.rec)
			var codes []string
			for _, iss := range issues {
				codes = append(codes, iss.Code)
			}
			if strings.Join(codes, ",") != tc.wantCodes {
				t.Fatalf("codes %v, want %q", codes, tc.wantCodes)
			}
			if (tc.wantCodes == "") != (norm != nil && calls == 1) {
				t.Fatalf("mapped %v (calls %d)", norm, calls)
			}
			b, err := Marshal(Redact(tc.rec))
			if err != nil || string(b) != tc.wantJSON {
				t.Fatalf("encoded %s %v, want %s", b, err, tc.wantJSON)
			}
		})
	}
	if !strings.Contains(tooLarge.Message, "2097152 bytes") || !strings.Contains(tooLarge.Message, "1048576") {
		t.Errorf("message %q", tooLarge.Message)
	}
	if _, err := RejectFlagged(func(MappingConfig) (Mapping, error) { return nil, errors.New("bad") })(MappingConfig{}); err == nil {
		t.Error("constructor error lost")
	}
}

type mappingFunc func(map[string]any) (*Mapped, []Issue)

func (f mappingFunc) Map(rec map[string]any) (*Mapped, []Issue) { return f(rec) }

func BenchmarkDecodeRecord(b *testing.B) {
	data := []byte(`{"user_id":"auth0|00000001","email":"user1@example.com","email_verified":true,"given_name":"Ann","family_name":"Smith","created_at":"2020-01-02T03:04:05.000Z","logins_count":12,"user_metadata":{"plan":"pro","locale":"en","tags":["a","b"],"score":1.5e3},"identities":[{"connection":"Username-Password-Authentication","provider":"auth0","user_id":"00000001","isSocial":false}]}`)
	for _, bc := range []struct {
		name   string
		decode func([]byte) (map[string]any, error)
	}{{"DecodeObject", DecodeObject}, {"DecodeRecord", DecodeRecord}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDecodeRecordDoesNotPin: a string kept from a large decoded record (as a ledger row keeps
// the email until the next checkpoint) must not keep the whole record in memory.
func TestDecodeRecordDoesNotPin(t *testing.T) {
	cases := []struct {
		name    string
		records int
		size    int
	}{
		{"records of 64 KiB", 200, 64 << 10},
		{"records of 1 MiB", 40, 1 << 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			kept := make([]string, 0, tc.records)
			for i := range tc.records {
				data := []byte(`{"email":"u` + strconv.Itoa(i) + `@x.io","blob":"` + strings.Repeat("x", tc.size) + `"}`)
				m, err := DecodeRecord(data)
				if err != nil {
					t.Fatal(err)
				}
				kept = append(kept, m["email"].(string))
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			retained := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			if total := int64(tc.records * tc.size); retained > total/10 {
				t.Fatalf("%d emails kept %d bytes of %d decoded", len(kept), retained, total)
			}
			runtime.KeepAlive(kept)
		})
	}
}
