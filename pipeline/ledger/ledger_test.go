package ledger

import (
	"context"
	"os"
	"path/filepath"
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
