package pipeline

import (
	"bytes"
	"math"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
)

// checkMarshal fails when Marshal and the general encoder disagree on v.
func checkMarshal(t *testing.T, v any) {
	t.Helper()
	want, wantErr := marshalGeneral(v)
	got, err := Marshal(v)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%#v: error %v, general encoder %v", v, err, wantErr)
	}
	if err == nil && !bytes.Equal(got, want) {
		t.Fatalf("%#v:\ngot     %s\ngeneral %s", v, got, want)
	}
}

type marshalerType struct{}

func (marshalerType) MarshalJSON() ([]byte, error) { return []byte(`"custom"`), nil }

func TestMarshal(t *testing.T) {
	deep := any("x")
	for i := 0; i < MaxRecordDepth+5; i++ {
		if i%2 == 0 {
			deep = map[string]any{"a": deep, "b": 1}
		} else {
			deep = []any{deep, "c"}
		}
	}
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"empty object", map[string]any{}},
		{"nil object", map[string]any{"m": map[string]any(nil), "a": []any(nil)}},
		{"sorted keys", map[string]any{"b": 1, "a": int64(-2), "A": true, "ä": false, "": nil}},
		{"strings", map[string]any{"s": "plain", "q": `a"b`, "bs": `a\b`, "nl": "a\nb", "ctl": "a\x01b", "tab": "\t",
			"html": "<a href='x'>&</a>", "ls": "a\u2028b\u2029", "bad": "a\xffb", "cjk": "伟 Allen 😀", "del": "\x7f"}},
		{"escaped keys", map[string]any{"k\"ey": 1, "k\ney": 2, "k\xffey": 3}},
		{"numbers", []any{json.Number("1"), json.Number("-0.5"), json.Number("1e400"), json.Number("1E+5"), json.Number(""),
			json.Number("01"), json.Number("abc"), json.Number("1."), 1.5, float64(1e21), float32(2.5), uint8(7), 12, int64(math.MinInt64)}},
		{"other types", map[string]any{"m": map[string]string{"b": "1", "a": "2"}, "s": []string{"x"}, "c": marshalerType{},
			"f": Flags{{Code: "invalid_encoding"}}}},
		{"unsupported float", map[string]any{"nan": math.NaN()}},
		{"deep", deep},
		{"array", []any{"a", map[string]any{"z": 1, "y": []any{}}}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkMarshal(t, tc.v) })
	}
}

// FuzzMarshal: any record decodes and encodes to the general encoder's bytes.
func FuzzMarshal(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5,"x\n",{"b":null}],"c":true}`, `{"k\u00e9":"\u2028","<":"&"}`,
		"{\"s\":\"\xe9\"}", `{"n":1e400,"m":-0.0e-1}`, `{"s":"\ud83d\ude00","t":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decodeValue(data, false)
		if err != nil {
			return
		}
		if m, ok := v.(map[string]any); ok {
			checkMarshal(t, m)
		}
		checkMarshal(t, []any{v, strings.ToUpper(string(data))})
	})
}
