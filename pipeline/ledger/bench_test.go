package ledger

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
)

func BenchmarkCommitUsers(b *testing.B) {
	l, err := Open(filepath.Join(b.TempDir(), FileName))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	const batch = 20000
	users := make([]User, batch)
	b.ResetTimer()
	seq := int64(0)
	for i := 0; i < b.N; i += batch {
		for j := range users {
			seq++
			s := strconv.FormatInt(seq, 10)
			users[j] = User{Seq: seq, Pos: "users.ndjson:" + s, Status: "imported", Email: "user" + s + "@example.com", UserID: "5f1a2b3c4d5e6f" + s, File: int(seq / 600), Hash: "bcrypt"}
		}
		if err := l.Commit(context.Background(), users, nil, Checkpoint{Seq: seq}); err != nil {
			b.Fatal(err)
		}
	}
}
