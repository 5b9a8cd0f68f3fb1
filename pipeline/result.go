package pipeline

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"sync"

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
	// kept for the hook (Lazy). A user rejected social_only keeps it too: merged with another
	// account of the same e-mail (--duplicates merge), it is imported.
	User []byte
	// SocialOnly and Providers are Mapped's: a user whose only logins are social or
	// enterprise ones (whatever --social-only made of them), and their providers.
	SocialOnly bool
	Providers  []string
	// Payload is what Stages.Encode made of the user, when the runner has one.
	Payload any
	// Raw is the record as framed; a rejected record is decoded from it again for the report
	// (the stages may have changed the decoded copy in place): see ReadRecord.
	Raw RawRecord
	// decoder decodes Raw again for ReadRecord: the Source that framed the record (set by the
	// runner), or what SetDecoder gave.
	decoder interface {
		Decode(raw *RawRecord) (map[string]any, error)
	}
	// mapped says the record decoded and mapped without an issue; mappedEmail is its e-mail
	// then (FirstPass collects them).
	mapped      bool
	mappedEmail string
}

// ReadRecord returns the record as read: Raw decoded again by the source that framed it, not the
// copy the stages worked on (they may have changed it in place). It fails when the record could
// not be framed (Raw.Err), when no decoder is known (a Result built outside the runner, without
// SetDecoder), or with the decoder's error.
func (r *Result) ReadRecord() (map[string]any, error) {
	if r.Raw.Err != nil {
		return nil, r.Raw.Err
	}
	if r.decoder == nil {
		return nil, errNoDecoder
	}
	return r.decoder.Decode(&r.Raw)
}

// SetDecoder sets how ReadRecord decodes Raw, for a Result built outside the runner: when the
// importfiles sink rejects a user merged from several accounts (--duplicates merge), each
// account's line in rejects.ndjson shows the account's user, which decode returns.
func (r *Result) SetDecoder(decode func(raw *RawRecord) (map[string]any, error)) {
	r.decoder = decodeFunc(decode)
}

// decodeFunc is a decode function as Result.decoder.
type decodeFunc func(raw *RawRecord) (map[string]any, error)

func (f decodeFunc) Decode(raw *RawRecord) (map[string]any, error) { return f(raw) }

// errNoDecoder is ReadRecord's error for a Result that knows no way to decode its record.
var errNoDecoder = errors.New("pipeline: no decoder for the record")

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

// SecretValue reports whether v, the value of key k, is password material: k names a password,
// hash, salt, secret or token (secretKey), unless k names a time and v is one. The legacy stores
// keep when a password was set (passwordChanged in Okta, passwordModifiedAt in Stormpath,
// pwdLastSet in Active Directory): when, not what. A key names a time when its last word
// (camelCase or separated by _ - . or space) is one of timeWords, so passwordHash, passwordFormat
// and passwordChangedToken stay secret; v is a time when it is a number or a string that reads as
// an ISO-8601 date or date-time, or as a decimal number of 9 to 19 digits (epoch seconds or
// milliseconds, a Windows FILETIME). Anything else under such a key (an object, an array, a
// boolean, other text) stays secret.
func SecretValue(k string, v any) bool {
	if !secretKey(k) {
		return false
	}
	return !(timeKey(k) && timeValue(v))
}

// timeWords are the last words of keys that name a time.
var timeWords = map[string]bool{"at": true, "on": true, "date": true, "time": true, "timestamp": true, "ts": true,
	"changed": true, "modified": true, "updated": true, "created": true, "set": true, "expires": true,
	"expiry": true, "expiration": true, "expired": true, "reset": true}

// timeKey reports whether key k names a time: its last word is one of timeWords.
func timeKey(k string) bool {
	return timeWords[strings.ToLower(lastWord(k))]
}

// lastWord is the last word of a key: after its last separator, digits left out, and from its
// last capital when it ends in lower case (passwordChangedAt → At, PASSWORD_CHANGED_AT → AT,
// passwordchangedat → passwordchangedat).
func lastWord(k string) string {
	end := len(k)
	for end > 0 && !isLetter(k[end-1]) {
		end--
	}
	i := end
	switch {
	case i > 0 && isLower(k[i-1]):
		for i > 0 && isLower(k[i-1]) {
			i--
		}
		if i > 0 && isUpper(k[i-1]) {
			i--
		}
	default:
		for i > 0 && isUpper(k[i-1]) {
			i--
		}
	}
	return k[i:end]
}

func isLower(c byte) bool  { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool  { return c >= 'A' && c <= 'Z' }
func isLetter(c byte) bool { return isLower(c) || isUpper(c) }

// timeText matches the text of a time: an ISO-8601 date or date-time (offset or Z optional), or a
// decimal number of 9 to 19 digits.
var timeText = regexp.MustCompile(`^(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?|\d{9,19}(?:\.\d{1,9})?)$`)

// timeValue reports whether v reads as a time: a number, or a string matching timeText.
func timeValue(v any) bool {
	switch t := v.(type) {
	case json.Number, float64, float32, int, int64, int32, uint64, uint32:
		return true
	case string:
		return timeText.MatchString(strings.TrimSpace(t))
	}
	return false
}

// descriptiveKeys survive redaction inside password objects: they describe, not reveal.
var descriptiveKeys = map[string]bool{"algorithm": true, "encoding": true, "digest": true, "position": true,
	"keylen": true, "cost": true, "blockSize": true, "parallelization": true, "rounds": true, "format": true}

// Redact returns a copy of a decoded record with password material replaced by Redacted: the
// values of keys naming a password, hash, salt, secret or token, at any depth (inside such an
// object, only descriptive keys such as algorithm and encoding are kept), except a time under a
// key that names one (SecretValue: passwordChanged, passwordModifiedAt).
func Redact(v any) any {
	return redact(v, false)
}

func redact(v any, secret bool) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		// A credential object {"type": "password", "value": …} (Keycloak's credential
		// representation, as realm files written for import carry it) holds the password itself
		// under a key that names nothing.
		typ, _ := t["type"].(string)
		credential := strings.EqualFold(typ, "password")
		for k, val := range t {
			s := secret || SecretValue(k, val) || credential && k == "value"
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

var secretText = regexp.MustCompile(`(?i)("([^"]*(?:password|passwd|pwd|hash|salt|secret|token)[^"]*)"\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\]\s]+)`)

// RedactText redacts password-like "key": value pairs in text that could not be parsed, and cuts
// it to at most 2 KiB. A time under a key naming one is kept (SecretValue), when it is a bare
// number or a whole string without escapes.
func RedactText(b []byte) string {
	if len(b) > 2048 {
		b = b[:2048]
	}
	return secretText.ReplaceAllStringFunc(string(b), func(m string) string {
		sub := secretText.FindStringSubmatch(m)
		if !SecretValue(sub[2], textValue(sub[3])) {
			return m
		}
		return sub[1] + `"` + Redacted + `"`
	})
}

// textValue reads the value text of a "key": value pair as SecretValue needs it: a closed string
// without escapes as its text, a bare number as a json.Number, anything else as nil (secret).
func textValue(v string) any {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' && !strings.ContainsRune(v[1:len(v)-1], '\\') {
		return v[1 : len(v)-1]
	}
	if v != "" && v[0] != '"' && json.Valid([]byte(v)) && strings.IndexFunc(v, isNotNumber) < 0 {
		return json.Number(v)
	}
	return nil
}

func isNotNumber(r rune) bool { return !strings.ContainsRune("0123456789+-.eE", r) }

// Marshal encodes v as compact JSON with object keys sorted and without HTML escaping: the form
// used for every file usher writes, so outputs are deterministic.
func Marshal(v any) ([]byte, error) {
	switch v.(type) {
	case map[string]any, []any:
		bp := marshalBufs.Get().(*[]byte)
		defer marshalBufs.Put(bp)
		b, err := appendValue((*bp)[:0], v, 1)
		if err != nil {
			return nil, err
		}
		if cap(b) <= 1<<20 { // a buffer grown by a huge user is not kept
			*bp = b
		}
		return bytes.Clone(b), nil
	}
	return marshalGeneral(v)
}

// marshalBufs keeps Marshal's scratch buffers: the result is copied out at its final size.
var marshalBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}
