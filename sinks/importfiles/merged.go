package importfiles

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

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
	const page = 4096
	after := ""
	for {
		rows, err := s.led.HeldPage(ctx, after, page)
		if err != nil || len(rows) == 0 {
			return err
		}
		if len(rows) == page {
			// The last e-mail's records may go on: it is read whole on its own, or next time.
			last := rows[len(rows)-1].Email
			cut := len(rows)
			for cut > 0 && rows[cut-1].Email == last {
				cut--
			}
			if cut > 0 {
				rows = rows[:cut]
			} else if rows, err = s.led.Held(ctx, last); err != nil {
				return err
			}
		}
		for start := 0; start < len(rows); {
			end := start + 1
			for end < len(rows) && rows[end].Email == rows[start].Email {
				end++
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := s.writeMerged(ctx, rows[start:end]); err != nil {
				return err
			}
			start = end
		}
		after = rows[len(rows)-1].Email
		// The page reads wait for the background commit; keep them from waiting long.
		if err := s.waitCommit(); err != nil {
			return err
		}
	}
}

// writeMerged merges the held rows of one e-mail (in seq order) and writes the user: the primary
// account's row becomes the user's, the others are marked merged. When the merged user cannot be
// written (every account signs in only socially, it is too large or invalid, its e-mail is
// taken), each account is rejected with the reason, as it would have been alone. The group's rows
// go into one checkpoint, so a resumed run finds the group whole or not at all.
func (s *Sink) writeMerged(ctx context.Context, rows []ledger.User) error {
	if len(rows) == 0 {
		return nil
	}
	s.inGroup = true
	defer func() { s.inGroup = false }()
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
	sort.SliceStable(order, func(a, b int) bool { return !helds[order[a]].Social && helds[order[b]].Social })
	sorted, sortedHelds := make([]ledger.User, len(rows)), make([]heldRecord, len(rows))
	for i, j := range order {
		sorted[i], sortedHelds[i] = rows[j], helds[j]
	}
	rows, helds = sorted, sortedHelds
	accounts := make([]merge.Account, len(rows))
	allSocial := true // every account rejected social_only
	var providers []string
	for i, row := range rows {
		h := helds[i]
		user, err := pipeline.DecodeObject(h.User)
		if err != nil {
			return fmt.Errorf("held record %s: %w", row.Pos, err)
		}
		a := merge.Account{Seq: row.Seq, Pos: row.Pos, User: user, Outcome: pipeline.Imported}
		if h.Outcome == pipeline.Lazy.String() {
			a.Outcome, a.LazyReason = pipeline.Lazy, h.LazyReason
		}
		accounts[i] = a
		allSocial = allSocial && h.Issue != nil
		for _, p := range h.Providers {
			if !slices.Contains(providers, p) {
				providers = append(providers, p)
			}
		}
	}
	m := merge.Merge(s.cfg.Namespace, accounts)
	first := rows[0]
	username, _ := m.User["username"].(string)
	r := &pipeline.Result{Seq: first.Seq, Pos: position(first.Pos), Outcome: m.Outcome, LazyReason: m.LazyReason,
		HashFormat: first.Hash, Email: first.Email, UserID: first.UserID, Username: strings.ToLower(username)}
	b, err := pipeline.Marshal(m.User)
	if err != nil {
		return fmt.Errorf("merged user %s: %w", first.Pos, err)
	}
	r.User = b
	var issues []pipeline.Issue
	switch {
	case allSocial:
		issues = []pipeline.Issue{{Code: pipeline.CodeSocialOnly, Message: fmt.Sprintf(
			"the %d accounts with this e-mail all sign in only through %s and none has a password: imported into a database connection, "+
				"the person's next social login would create a second account (--social-only import imports them anyway)",
			len(rows), strings.Join(providersOr(providers), ", "))}}
	case s.cfg.MaxUserBytes > 0 && len(b) > s.cfg.MaxUserBytes:
		issues = []pipeline.Issue{{Code: pipeline.CodeRecordTooLarge, Message: fmt.Sprintf(
			"the %d accounts with this e-mail merge into a user of %d bytes; an import file (and a lazy-migration answer) holds at most %d",
			len(rows), len(b), s.cfg.MaxUserBytes)}}
	}
	if issues == nil && s.cfg.Validate != nil {
		check := make(map[string]any, len(m.User))
		for k, v := range m.User {
			if k != pipeline.MergedPasswordsKey && k != pipeline.LegacyPasswordKey {
				check[k] = v
			}
		}
		errs, warns := s.cfg.Validate(check)
		r.Warnings = warns
		for _, e := range errs {
			issues = append(issues, pipeline.Issue{Code: e.Code, Field: e.Field, Message: "the merged user: " + e.Message})
		}
	}
	if issues == nil {
		// The username is the merged user's to claim; one a later record took first is left out.
		dups, err := s.claim(first.Seq, first.Email, "", r.Username)
		if err != nil {
			return err
		}
		if len(dups) > 0 && dups[0].Code == pipeline.CodeDuplicateUsername && len(dups) == 1 {
			delete(m.User, "username")
			r.Warnings = append(r.Warnings, pipeline.Issue{Code: pipeline.CodeDuplicateUsername, Field: "username",
				Message: dups[0].Message + ": the merged user is written without it (kept in merged_accounts)"})
			r.Username = ""
			if r.User, err = pipeline.Marshal(m.User); err != nil {
				return err
			}
			if dups, err = s.claim(first.Seq, first.Email, "", ""); err != nil {
				return err
			}
		}
		issues = dups
	}
	st := &s.state
	st.Counts.Held -= int64(len(rows))
	if len(issues) > 0 {
		// Nothing of the group is written: each account is rejected as it would have been alone.
		for i, row := range rows {
			rr := &pipeline.Result{Seq: row.Seq, Pos: position(row.Pos), Email: row.Email, UserID: row.UserID}
			// rejects.ndjson shows the account's user (redacted), as the merge read it.
			user := accounts[i].User
			rr.SetDecoder(func(*pipeline.RawRecord) (map[string]any, error) { return user, nil })
			rr.Reject(issues...)
			if err := s.place(ctx, rr, ledger.User{Seq: row.Seq, Pos: row.Pos, Status: rr.Outcome.String(), Email: row.Email,
				UserID: row.UserID, Hash: row.Hash}); err != nil {
				return err
			}
		}
		s.inGroup = false
		return s.checkpointDue(ctx)
	}
	for _, w := range r.Warnings {
		st.Warnings[w.Code]++
	}
	st.Counts.Merged += int64(len(rows) - 1)
	row := ledger.User{Seq: first.Seq, Pos: first.Pos, Status: r.Outcome.String(), Email: first.Email,
		UserID: first.UserID, Username: r.Username, Hash: first.Hash}
	if err := s.place(ctx, r, row); err != nil {
		return err
	}
	for _, o := range rows[1:] {
		o.Status, o.Reasons, o.Profile = statusMerged, merge.Key, nil
		if err := s.add(ctx, o); err != nil {
			return err
		}
	}
	s.inGroup = false
	return s.checkpointDue(ctx)
}

// providersOr is the providers of a social-only group, or a generic phrase when none was named.
func providersOr(p []string) []string {
	if len(p) == 0 {
		return []string{"social or enterprise identities"}
	}
	return p
}

// position parses a ledger position back ("file:line" or "file#index"); it is only displayed.
func position(p string) pipeline.Position {
	return pipeline.Position{File: p}
}
