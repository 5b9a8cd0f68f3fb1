package runreport

import (
	"strings"
	"unicode/utf8"

	"github.com/usher-migrate/usher/pipeline"
)

// Bounds of report.json's "reject_examples".
const (
	// MaxExamplesPerReason is how many rejected records report.json shows for each reason.
	MaxExamplesPerReason = 3
	// MaxExampleReasons bounds the reasons that get examples (mapping rules can add codes).
	MaxExampleReasons = 64
	// maxExampleErrors bounds the issues an example lists; maxExampleText the bytes of each
	// of its texts.
	maxExampleErrors = 8
	maxExampleText   = 512
)

// RejectExample is one rejected record shown under its reason in report.json's
// "reject_examples" and report.html, which are shared more widely than rejects.ndjson: the
// rejects.ndjson line without its record — the same position, key and issues (never password
// material: rejects.ndjson carries none outside the redacted record, which an example leaves
// out), the e-mail masked to its first character and domain (a***@example.com) — each text cut
// to 512 bytes, at most 8 issues.
type RejectExample struct {
	Position string           `json:"position"`
	Key      string           `json:"key,omitempty"`
	Email    string           `json:"email,omitempty"`
	Errors   []pipeline.Issue `json:"errors"`
}

// AddExample records line as an example of each of its reasons that has fewer than
// MaxExamplesPerReason (reasons beyond MaxExampleReasons get none). examples must not be nil.
// Lines come in source order, so the examples are the first rejects of each reason.
func AddExample(examples map[string][]RejectExample, line RejectLine) {
	var ex *RejectExample
	seen := map[string]bool{}
	for _, is := range line.Errors {
		code := is.Code
		if seen[code] {
			continue
		}
		seen[code] = true
		list, known := examples[code]
		if len(list) >= MaxExamplesPerReason || (!known && len(examples) >= MaxExampleReasons) {
			continue
		}
		if ex == nil {
			ex = newExample(line)
		}
		examples[code] = append(list, *ex)
	}
}

func newExample(line RejectLine) *RejectExample {
	ex := &RejectExample{Position: Cut(line.Position, maxExampleText), Key: Cut(line.Key, maxExampleText),
		Email: Cut(MaskEmail(line.Email), maxExampleText)}
	for i, is := range line.Errors {
		if i == maxExampleErrors {
			break
		}
		ex.Errors = append(ex.Errors, pipeline.Issue{Code: Cut(is.Code, maxExampleText), Field: Cut(is.Field, maxExampleText),
			Message: Cut(is.Message, maxExampleText)})
	}
	if ex.Errors == nil {
		ex.Errors = []pipeline.Issue{}
	}
	return ex
}

// CloneExamples returns a copy of examples that AddExample can extend without changing it.
func CloneExamples(examples map[string][]RejectExample) map[string][]RejectExample {
	out := make(map[string][]RejectExample, len(examples))
	for k, v := range examples {
		out[k] = append([]RejectExample(nil), v...)
	}
	return out
}

// MaskEmail keeps an e-mail address's first character and its domain: "ann@example.com" becomes
// "a***@example.com"; text without an "@" keeps its first character only.
func MaskEmail(email string) string {
	if email == "" {
		return ""
	}
	local, domain, found := strings.Cut(email, "@")
	_, size := utf8.DecodeRuneInString(local)
	masked := local[:size] + "***"
	if found {
		masked += "@" + domain
	}
	return masked
}
