package csvfile

import (
	"slices"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// TestEscapeOption reads rows whose values hold a delimiter escaped with a backslash, as Amazon
// Cognito's user-import CSV writes them (cognito-user-pools-using-import-tool-csv-header in the
// Amazon Cognito developer guide: "123 Any Street\, Apt 4"), with the escape option and without.
func TestEscapeOption(t *testing.T) {
	file := "cognito:username,address,nickname\n" +
		"jane,123 Any Street\\, Apt 4,jd\n" +
		"john,a\\,b\\,c,\n" +
		"ends,trailing\\\n" +
		"plain,x,y\n"
	cases := []struct {
		name string
		opts map[string]string
		want []string
	}{
		{name: "backslash", opts: map[string]string{"escape": "backslash"}, want: []string{
			`in.csv:2#1 {"address":"123 Any Street, Apt 4","cognito:username":"jane","nickname":"jd"}`,
			`in.csv:3#2 {"address":"a,b,c","cognito:username":"john"}`,
			`in.csv:4#3 ! expected 3 cells, got 2`,
			`in.csv:5#4 {"address":"x","cognito:username":"plain","nickname":"y"}`,
		}},
		{name: "none splits the value", opts: nil, want: []string{
			`in.csv:2#1 ! expected 3 cells, got 4`,
			`in.csv:3#2 ! expected 3 cells, got 5`,
			`in.csv:4#3 ! expected 3 cells, got 2`,
			`in.csv:5#4 {"address":"x","cognito:username":"plain","nickname":"y"}`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"in.csv": file})
			got, err := readAll(t, dir, tc.opts, "in.csv")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	if _, err := New(pipeline.SourceConfig{Inputs: []string{"-"}, Options: map[string]string{"escape": "quote"}}); err == nil || !strings.Contains(err.Error(), "escape") {
		t.Errorf("escape=quote: %v", err)
	}
}

func TestJoinEscaped(t *testing.T) {
	cases := []struct {
		name string
		in   []string
		want []string
	}{
		{"none", []string{"a", "b"}, []string{"a", "b"}},
		{"one", []string{`a\`, "b", "c"}, []string{"a,b", "c"}},
		{"chain", []string{`a\`, `b\`, "c"}, []string{"a,b,c"}},
		{"last cell keeps it", []string{"a", `b\`}, []string{"a", `b\`}},
		{"inner backslash stays", []string{`a\b`, "c"}, []string{`a\b`, "c"}},
		{"empty", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := joinEscaped(slices.Clone(tc.in), ",")
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
