package dedup

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// model is the obviously-correct in-memory answer.
type model struct {
	first  map[string]int64
	values map[int64]map[Namespace]string
}

func TestIndexMatchesModel(t *testing.T) {
	cases := []struct {
		name        string
		fingerprint func(Namespace, string) uint64 // nil: the real one
		memMax      int
		n           int
	}{
		{"in memory", nil, 1 << 20, 5000},
		{"flushed to many runs", nil, 97, 5000},
		{"every fingerprint collides", func(Namespace, string) uint64 { return 42 }, 50, 800},
		{"few fingerprints", func(_ Namespace, s string) uint64 { return uint64(len(s) % 7) }, 33, 2000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := model{first: map[string]int64{}, values: map[int64]map[Namespace]string{}}
			x, err := Open(filepath.Join(t.TempDir(), "d"), func(seq int64, ns Namespace) (string, error) {
				v, ok := m.values[seq][ns]
				if !ok {
					return "", fmt.Errorf("no record %d", seq)
				}
				return v, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			if tc.fingerprint != nil {
				x.fingerprint = tc.fingerprint
			}
			x.memMax = tc.memMax
			r := rand.New(rand.NewPCG(1, 2))
			for seq := int64(1); seq <= int64(tc.n); seq++ {
				email := fmt.Sprintf("u%d@x.io", r.IntN(tc.n/2+1))
				id := fmt.Sprintf("id-%d", r.IntN(tc.n))
				want := m.first["e"+email]
				if want == 0 {
					want = m.first["i"+id]
				}
				gotE, pe, err := x.Find(Email, email)
				if err != nil {
					t.Fatal(err)
				}
				gotI, pi, err := x.Find(UserID, id)
				if err != nil {
					t.Fatal(err)
				}
				if gotE != m.first["e"+email] || gotI != m.first["i"+id] {
					t.Fatalf("seq %d: Find(email)=%d want %d, Find(id)=%d want %d", seq, gotE, m.first["e"+email], gotI, m.first["i"+id])
				}
				if want != 0 {
					continue // a duplicate claims nothing
				}
				m.values[seq] = map[Namespace]string{Email: email, UserID: id}
				m.first["e"+email], m.first["i"+id] = seq, seq
				if err := x.Add(pe, seq); err != nil {
					t.Fatal(err)
				}
				if err := x.Add(pi, seq); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestEmptyValuesAreNeverClaimed(t *testing.T) {
	x, err := Open(t.TempDir(), func(int64, Namespace) (string, error) { return "", nil })
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	x.Claim(Username, "", 1)
	if got, _, _ := x.Find(Username, ""); got != 0 {
		t.Fatalf("empty username claimed by %d", got)
	}
}

func BenchmarkAddFind(b *testing.B) {
	x, _ := Open(b.TempDir(), func(int64, Namespace) (string, error) { return "", nil })
	defer x.Close()
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = fmt.Sprintf("user%d@example.com", i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := keys[i&(len(keys)-1)] + fmt.Sprint(i>>16)
		x.Claim(Email, k, int64(i+1))
	}
}
