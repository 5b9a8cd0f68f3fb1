package importfiles

import (
	"fmt"
	"strings"
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
	// maxRowIdentity bounds the email, user_id and username kept in the ledger for a rejected
	// record (runreport bounds a cut rejects line's identity alike).
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
