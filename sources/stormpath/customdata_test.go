package stormpath

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// The customData resources in these tests are shaped as the "customData Example" of
// stormpath/stormpath-documentation source/reference.rst ({"href": …/v1/accounts/<id>/customData,
// "createdAt", "modifiedAt", then the owner's fields); the accounts' link objects as its "Account
// Example". No published export tree shows where a customData/ folder puts them: the keyings
// tested (href, <id>.json, accounts/<id>/customData.json) are the plausible ones.

const api = "https://api.stormpath.com/v1/"

func cdRes(owner, fields string) string {
	s := `{"href":"` + api + owner + `/customData","createdAt":"2016-01-04T10:00:00.000Z","modifiedAt":"2016-06-01T12:00:00.000Z"`
	if fields != "" {
		s += "," + fields
	}
	return s + "}"
}

func linkAcct(id, email, extra string) string {
	s := `{"href":"` + api + `accounts/` + id + `","id":"` + id + `","email":"` + email + `",` +
		`"customData":{"href":"` + api + `accounts/` + id + `/customData"},` +
		`"tenant":{"href":"` + api + `tenants/T"}`
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

// issuesOf returns the issues a record is rejected with ("" when none), as "code field: message".
func issuesOf(m map[string]any) []string {
	var out []string
	for _, is := range pipeline.FlaggedIssues(m) {
		out = append(out, is.Code+" "+is.Field+": "+is.Message)
	}
	return out
}

// TestCustomDataFixture reads testdata/layout-b-customdata (see its SOURCES.md).
func TestCustomDataFixture(t *testing.T) {
	root := filepath.Join("testdata", "layout-b-customdata")
	recs := readAll(t, root)
	acc := "6nPhRk3xqF0tXz8cVw2uJd/accounts/"
	want := []string{
		acc + "1KirkLinkOnlyCustomDat.json:1 1KirkLinkOnlyCustomDat",
		acc + "2SpockEmbeddedCustomDa.json:1 2SpockEmbeddedCustomDa",
		acc + "3McCoyBrokenCustomData.json:1 3McCoyBrokenCustomData",
		acc + "4ScottyNoCustomDataAcc.json:1 4ScottyNoCustomDataAcc",
		acc + "5UhuraIteratedSha256Ac.json:1 5UhuraIteratedSha256Ac",
		"6nPhRk3xqF0tXz8cVw2uJd/customData/9GhostDeletedAccount0.json:1 ERR",
	}
	if got := summary(root, recs); !reflect.DeepEqual(got, want) {
		t.Fatalf("records\n got %q\nwant %q", got, want)
	}
	for _, r := range recs {
		if r.obj != nil {
			if p := linkPath(r.obj, ""); p != "" {
				t.Errorf("%s: link-only object at %s", r.pos, p)
			}
		}
	}
	kirk := byID(t, recs, "1KirkLinkOnlyCustomDat")
	cd := kirk["customData"].(map[string]any)
	if cd["rank"] != "Captain" || cd["preferences"].(map[string]any)["favoriteColor"] != "gold" || cd["topScore"] == nil ||
		cd["href"] != api+"accounts/1KirkLinkOnlyCustomDat/customData" {
		t.Errorf("kirk customData %v", cd)
	}
	for _, k := range []string{"tenant", "applications", "groupMemberships", "apiKeys", "accessTokens", "refreshTokens",
		"linkedAccounts", "accountLinks", "phones", "factors", "providerData"} {
		if _, ok := kirk[k]; ok {
			t.Errorf("kirk kept link %s", k)
		}
	}
	if d := kirk["directory"].(map[string]any); d["id"] != "3Dq8ZzCloudStarfleetAc" || d["name"] != "Starfleet Crew" {
		t.Errorf("kirk directory %v", d)
	}
	if got := groupNames(kirk); !reflect.DeepEqual(got, []string{"bridge"}) {
		t.Errorf("kirk groups %v", got)
	}
	if issues := issuesOf(kirk); issues != nil {
		t.Errorf("kirk rejected: %v", issues)
	}
	if cd := byID(t, recs, "2SpockEmbeddedCustomDa")["customData"].(map[string]any); cd["station"] != "science" {
		t.Errorf("spock customData %v", cd)
	}
	if _, ok := byID(t, recs, "4ScottyNoCustomDataAcc")["customData"]; ok {
		t.Error("a customData link without its resource was kept")
	}
	if cd := byID(t, recs, "5UhuraIteratedSha256Ac")["customData"].(map[string]any); cd["station"] != "communications" {
		t.Errorf("uhura customData %v", cd)
	}
	mccoy := issuesOf(byID(t, recs, "3McCoyBrokenCustomData"))
	if len(mccoy) != 1 || !strings.HasPrefix(mccoy[0], "parse_error customData: customData file ") ||
		!strings.Contains(mccoy[0], filepath.Join("customData", "3McCoyBrokenCustomData.json")+": invalid JSON at line 6") {
		t.Errorf("mccoy issues %q", mccoy)
	}
	if msg := recs[5].err.Error(); !strings.Contains(msg, "customData of account 9GhostDeletedAccount0, which is not in the export") {
		t.Errorf("orphan error %q", msg)
	}
	for _, r := range recs {
		if bytes.Contains(r.raw, []byte("Starfleet\"")) || bytes.Contains(r.raw, []byte(`"fleet"`)) {
			t.Errorf("%s: a directory's custom data joined to an account", r.pos)
		}
	}
}

// linkPath is the path of a link-only object in m outside customData ("" when there is none).
func linkPath(v any, path string) string {
	switch t := v.(type) {
	case map[string]any:
		if isLink(t) {
			return path
		}
		for k, x := range t {
			if path == "" && k == "customData" {
				continue
			}
			if p := linkPath(x, path+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for _, x := range t {
			if p := linkPath(x, path+"[]"); p != "" {
				return p
			}
		}
	}
	return ""
}

func TestCustomDataJoin(t *testing.T) {
	gz := func(s string) string {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.String()
	}
	cases := []struct {
		name  string
		files map[string]string
		want  []string                       // summary
		cd    map[string]map[string]any      // account id → expected customData (nil: none)
		rej   map[string]string              // account id → substring of its (only) issue
		check func(t *testing.T, recs []rec) // more checks
	}{
		{"keyed by href, whatever the file name",
			map[string]string{
				"T/accounts/A.json":     linkAcct("A", "a@x.io", ""),
				"T/customData/cd1.json": cdRes("accounts/A", `"k":"v"`),
			},
			[]string{"T/accounts/A.json:1 A"},
			map[string]map[string]any{"A": {"href": api + "accounts/A/customData", "createdAt": "2016-01-04T10:00:00.000Z",
				"modifiedAt": "2016-06-01T12:00:00.000Z", "k": "v"}}, nil, nil},
		{"keyed by file name without href, nested by directory, gzip",
			map[string]string{
				"T/accounts/D/A.json":       linkAcct("A", "a@x.io", ""),
				"T/accounts/D/B.json":       linkAcct("B", "b@x.io", ""),
				"T/customData/D/A.json":     `{"k":"a"}`,
				"T/customData/D/B.json.gz":  gz(`{"k":"b"}`),
				"T/customData/D/Nope.json":  `{"k":"nobody"}`,
				"T/customData/D/Dir.json":   cdRes("directories/D", `"k":"dir"`),
				"T/customData/D/Group.json": cdRes("groups/G", `"k":"group"`),
			},
			[]string{"T/accounts/D/A.json:1 A", "T/accounts/D/B.json:1 B", "T/customData/D/Nope.json:1 ERR"},
			map[string]map[string]any{"A": {"href": api + "accounts/A/customData", "k": "a"}, "B": {"href": api + "accounts/B/customData", "k": "b"}}, nil, nil},
		{"accounts/<id>/customData.json beside the account",
			map[string]string{
				"T/accounts/A/A.json":          linkAcct("A", "a@x.io", ""),
				"T/accounts/A/customData.json": `{"k":"a"}`,
				"T/accounts/B/B.json":          linkAcct("B", "b@x.io", ""),
				"T/accounts/B/customData.json": cdRes("accounts/B", `"k":"b"`),
			},
			[]string{"T/accounts/A/A.json:1 A", "T/accounts/B/B.json:1 B"},
			map[string]map[string]any{"A": {"href": api + "accounts/A/customData", "k": "a"}, "B": {"href": api + "accounts/B/customData", "createdAt": "2016-01-04T10:00:00.000Z",
				"modifiedAt": "2016-06-01T12:00:00.000Z", "k": "b"}}, nil, nil},
		{"collection file: elements keyed by href, the others are errors",
			map[string]string{
				"T/accounts/A.json":      linkAcct("A", "a@x.io", ""),
				"T/accounts/B.json":      linkAcct("B", "b@x.io", ""),
				"T/customData/page.json": `{"href":"h","items":[` + cdRes("accounts/B", `"k":"b"`) + `,{"k":"who"},7,` + cdRes("accounts/A", `"k":"a"`) + `]}`,
			},
			[]string{"T/customData/page.json#2 ERR", "T/customData/page.json#3 ERR", "T/accounts/A.json:1 A", "T/accounts/B.json:1 B"},
			nil, nil,
			func(t *testing.T, recs []rec) {
				if cd := byID(t, recs, "A")["customData"].(map[string]any); cd["k"] != "a" {
					t.Errorf("A customData %v", cd)
				}
				if cd := byID(t, recs, "B")["customData"].(map[string]any); cd["k"] != "b" {
					t.Errorf("B customData %v", cd)
				}
				if msg := recs[0].err.Error(); !strings.Contains(msg, "names no account") {
					t.Errorf("element 2: %s", msg)
				}
			}},
		{"embedded and apart: the resource's fields win, embedded-only ones stay",
			map[string]string{
				"T/accounts/A.json":   `{"id":"A","email":"a@x.io","customData":{"href":"` + api + `accounts/A/customData","k":"old","only":"embedded"}}`,
				"T/customData/A.json": `{"k":"new","more":{"x":[1,{"href":"kept inside customData"}]}}`,
			},
			[]string{"T/accounts/A.json:1 A"},
			map[string]map[string]any{"A": {"href": api + "accounts/A/customData", "k": "new", "only": "embedded",
				"more": map[string]any{"x": []any{json1(), map[string]any{"href": "kept inside customData"}}}}}, nil, nil},
		{"secrets inside a joined resource are removed",
			map[string]string{
				"T/accounts/A.json":   linkAcct("A", "a@x.io", ""),
				"T/customData/A.json": `{"k":"v","apiKeys":[{"id":"K","secret":"cd-api-key-secret"}]}`,
			},
			[]string{"T/accounts/A.json:1 A"},
			map[string]map[string]any{"A": {"href": api + "accounts/A/customData", "k": "v"}}, nil,
			func(t *testing.T, recs []rec) { noneContains(t, recs, "cd-api-key-secret") }},
		{"malformed file rejects its account, naming the file",
			map[string]string{
				"T/accounts/A.json":   linkAcct("A", "a@x.io", ""),
				"T/accounts/B.json":   linkAcct("B", "b@x.io", ""),
				"T/accounts/C.json":   linkAcct("C", "c@x.io", ""),
				"T/customData/A.json": `{"k":"v",`,
				"T/customData/B.json": `["not","an","object"]`,
				"T/customData/C.json": `"text"`,
			},
			[]string{"T/customData/B.json#1 ERR", "T/customData/B.json#2 ERR", "T/customData/B.json#3 ERR",
				"T/accounts/A.json:1 A", "T/accounts/B.json:1 B", "T/accounts/C.json:1 C"},
			map[string]map[string]any{"B": nil},
			map[string]string{"A": "customData file ", "C": "file holds a JSON string, not an object"},
			func(t *testing.T, recs []rec) {
				msg := issuesOf(byID(t, recs, "A"))[0]
				if !strings.Contains(msg, filepath.Join("T", "customData", "A.json")+": invalid JSON") {
					t.Errorf("A: %s", msg)
				}
			}},
		{"two resources for one account reject it, naming both",
			map[string]string{
				"T/accounts/A.json":   linkAcct("A", "a@x.io", ""),
				"T/customData/A.json": `{"k":"one"}`,
				"T/customData/x.json": cdRes("accounts/A", `"k":"two"`),
			},
			[]string{"T/accounts/A.json:1 A"},
			nil, map[string]string{"A": "has two customData resources"},
			func(t *testing.T, recs []rec) {
				msg := issuesOf(byID(t, recs, "A"))[0]
				if !strings.Contains(msg, filepath.Join("customData", "A.json")) || !strings.Contains(msg, filepath.Join("customData", "x.json")) {
					t.Errorf("A: %s", msg)
				}
			}},
		{"invalid numbers and text in the resource reject the account",
			map[string]string{
				"T/accounts/A.json":   linkAcct("A", "a@x.io", ""),
				"T/accounts/B.json":   linkAcct("B", "b@x.io", ""),
				"T/customData/A.json": `{"n":1e999}`,
				"T/customData/B.json": "{\"s\":\"bad \xff text\"}",
			},
			[]string{"T/accounts/A.json:1 A", "T/accounts/B.json:1 B"},
			nil, map[string]string{"A": "invalid_number customData.n", "B": "invalid_encoding customData.s"}, nil},
		{"an embedded customData that is no object is not overwritten",
			map[string]string{
				"T/accounts/A.json":   `{"id":"A","email":"a@x.io","customData":"legacy text"}`,
				"T/customData/A.json": `{"k":"v"}`,
			},
			[]string{"T/accounts/A.json:1 A"},
			nil, map[string]string{"A": "invalid_type customData"}, nil},
		{"an unreadable account takes its custom data with it",
			map[string]string{
				"T/accounts/A.json":   `{"id":"A","email":`,
				"T/customData/A.json": `{"k":"v"}`,
				"T/customData/B.json": `{"k":`,
			},
			[]string{"T/accounts/A.json:1 ERR", "T/customData/B.json:1 ERR"}, nil, nil,
			func(t *testing.T, recs []rec) {
				if msg := recs[1].err.Error(); !strings.Contains(msg, "invalid JSON") || !strings.Contains(msg, "no account B in the export") {
					t.Errorf("B: %s", msg)
				}
			}},
		{"linked accounts sharing an email: both resources merged",
			map[string]string{
				"T/accounts/A.json":     linkAcct("A", "jo@x.io", `"password":"$2a$10$x"`),
				"T/accounts/B.json":     linkAcct("B", "JO@x.io", ""),
				"T/accountLinks/L.json": `{"leftAccount":{"id":"A"},"rightAccount":{"id":"B"}}`,
				"T/customData/A.json":   `{"k":"a","only":"a"}`,
				"T/customData/B.json":   `{"k":"b","other":"b"}`,
			},
			[]string{"T/accounts/A.json:1 A"},
			map[string]map[string]any{"A": {"href": api + "accounts/A/customData", "k": "a", "only": "a", "other": "b"}}, nil, nil},
		{"linked accounts: a member's unusable resource rejects the merged record",
			map[string]string{
				"T/accounts/A.json":     linkAcct("A", "jo@x.io", `"password":"$2a$10$x"`),
				"T/accounts/B.json":     linkAcct("B", "jo@x.io", ""),
				"T/accountLinks/L.json": `{"leftAccount":{"id":"A"},"rightAccount":{"id":"B"}}`,
				"T/customData/B.json":   `{"k":`,
			},
			[]string{"T/accounts/A.json:1 A"},
			nil, map[string]string{"A": filepath.Join("customData", "B.json")}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := tree(t, c.files)
			recs := readAll(t, root)
			if got := summary(root, recs); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("records\n got %q\nwant %q", got, c.want)
			}
			for id, want := range c.cd {
				m := byID(t, recs, id)
				if issues := issuesOf(m); issues != nil {
					t.Errorf("%s rejected: %q", id, issues)
				}
				got, ok := m["customData"]
				if want == nil {
					if ok {
						t.Errorf("%s customData %v, want none", id, got)
					}
					continue
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s customData\n got %v\nwant %v", id, got, want)
				}
			}
			for id, want := range c.rej {
				issues := issuesOf(byID(t, recs, id))
				if len(issues) != 1 || !strings.Contains(issues[0], want) {
					t.Errorf("%s issues %q, want one with %q", id, issues, want)
				}
			}
			for _, r := range recs {
				if r.obj != nil {
					if p := linkPath(r.obj, ""); p != "" {
						t.Errorf("%s: link-only object at %s", r.pos, p)
					}
				}
			}
			if c.check != nil {
				c.check(t, recs)
			}
		})
	}
}

func json1() any { m, _ := pipeline.DecodeValue([]byte("1")); return m }

// TestDropLinks: link-only objects go wherever they are (outside customData); objects that hold
// more than an href, and hrefs as strings, stay.
func TestDropLinks(t *testing.T) {
	root := tree(t, map[string]string{
		"T/accounts/A.json": `{"id":"A","email":"a@x.io",
			"tenant":{"href":"` + api + `tenants/T"},
			"providerData":{"href":"` + api + `accounts/A/providerData","providerId":"google","nested":{"href":"x"},"list":[{"href":"y"},{"href":"z","n":1},"s"]},
			"applications":[{"href":"` + api + `applications/P"}],
			"groups":{"href":"` + api + `accounts/A/groups"},
			"directory":{"href":"` + api + `directories/D"},
			"customData":{"link":{"href":"mine"}},
			"emailVerificationToken":{"href":"` + api + `emailVerificationTokens/tok"},
			"linkedAccounts":{"href":"` + api + `accounts/A/linkedAccounts"},
			"keep":"` + api + `x"}`,
	})
	recs := readAll(t, root)
	want := `{"applications":[],"customData":{"link":{"href":"mine"}},"directory":{"href":"` + api + `directories/D","id":"D"},` +
		`"email":"a@x.io","id":"A","keep":"` + api + `x","providerData":{"href":"` + api + `accounts/A/providerData",` +
		`"list":[{"href":"z","n":1},"s"],"providerId":"google"}}`
	if got := string(recs[0].raw); got != want {
		t.Errorf("record\n got %s\nwant %s", got, want)
	}
}

func TestCustomDataBytes(t *testing.T) {
	root := tree(t, map[string]string{
		"T/accounts/A.json":   linkAcct("A", "a@x.io", ""),
		"T/customData/A.json": `{"k":"v"}`,
		"T/customData/Z.json": cdRes("directories/D", ""),
	})
	src, err := New(pipeline.SourceConfig{Inputs: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	for _, n := range []string{"T/accounts/A.json", "T/customData/A.json", "T/customData/Z.json"} {
		st, err := os.Stat(filepath.Join(root, n))
		if err != nil {
			t.Fatal(err)
		}
		want += st.Size()
	}
	if src.TotalBytes() != want {
		t.Errorf("TotalBytes %d, want %d", src.TotalBytes(), want)
	}
	for run := 0; run < 2; run++ { // a second Read (the duplicates pass reads twice) joins again
		n := 0
		err := src.Read(context.Background(), func(r pipeline.RawRecord) error {
			n++
			if !bytes.Contains(r.Data, []byte(`"customData":{"href":"`+api+`accounts/A/customData","k":"v"}`)) {
				t.Errorf("run %d: %s", run, r.Data)
			}
			return nil
		})
		if err != nil || n != 1 {
			t.Fatalf("run %d: %v, %d records", run, err, n)
		}
	}
	if src.ReadBytes() != 2*want {
		t.Errorf("ReadBytes %d after two reads, want %d", src.ReadBytes(), 2*want)
	}
	if _, err := New(pipeline.SourceConfig{Inputs: []string{filepath.Join(root, "T", "customData")}}); err == nil ||
		!strings.Contains(err.Error(), "no account files") {
		t.Errorf("customData folder alone: %v", err)
	}
}

// FuzzCustomData writes arbitrary bytes as the customData file of an account that is linked to
// another (so both the streaming and the merging paths join it), plus a collection file: nothing
// may panic, content problems are records (never run errors), every record decodes or carries an
// error, and two runs emit the same bytes.
func FuzzCustomData(f *testing.F) {
	for _, s := range []string{
		cdRes("accounts/a", `"k":"v"`), `{"k":"v"}`, `{"items":[{"href":"` + api + `accounts/b/customData","x":1},{}]}`,
		`[1,{"href":"` + api + `accounts/zz/customData"}]`, `{"n":1e999,"s":"\ud800"}`, `{"k":`, "", `"x"`, "\x1f\x8b\x08\x00",
		cdRes("directories/D", ""), `{"href":"/customData"}`, `{"href":"` + api + `accounts//customData"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		files := map[string][]byte{
			"T/accounts/a.json":      []byte(linkAcct("a", "jo@x.io", `"password":"$2a$10$x"`)),
			"T/accounts/b.json":      []byte(linkAcct("b", "JO@x.io", "")),
			"T/accounts/c.json":      []byte(linkAcct("c", "c@x.io", "")),
			"T/accountLinks/l.json":  []byte(`{"leftAccount":{"id":"a"},"rightAccount":{"id":"b"}}`),
			"T/customData/a.json":    data,
			"T/customData/page.json": append(append([]byte(`{"items":[`+cdRes("accounts/c", `"k":1`)+`,`), data...), ']', '}'),
		}
		for name, content := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, content, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		src, err := New(pipeline.SourceConfig{Inputs: []string{dir}})
		if err != nil {
			t.Fatal(err)
		}
		run := func() [][]byte {
			var out [][]byte
			err := src.Read(context.Background(), func(raw pipeline.RawRecord) error {
				m, err := src.Decode(&raw)
				if (m == nil) == (err == nil) {
					t.Fatalf("%v: Decode gave %v, %v", raw.Pos, m, err)
				}
				out = append(out, append([]byte(raw.Pos.String()+" "), raw.Data...))
				return nil
			})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			return out
		}
		first, second := run(), run()
		if len(first) < 2 || len(first) != len(second) {
			t.Fatalf("runs emitted %d and %d records", len(first), len(second))
		}
		for i := range first {
			if !bytes.Equal(first[i], second[i]) {
				t.Fatalf("record %d differs between runs:\n%s\n%s", i, first[i], second[i])
			}
		}
	})
}

// TestCustomDataMemory: the customData folder is indexed, not held. 300 accounts with 200 KB of
// custom data each (60 MB) are read while the live heap stays far below that: only one customData
// file is decoded at a time, and the index keeps no decoded string (which would keep its file's
// bytes).
func TestCustomDataMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 60 MB")
	}
	const n, size = 300, 200 << 10
	dir := t.TempDir()
	for _, sub := range []string{"accounts", "customData"} {
		if err := os.MkdirAll(filepath.Join(dir, "T", sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	blob := strings.Repeat("x", size)
	for i := 0; i < n; i++ {
		id := "A" + strconv.Itoa(1000+i)
		if err := os.WriteFile(filepath.Join(dir, "T", "accounts", id+".json"), []byte(linkAcct(id, id+"@x.io", "")), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "T", "customData", id+".json"), []byte(cdRes("accounts/"+id, `"blob":"`+blob+`"`)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src, err := New(pipeline.SourceConfig{Inputs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	count := 0
	err = src.Read(context.Background(), func(r pipeline.RawRecord) error {
		if !bytes.Contains(r.Data, []byte(blob)) {
			t.Fatalf("%s: custom data not joined", r.Pos)
		}
		count++
		if count%25 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak {
				peak = ms.HeapAlloc
			}
		}
		return nil
	})
	if err != nil || count != n {
		t.Fatalf("%v after %d records", err, count)
	}
	if live := int64(peak) - int64(base); live > 12<<20 {
		t.Errorf("live heap grew by %d MB while reading %d MB of custom data", live>>20, n*size>>20)
	}
}
