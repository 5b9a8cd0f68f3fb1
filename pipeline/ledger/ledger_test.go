package ledger

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestCommitCheckpointTruncate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("ledger mode %v, want 0600", st.Mode().Perm())
	}
	if cp, err := l.Checkpoint(); err != nil || cp != nil {
		t.Fatalf("fresh ledger has checkpoint %v, %v", cp, err)
	}
	var users []User
	for i := int64(1); i <= 600; i++ { // more than one multi-row insert
		status := "imported"
		if i%3 == 0 {
			status = "rejected"
		}
		users = append(users, User{Seq: i, Pos: "in:1", Status: status, Email: "e" + string(rune('a'+i%26)) + "@x.io", File: 1, Hash: "none"})
	}
	cp := Checkpoint{Seq: 600, FileNo: 2, FileOff: 10, State: `{"x":1}`}
	if err := l.Commit(ctx, users, []File{{No: 1, Path: "import/users-000001.json", Users: 400, Bytes: 5, SHA256: "ab", FirstSeq: 1, LastSeq: 599}}, cp); err != nil {
		t.Fatal(err)
	}
	got, err := l.Checkpoint()
	if err != nil || *got != cp {
		t.Fatalf("checkpoint %+v, %v; want %+v", got, err, cp)
	}
	u, err := l.UserBySeq(3)
	if err != nil || u.Status != "rejected" || u.Email != users[2].Email {
		t.Fatalf("user 3: %+v %v", u, err)
	}
	claims := 0
	if err := l.EachClaim(ctx, 300, func(seq int64, email, _, _ string) error {
		if seq%3 == 0 {
			t.Errorf("rejected record %d claims an identity", seq)
		}
		claims++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if claims != 200 {
		t.Fatalf("%d claims up to 300, want 200", claims)
	}
	if err := l.Truncate(Checkpoint{Seq: 100, FileNo: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.UserBySeq(101); err == nil {
		t.Fatal("row beyond the checkpoint survived Truncate")
	}
	if files, _ := l.Files(); len(files) != 0 {
		t.Fatalf("files beyond the checkpoint survived: %v", files)
	}
	if err := l.SetMeta("fingerprint", "f"); err != nil {
		t.Fatal(err)
	}
	if v, _ := l.Meta("fingerprint"); v != "f" {
		t.Fatalf("meta %q", v)
	}
}

func TestJobsJournal(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	users := []User{
		{Seq: 1, Pos: "a:1", Status: "imported", Email: "a@x.io", File: 1},
		{Seq: 2, Pos: "a:2", Status: "imported", Email: "b@x.io", UserID: "2", File: 1},
		{Seq: 3, Pos: "a:3", Status: "imported", Email: "c@x.io", File: 2},
	}
	if err := l.Commit(ctx, users, nil, Checkpoint{Seq: 3, FileNo: 2, State: "{}"}); err != nil {
		t.Fatal(err)
	}
	steps := []Job{
		{FileNo: 1, Path: "import/users-000001.json", SHA256: "aa", State: "sending", UpdatedAt: "t1"},
		{FileNo: 1, Path: "import/users-000001.json", SHA256: "aa", State: "submitted", JobID: "job_1", UpdatedAt: "t2"},
		{FileNo: 1, Path: "import/users-000001.json", SHA256: "aa", State: "done", JobID: "job_1", Status: "completed",
			Summary: []byte(`{"failed":1}`), Errors: []byte(`[{"user":{"email":"b@x.io"}}]`), Resent: true, SentAt: "t0", Recovered: 2, UpdatedAt: "t3"},
	}
	for _, j := range steps {
		if err := l.PutJob(j); err != nil {
			t.Fatal(err)
		}
		got, err := l.Jobs()
		if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], j) {
			t.Fatalf("journal %+v (%v), want %+v", got, err, j)
		}
	}
	in1, err := l.FileUsers(1)
	if err != nil || len(in1) != 2 || in1[1].UserID != "2" {
		t.Fatalf("file 1 users %+v %v", in1, err)
	}
	if err := l.SetOutcomes(ctx, map[int64][2]string{2: {"rejected", "auth0:CONFLICT_EMAIL"}}); err != nil {
		t.Fatal(err)
	}
	if u, _ := l.UserBySeq(2); u.Status != "rejected" || u.Reasons != "auth0:CONFLICT_EMAIL" {
		t.Errorf("user 2 %+v", u)
	}
	if u, _ := l.UserBySeq(1); u.Status != "imported" {
		t.Errorf("user 1 %+v", u)
	}
}
