package stormpath

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// limited is one record read with a record limit, as a run sees it: "relpos id", "relpos ERR" or
// "relpos code[ field]", and the reject message when the record is flagged.
type limited struct {
	line, msg string
	size      int // len(Data)
}

// readLimited reads root with MaxRecordBytes limit, checking that no record holds more than the
// limit and that every input byte is counted.
func readLimited(t *testing.T, limit int, root string) []limited {
	t.Helper()
	src, err := New(pipeline.SourceConfig{Inputs: []string{root}, MaxRecordBytes: limit})
	if err != nil {
		t.Fatal(err)
	}
	max := limit
	if max == 0 {
		max = pipeline.DefaultMaxRecordBytes
	}
	var out []limited
	err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
		p := filepath.ToSlash(strings.TrimPrefix(raw.Pos.String(), root+string(filepath.Separator)))
		l := limited{size: len(raw.Data)}
		if len(raw.Data) > max {
			t.Errorf("%s: record holds %d bytes, more than the %d limit", p, len(raw.Data), max)
		}
		if raw.Err != nil {
			l.line = p + " ERR"
			out = append(out, l)
			return nil
		}
		m, err := src.Decode(&raw)
		if err != nil {
			t.Fatalf("%s: Decode: %v", p, err)
		}
		if iss := pipeline.FlaggedIssues(m); len(iss) > 0 {
			l.line, l.msg = p+" "+strings.TrimSpace(iss[0].Code+" "+iss[0].Field), iss[0].Message
		} else {
			l.line = p + " " + str(m["id"])
		}
		out = append(out, l)
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if src.ReadBytes() != src.TotalBytes() {
		t.Errorf("read %d bytes of %d", src.ReadBytes(), src.TotalBytes())
	}
	return out
}

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// bigAcct is an account of id whose file is about size bytes.
func bigAcct(id string, size int) string {
	a := linkAcct(id, strings.ToLower(id)+"@x.io", `"bio":"`)
	return a[:len(a)-1] + strings.Repeat("x", max(size-len(a)-1, 0)) + `"}`
}

// TestRecordLimit: an account or customData file larger than MaxRecordBytes is one
// record_too_large reject naming the file, at the account's position (index 1, the line its
// content starts on), skipped unread; every other account is read.
func TestRecordLimit(t *testing.T) {
	const limit = 4 << 10
	big := bigAcct("B", 3*limit)
	cases := []struct {
		name  string
		limit int
		files map[string]string
		want  []string          // "relpos id", "relpos ERR" or "relpos code[ field]"
		msgs  map[string]string // record (its want line) → substring of its reject message
	}{
		{name: "over-large account file among good ones", limit: limit,
			files: map[string]string{
				"T/accounts/A.json": linkAcct("A", "a@x.io", ""),
				"T/accounts/B.json": big,
				"T/accounts/C.json": linkAcct("C", "c@x.io", ""),
			},
			want: []string{"T/accounts/A.json:1 A", "T/accounts/B.json:1 record_too_large", "T/accounts/C.json:1 C"},
			msgs: map[string]string{"T/accounts/B.json:1 record_too_large": fmt.Sprintf("account file %s is %d bytes, more than the %d a record may have (--max-record-bytes)",
				"T/accounts/B.json", len(big), limit)}},
		{name: "its line is where the content starts", limit: limit,
			files: map[string]string{
				"T/accounts/A.json": "\n\n" + big,
				"T/accounts/C.json": linkAcct("C", "c@x.io", ""),
			},
			want: []string{"T/accounts/A.json:3 record_too_large", "T/accounts/C.json:1 C"}},
		{name: "the first and the last file", limit: limit,
			files: map[string]string{
				"T/accounts/A.json": bigAcct("A", limit+1),
				"T/accounts/B.json": linkAcct("B", "b@x.io", ""),
				"T/accounts/C.json": bigAcct("C", 100*limit),
			},
			want: []string{"T/accounts/A.json:1 record_too_large", "T/accounts/B.json:1 B", "T/accounts/C.json:1 record_too_large"}},
		{name: "exactly the limit is read", limit: limit,
			files: map[string]string{"T/accounts/A.json": bigAcct("A", limit)},
			want:  []string{"T/accounts/A.json:1 A"}},
		{name: "gzip: the uncompressed size counts", limit: limit,
			files: map[string]string{
				"T/accounts/A.json.gz": gzipped(t, big),
				"T/accounts/C.json":    linkAcct("C", "c@x.io", ""),
			},
			want: []string{"T/accounts/A.json.gz:1 record_too_large", "T/accounts/C.json:1 C"},
			msgs: map[string]string{"T/accounts/A.json.gz:1 record_too_large": fmt.Sprintf("is %d bytes", len(big))}},
		{name: "a collection file counts as one record", limit: limit,
			files: map[string]string{
				"T/accounts/P.json": `{"href":"h","items":[` + bigAcct("A", limit/2) + "," + bigAcct("B", limit/2) + "," + bigAcct("C", limit/2) + `]}`,
				"T/accounts/Z.json": linkAcct("Z", "z@x.io", ""),
			},
			want: []string{"T/accounts/P.json:1 record_too_large", "T/accounts/Z.json:1 Z"}},
		{name: "an over-large customData file rejects its account, naming the file", limit: limit,
			files: map[string]string{
				"T/accounts/A.json":   linkAcct("A", "a@x.io", ""),
				"T/accounts/B.json":   linkAcct("B", "b@x.io", ""),
				"T/customData/A.json": cdRes("accounts/A", `"k":"a"`),
				"T/customData/B.json": cdRes("accounts/B", `"blob":"`+strings.Repeat("x", 2*limit)+`"`),
			},
			want: []string{"T/accounts/A.json:1 A", "T/accounts/B.json:1 record_too_large customData"},
			msgs: map[string]string{"T/accounts/B.json:1 record_too_large customData": "customData file T/customData/B.json is"}},
		{name: "an over-large account file takes its customData with it", limit: limit,
			files: map[string]string{
				"T/accounts/B.json":   big,
				"T/accounts/C.json":   linkAcct("C", "c@x.io", ""),
				"T/customData/B.json": cdRes("accounts/B", `"k":"b"`),
			},
			want: []string{"T/accounts/B.json:1 record_too_large", "T/accounts/C.json:1 C"}},
		{name: "an over-large customData file of no account is a reject of its own", limit: limit,
			files: map[string]string{
				"T/accounts/A.json":      linkAcct("A", "a@x.io", ""),
				"T/customData/Nope.json": cdRes("accounts/Nope", `"blob":"`+strings.Repeat("x", 2*limit)+`"`),
			},
			want: []string{"T/accounts/A.json:1 A", "T/customData/Nope.json:1 record_too_large"},
			msgs: map[string]string{"T/customData/Nope.json:1 record_too_large": "(no account Nope in the export)"}},
		{name: "files under the limit joined over it", limit: limit,
			files: map[string]string{
				"T/accounts/A.json":   bigAcct("A", limit*3/4),
				"T/accounts/C.json":   linkAcct("C", "c@x.io", ""),
				"T/customData/A.json": cdRes("accounts/A", `"blob":"`+strings.Repeat("y", limit*3/4)+`"`),
			},
			want: []string{"T/accounts/A.json:1 record_too_large", "T/accounts/C.json:1 C"},
			msgs: map[string]string{"T/accounts/A.json:1 record_too_large": "once its customData, directory, groups and linked accounts are joined"}},
		{name: "a linked account over the limit: its partner is read alone", limit: limit,
			files: map[string]string{
				"T/accounts/A.json":     linkAcct("A", "a@x.io", ""),
				"T/accounts/B.json":     bigAcct("B", 2*limit),
				"T/accountLinks/L.json": `{"leftAccount":{"id":"A"},"rightAccount":{"id":"B"}}`,
			},
			want: []string{"T/accounts/A.json:1 A", "T/accounts/B.json:1 record_too_large"}},
		{name: "relation files are not records: the limit does not apply", limit: limit,
			files: map[string]string{
				"T/accounts/A.json":    `{"id":"A","email":"a@x.io","directory":{"id":"D"}}`,
				"T/directories/D.json": `{"id":"D","name":"Dir","notes":"` + strings.Repeat("d", 2*limit) + `"}`,
			},
			want: []string{"T/accounts/A.json:1 A"}},
		{name: "0 is the default limit", limit: 0,
			files: map[string]string{
				"T/accounts/A.json": bigAcct("A", pipeline.DefaultMaxRecordBytes+1),
				"T/accounts/B.json": bigAcct("B", pipeline.DefaultMaxRecordBytes-100),
			},
			want: []string{"T/accounts/A.json:1 record_too_large", "T/accounts/B.json:1 B"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := tree(t, tc.files)
			got := readLimited(t, tc.limit, root)
			lines := make([]string, len(got))
			for i, g := range got {
				lines[i] = g.line
				if want, ok := tc.msgs[g.line]; ok {
					msg := strings.ReplaceAll(g.msg, root+string(filepath.Separator), "")
					if !strings.Contains(filepath.ToSlash(msg), want) {
						t.Errorf("%s: message %q, want it to hold %q", g.line, msg, want)
					}
				}
				if strings.Contains(g.line, pipeline.CodeRecordTooLarge) && !strings.Contains(g.line, "customData") && g.size != 0 {
					t.Errorf("%s: a record too large holds %d bytes", g.line, g.size)
				}
			}
			if strings.Join(lines, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("records:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(tc.want, "\n"))
			}
			// Reading is repeatable (--resume counts records).
			again := readLimited(t, tc.limit, root)
			if len(again) != len(got) {
				t.Fatalf("second read: %d records, want %d", len(again), len(got))
			}
			for i := range got {
				if again[i] != got[i] {
					t.Errorf("second read, record %d: %+v, want %+v", i+1, again[i], got[i])
				}
			}
		})
	}
}

// TestRecordLimitMapping: the stormpath mapping rejects an over-large account with
// record_too_large (the reason a run reports).
func TestRecordLimitMapping(t *testing.T) {
	root := tree(t, map[string]string{"T/accounts/B.json": bigAcct("B", 8<<10)})
	src, err := New(pipeline.SourceConfig{Inputs: []string{root}, MaxRecordBytes: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	info, err := pipeline.LookupSource("stormpath")
	if err != nil {
		t.Fatal(err)
	}
	m, err := info.NewMapping(pipeline.MappingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
		n++
		rec, err := src.Decode(&raw)
		if err != nil {
			t.Fatal(err)
		}
		if u, issues := m.Map(rec); u != nil || len(issues) != 1 || issues[0].Code != pipeline.CodeRecordTooLarge {
			t.Fatalf("mapped to %v, %v; want one %s issue", u, issues, pipeline.CodeRecordTooLarge)
		}
		return nil
	})
	if err != nil || n != 1 {
		t.Fatalf("%d records, %v", n, err)
	}
}

// TestRecordLimitMemory: an account file far larger than the limit is skipped holding no more
// than the limit: reading a 48 MB account (and a 48 MB gzip-compressed one) allocates a few MB.
func TestRecordLimitMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 48 MB")
	}
	const size, limit = 48 << 20, 64 << 10
	dir := t.TempDir()
	acct := bigAcct("B", size)
	if err := os.MkdirAll(filepath.Join(dir, "T", "accounts"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"B.json": acct, "G.json.gz": gzipped(t, acct), "C.json": linkAcct("C", "c@x.io", "")} {
		if err := os.WriteFile(filepath.Join(dir, "T", "accounts", name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src, err := New(pipeline.SourceConfig{Inputs: []string{dir}, MaxRecordBytes: limit})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var got []string
	err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
		rec, err := src.Decode(&raw)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, filepath.Base(raw.Pos.File)+" "+str(rec["id"])+fmt.Sprint(len(pipeline.FlaggedIssues(rec))))
		return nil
	})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if want := "B.json 1 C.json C0 G.json.gz 1"; strings.Join(got, " ") != want {
		t.Fatalf("records %q, want %q", strings.Join(got, " "), want)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("reading two %d MB accounts over a %d KB limit allocated %d MB", size>>20, limit>>10, alloc>>20)
	}
}
