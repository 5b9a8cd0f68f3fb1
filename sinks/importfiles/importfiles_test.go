package importfiles

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/ledger"
)

// user builds an imported result whose encoded user is exactly size bytes.
func user(seq int64, size int) *pipeline.Result {
	email := "u" + strconv.FormatInt(seq, 10) + "@x.io"
	base := `{"email":"` + email + `","name":""}`
	pad := strings.Repeat("a", size-len(base))
	return &pipeline.Result{Seq: seq, Pos: pipeline.Position{File: "in", Line: int(seq)}, Outcome: pipeline.Imported,
		HashFormat: "none", Email: email, User: []byte(`{"email":"` + email + `","name":"` + pad + `"}`)}
}

func TestPacking(t *testing.T) {
	cases := []struct {
		name  string
		max   int
		sizes []int
	}{
		{"exact fit", 2000, []int{997, 997}}, // "[" + 997 + ",\n" + 997 + "]\n" = 1999
		{"one byte over starts a new file", 2000, []int{998, 998}},
		{"many small", 5000, repeat(100, 300)},
		{"mixed", 3000, []int{2990, 40, 40, 1500, 1450, 60, 2995}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, skip, err := Open(context.Background(), Config{Dir: dir, Source: "json", MaxFileBytes: tc.max, Fingerprint: "x"})
			if err != nil || skip != 0 {
				t.Fatal(err, skip)
			}
			for i, n := range tc.sizes {
				if err := s.Write(context.Background(), user(int64(i+1), n)); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := s.Close(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for i, f := range rep.Files {
				b, err := os.ReadFile(filepath.Join(dir, f.Path))
				if err != nil {
					t.Fatal(err)
				}
				var arr []json.RawMessage
				if err := json.Unmarshal(b, &arr); err != nil {
					t.Fatalf("%s: %v", f.Path, err)
				}
				if len(b) > tc.max || int64(len(b)) != f.Bytes || len(arr) != f.Users {
					t.Fatalf("%s: %d bytes (max %d), %d users (report %+v)", f.Path, len(b), tc.max, len(arr), f)
				}
				// Packed: the next user would not have fitted.
				if i+1 < len(rep.Files) {
					next := tc.sizes[total+len(arr)]
					if len(b)+2+next <= tc.max {
						t.Fatalf("%s: %d bytes, yet the next user (%d bytes) would have fitted", f.Path, len(b), next)
					}
				}
				for j, u := range arr {
					if !bytes.Equal(u, user(int64(total+j+1), tc.sizes[total+j]).User) {
						t.Fatalf("%s[%d]: users out of order or changed", f.Path, j)
					}
				}
				total += len(arr)
			}
			if total != len(tc.sizes) || rep.Counts.Imported != int64(total) {
				t.Fatalf("%d users written of %d", total, len(tc.sizes))
			}
			led, err := ledger.Open(filepath.Join(dir, ledger.FileName))
			if err != nil {
				t.Fatal(err)
			}
			defer led.Close()
			files, _ := led.Files()
			for _, f := range files {
				sum, size, err := fileSHA256(filepath.Join(dir, f.Path))
				if err != nil || sum != f.SHA256 || size != f.Bytes {
					t.Fatalf("%s: ledger says %s/%d, file is %s/%d (%v)", f.Path, f.SHA256, f.Bytes, sum, size, err)
				}
			}
		})
	}
}

func repeat(n, times int) []int {
	out := make([]int, times)
	for i := range out {
		out[i] = n
	}
	return out
}

func TestRefusesExistingRunAndBadCap(t *testing.T) {
	dir := t.TempDir()
	s, _, err := Open(context.Background(), Config{Dir: dir, Source: "json", Fingerprint: "a"})
	if err != nil {
		t.Fatal(err)
	}
	s.Write(context.Background(), user(1, 100))
	if _, err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(context.Background(), Config{Dir: dir, Source: "json", Fingerprint: "a"}); err == nil {
		t.Fatal("a second run into the same folder was accepted")
	}
	if _, _, err := Open(context.Background(), Config{Dir: dir, Source: "json", Fingerprint: "b", Resume: true}); err == nil {
		t.Fatal("resume with other inputs was accepted")
	}
	if _, _, err := Open(context.Background(), Config{Dir: t.TempDir(), MaxFileBytes: 512001}); err == nil {
		t.Fatal("a cap above Auth0's limit was accepted")
	}
}

func TestResumeRefusesTamperedOutputs(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, _, err := Open(ctx, Config{Dir: dir, Source: "json", MaxFileBytes: 2000, Fingerprint: "a"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		s.Write(ctx, user(int64(i), 900))
	}
	if err := s.Interrupt(ctx); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ImportDir, "users-000001.json"), []byte("[]\n"), 0o600)
	if _, _, err := Open(ctx, Config{Dir: dir, Source: "json", MaxFileBytes: 2000, Fingerprint: "a", Resume: true}); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("tampered import file not detected: %v", err)
	}
}
