package digests

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
)

// FuzzDigestsFile reads arbitrary bytes as a digests file, with tiny runs and index (spills,
// merge passes, cut prefixes): it must hold what the map-based reader read (the same error, or
// the same ids and digests, in byte order, found by Lookup); each line must parse as
// json.Unmarshal reads it; and each id and digest must read back from the line AppendLine writes.
func FuzzDigestsFile(f *testing.F) {
	for _, s := range []string{
		"",
		`{"id":"a","d":"1"}` + "\n" + `{"id":"b","d":"2"}` + "\n",
		`{"id":"b","d":"1"}` + "\n" + `{"id":"a","d":"2"}` + "\n" + `{"id":"b","d":"3"}`,
		`{"id":"q\"\\\u0001\u00e9","d":"x"}` + "\r\n" + `{"ID":"c","d":null,"e":1}` + "\n",
		"{\"id\":\"\xff\",\"d\":\"1\"}\n{\"id\":\"\xef\xbf\xbd\",\"d\":\"2\"}\n",
		`{"id":"a","d":"1"}` + "\n\n",
		`{"id":"aaaaaaaaaaaa1","d":"1"}` + "\n" + `{"id":"aaaaaaaaaaaa2","d":"2"}` + "\n" + `{"id":"aaaaaaaaaaaa3","d":"3"}` + "\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		prefix := 4 // cut prefixes: marks compared through the file
		if len(data) > 0 && data[0]&1 == 1 {
			prefix = 48 // whole prefixes: the 8-byte keys decide
		}
		tune(t, 64, 2, 1<<20, 2, 32, prefix)
		for _, l := range bytes.Split(data, []byte("\n")) {
			l = bytes.TrimSuffix(l, []byte("\r"))
			id, d, ok := parseLine(l)
			var v struct{ ID, D string }
			err := json.Unmarshal(l, &v)
			if refOK := err == nil && v.ID != ""; ok != refOK || ok && (string(id) != v.ID || string(d) != v.D) {
				t.Fatalf("parseLine(%q) = %q %q %v; json.Unmarshal %q %q %v", l, id, d, ok, v.ID, v.D, err)
			}
			if ok {
				back := AppendLine(nil, id, d)
				id2, d2, ok2 := parseLine(back[:len(back)-1])
				if !ok2 || !bytes.Equal(id, id2) || !bytes.Equal(d, d2) {
					t.Fatalf("%q %q written as %s read back as %q %q %v", id, d, back, id2, d2, ok2)
				}
			}
		}
		dir := t.TempDir()
		name := filepath.Join(dir, "prev.csv.digests")
		file, tmp, err := openData(t, dir, data)
		defer tmp.Remove()
		want, refErr := refDigests(data, name)
		switch {
		case refErr != nil:
			if err == nil {
				t.Fatalf("no error; the map-based reader's: %v", refErr)
			}
			if strings.Contains(refErr.Error(), "not a digest line") && err.Error() != refErr.Error() {
				t.Fatalf("err %v, the map-based reader's %v", err, refErr)
			}
			return
		case err != nil:
			t.Fatalf("err %v; the map-based reader read it", err)
		}
		defer file.Close()
		var absent []string
		for id := range want {
			absent = append(absent, id+"\x00", id[:len(id)/2], id+"~", "\xff"+id)
		}
		checkAgainst(t, file, want, absent)
	})
}
