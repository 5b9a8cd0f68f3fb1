package validate

import (
	"unicode/utf8"

	json "github.com/goccy/go-json"
)

// The validator measures the user's JSON encoding as it walks it (for the 10 KB profile
// warning), without building it. Sizes are exactly what json.Marshal (goccy/go-json, like
// encoding/json) writes: compact, HTML-escaped, invalid UTF-8 replaced by \ufffd.

// escTable classifies bytes for string sizing: the low bits are the bytes an ASCII byte gains
// when escaped (1 for \" \\ \n \r \t \b \f, 5 for \u00XX); flagDotDollar marks '.' and '$' (which
// metadata keys must not contain); flagNonASCII marks bytes of multi-byte sequences.
const (
	extraMask     = 0x0f
	flagDotDollar = 0x40
	flagNonASCII  = 0x80
)

var escTable = func() (t [256]byte) {
	for b := 0; b < 0x20; b++ {
		t[b] = 5
	}
	for _, b := range []byte{'"', '\\', '\n', '\r', '\t', '\b', '\f'} {
		t[b] = 1
	}
	t['<'], t['>'], t['&'] = 5, 5, 5
	t['.'], t['$'] = flagDotDollar, flagDotDollar
	for b := 0x80; b < 0x100; b++ {
		t[b] = flagNonASCII
	}
	return t
}()

// stringSize is the encoded length of s as a JSON string, quotes included.
func stringSize(s string) int {
	n, _ := keySize(s)
	return n
}

// keySize is stringSize that also reports whether s contains '.' or '$'.
func keySize(s string) (n int, dotDollar bool) {
	n = len(s) + 2
	for i := 0; i < len(s); i++ {
		e := escTable[s[i]]
		if e == 0 {
			continue
		}
		if e&flagNonASCII != 0 {
			extra, dd := slowExtra(s[i:])
			return n + extra, dotDollar || dd
		}
		n += int(e & extraMask)
		dotDollar = dotDollar || e&flagDotDollar != 0
	}
	return n, dotDollar
}

// slowExtra is keySize's loop for strings with non-ASCII bytes: it returns the bytes escaping adds.
func slowExtra(s string) (extra int, dotDollar bool) {
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			e := escTable[b]
			extra += int(e & extraMask)
			dotDollar = dotDollar || e&flagDotDollar != 0
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			extra += 5 // one byte becomes \ufffd
		case r == '\u2028' || r == '\u2029':
			extra += 3 // three bytes become \u2028
		}
		i += size
	}
	return extra, dotDollar
}

// containerSize is the size of the brackets and commas of a container with n elements.
func containerSize(n int) int {
	if n == 0 {
		return 2
	}
	return n + 1
}

// encodedSize returns the length in bytes of v's JSON encoding.
func encodedSize(v any) int {
	switch x := v.(type) {
	case nil:
		return 4
	case bool:
		if x {
			return 4
		}
		return 5
	case string:
		return stringSize(x)
	case json.Number:
		if x == "" {
			return 1 // encoded as 0
		}
		return len(x)
	case map[string]any:
		n := containerSize(len(x))
		for k, el := range x {
			n += stringSize(k) + 1 + encodedSize(el)
		}
		return n
	case []any:
		n := containerSize(len(x))
		for _, el := range x {
			n += encodedSize(el)
		}
		return n
	}
	// A Go value the decoder does not produce (float64, []string, …): measure it for real.
	if b, err := json.Marshal(v); err == nil {
		return len(b)
	}
	return 0
}
