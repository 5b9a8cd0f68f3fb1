package pipeline

import (
	"regexp"
	"strings"

	json "github.com/goccy/go-json"
)

// Outcome is where a record ends: exactly one of these, for every record read.
type Outcome uint8

// Outcomes. Their String forms are used in the ledger and report.
const (
	Imported Outcome = iota + 1
	Lazy
	Rejected
)

// String names the outcome as the ledger and report do: imported, lazy or rejected.
func (o Outcome) String() string {
	switch o {
	case Imported:
		return "imported"
	case Lazy:
		return "lazy"
	case Rejected:
		return "rejected"
	}
	return "unknown"
}

// Result is one processed record on its way to the ordered writer.
type Result struct {
	Seq     int64 // 1-based position in the whole input sequence
	Pos     Position
	Outcome Outcome
	// Issues are the reject reasons (Outcome Rejected); Warnings are kept for the report.
	Issues   []Issue
	Warnings []Issue
	// LazyReason says why the user is held for lazy migration (Outcome Lazy).
	LazyReason string
	// HashFormat is the password format the record carried ("none" when none or unparsable).
	HashFormat string
	// Identity used for deduplication: lower-cased email, user_id, username (empty when absent).
	Email, UserID, Username string
	// User is the encoded Auth0 import object (Imported) or the profile with its password material
	// kept for the hook (Lazy).
	User []byte
	// Payload is what Stages.Encode made of the user, when the runner has one.
	Payload any
	// Raw is the record as framed; a rejected record is decoded from it again for the report
	// (the stages may have changed the decoded copy in place).
	Raw RawRecord
}

// Key is the record's stable identifier in reports: its user_id, else its lower-cased email.
func (r *Result) Key() string {
	if r.UserID != "" {
		return r.UserID
	}
	return r.Email
}

// Reject turns r into a rejected record with the given issues.
func (r *Result) Reject(issues ...Issue) {
	r.Outcome = Rejected
	r.Issues = append(r.Issues, issues...)
	r.User, r.Payload = nil, nil
}

// Redacted is the text put in place of password material in reports.
const Redacted = "[redacted]"

// secretKey reports whether a record key names password material.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"password", "passwd", "pwd", "hash", "salt", "secret", "apikey", "api_key", "token"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// descriptiveKeys survive redaction inside password objects: they describe, not reveal.
var descriptiveKeys = map[string]bool{"algorithm": true, "encoding": true, "digest": true, "position": true,
	"keylen": true, "cost": true, "blockSize": true, "parallelization": true, "rounds": true, "format": true}

// Redact returns a copy of a decoded record with password material replaced by Redacted: the
// values of keys naming a password, hash, salt, secret or token, at any depth (inside such an
// object, only descriptive keys such as algorithm and encoding are kept).
func Redact(v any) any {
	return redact(v, false)
}

func redact(v any, secret bool) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			s := secret || secretKey(k)
			if s && descriptiveKeys[k] {
				out[k] = val
				continue
			}
			out[k] = redact(val, s)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = redact(val, secret)
		}
		return out
	case nil:
		return nil
	default:
		if secret {
			return Redacted
		}
		return v
	}
}

var secretText = regexp.MustCompile(`(?i)("[^"]*(?:password|passwd|pwd|hash|salt|secret|token)[^"]*"\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\]\s]+)`)

// RedactText redacts password-like "key": value pairs in text that could not be parsed, and cuts
// it to at most 2 KiB.
func RedactText(b []byte) string {
	if len(b) > 2048 {
		b = b[:2048]
	}
	return secretText.ReplaceAllString(string(b), `$1"`+Redacted+`"`)
}

// Marshal encodes v as compact JSON with object keys sorted and without HTML escaping: the form
// used for every file usher writes, so outputs are deterministic.
func Marshal(v any) ([]byte, error) {
	return json.MarshalWithOption(v, json.DisableHTMLEscape())
}
