package jsonfile

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// readCoded reads inputs with the registered json source (which flags records with their own
// reason codes) and renders each record as "line=email", "line=ERR" (a framing error),
// "line=BAD" (a parse error) or "line=!code[:field]…" (flagged issues).
func readCoded(t testing.TB, maxBytes int, inputs ...string) []string {
	t.Helper()
	info, err := pipeline.LookupSource("json")
	if err != nil {
		t.Fatal(err)
	}
	src, err := info.New(pipeline.SourceConfig{Inputs: inputs, MaxRecordBytes: maxBytes})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	err = src.Read(context.Background(), func(r pipeline.RawRecord) error {
		g := fmt.Sprint(r.Pos.Line) + "="
		switch m, err := src.Decode(&r); {
		case r.Err != nil:
			g += "ERR"
		case err != nil:
			g += "BAD"
		case pipeline.FlaggedIssues(m) != nil:
			for _, iss := range pipeline.FlaggedIssues(m) {
				g += "!" + iss.Code
				if iss.Field != "" {
					g += ":" + iss.Field
				}
			}
		default:
			e, _ := m["email"].(string)
			g += e
		}
		out = append(out, g)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func users(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "{\"email\":\"u%d@x.io\"}\n", i)
	}
	return b.String()
}

func wantUsers(firstLine, from, to int) []string {
	var w []string
	for i := from; i <= to; i++ {
		w = append(w, fmt.Sprintf("%d=u%d@x.io", firstLine+i-from, i))
	}
	return w
}

// TestRecordTooLarge: a record above the limit is one record_too_large record at its position,
// skipped unread in every shape, and its neighbours are read.
func TestRecordTooLarge(t *testing.T) {
	const max = 1000
	big := `{"email":"big@x.io","blob":"` + strings.Repeat("x", 5000) + `"}`
	justFits := `{"email":"fit@x.io","b":"` + strings.Repeat("y", max-len(`{"email":"fit@x.io","b":""}`)) + `"}`
	cases := []struct {
		name    string
		content string
		want    []string
	}{
		{"ndjson first line", big + "\n" + users(1, 3), append([]string{"1=!record_too_large"}, wantUsers(2, 1, 3)...)},
		{"ndjson middle line", users(1, 2) + big + "\n" + users(3, 3), []string{"1=u1@x.io", "2=u2@x.io", "3=!record_too_large", "4=u3@x.io"}},
		{"ndjson last line without newline", users(1, 1) + big, []string{"1=u1@x.io", "2=!record_too_large"}},
		{"ndjson record of exactly the limit", justFits + "\n" + users(1, 1), []string{"1=fit@x.io", "2=u1@x.io"}},
		{"ndjson record one byte over", justFits[:len(justFits)-2] + "yy\"}\n" + users(1, 1), []string{"1=!record_too_large", "2=u1@x.io"}},
		{"array element", "[\n" + `{"email":"a@x.io"},` + "\n" + big + ",\n" + `{"email":"b@x.io"}` + "\n]", []string{"2=a@x.io", "3=!record_too_large", "4=b@x.io"}},
		{"array element with newlines inside", "[" + strings.Replace(big, `"blob"`, "\n\"blob\"\n", 1) + ",\n{\"email\":\"b@x.io\"}]", []string{"1=!record_too_large", "4=b@x.io"}},
		{"pretty stream value", "{\n \"email\": \"a@x.io\"\n}\n" + strings.Replace(big, ",", ",\n ", 1) + "\n{\n \"email\": \"b@x.io\"\n}\n", []string{"1=a@x.io", "4=!record_too_large", "6=b@x.io"}},
		{"wrapper element", "{\n\"users\": [\n" + big + ",\n{\"email\":\"b@x.io\"}\n]\n}\n", []string{"3=!record_too_large", "4=b@x.io"}},
		{"page line larger than the limit, users within it", `{"results":[` + strings.TrimSuffix(strings.ReplaceAll(users(1, 100), "\n", ","), ",") + `],"nextCursorId":"c"}` + "\n" + `{"results":[{"email":"z@x.io"}]}` + "\n",
			append(func() []string {
				var w []string
				for i := 1; i <= 100; i++ {
					w = append(w, fmt.Sprintf("1=u%d@x.io", i))
				}
				return w
			}(), "2=z@x.io")},
		{"too large user in a page line", `{"results":[{"email":"a@x.io"},` + big + `,{"email":"b@x.io"}]}` + "\n" + `{"results":[{"email":"c@x.io"}]}` + "\n",
			[]string{"1=a@x.io", "1=!record_too_large", "1=b@x.io", "2=c@x.io"}},
		{"broken page line", `{"results":[{"email":"a@x.io"},{"email":"tr` + "\n" + `{"results":[{"email":"c@x.io"}]}` + "\n",
			[]string{"1=a@x.io", "1=ERR", "1=ERR", "2=c@x.io"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, t.TempDir(), "in.json", tc.content)
			got := readCoded(t, max, p)
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

// TestTooLargeWithoutFlags: read through New (as the gigya and okta sources frame files), a
// record too large to read carries the issue as its framing error.
func TestTooLargeWithoutFlags(t *testing.T) {
	p := write(t, t.TempDir(), "in.json", `{"email":"`+strings.Repeat("x", 2000)+"\"}\n"+users(1, 1))
	src, err := New(pipeline.SourceConfig{Inputs: []string{p}, MaxRecordBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = src.Read(context.Background(), func(r pipeline.RawRecord) error {
		got = append(got, fmt.Sprint(r.Pos, " ", r.Err))
		return nil
	})
	want := []string{p + ":1 record_too_large: the record is 2012 bytes, more than the 1000 a record may have (--max-record-bytes): skipped unread", p + ":2 <nil>"}
	if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q %v\nwant %q", got, err, want)
	}
}

// TestNDJSONResync: however broken the first line is, every following line of NDJSON is read
// (read = number of lines); the shapes that are not NDJSON are still recognised.
func TestNDJSONResync(t *testing.T) {
	const n = 100
	big := `{"email":"big@x.io","blob":"` + strings.Repeat("x", 300<<10) + `"}` // longer than the reader's buffer
	cases := []struct {
		name    string
		max     int // --max-record-bytes, 0 for the default
		content string
		want    []string
	}{
		{"truncated first line", 0, "{\"email\":\"broken\n" + users(1, n), append([]string{"1=BAD"}, wantUsers(2, 1, n)...)},
		{"truncated first line outside a string", 0, "{\"email\":\"a@x.io\",\"n\":12\n" + users(1, n), append([]string{"1=BAD"}, wantUsers(2, 1, n)...)},
		{"two broken lines first", 0, "{\"email\":\"broken\n{\"a\":[1,\n" + users(1, n), append([]string{"1=BAD", "2=BAD"}, wantUsers(3, 1, n)...)},
		{"garbage first line", 0, "%%garbage {\n" + users(1, n), append([]string{"1=BAD"}, wantUsers(2, 1, n)...)},
		{"oversized first line", 200 << 10, big + "\n" + users(1, n), append([]string{"1=!record_too_large"}, wantUsers(2, 1, n)...)},
		{"first line longer than the buffer but allowed", 0, big + "\n" + users(1, 2), []string{"1=big@x.io", "2=u1@x.io", "3=u2@x.io"}},
		{"broken line then an oversized one", 200 << 10, "{\"email\":\"broken\n" + big + "\n" + users(1, 2), []string{"1=BAD", "2=!record_too_large", "3=u1@x.io", "4=u2@x.io"}},
		{"broken first line then pages", 0, "{\"results\":[{\"email\":\"tr\n{\"results\":[{\"email\":\"a@x.io\"}]}\n{\"results\":[{\"email\":\"b@x.io\"}]}\n", []string{"1=ERR", "1=ERR", "2=a@x.io", "3=b@x.io"}}, // a broken page: its error, and that the rest of its line was skipped
		{"one broken line alone", 0, "{\"email\":\"broken\n\n", []string{"1=BAD"}},
		{"broken line in the middle", 0, users(1, 2) + "{\"email\":\n" + users(3, 4), []string{"1=u1@x.io", "2=u2@x.io", "3=BAD", "4=u3@x.io", "5=u4@x.io"}},
		{"pretty objects are a stream", 0, "{\n \"email\": \"a@x.io\"\n}\n{\n \"email\": \"b@x.io\"\n}\n", []string{"1=a@x.io", "4=b@x.io"}},
		{"pretty object with a one-line nested object", 0, "{\n \"email\": \"a@x.io\",\n \"identities\": [\n  {\"provider\": \"auth0\"}\n ]\n}\n", []string{"1=a@x.io"}},
		{"pretty wrapper with one element per line", 0, "{\"users\": [\n{\"email\":\"a@x.io\"}\n]}\n", []string{"2=a@x.io"}},
		{"wrapper whose array opens on the next line", 0, "{\"users\":\n[{\"email\":\"a@x.io\"}]\n}\n", []string{"2=a@x.io"}},
		{"two values on the first line", 0, "{\"email\":\"a@x.io\"} {\"email\":\"c@x.io\"}\n{\"email\":\"b@x.io\"}\n", []string{"1=a@x.io", "1=c@x.io", "2=b@x.io"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, t.TempDir(), "in.json", tc.content)
			got := readCoded(t, tc.max, p)
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

// TestStrictDecode: invalid text and out-of-range numbers are flagged with their field, never
// repaired; records nested too deeply are parse errors.
func TestStrictDecode(t *testing.T) {
	cases := []struct {
		name    string
		content string
		want    []string
	}{
		{"invalid UTF-8 value", "{\"email\":\"a@x.io\",\"name\":\"Jos\xe9\"}\n{\"email\":\"b@x.io\",\"name\":\"José\"}\n", []string{"1=!invalid_encoding:name", "2=b@x.io"}},
		{"invalid UTF-8 in a nested key", "{\"email\":\"a@x.io\",\"user_metadata\":{\"k\xff\":1}}\n", []string{"1=!invalid_encoding:user_metadata"}},
		{"Latin-1 file in an array", "[{\"email\":\"a@x.io\",\"given_name\":\"Zo\xeb\"},{\"email\":\"b@x.io\"}]", []string{"1=!invalid_encoding:given_name", "1=b@x.io"}},
		{"lone surrogate escape", `{"email":"a@x.io","nickname":"\ud83d"}` + "\n", []string{"1=!invalid_encoding:nickname"}},
		{"surrogate pair is fine", `{"email":"a@x.io","nickname":"\ud83d\ude00"}` + "\n", []string{"1=a@x.io"}},
		{"number overflows", `{"email":"a@x.io","user_metadata":{"score":1e999}}` + "\n", []string{"1=!invalid_number:user_metadata.score"}},
		{"number overflows in an array", `{"email":"a@x.io","app_metadata":{"l":[1,-2E+400]}}` + "\n", []string{"1=!invalid_number:app_metadata.l[1]"}},
		{"large exact numbers are kept", `{"email":"a@x.io","n":123456789012345678901234567890,"f":1.5e308}` + "\n", []string{"1=a@x.io"}},
		{"both problems", "{\"email\":\"a@x.io\",\"a\":1e999,\"b\":\"\xff\"}\n", []string{"1=!invalid_number:a!invalid_encoding:b"}},
		{"too deep", `{"email":"a@x.io","m":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "}\n" + users(1, 1), []string{"1=BAD", "2=u1@x.io"}},
		{"deeper than the JSON encoder takes", `{"email":"a@x.io","zz":1,"user_metadata":{"a":` + strings.Repeat("[", 9996) + strings.Repeat("]", 9996) + "}}\n" + users(1, 1), []string{"1=BAD", "2=u1@x.io"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, t.TempDir(), "in.json", tc.content)
			got := readCoded(t, 0, p)
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

// TestFramingMemoryBounded frames records far larger than the limit, from a gzip file (as a
// hostile 36 MB export of 400 × 20 MiB records would be) and from a pipe, and checks that what
// the framer allocates stays bounded by the limit and its buffers, not by the records.
func TestFramingMemoryBounded(t *testing.T) {
	const records, recordSize = 20, 20 << 20
	line := []byte(`{"email":"a@x.io","blob":"` + strings.Repeat("x", recordSize) + "\"}\n")
	dir := t.TempDir()
	gz := filepath.Join(dir, "big.ndjson.gz")
	f, err := os.Create(gz)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	for range records {
		zw.Write(line)
	}
	zw.Write([]byte(users(1, 1)))
	zw.Close()
	f.Close()
	for _, tc := range []struct {
		name  string
		input func(t *testing.T) string
	}{
		{"gzip file", func(*testing.T) string { return gz }},
		{"pipe", func(t *testing.T) string {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				for range records {
					w.Write(line)
				}
				io.WriteString(w, users(1, 1))
				w.Close()
			}()
			old := os.Stdin
			os.Stdin = r
			t.Cleanup(func() { os.Stdin = old; r.Close() })
			return "-"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.input(t)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			got := readCoded(t, 1<<20, in)
			runtime.ReadMemStats(&after)
			if len(got) != records+1 || got[0] != "1=!record_too_large" || got[records] != fmt.Sprintf("%d=u1@x.io", records+1) {
				t.Fatalf("records: %v", got)
			}
			// Buffers: the reader (256 KiB, twice with gzip), the record buffer (≤ 1 MiB), gzip's
			// window; far below one record (20 MiB), let alone all of them (400 MiB).
			alloc := after.TotalAlloc - before.TotalAlloc
			if alloc > 8<<20 {
				t.Errorf("framing %d records of %d MiB allocated %.1f MiB", records, recordSize>>20, float64(alloc)/(1<<20))
			}
			t.Logf("framing %d records of %d MiB allocated %.1f MiB", records, recordSize>>20, float64(alloc)/(1<<20))
		})
	}
}
