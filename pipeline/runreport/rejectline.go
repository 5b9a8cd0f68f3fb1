package runreport

import (
	"unicode/utf8"

	"github.com/usher-migrate/usher/pipeline"
)

// RejectsFile is the name of the rejected records' list inside the run folder.
const RejectsFile = "rejects.ndjson"

const (
	// MaxRejectLineBytes bounds a rejects.ndjson line: a larger rejected record is shown cut,
	// with "truncated": true and its full size in "record_bytes" (it is still counted).
	MaxRejectLineBytes = 64 << 10
	// maxIdentity bounds the key, email and position of a cut line (1 KiB, as the ledger bounds
	// a rejected record's identity).
	maxIdentity = 1024
)

// RejectLine is one line of rejects.ndjson (shape documented in README.md, "What a run writes");
// the Auth0 sink appends lines of the same shape for users an import job refused.
type RejectLine struct {
	Source   string           `json:"source"`
	Position string           `json:"position"`
	Key      string           `json:"key,omitempty"`
	Email    string           `json:"email,omitempty"`
	Errors   []pipeline.Issue `json:"errors"`
	Record   any              `json:"record,omitempty"`
	Raw      string           `json:"raw,omitempty"`
	// Truncated marks a line cut to MaxRejectLineBytes: Raw holds the start of the record's
	// (redacted) text, RecordBytes its full size.
	Truncated     bool `json:"truncated,omitempty"`
	RecordBytes   int  `json:"record_bytes,omitempty"`
	ErrorsOmitted int  `json:"errors_omitted,omitempty"`
}

// NewRejectLine builds the rejects.ndjson line of a record with issues: its position and
// identity, and the record as read (r.ReadRecord: decoded again by the source that framed it,
// when the framing succeeded; else the raw text, at most 2 KiB of it) with password material
// redacted: keys are compared decoded, so a key spelt with JSON escapes ("pass\u0077ord") is
// caught in the raw text too, and string values holding JSON text are redacted as well.
func NewRejectLine(source string, r *pipeline.Result, issues []pipeline.Issue) RejectLine {
	line := RejectLine{Source: source, Position: r.Pos.String(), Key: r.Key(), Email: r.Email, Errors: issues}
	if rec, err := r.ReadRecord(); err == nil {
		if _, flagged := rec[pipeline.FlagKey].(pipeline.Flags); flagged {
			delete(rec, pipeline.FlagKey) // the reject's reason, already in errors
		}
		line.Record = redactRecord(rec)
	}
	if line.Record == nil && len(r.Raw.Data) > 0 {
		line.Raw = redactRaw(r.Raw.Data)
	}
	return line
}

// MarshalRejectLine encodes a rejects.ndjson line of at most MaxRejectLineBytes (newline not
// included). A larger line loses its decoded record: the record's text (already redacted) is cut
// into "raw", marked "truncated" with the full size in "record_bytes"; over-long identities and
// error messages are cut, and errors beyond the first 64 dropped ("errors_omitted").
func MarshalRejectLine(line RejectLine) ([]byte, error) {
	b, err := pipeline.Marshal(line)
	if err != nil || len(b) <= MaxRejectLineBytes {
		return b, err
	}
	text := line.Raw
	if line.Record != nil {
		rec, err := pipeline.Marshal(line.Record)
		if err != nil {
			return nil, err
		}
		text = string(rec)
	}
	line.Truncated, line.RecordBytes = true, len(text)
	line.Record, line.Raw = nil, ""
	line.Key, line.Email = Cut(line.Key, maxIdentity), Cut(line.Email, maxIdentity)
	line.Position = Cut(line.Position, maxIdentity)
	if len(line.Errors) > 64 {
		line.ErrorsOmitted = len(line.Errors) - 64
		line.Errors = line.Errors[:64]
	}
	errs := make([]pipeline.Issue, len(line.Errors))
	for i, is := range line.Errors {
		errs[i] = pipeline.Issue{Code: Cut(is.Code, 128), Field: Cut(is.Field, 256), Message: Cut(is.Message, 512)}
	}
	line.Errors = errs
	head, err := pipeline.Marshal(line)
	if err != nil {
		return nil, err
	}
	// Escaping can grow text up to 6×: try the longest prefix that fits, shrinking until it does.
	room := MaxRejectLineBytes - len(head) - len(`,"raw":""`)
	for room > 0 {
		line.Raw = Cut(text, room)
		if b, err = pipeline.Marshal(line); err != nil || len(b) <= MaxRejectLineBytes {
			return b, err
		}
		room -= max(len(b)-MaxRejectLineBytes, room/8)
	}
	line.Raw = ""
	return head, nil
}

// Cut returns s cut to at most n bytes at a UTF-8 boundary.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
