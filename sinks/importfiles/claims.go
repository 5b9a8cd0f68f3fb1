package importfiles

import (
	"fmt"
	"sort"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/dedup"
	"github.com/usher-migrate/usher/pipeline/ledger"
)

// row finds the users row of record seq among the uncommitted rows, those being committed, or
// the ledger.
func (s *Sink) row(seq int64) (ledger.User, error) {
	if u, ok := s.overlay[seq]; ok {
		return u, nil
	}
	for _, rows := range [][]ledger.User{s.pending, s.inflight} {
		if len(rows) > 0 && seq >= rows[0].Seq && seq <= rows[len(rows)-1].Seq {
			i := sort.Search(len(rows), func(i int) bool { return rows[i].Seq >= seq })
			if i < len(rows) && rows[i].Seq == seq {
				return rows[i], nil
			}
		}
	}
	if s.led == nil {
		return ledger.User{}, fmt.Errorf("record %d unknown", seq)
	}
	return s.led.UserBySeq(seq)
}

// lookup answers the dedup index's confirmation queries.
func (s *Sink) lookup(seq int64, ns dedup.Namespace) (string, error) {
	u, err := s.row(seq)
	if err != nil {
		return "", err
	}
	switch ns {
	case dedup.Email:
		return u.Email, nil
	case dedup.UserID:
		return u.UserID, nil
	default:
		return u.Username, nil
	}
}

// claim records r's identity as taken, unless an earlier record holds part of it: then it returns
// the duplicate issues and claims nothing.
func (s *Sink) claim(seq int64, email, userID, username string) ([]pipeline.Issue, error) {
	checks := [3]struct {
		ns    dedup.Namespace
		value string
		code  string
		field string
	}{
		{dedup.Email, email, pipeline.CodeDuplicateEmail, "email"},
		{dedup.UserID, userID, pipeline.CodeDuplicateUserID, "user_id"},
		{dedup.Username, username, pipeline.CodeDuplicateUsername, "username"},
	}
	var probes [3]dedup.Probe
	var issues []pipeline.Issue
	for i, c := range checks {
		prev, p, err := s.idx.Find(c.ns, c.value)
		if err != nil {
			return nil, err
		}
		probes[i] = p
		if prev == 0 {
			continue
		}
		where := fmt.Sprintf("record %d", prev)
		if pos, err := s.position(prev); err == nil {
			where = pos
		}
		issues = append(issues, pipeline.Issue{Code: c.code, Field: c.field,
			Message: fmt.Sprintf("%s %q was already taken by the user at %s (first occurrence wins)", c.field, c.value, where)})
	}
	if len(issues) > 0 {
		return issues, nil
	}
	for _, p := range probes {
		if err := s.idx.Add(p, seq); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func (s *Sink) position(seq int64) (string, error) {
	u, err := s.row(seq)
	return u.Pos, err
}
