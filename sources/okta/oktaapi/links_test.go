package oktaapi

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestParseLinks(t *testing.T) {
	const self = "https://example.okta.com/api/v1/users?limit=200"
	const next = "https://example.okta.com/api/v1/users?after=00ud4tVDDXYVKPXKVLCO&limit=200"
	tests := []struct {
		name     string
		values   []string
		want     []Link
		wantNext string // "" = no next link
	}{
		{
			name:     "okta: two header fields",
			values:   []string{"<" + self + `>; rel="self"`, "<" + next + `>; rel="next"`},
			want:     []Link{{URL: self, Rel: []string{"self"}}, {URL: next, Rel: []string{"next"}}},
			wantNext: next,
		},
		{
			name:     "comma-joined in one field",
			values:   []string{"<" + self + `>; rel="self", <` + next + `>; rel="next"`},
			want:     []Link{{URL: self, Rel: []string{"self"}}, {URL: next, Rel: []string{"next"}}},
			wantNext: next,
		},
		{
			name:     "last page: self only",
			values:   []string{"<" + self + `>; rel="self"`},
			want:     []Link{{URL: self, Rel: []string{"self"}}},
			wantNext: "",
		},
		{
			name:     "several relation types",
			values:   []string{`<https://x/b>; rel="next self"`},
			want:     []Link{{URL: "https://x/b", Rel: []string{"next", "self"}}},
			wantNext: "https://x/b",
		},
		{
			name:     "relation types with extra spaces and tabs",
			values:   []string{"<https://x/b>; rel=\"  self \t NEXT  \""},
			want:     []Link{{URL: "https://x/b", Rel: []string{"self", "next"}}},
			wantNext: "https://x/b",
		},
		{
			name:     "spaces around separators",
			values:   []string{`  <https://x/a>  ;  rel = "prev"  ,   <https://x/b> ; rel = next ,`},
			want:     []Link{{URL: "https://x/a", Rel: []string{"prev"}}, {URL: "https://x/b", Rel: []string{"next"}}},
			wantNext: "https://x/b",
		},
		{
			name:     "unquoted and upper-case",
			values:   []string{`<https://x/b>; REL=NEXT`},
			want:     []Link{{URL: "https://x/b", Rel: []string{"next"}}},
			wantNext: "https://x/b",
		},
		{
			name:     "comma inside the target",
			values:   []string{`<https://x/b?ids=1,2,3>; rel="next"`},
			want:     []Link{{URL: "https://x/b?ids=1,2,3", Rel: []string{"next"}}},
			wantNext: "https://x/b?ids=1,2,3",
		},
		{
			name:   "comma, semicolon and escaped quote inside a quoted parameter",
			values: []string{`<https://x/a>; title="a, b; \"c\""; rel="next", <https://x/c>; rel="last"`},
			want: []Link{
				{URL: "https://x/a", Rel: []string{"next"}, Params: map[string]string{"title": `a, b; "c"`}},
				{URL: "https://x/c", Rel: []string{"last"}},
			},
			wantNext: "https://x/a",
		},
		{
			name:     "second rel parameter ignored",
			values:   []string{`<https://x/a>; rel="self"; rel="next"`},
			want:     []Link{{URL: "https://x/a", Rel: []string{"self"}}},
			wantNext: "",
		},
		{
			name:     "rel that only contains next as a substring",
			values:   []string{`<https://x/a>; rel="nextpage"`, `<https://x/b>; rel="https://example.com/rel/next"`},
			want:     []Link{{URL: "https://x/a", Rel: []string{"nextpage"}}, {URL: "https://x/b", Rel: []string{"https://example.com/rel/next"}}},
			wantNext: "",
		},
		{
			name:   "parameter without value and first-wins parameters",
			values: []string{`<https://x/a>; crossorigin; type="a"; TYPE="b"; rel=next`},
			want: []Link{{URL: "https://x/a", Rel: []string{"next"},
				Params: map[string]string{"crossorigin": "", "type": "a"}}},
			wantNext: "https://x/a",
		},
		{
			name:     "malformed element skipped",
			values:   []string{`garbage "with, comma", <https://x/b>; rel="next"`},
			want:     []Link{{URL: "https://x/b", Rel: []string{"next"}}},
			wantNext: "https://x/b",
		},
		{
			name:     "junk after target skips to the next element",
			values:   []string{`<https://x/a> junk; rel="next", <https://x/b>; rel="next"`},
			want:     []Link{{URL: "https://x/b", Rel: []string{"next"}}},
			wantNext: "https://x/b",
		},
		{
			name:     "unterminated quoted string drops the element",
			values:   []string{`<https://x/a>; rel="next`},
			want:     nil,
			wantNext: "",
		},
		{
			name:     "unterminated target",
			values:   []string{`<https://x/a; rel="next"`},
			want:     nil,
			wantNext: "",
		},
		{
			name:     "empty fields",
			values:   []string{"", " , ,"},
			want:     nil,
			wantNext: "",
		},
		{
			name:     "link without rel",
			values:   []string{`<https://x/a>`},
			want:     []Link{{URL: "https://x/a"}},
			wantNext: "",
		},
		{
			name:     "first next wins",
			values:   []string{`<https://x/1>; rel="next"`, `<https://x/2>; rel="next"`},
			want:     []Link{{URL: "https://x/1", Rel: []string{"next"}}, {URL: "https://x/2", Rel: []string{"next"}}},
			wantNext: "https://x/1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseLinks(tt.values...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseLinks =\n%#v\nwant\n%#v", got, tt.want)
			}
			h := http.Header{}
			for _, v := range tt.values {
				h.Add("Link", v)
			}
			next, ok := NextURL(h)
			if next != tt.wantNext || ok != (tt.wantNext != "") {
				t.Errorf("NextURL = %q, %v; want %q", next, ok, tt.wantNext)
			}
		})
	}
}

func FuzzParseLinks(f *testing.F) {
	for _, s := range []string{
		`<https://example.okta.com/api/v1/users?limit=200>; rel="self"`,
		`<https://x/a?after=00u1&limit=2>; rel="next", <https://x/b>; rel="self"`,
		`<https://x/a>; title="a, b; \"c\""; rel="next self"`,
		`<a>; rel=next; REL=prev; x; y=z`,
		`garbage, <b`,
		`<<>>;;==,,""`,
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		links := ParseLinks(s)
		for _, l := range links {
			if strings.Contains(l.URL, ">") {
				t.Fatalf("target %q contains '>'", l.URL)
			}
			for _, r := range l.Rel {
				if r == "" || r != strings.ToLower(r) || strings.ContainsAny(r, " \t") {
					t.Fatalf("bad relation type %q", r)
				}
			}
			for k := range l.Params {
				if k == "" || k == "rel" || k != strings.ToLower(k) {
					t.Fatalf("bad parameter name %q", k)
				}
			}
		}
		// NextURL agrees with ParseLinks.
		next, ok := NextURL(http.Header{"Link": {s}})
		want, wantOK := "", false
		for _, l := range links {
			if l.HasRel("next") {
				want, wantOK = l.URL, true
				break
			}
		}
		if next != want || ok != wantOK {
			t.Fatalf("NextURL = %q, %v; ParseLinks says %q, %v", next, ok, want, wantOK)
		}
	})
}
