package runreport

import (
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

func TestMaskEmail(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"ann@example.com", "a***@example.com"},
		{"émile@example.fr", "é***@example.fr"},
		{"no-at-sign", "n***"},
		{"@example.com", "***@example.com"},
	} {
		if got := MaskEmail(tc.in); got != tc.want {
			t.Errorf("MaskEmail(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestExamplesMaskEmails: report.json's examples never hold a full e-mail address.
func TestExamplesMaskEmails(t *testing.T) {
	ex := map[string][]RejectExample{}
	AddExample(ex, RejectLine{Position: "in.json:3", Key: "u1", Email: "ann@example.com",
		Errors: []pipeline.Issue{{Code: "invalid_email", Field: "email"}}})
	if got := ex["invalid_email"]; len(got) != 1 || got[0].Email != "a***@example.com" || got[0].Key != "u1" {
		t.Fatalf("examples %+v", ex)
	}
}
