package format

import (
	"encoding/json"
	"strings"
	"testing"
)

var validJSONCases = []string{
	``, ` `, `0`, `-0`, `01`, `-`, `1.`, `.5`, `1.5e`, `1e+`, `1E-07`, `-12.5e+7`, `+1`, `0x1`, `1 2`, `[1,]`, `[,1]`, `[]`, ` [ ] `,
	`{}`, `{"a":1}`, `{"a" : [true, false, null] }`, `{"a":1,}`, `{a:1}`, `{"a"}`, `{"a":}`, `{"a":1 "b":2}`, `"x"`, `"x`, `"\"`,
	`"\u00e9\uD800"`, `"\u00g0"`, `"\u12"`, `"\x"`, `"\/\b\f\n\r\t"`, "\"a\tb\"", "\"\x00\"", "\"\x7f\xff\"", `tru`, `true`, `truex`,
	`nul`, `null`, `falsey`, `[[[]]]`, `[[[]]`, `{"a":{"b":{"c":[1,{"d":"e"}]}}}`, "\t\n\r 1 \r\n\t", "\v1", `"a"b`, `{"a":1}}`,
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000), strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000), strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
	strings.Repeat("[", 20000),
}

func TestValidJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range validJSONCases {
		if got, want := validJSON(s), json.Valid([]byte(s)); got != want {
			t.Errorf("validJSON(%.60q) = %v, encoding/json says %v", s, got, want)
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, s := range validJSONCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validJSON(s), json.Valid([]byte(s)); got != want {
			t.Fatalf("validJSON(%q) = %v, encoding/json says %v", s, got, want)
		}
	})
}
