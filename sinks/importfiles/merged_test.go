package importfiles

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/pipeline/merge"
	"github.com/usher-migrate/usher/pipeline/runreport"
)

// account builds a routed record for the merge tests.
func account(seq int64, email, userID, username string, lazy bool, user string) *pipeline.Result {
	r := &pipeline.Result{Seq: seq, Pos: pipeline.Position{File: "in.json", Line: int(seq)}, Outcome: pipeline.Imported,
		HashFormat: "bcrypt", Email: strings.ToLower(email), UserID: userID, Username: username, User: []byte(user)}
	if lazy {
		r.Outcome, r.LazyReason = pipeline.Lazy, "unsupported_hash"
	}
	return r
}

// mergeInput is one person with three accounts (two passwords), one with two accounts and the same
// password, a lone user, and a record whose user_id repeats an account's.
func mergeInput() []*pipeline.Result {
	return []*pipeline.Result{
		account(1, "jl@x.test", "A1", "jl", false, `{"email":"jl@x.test","user_id":"A1","username":"jl","password_hash":"$2b$10$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","app_metadata":{"sp":{"groups":["officers"]}}}`),
		account(2, "will@x.test", "W1", "", false, `{"email":"will@x.test","user_id":"W1","password_hash":"$2b$10$bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}`),
		account(3, "lone@x.test", "L1", "", false, `{"email":"lone@x.test","user_id":"L1"}`),
		account(4, "JL@x.test", "A2", "jlp", false, `{"email":"JL@x.test","user_id":"A2","username":"jlp","password_hash":"$2b$10$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","app_metadata":{"sp":{"groups":["bridge"]}}}`),
		account(5, "will@x.test", "W2", "", false, `{"email":"will@x.test","user_id":"W2","password_hash":"$2b$10$bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}`),
		account(6, "jl@x.test", "A3", "", true, `{"email":"jl@x.test","user_id":"A3","legacy_password":{"kind":"hash","value":"$1$salt$hash"}}`),
		account(7, "other@x.test", "A2", "", false, `{"email":"other@x.test","user_id":"A2"}`),
	}
}

func repeatedOf(in []*pipeline.Result) func(string) bool {
	set := pipeline.NewEmailSet(int64(len(in)))
	for _, r := range in {
		set.Add(r.Email)
	}
	return set.Repeated
}

// checkMerged checks the outputs of a finished mergeInput run.
func checkMerged(t *testing.T, dir string, rep *runreport.Report) {
	t.Helper()
	want := runreport.Counts{Read: 7, Imported: 2, Lazy: 1, Rejected: 1, Merged: 3}
	if rep.Counts != want {
		t.Errorf("counts %+v, want %+v", rep.Counts, want)
	}
	c := rep.Counts
	if c.Read != c.Imported+c.Lazy+c.Rejected+c.Merged {
		t.Errorf("read %d ≠ imported + lazy + rejected + merged", c.Read)
	}
	var users []map[string]any
	for _, f := range rep.Files {
		b, err := os.ReadFile(filepath.Join(dir, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		var arr []map[string]any
		if err := json.Unmarshal(b, &arr); err != nil {
			t.Fatal(err)
		}
		users = append(users, arr...)
	}
	ids := []string{}
	for _, u := range users {
		ids = append(ids, u["user_id"].(string))
	}
	// The lone user in input order, then the merged user of will@ (W1 + W2, one password).
	if strings.Join(ids, ",") != "L1,W1" {
		t.Fatalf("imported %v, want L1,W1", ids)
	}
	will := users[1]
	accts := will["app_metadata"].(map[string]any)["sp"].(map[string]any)[merge.Key].([]any)
	if len(accts) != 2 || will["password_hash"] == nil {
		t.Errorf("will@: %v", will)
	}
	led, err := ledger.Open(filepath.Join(dir, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	var lazy []ledger.User
	led.EachLazy(context.Background(), func(u ledger.User) error { lazy = append(lazy, u); return nil })
	if len(lazy) != 1 || lazy[0].Seq != 1 || lazy[0].Reasons != merge.LazyReason {
		t.Fatalf("lazy rows %+v", lazy)
	}
	var jl map[string]any
	json.Unmarshal(lazy[0].Profile, &jl)
	pws, _ := jl[pipeline.MergedPasswordsKey].([]any)
	groups := jl["app_metadata"].(map[string]any)["sp"].(map[string]any)["groups"]
	if len(pws) != 2 || jl["user_id"] != "A1" || jl["username"] != "jl" || len(groups.([]any)) != 2 {
		t.Errorf("jl@ merged user: %v", jl)
	}
	rejects, _ := os.ReadFile(filepath.Join(dir, RejectsFile))
	if !strings.Contains(string(rejects), `"duplicate_user_id"`) || !strings.Contains(string(rejects), `at in.json:4`) {
		t.Errorf("rejects: %s", rejects)
	}
	for seq, status := range map[int64]string{4: statusMerged, 5: statusMerged, 6: statusMerged, 1: "lazy", 2: "imported", 3: "imported", 7: "rejected"} {
		u, err := led.UserBySeq(seq)
		if err != nil || u.Status != status {
			t.Errorf("record %d: %s, want %s (%v)", seq, u.Status, status, err)
		}
	}
}

func TestMergeDuplicates(t *testing.T) {
	ctx := context.Background()
	in := mergeInput()
	dir := t.TempDir()
	s, _, err := Open(ctx, Config{Dir: dir, Source: "json", Fingerprint: "m", Namespace: "sp"})
	if err != nil {
		t.Fatal(err)
	}
	s.MergeDuplicates(repeatedOf(in))
	for _, r := range in {
		if err := s.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := s.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkMerged(t, dir, rep)
}

// TestMergeResumes interrupts a merge run before the end of its input, and again in the middle of
// the merge, and checks that the resumed run ends as an uninterrupted one.
func TestMergeResumes(t *testing.T) {
	in := mergeInput()
	dir := t.TempDir()
	cfg := Config{Dir: dir, Source: "json", Fingerprint: "m", Namespace: "sp"}
	ctx := context.Background()
	s, _, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.MergeDuplicates(repeatedOf(in))
	for _, r := range in[:5] {
		if err := s.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Interrupt(ctx); err != nil {
		t.Fatal(err)
	}

	// Resume, write the rest, and stop during the merge: a checkpoint after every row, and the
	// context cancelled once the first group's rows were checkpointed.
	cfg.Resume, cfg.CheckpointEvery = true, time.Nanosecond
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	calls := 0
	cfg.Now = func() time.Time {
		calls++
		return time.Now()
	}
	s, skip, err := Open(ctx, cfg)
	if err != nil || skip != 5 {
		t.Fatal(err, skip)
	}
	s.MergeDuplicates(repeatedOf(in))
	for _, r := range in[5:] {
		if err := s.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	merged := 0
	s.cfg.Now = func() time.Time {
		if merged++; merged == 3 {
			cancel()
		}
		return time.Now()
	}
	if _, err := s.Close(cctx); err == nil {
		t.Fatal("the merge was not interrupted")
	}
	led, err := ledger.Open(filepath.Join(dir, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	held, _ := led.HeldEmails(ctx, "", 10)
	led.Close()
	if len(held) == 0 || len(held) == 2 {
		t.Fatalf("the interruption left %d e-mails held; the test wants it in the middle of the merge", len(held))
	}

	cfg.CheckpointEvery, cfg.Now = 0, nil
	s, skip, err = Open(ctx, cfg)
	if err != nil || skip != 7 {
		t.Fatal(err, skip)
	}
	s.MergeDuplicates(repeatedOf(in))
	rep, err := s.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkMerged(t, dir, rep)
}

// TestMergeSocialOnly: an account that signs in only through a social login joins the user of
// another account of its person (which is the primary); when every account of an e-mail is
// social-only, each is rejected social_only, as it would have been alone.
func TestMergeSocialOnly(t *testing.T) {
	social := func(seq int64, email, id string) *pipeline.Result {
		r := account(seq, email, id, "", false, `{"email":"`+email+`","user_id":"`+id+`"}`)
		r.Reject(pipeline.Issue{Code: pipeline.CodeSocialOnly, Message: "social only"})
		r.User = []byte(`{"email":"` + email + `","user_id":"` + id + `"}`)
		r.SocialOnly, r.Providers = true, []string{strings.SplitN(id, "-", 2)[0]}
		return r
	}
	in := []*pipeline.Result{
		social(1, "a@x.test", "google-1"),
		account(2, "a@x.test", "A2", "", false, `{"email":"a@x.test","user_id":"A2","password_hash":"$2b$10$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`),
		social(3, "b@x.test", "google-3"),
		social(4, "b@x.test", "facebook-4"),
		social(5, "c@x.test", "google-5"),
	}
	ctx := context.Background()
	dir := t.TempDir()
	s, _, err := Open(ctx, Config{Dir: dir, Source: "json", Fingerprint: "m", Namespace: "sp"})
	if err != nil {
		t.Fatal(err)
	}
	s.MergeDuplicates(repeatedOf(in))
	for _, r := range in {
		if err := s.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := s.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// b@'s two social accounts are both rejected, as each would have been alone.
	if want := (runreport.Counts{Read: 5, Imported: 1, Rejected: 3, Merged: 1}); rep.Counts != want {
		t.Errorf("counts %+v, want %+v", rep.Counts, want)
	}
	if rep.Reasons[pipeline.CodeSocialOnly] != 3 {
		t.Errorf("reasons %v", rep.Reasons)
	}
	rejects, _ := os.ReadFile(filepath.Join(dir, RejectsFile))
	if !strings.Contains(string(rejects), "all sign in only through google, facebook") {
		t.Errorf("the group's reject does not name every provider: %s", rejects)
	}
	b, _ := os.ReadFile(filepath.Join(dir, ImportDir, "users-000001.json"))
	var users []map[string]any
	json.Unmarshal(b, &users)
	if len(users) != 1 || users[0]["user_id"] != "A2" || users[0]["password_hash"] == nil {
		t.Errorf("imported %s", b)
	}
}

// TestMergeManyGroups: more held records than a page of the merge holds (groups cut at a page's
// end are read whole): every person is one user, every other account merged.
func TestMergeManyGroups(t *testing.T) {
	ctx := context.Background()
	var in []*pipeline.Result
	const people = 2500 // 7500 held records, three per e-mail, in turn
	for round := 0; round < 3; round++ {
		for p := 0; p < people; p++ {
			seq := int64(round*people + p + 1)
			email := fmt.Sprintf("p%04d@x.test", p)
			id := fmt.Sprintf("u%d", seq)
			in = append(in, account(seq, email, id, "", false, `{"email":"`+email+`","user_id":"`+id+`"}`))
		}
	}
	dir := t.TempDir()
	s, _, err := Open(ctx, Config{Dir: dir, Source: "json", Fingerprint: "m", Namespace: "sp"})
	if err != nil {
		t.Fatal(err)
	}
	s.MergeDuplicates(repeatedOf(in))
	for _, r := range in {
		if err := s.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := s.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (runreport.Counts{Read: 3 * people, Imported: people, Merged: 2 * people}); rep.Counts != want {
		t.Fatalf("counts %+v, want %+v", rep.Counts, want)
	}
}
