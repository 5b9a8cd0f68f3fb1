package runreport

import (
	"strconv"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
)

// TestRejectLineBound: a rejects.ndjson line never exceeds MaxRejectLineBytes, whatever the
// record (huge, full of characters JSON escapes, huge identities, thousands of issues); a cut
// line is marked, keeps the start of the redacted record and is valid JSON.
func TestRejectLineBound(t *testing.T) {
	big := strings.Repeat("x", 200<<10)
	cases := []struct {
		name      string
		record    map[string]any // shown decoded
		email     string
		issues    int
		truncated bool
		keep      string
	}{
		{name: "small record unchanged", record: map[string]any{"email": "a@example.com"}, keep: "a@example.com"},
		{name: "huge record", record: map[string]any{"email": "a@example.com", "bio": big}, truncated: true, keep: `{\"bio\":\"xxx`},
		{name: "escapes grow the text", record: map[string]any{"bio": strings.Repeat("\x01\"", 50<<10)}, truncated: true},
		{name: "secret after the cut point stays redacted", record: map[string]any{"a": big, "password": "s3cret"}, truncated: true},
		{name: "huge email", record: map[string]any{"email": big}, email: big, truncated: true},
		{name: "thousands of issues", record: map[string]any{"email": "a@example.com"}, issues: 5000, truncated: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &pipeline.Result{Pos: pipeline.Position{File: "in", Line: 1}, Outcome: pipeline.Rejected, Email: tc.email,
				Raw: pipeline.RawRecord{Data: []byte("{}")}}
			issues := []pipeline.Issue{{Code: pipeline.CodeInvalidEmail, Message: "bad"}}
			for i := 0; i < tc.issues; i++ {
				issues = append(issues, pipeline.Issue{Code: pipeline.CodeUnknownField, Field: "f" + strconv.Itoa(i), Message: strings.Repeat("m", 100)})
			}
			r.SetDecoder(func(*pipeline.RawRecord) (map[string]any, error) { return tc.record, nil })
			line := NewRejectLine("json", r, issues)
			b, err := MarshalRejectLine(line)
			if err != nil {
				t.Fatal(err)
			}
			var got RejectLine
			if len(b) > MaxRejectLineBytes || json.Unmarshal(b, &got) != nil {
				t.Fatalf("%d bytes (max %d), valid JSON: %v", len(b), MaxRejectLineBytes, json.Valid(b))
			}
			if got.Truncated != tc.truncated || (tc.truncated && (got.RecordBytes <= 0 || got.Raw == "")) {
				t.Fatalf("truncated %v record_bytes %d raw %d bytes", got.Truncated, got.RecordBytes, len(got.Raw))
			}
			if tc.issues > 64 && got.ErrorsOmitted != len(issues)-64 {
				t.Fatalf("errors_omitted %d", got.ErrorsOmitted)
			}
			if strings.Contains(string(b), "s3cret") || !strings.Contains(string(b), tc.keep) {
				t.Fatalf("line %.300s", b)
			}
		})
	}
}
