package runreport

import (
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
)

// TestRejectLineRedaction: password material never reaches rejects.ndjson, whether the record
// is shown decoded or as raw text, whatever JSON escapes spell its key, and inside strings that
// hold JSON; other fields are kept.
func TestRejectLineRedaction(t *testing.T) {
	decodeJSON := func(raw *pipeline.RawRecord) (map[string]any, error) {
		var m map[string]any
		err := json.Unmarshal(raw.Data, &m)
		return m, err
	}
	cases := []struct {
		name string
		raw  string
		// parses: decode succeeds (the record is shown decoded); otherwise the raw text is shown.
		parses bool
		keep   []string // must still be in the line
	}{
		{name: "decoded, escaped key", parses: true, raw: `{"email":"a@example.com","pass\u0077ord":"s3cret"}`, keep: []string{"a@example.com"}},
		{name: "decoded, JSON inside a string", parses: true, raw: `{"email":"a@example.com","profile":"{\"password\":\"s3cret\",\"name\":\"Ann\"}"}`, keep: []string{"a@example.com", "Ann"}},
		{name: "decoded, escaped key inside a string", parses: true, raw: `{"profile":"{\"pass\\u0077ord\":\"s3cret\"}"}`},
		{name: "raw, escaped key", raw: `{"email":"a@example.com" "pass\u0077ord":"s3cret"}`, keep: []string{"a@example.com"}},
		{name: "raw, upper-case escape", raw: `{"email" "PASS\u0057ORD": "s3cret"}`},
		{name: "raw, every letter escaped", raw: `{"x" "\u0070\u0061\u0073\u0073\u0077\u006f\u0072\u0064":"s3cret"}`},
		{name: "raw, escaped quote before the key", raw: `{"a":"\"" "pass\u0077ord":"s3cret"`},
		{name: "raw, object value", raw: `{"x" "pass\u0077ord":{"value":"s3cret","salt":"s3cret"}, "name":"Ann"}`, keep: []string{"Ann"}},
		{name: "raw, bare value", raw: `{"x" "pw\u0064": s3cret, "name":"Ann"}`, keep: []string{"Ann"}},
		{name: "raw, value cut short", raw: `{"x" "api\u005fkey":"s3cret`},
		{name: "raw, JSON inside a string", raw: `{"x" "profile":"{\"pass\\u0077ord\":\"s3cret\"}"}`},
		{name: "raw, plain key", raw: `{"email":"a@example.com" "password":"s3cret"}`, keep: []string{"a@example.com"}},
		{name: "raw, salt and token", raw: `{"x" "s\u0061lt":"s3cret","t\u006fken":"s3cret"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &pipeline.Result{Pos: pipeline.Position{File: "in", Line: 1}, Outcome: pipeline.Rejected, Raw: pipeline.RawRecord{Data: []byte(tc.raw)}}
			r.SetDecoder(decodeJSON)
			line := NewRejectLine("json", r, []pipeline.Issue{{Code: pipeline.CodeParseError}})
			if (line.Record != nil) != tc.parses {
				t.Fatalf("record %v raw %q", line.Record, line.Raw)
			}
			b, err := pipeline.Marshal(line)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "s3cret") || !strings.Contains(string(b), pipeline.Redacted) {
				t.Fatalf("not redacted: %s", b)
			}
			for _, k := range tc.keep {
				if !strings.Contains(string(b), k) {
					t.Errorf("%q lost: %s", k, b)
				}
			}
		})
	}
}

// TestRejectLineTimes: a time under a key that names one (Okta's passwordChanged, Stormpath's
// passwordModifiedAt) is not password material: rejects.ndjson keeps it, whether the record is
// shown decoded or as raw text, and still redacts the secrets next to it.
func TestRejectLineTimes(t *testing.T) {
	decodeJSON := func(raw *pipeline.RawRecord) (map[string]any, error) {
		var m map[string]any
		err := json.Unmarshal(raw.Data, &m)
		return m, err
	}
	cases := []struct {
		name   string
		raw    string
		parses bool
		keep   []string // must still be in the line
		secret bool     // s3cret is in the record and must not be in the line
	}{
		{name: "decoded okta passwordChanged", parses: true, raw: `{"id":"00u1","passwordChanged":"2017-03-01T17:26:34.000Z","credentials":{"password":{"value":"s3cret"}}}`,
			keep: []string{`"passwordChanged":"2017-03-01T17:26:34.000Z"`}, secret: true},
		{name: "decoded stormpath passwordModifiedAt", parses: true, raw: `{"passwordModifiedAt":"2015-08-25T19:57:05.976Z","password":"s3cret"}`,
			keep: []string{`"passwordModifiedAt":"2015-08-25T19:57:05.976Z"`}, secret: true},
		{name: "decoded epoch number", parses: true, raw: `{"pwdLastSet":130845926250000000,"passwordHash":"s3cret"}`,
			keep: []string{`"pwdLastSet":130845926250000000`}, secret: true},
		{name: "decoded, a time under a secret name", parses: true, raw: `{"passwordHash":"2015-08-25T19:57:05Z","name":"Ann"}`, keep: []string{"Ann"}},
		{name: "decoded, a token named like a time's neighbour", parses: true, raw: `{"passwordChangedToken":"s3cret"}`, secret: true},
		{name: "decoded, text under a time key", parses: true, raw: `{"passwordChangedAt":"s3cret"}`, secret: true},
		{name: "raw okta passwordChanged", raw: `{"id":"00u1" "passwordChanged": "2017-03-01T17:26:34.000Z", "password":"s3cret"}`,
			keep: []string{`"passwordChanged": "2017-03-01T17:26:34.000Z"`}, secret: true},
		{name: "raw escaped key, bare number", raw: `{"x" "pass\u0077ordModifiedAt":1440532625976, "salt":"s3cret"}`,
			keep: []string{`1440532625976`}, secret: true},
		{name: "raw, time cut short", raw: `{"x" "passwordChanged":"2017-03-01T17:26:34s3cret`, secret: true},
		{name: "raw, object under a time key", raw: `{"x" "passwordChanged":{"v":"s3cret"}}`, secret: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &pipeline.Result{Pos: pipeline.Position{File: "in", Line: 1}, Outcome: pipeline.Rejected, Raw: pipeline.RawRecord{Data: []byte(tc.raw)}}
			r.SetDecoder(decodeJSON)
			line := NewRejectLine("json", r, []pipeline.Issue{{Code: pipeline.CodeParseError}})
			if (line.Record != nil) != tc.parses {
				t.Fatalf("record %v raw %q", line.Record, line.Raw)
			}
			b, err := pipeline.Marshal(line)
			if err != nil {
				t.Fatal(err)
			}
			got := string(b)
			if line.Record == nil {
				got = line.Raw
			}
			for _, k := range tc.keep {
				if !strings.Contains(got, k) {
					t.Errorf("%q lost: %s", k, got)
				}
			}
			if strings.Contains(got, "s3cret") || strings.Contains(tc.raw, "2015-08-25T19:57:05Z") && strings.Contains(got, "2015-08-25T19:57:05Z") {
				t.Errorf("secret kept: %s", got)
			}
			if (tc.secret || len(tc.keep) == 0) && !strings.Contains(got, pipeline.Redacted) {
				t.Errorf("nothing redacted: %s", got)
			}
		})
	}
}

// TestDecodeLoose: keys are compared as JSON decodes them, escapes that are broken included.
func TestDecodeLoose(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", `"password"`, "password"},
		{"unicode escape", `"pass\u0077ord"`, "password"},
		{"surrogate pair", `"\ud83d\ude00pw"`, "\U0001F600pw"},
		{"one-letter escapes", `"a\"b\\c\/d\n"`, "a\"b\\c/d\n"},
		{"unterminated", `"pass\u0077`, "passw"},
		{"bad escape kept", `"pass\u00zzword"`, `pass\u00zzword`},
		{"ends at the closing quote", `"pwd"xx`, "pwd"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := decodeLoose(tc.in); got != tc.want {
				t.Fatalf("decodeLoose(%s) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzRedactRaw: the raw-text redactor takes any bytes without panicking, and never returns
// more than the cut text plus its markers.
func FuzzRedactRaw(f *testing.F) {
	for _, s := range []string{`{"pass\u0077ord":"x"}`, `{"a":"{\"pwd\":1}"}`, `"\ud83d`, `{"token":[1,{"a":"]"}]}`, `"\u`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out := redactRaw(b)
		if len(out) > 8*(maxRawBytes+len(pipeline.Redacted)+2)*2 {
			t.Fatalf("%d bytes out of %d", len(out), len(b))
		}
	})
}
