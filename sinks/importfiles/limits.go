package importfiles

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/usher-migrate/usher/pipeline"
)

// Reject limits. A file that is not what --source says (gzip garbage, a binary, another kind of
// export) is rejected record after record; without a limit 20 KB of garbage wrote gigabytes of
// rejects and ledger rows.
const (
	// DefaultRejectFloor is the default rule's floor: with Config.MaxRejects 0, the run stops
	// once more than DefaultRejectFloor records are rejected and they are more than half of the
	// records read so far. Garbage is stopped after about a thousand records; a real export
	// with many bad records (30% of a million users) runs to the end, and its first thousand
	// records alone never stop it.
	DefaultRejectFloor = 1000
	// MaxRejectLineBytes bounds a rejects.ndjson line: a larger rejected record is shown cut,
	// with "truncated": true and its full size in "record_bytes" (it is still counted).
	MaxRejectLineBytes = 64 << 10
	// maxRowIdentity bounds the email, user_id and username kept in the ledger for a rejected
	// record (and shown in a cut rejects line).
	maxRowIdentity = 1024
)

// TooManyRejectsError stops a run whose rejects passed the limit (Config.MaxRejects). The run's
// files and ledger are consistent up to the last record written: once the limit is raised, the
// same command with --resume continues after it.
type TooManyRejectsError struct {
	Limit    int64 // the limit passed: an explicit --max-rejects, or DefaultRejectFloor
	Default  bool  // the default rule (over the floor and over half the records read)
	Rejected int64
	Read     int64
	Input    string // the inputs, as given
	Kind     string // the source kind
}

// Error implements error.
func (e *TooManyRejectsError) Error() string {
	why := fmt.Sprintf("%d of the %d records read were rejected", e.Rejected, e.Read)
	if e.Default {
		why += ", over half"
	}
	return fmt.Sprintf("stopping: more than %d records rejected; is %s really a %s export? (%s; see %s; "+
		"raise --max-rejects, or -1 for no limit, then run the same command with --resume)", e.Limit, e.Input, e.Kind, why, RejectsFile)
}

// tooManyRejects reports whether the counts pass the limit, and the error that says so.
func (s *Sink) tooManyRejects() error {
	c := s.state.Counts
	limit := s.cfg.MaxRejects
	over := false
	switch {
	case limit < 0:
		return nil
	case limit == 0:
		limit = DefaultRejectFloor
		over = c.Rejected > limit && c.Rejected*2 > c.Read
	default:
		over = c.Rejected > limit
	}
	if !over {
		return nil
	}
	input := strings.Join(s.cfg.Inputs, ", ")
	if input == "" {
		input = "the input"
	}
	return &TooManyRejectsError{Limit: limit, Default: s.cfg.MaxRejects == 0, Rejected: c.Rejected, Read: c.Read,
		Input: input, Kind: s.cfg.Source}
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
	line.Key, line.Email = cut(line.Key, maxRowIdentity), cut(line.Email, maxRowIdentity)
	line.Position = cut(line.Position, maxRowIdentity)
	if len(line.Errors) > 64 {
		line.ErrorsOmitted = len(line.Errors) - 64
		line.Errors = line.Errors[:64]
	}
	errs := make([]pipeline.Issue, len(line.Errors))
	for i, is := range line.Errors {
		errs[i] = pipeline.Issue{Code: cut(is.Code, 128), Field: cut(is.Field, 256), Message: cut(is.Message, 512)}
	}
	line.Errors = errs
	head, err := pipeline.Marshal(line)
	if err != nil {
		return nil, err
	}
	// Escaping can grow text up to 6×: try the longest prefix that fits, shrinking until it does.
	room := MaxRejectLineBytes - len(head) - len(`,"raw":""`)
	for room > 0 {
		line.Raw = cut(text, room)
		if b, err = pipeline.Marshal(line); err != nil || len(b) <= MaxRejectLineBytes {
			return b, err
		}
		room -= max(len(b)-MaxRejectLineBytes, room/8)
	}
	line.Raw = ""
	return head, nil
}

// cut returns s cut to at most n bytes at a UTF-8 boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
