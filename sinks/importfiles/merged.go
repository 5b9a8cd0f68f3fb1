package importfiles

import (
	"context"
	"fmt"
	"sort"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/pipeline/merge"
)

// mergeHeld ends a --duplicates merge run: the records held because their e-mail occurs more than
// once become one user per e-mail, written where that user goes. It runs from the ledger, an
// e-mail at a time, so memory holds one group; an interrupted merge resumes with the groups whose
// rows are still held.
func (s *Sink) mergeHeld(ctx context.Context) error {
	if s.repeated == nil {
		return nil
	}
	// Every held row must be in the ledger before it is read back.
	if err := s.checkpoint(ctx, false); err != nil {
		return err
	}
	if err := s.waitCommit(); err != nil {
		return err
	}
	s.overlay = map[int64]ledger.User{}
	defer func() { s.overlay = nil }()
	after := ""
	for {
		emails, err := s.led.HeldEmails(ctx, after, 256)
		if err != nil || len(emails) == 0 {
			return err
		}
		for _, email := range emails {
			if err := ctx.Err(); err != nil {
				return err
			}
			rows, err := s.led.Held(ctx, email)
			if err != nil {
				return err
			}
			if err := s.writeMerged(ctx, rows); err != nil {
				return err
			}
		}
		after = emails[len(emails)-1]
		// The group reads above wait for the background commit; keep them from waiting long.
		if err := s.waitCommit(); err != nil {
			return err
		}
	}
}

// writeMerged merges the held rows of one e-mail (in seq order) and writes the user: the first
// account's row becomes the user's, the others are marked merged.
func (s *Sink) writeMerged(ctx context.Context, rows []ledger.User) error {
	if len(rows) == 0 {
		return nil
	}
	helds := make([]heldRecord, len(rows))
	for i, row := range rows {
		if err := json.Unmarshal(row.Profile, &helds[i]); err != nil {
			return fmt.Errorf("held record %s: %w", row.Pos, err)
		}
	}
	// The first account that has a login of its own is the primary: social-only ones go last.
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return helds[order[a]].Issue == nil && helds[order[b]].Issue != nil })
	sorted := make([]ledger.User, len(rows))
	for i, j := range order {
		sorted[i] = rows[j]
	}
	rows = sorted
	accounts := make([]merge.Account, len(rows))
	var social *pipeline.Issue // set while every account is social-only
	for i, row := range rows {
		h := helds[order[i]]
		user, err := pipeline.DecodeObject(h.User)
		if err != nil {
			return fmt.Errorf("held record %s: %w", row.Pos, err)
		}
		a := merge.Account{Seq: row.Seq, Pos: row.Pos, User: user, Outcome: pipeline.Imported}
		if h.Outcome == pipeline.Lazy.String() {
			a.Outcome, a.LazyReason = pipeline.Lazy, h.LazyReason
		}
		accounts[i] = a
		if i == 0 || social != nil {
			social = h.Issue
		}
	}
	m := merge.Merge(s.cfg.Namespace, accounts)
	first := rows[0]
	r := &pipeline.Result{Seq: first.Seq, Pos: position(first.Pos), Outcome: m.Outcome, LazyReason: m.LazyReason,
		HashFormat: first.Hash, Email: first.Email, UserID: first.UserID, Username: first.Username}
	b, err := pipeline.Marshal(m.User)
	if err != nil {
		return fmt.Errorf("merged user %s: %w", first.Pos, err)
	}
	r.User = b
	if social != nil {
		r.Reject(*social) // nobody in the group can sign in but through a social login
	} else if s.cfg.MaxUserBytes > 0 && len(b) > s.cfg.MaxUserBytes {
		r.Reject(pipeline.Issue{Code: pipeline.CodeRecordTooLarge, Message: fmt.Sprintf(
			"the %d accounts with this e-mail merge into a user of %d bytes; an import file (and a lazy-migration answer) holds at most %d",
			len(rows), len(b), s.cfg.MaxUserBytes)})
	} else {
		dups, err := s.claim(first.Seq, first.Email, "", "")
		if err != nil {
			return err
		}
		if len(dups) > 0 {
			r.Reject(dups...)
		}
	}
	if r.Outcome == pipeline.Rejected {
		r.Raw = pipeline.RawRecord{Aux: mergedUser{m.User}} // rejects.ndjson shows the merged user
	}
	st := &s.state
	st.Counts.Held -= int64(len(rows))
	st.Counts.Merged += int64(len(rows) - 1)
	row := ledger.User{Seq: first.Seq, Pos: first.Pos, Status: r.Outcome.String(), Email: first.Email,
		UserID: first.UserID, Username: first.Username, Hash: first.Hash}
	if err := s.place(ctx, r, row); err != nil {
		return err
	}
	for _, o := range rows[1:] {
		o.Status, o.Reasons, o.Profile = statusMerged, merge.Key, nil
		if err := s.add(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// mergedUser marks the rejected record of a merged user: rejects.ndjson shows the user (redacted).
type mergedUser struct{ user map[string]any }

// position parses a ledger position back ("file:line" or "file#index"); it is only displayed.
func position(p string) pipeline.Position {
	return pipeline.Position{File: p}
}
