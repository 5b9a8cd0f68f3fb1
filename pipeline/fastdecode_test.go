package pipeline

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// checkFast fails when fastDecode accepts data and decodes it differently from the general
// decoder, or accepts a record the general decoder refuses or flags.
func checkFast(t *testing.T, data []byte) bool {
	t.Helper()
	fast, ok := fastDecode(data, true)
	if !ok {
		return false
	}
	want, err := decodeRecordGeneral(data)
	if err != nil {
		t.Fatalf("fast decoder accepted %q, the general decoder refuses it: %v", data, err)
	}
	if !reflect.DeepEqual(fast, want) {
		t.Fatalf("%q:\nfast    %#v\ngeneral %#v", data, fast, want)
	}
	copied, ok := fastDecode(data, false)
	if !ok || !reflect.DeepEqual(copied, want) {
		t.Fatalf("%q: the copying decode differs: %#v", data, copied)
	}
	return true
}

func TestFastDecode(t *testing.T) {
	deep := strings.Repeat(`{"a":`, MaxRecordDepth) + "1" + strings.Repeat("}", MaxRecordDepth)
	tooDeep := strings.Repeat(`{"a":`, MaxRecordDepth+1) + "1" + strings.Repeat("}", MaxRecordDepth+1)
	for _, tc := range []struct {
		name, in string
		fast     bool // whether the fast path takes it (else the general decoder does)
	}{
		{"empty object", `{}`, true},
		{"spaces around", " \t\r\n{ \"a\" : 1 , \"b\":[ ] } \n", true},
		{"every type", `{"s":"x","n":-12.50,"z":0,"t":true,"f":false,"nil":null,"a":[1,"2",{"k":[]}],"o":{}}`, true},
		{"escapes", `{"e":"a\"b\\c\/d\b\f\n\r\t\u00e9\u2028 ok"}`, true},
		{"escaped key", `{"k\u0041y":1}`, true},
		{"non-ASCII", `{"名前":"伟 Allen","emoji":"😀"}`, true},
		{"duplicate keys: the last wins", `{"a":1,"a":2}`, true},
		{"nesting at the limit", deep, true},
		{"long number", `{"n":` + strings.Repeat("9", 308) + `}`, true},
		// Left to the general decoder, which rejects, flags or repairs them.
		{"nesting past the limit", tooDeep, false},
		{"exponent", `{"n":1e3}`, false},
		{"309 digits", `{"n":` + strings.Repeat("9", 309) + `}`, false},
		{"surrogate pair escape", `{"s":"\ud83d\ude00"}`, false},
		{"lone surrogate", `{"s":"\ud800"}`, false},
		{"invalid UTF-8", "{\"s\":\"\xff\"}", false},
		{"control character", "{\"s\":\"a\x01b\"}", false},
		{"not an object", `[1]`, false},
		{"trailing data", `{} {}`, false},
		{"trailing comma", `{"a":1,}`, false},
		{"leading zero", `{"n":01}`, false},
		{"bare minus", `{"n":-}`, false},
		{"fraction without digits", `{"n":1.}`, false},
		{"bad escape", `{"s":"\x"}`, false},
		{"short unicode escape", `{"s":"\u12"}`, false},
		{"unterminated", `{"s":"abc`, false},
		{"bad literal", `{"t":tru}`, false},
		{"empty", ``, false},
		{"byte order mark", "\ufeff{}", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkFast(t, []byte(tc.in)); got != tc.fast {
				t.Fatalf("fast path taken %v, want %v", got, tc.fast)
			}
		})
	}
}

// TestFastDecodeCorpora: every sample record of testdata decodes the same through the fast path.
func TestFastDecodeCorpora(t *testing.T) {
	files, _ := filepath.Glob("../testdata/samples/*.ndjson")
	more, _ := filepath.Glob("../testdata/samples/*/*.ndjson")
	files = append(files, more...)
	if len(files) == 0 {
		t.Skip("no sample corpora")
	}
	fast := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if checkFast(t, []byte(line)) {
				fast++
			}
		}
	}
	if fast == 0 {
		t.Fatal("no sample record took the fast path")
	}
}

func FuzzFastDecode(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,-2.5,"x\n",{"b":null}],"c":true}`, `{"k\u00e9":"\u2028"}`,
		`{"a":1,"a":{"b":2}}`, "{\"s\":\"\xe9\"}", `{"n":1e400}`, `{"s":"\ud83d\ude00"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFast(t, data)
	})
}

// TestPlain8 checks the eight-byte test against the byte-by-byte one, on every byte value in
// every position among plain neighbours, and on random words.
func TestPlain8(t *testing.T) {
	plain := func(b []byte) bool {
		for _, c := range b {
			if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
				return false
			}
		}
		return true
	}
	check := func(b []byte) {
		if got, want := plain8(binary.LittleEndian.Uint64(b)), plain(b); got != want {
			t.Fatalf("plain8(% x) = %v, want %v", b, got, want)
		}
	}
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			check(b)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1_000_000; i++ {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], r.Uint64())
		for j := range b { // mostly plain bytes, so that one odd byte decides
			if r.IntN(4) > 0 {
				b[j] = byte(0x20 + r.IntN(0x60))
			}
		}
		check(b[:])
	}
}
