package digests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
)

// refDigests is the map-based reader the File replaces (export.parseDigests before the sorted
// files): user_id → digest, the last line of an id counting.
func refDigests(data []byte, name string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l struct{ ID, D string }
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.ID == "" {
			return nil, fmt.Errorf("%s:%d: not a digest line", name, n)
		}
		out[l.ID] = l.D
	}
	return out, sc.Err()
}

// tune sets the tunables for one test and puts them back after it.
func tune(t testing.TB, runBytes, fanIn, mergeBytes, every, indexBytes, prefix int) {
	old := []int{RunBytes, MaxFanIn, MergeBytes, IndexEvery, IndexBytes, IndexPrefix}
	RunBytes, MaxFanIn, MergeBytes, IndexEvery, IndexBytes, IndexPrefix = runBytes, fanIn, mergeBytes, every, indexBytes, prefix
	t.Cleanup(func() {
		RunBytes, MaxFanIn, MergeBytes, IndexEvery, IndexBytes, IndexPrefix = old[0], old[1], old[2], old[3], old[4], old[5]
	})
}

// openData writes data to a file in dir and opens it with a temporary folder in dir.
func openData(t testing.TB, dir string, data []byte) (*File, *TempDir, error) {
	t.Helper()
	path := filepath.Join(dir, "prev.csv.digests")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	tmp := NewTempDir(dir, "out.csv.digests")
	d, err := OpenFile(f, path, tmp, false)
	return d, tmp, err
}

// checkAgainst checks that d holds what the map holds: the same ids in byte order (Len, the
// walk, the ordinals) with their digests, and that absent ids are not found.
func checkAgainst(t testing.TB, d *File, want map[string]string, absent []string) {
	t.Helper()
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if d.Len() != int64(len(ids)) {
		t.Fatalf("Len %d, want %d", d.Len(), len(ids))
	}
	var walked []string
	if err := d.WalkUnset(NewBitset(d.Len()), func(ord int64, id []byte) error {
		if ord != int64(len(walked)) {
			t.Fatalf("ordinal %d at %d", ord, len(walked))
		}
		walked = append(walked, string(id))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(walked, ids) {
		t.Fatalf("walk %q, want %q", walked, ids)
	}
	for i, id := range ids {
		ord, dg, ok, err := d.Lookup(id)
		if err != nil || !ok || ord != int64(i) || string(dg) != want[id] {
			t.Fatalf("Lookup(%q) = %d %q %v %v, want %d %q", id, ord, dg, ok, err, i, want[id])
		}
	}
	for _, id := range absent {
		if _, ok := want[id]; ok {
			continue
		}
		if ord, dg, ok, err := d.Lookup(id); ok || err != nil {
			t.Fatalf("Lookup(%q) of an absent id = %d %q %v %v", id, ord, dg, ok, err)
		}
	}
	// A walk skips the ids whose bit is set.
	seen := NewBitset(d.Len())
	for i := int64(0); i < d.Len(); i += 2 {
		seen.Set(i)
	}
	var odd []string
	d.WalkUnset(seen, func(_ int64, id []byte) error { odd = append(odd, string(id)); return nil })
	for i, id := range odd {
		if id != ids[2*i+1] {
			t.Fatalf("walk of the unset: %q at %d, want %q", id, i, ids[2*i+1])
		}
	}
}

func line(id, d string) string {
	return string(AppendLine(nil, []byte(id), []byte(d)))
}

// generated is n lines of ids "<prefix><i>" in a shuffled order (seeded), with every tenth id
// given twice (the second digest counting).
func generated(n int, prefix string, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 1))
	order := r.Perm(n)
	var b strings.Builder
	for _, i := range order {
		id := prefix + strconv.Itoa(i)
		b.WriteString(line(id, fmt.Sprintf("%032x", r.Uint64())))
		if i%10 == 0 {
			b.WriteString(line(id, fmt.Sprintf("second-%d", i)))
		}
	}
	return b.String()
}

func sortedLines(n int, prefix string) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s%08d", prefix, i)
	}
	slices.Sort(ids)
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(line(id, "d-"+id))
	}
	return b.String()
}

func TestFile(t *testing.T) {
	long := strings.Repeat("x", 300)
	cases := []struct {
		name    string
		data    string
		small   bool     // tiny runs and index: spills, merge passes, prefixes cut
		dense   bool     // a mark every 3 lines, whole prefixes: the 8-byte keys decide
		absent  []string // ids to look up that the file may lack
		wantErr string   // "NAME:N: ..." with NAME the file's path
	}{
		{name: "empty", data: "", absent: []string{"a", ""}},
		{name: "one entry", data: line("auth0|1", "d1"), absent: []string{"auth0|0", "auth0|2", "auth0|", "auth0|10"}},
		{name: "sorted", data: line("a", "1") + line("b", "2") + line("d", "4"), absent: []string{"", "0", "aa", "c", "e", "\xff"}},
		{name: "duplicates, adjacent", data: line("a", "1") + line("b", "2") + line("b", "3") + line("c", "4"), absent: []string{"bb"}},
		{name: "duplicates, apart", data: line("b", "1") + line("a", "2") + line("b", "3"), absent: []string{"c"}},
		{name: "unsorted legacy file", data: line("u10", "x") + line("u01", "y") + line("u05", "z") + line("u02", "w"), absent: []string{"u00", "u03", "u11", "u1"}},
		{name: "ids needing JSON escapes", data: `{"id":"q\"uote","d":"1"}` + "\n" + `{"id":"back\\slash","d":"2"}` + "\n" +
			`{"id":"ctl\u0001","d":"3"}` + "\n" + `{"id":"sl\/ash","d":"4"}` + "\n" + `{"id":"\u00e9t\u00e9","d":"5"}` + "\n" +
			`{"id":"tab\there","d":"6"}` + "\n" + line("<html&>", "7") + line("emoji😀", "8") + line("del\x7f", "9"),
			absent: []string{"q", "ctl", "sl\\/ash", "été!", "tab"}},
		{name: "non-UTF-8 and escaped ids", data: "{\"id\":\"bad\xffbyte\",\"d\":\"1\"}\n" + `{"id":"lone\ud800","d":"2"}` + "\n" +
			"{\"id\":\"\xc3\",\"d\":\"3\"}\n" + line("ok", "4"), absent: []string{"bad\xffbyte", "lone", "\xc3"}},
		{name: "other member forms", data: `{"ID":"caps","d":"1"}` + "\n" + `{"id":"x","d":"2","extra":[1]}` + "\n" +
			` {"d":"3", "id":"spaced"} ` + "\n" + `{"id":"nod"}` + "\n" + `{"id":"first","id":"last","d":"5"}` + "\n" + `{"id":"nul","d":null}` + "\n",
			absent: []string{"first"}},
		{name: "CRLF and no final newline", data: line("a", "1")[:len(line("a", "1"))-1] + "\r\n" + `{"id":"b","d":"2"}`},
		{name: "long ids, prefixes shared beyond the index prefix", small: true,
			data:   line(long+"1", "1") + line(long+"3", "3") + line(long+"5", "5") + line(long+"7", "7") + line(long+"9", "9") + line(long+"91", "91"),
			absent: []string{long, long + "0", long + "2", long + "4", long + "8", long + "90", long + "95", long[:100]}},
		{name: "runs spanning several spill files", small: true, data: generated(2000, "auth0|", 1),
			absent: []string{"auth0|", "auth0|2000", "auth0|-1", "auth0|15a", "zzz", "\x00"}},
		{name: "big sorted file, small index", small: true, data: sortedLines(3000, "google-oauth2|"),
			absent: []string{"google-oauth2|", "google-oauth2|00000000a", "google-oauth2|99999999", "a", "z"}},
		{name: "big sorted file, dense index", dense: true, data: sortedLines(3000, "google-oauth2|"),
			absent: []string{"google-oauth2|", "google-oauth2|00000000a", "google-oauth2|00001234\x00", "google-oauth2|0000123", "google-oauth2|99999999", "a", "z"}},
		{name: "ids sharing a prefix, some a prefix of others", dense: true,
			data:   line("pp", "1") + line("pp\x00", "2") + line("pp\x00\x00\x00\x00\x00\x00\x00\x00\x01", "3") + line("ppa", "4") + line("ppab", "5") + line("ppabcdefgh", "6") + line("ppabcdefghi", "7") + line("ppb", "8"),
			absent: []string{"p", "pp\x00\x00", "ppabcdefg", "ppabcdefgha", "ppc", "pq", "pp\x00\x00\x00\x00\x00\x00\x00\x00"}},
		{name: "malformed line", data: line("a", "1") + line("b", "2") + "not json\n" + line("c", "3"), wantErr: ":3: not a digest line"},
		{name: "malformed line after the disorder", data: line("b", "1") + line("a", "2") + line("c", "3") + `{"id":""}` + "\n", wantErr: ":4: not a digest line"},
		{name: "malformed line before the disorder", data: line("a", "1") + `{"id":1}` + "\n" + line("0", "3"), wantErr: ":2: not a digest line"},
		{name: "empty line", data: line("a", "1") + "\n" + line("b", "2"), wantErr: ":2: not a digest line"},
		{name: "digest of another type", data: line("a", "1") + `{"id":"b","d":2}` + "\n", wantErr: ":2: not a digest line"},
		{name: "a line longer than 1 MiB", data: line("a", "1") + line(strings.Repeat("y", MaxLine), "2"), wantErr: ":2: bufio.Scanner: token too long"},
		{name: "a hostile 1 MiB line", small: true, data: line("b", "1") + line(strings.Repeat("y", MaxLine-40), "2") + line("a", "3") + line("z", "4"),
			absent: []string{"y", strings.Repeat("y", MaxLine)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.small {
				tune(t, 1024, 3, 100<<10, 4, 256, 8)
			}
			if tc.dense {
				tune(t, RunBytes, MaxFanIn, MergeBytes, 3, 1<<10, 48)
			}
			dir := t.TempDir()
			d, tmp, err := openData(t, dir, []byte(tc.data))
			want, refErr := refDigests([]byte(tc.data), filepath.Join(dir, "prev.csv.digests"))
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, "prev.csv.digests")+tc.wantErr) {
					t.Fatalf("err %v, want NAME%s", err, tc.wantErr)
				}
				if refErr == nil || (!strings.Contains(tc.wantErr, "too long") && refErr.Error() != err.Error()) {
					t.Fatalf("the map-based reader: %v; this one %v", refErr, err)
				}
			} else {
				if err != nil || refErr != nil {
					t.Fatalf("err %v, map-based reader's %v", err, refErr)
				}
				checkAgainst(t, d, want, tc.absent)
				d.Close()
			}
			tmp.Remove()
			if left, _ := filepath.Glob(filepath.Join(dir, "out.csv.digests.sort-*")); len(left) > 0 {
				t.Fatalf("temporary files left: %v", left)
			}
		})
	}
}

// TestFileSortedInPlace: a sorted file is read where it is (no temporary copy), an unsorted one
// through a sorted copy that Close removes.
func TestFileSortedInPlace(t *testing.T) {
	for _, tc := range []struct {
		name   string
		data   string
		copied bool
	}{
		{"sorted", line("a", "1") + line("b", "2"), false},
		{"unsorted", line("b", "1") + line("a", "2"), true},
		{"a duplicate", line("a", "1") + line("a", "2"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d, tmp, err := openData(t, dir, []byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			defer tmp.Remove()
			if copied := d.f.Name() != filepath.Join(dir, "prev.csv.digests"); copied != tc.copied {
				t.Fatalf("read from %s", d.f.Name())
			}
			name := d.f.Name()
			d.Close()
			if _, err := os.Stat(name); tc.copied != errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s after Close: %v", name, err)
			}
		})
	}
}

func TestSorter(t *testing.T) {
	cases := []struct {
		name     string
		n        int
		runBytes int
		fanIn    int
	}{
		{name: "empty", n: 0, runBytes: 1 << 20, fanIn: 128},
		{name: "one", n: 1, runBytes: 1 << 20, fanIn: 128},
		{name: "in memory", n: 500, runBytes: 1 << 20, fanIn: 128},
		{name: "spilled, one merge", n: 3000, runBytes: 8 << 10, fanIn: 128},
		{name: "spilled, merge passes", n: 3000, runBytes: 2 << 10, fanIn: 3},
		{name: "a run per pair", n: 50, runBytes: 1, fanIn: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tune(t, tc.runBytes, tc.fanIn, 32<<20, IndexEvery, IndexBytes, IndexPrefix)
			dir := t.TempDir()
			tmp := NewTempDir(dir, "x")
			s := NewSorter(tmp)
			want := map[string]string{}
			r := rand.New(rand.NewPCG(7, 7))
			for i := 0; i < tc.n; i++ {
				id := fmt.Sprintf("id-%d", r.IntN(tc.n*3/4+1)) // duplicates
				d := fmt.Sprintf("%d", i)
				want[id] = d
				if err := s.Add(id, d); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			if err := s.Finish(func(id, d []byte) error {
				if want[string(id)] != string(d) {
					t.Fatalf("%s: digest %s, want the last added %s", id, d, want[string(id)])
				}
				got = append(got, string(id))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) || !slices.IsSorted(got) {
				t.Fatalf("%d ids (want %d), sorted %v", len(got), len(want), slices.IsSorted(got))
			}
			for i := 1; i < len(got); i++ {
				if got[i] == got[i-1] {
					t.Fatalf("%s twice", got[i])
				}
			}
			s.Close()
			if p, _ := tmp.Path(); p != "" {
				if left, _ := os.ReadDir(p); len(left) > 0 {
					t.Fatalf("run files left: %v", left)
				}
			}
			tmp.Remove()
		})
	}
}

// TestAppendLine: ids of printable text are written as strconv.Quote (the earlier exports'
// bytes); others are valid JSON too and read back.
func TestAppendLine(t *testing.T) {
	cases := []struct {
		name, id string
		back     string // what a JSON reader reads
	}{
		{name: "plain", id: "auth0|5f1e", back: "auth0|5f1e"},
		{name: "quote and backslash", id: `q"\`, back: `q"\`},
		{name: "unicode", id: "été😀\u2028", back: "été😀\u2028"},
		{name: "not printable", id: "soft\u00adhyphen", back: "soft\u00adhyphen"},
		{name: "control characters", id: "a\x01\x07\x0b\n", back: "a\x01\x07\x0b\n"},
		{name: "DEL", id: "del\x7f", back: "del\x7f"},
		{name: "invalid UTF-8", id: "bad\xff", back: "bad\ufffd"},
		{name: "a private-use astral rune", id: "p\U000F0000", back: "p\U000F0000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := AppendLine(nil, []byte(tc.id), []byte("0123abcd"))
			if q := strconv.Quote(tc.id); jsonEscapes([]byte(q)) && string(l) != `{"id":`+q+`,"d":"0123abcd"}`+"\n" {
				t.Errorf("%s: not strconv.Quote's %s", l, q)
			}
			var v struct{ ID, D string }
			if err := json.Unmarshal(l, &v); err != nil || v.ID != tc.back || v.D != "0123abcd" {
				t.Fatalf("%s read back as %q %q %v", l, v.ID, v.D, err)
			}
			id, d, ok := parseLine(bytes.TrimSuffix(l, []byte("\n")))
			if !ok || string(id) != tc.back || string(d) != "0123abcd" {
				t.Fatalf("parseLine(%s) = %q %q %v", l, id, d, ok)
			}
		})
	}
}

// TestRemoveStale: the temporary folder of a dead process goes, a live one's stays.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	dead := filepath.Join(dir, "u.csv.digests.sort-999999999-1")
	live := filepath.Join(dir, "u.csv.digests.sort-"+strconv.Itoa(os.Getppid())+"-2")
	other := filepath.Join(dir, "v.csv.digests.sort-999999999-3")
	for _, p := range []string{dead, live, other} {
		os.MkdirAll(filepath.Join(p, "sub"), 0o700)
	}
	RemoveStale(dir, "u.csv.digests")
	for p, gone := range map[string]bool{dead: true, live: false, other: false} {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) != gone {
			t.Errorf("%s: removed %v, want %v", p, !gone, gone)
		}
	}
}
