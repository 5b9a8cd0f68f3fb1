package runreport

import (
	"strconv"
	"strings"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
)

// maxRawBytes is how much of a record that could not be parsed rejects.ndjson shows (as
// pipeline.RedactText).
const maxRawBytes = 2048

// secretKey reports whether a key (decoded: JSON escapes resolved) names password material. It
// matches pipeline's list.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"password", "passwd", "pwd", "hash", "salt", "secret", "apikey", "api_key", "token"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// redactRecord is pipeline.Redact, plus string values that hold JSON text themselves (a profile
// stored as a string) redacted as raw text.
func redactRecord(v any) any {
	return redactStrings(pipeline.Redact(v))
}

func redactStrings(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			t[k] = redactStrings(val)
		}
	case []any:
		for i, val := range t {
			t[i] = redactStrings(val)
		}
	case string:
		if strings.Contains(t, `"`) {
			return redactJSONText(t, 0)
		}
	}
	return v
}

// redactRaw is the text of a record that could not be parsed, cut to 2 KiB, with password
// material redacted: the values of keys naming it, the keys compared once decoded (so
// "pass\u0077ord" is caught), at any depth, also inside strings that hold JSON text.
func redactRaw(b []byte) string {
	if len(b) > maxRawBytes {
		b = b[:maxRawBytes]
	}
	// pipeline.RedactText catches "…password…": value in text too broken for the scanner.
	return redactJSONText(pipeline.RedactText(b), 0)
}

// redactJSONText scans JSON-like text (perhaps cut short or malformed) string by string: the
// value after a string followed by ':' whose decoded text names password material becomes
// "[redacted]" (a whole object or array value included), unless it is a time under a key naming
// one (pipeline.SecretValue: "passwordChanged": "2017-…"); a string that is no key is scanned
// again, decoded, when it holds JSON text itself.
func redactJSONText(s string, depth int) string {
	var out strings.Builder
	i := 0
	for i < len(s) {
		if s[i] != '"' {
			next := strings.IndexByte(s[i:], '"')
			if next < 0 {
				next = len(s) - i
			}
			out.WriteString(s[i : i+next])
			i += next
			continue
		}
		end := stringEnd(s, i)
		tok := s[i:end]
		j := skipSpace(s, end)
		if j < len(s) && s[j] == ':' {
			out.WriteString(tok)
			k := skipSpace(s, j+1)
			if key := decodeLoose(tok); !secretKey(key) || !pipeline.SecretValue(key, looseValue(s[k:valueEnd(s, k)])) {
				i = end
				continue
			}
			out.WriteString(s[end:k])
			out.WriteString(`"` + pipeline.Redacted + `"`)
			i = valueEnd(s, k)
			continue
		}
		if depth < 8 && strings.Contains(tok[1:], `\"`) {
			if inner := decodeLoose(tok); strings.Contains(inner, `"`) {
				if red := redactJSONText(inner, depth+1); red != inner {
					b, _ := pipeline.Marshal(red)
					tok = string(b)
				}
			}
		}
		out.WriteString(tok)
		i = end
	}
	return out.String()
}

// looseValue reads a value's text as pipeline.SecretValue needs it: a closed string as its decoded
// text, a bare number as a json.Number, anything else (an object, an array, a string cut short)
// as nil, which stays secret.
func looseValue(v string) any {
	if v != "" && v[0] == '"' {
		for j := 1; j < len(v); j++ {
			switch v[j] {
			case '\\':
				j++
			case '"':
				if j == len(v)-1 {
					return decodeLoose(v)
				}
				return nil
			}
		}
		return nil // cut short
	}
	if v != "" && strings.IndexFunc(v, func(r rune) bool { return !strings.ContainsRune("0123456789+-.eE", r) }) < 0 &&
		json.Valid([]byte(v)) {
		return json.Number(v)
	}
	return nil
}

// stringEnd returns the index just after the string starting with the quote at s[i] (len(s)
// when it is not closed).
func stringEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(s)
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just after the JSON value starting at s[i]: a string, a balanced
// object or array (strings inside skipped), or a bare word up to a separator. Text cut short
// ends the value at len(s).
func valueEnd(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '"':
		return stringEnd(s, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '"':
				j = stringEnd(s, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(s)
	}
	j := i
	for j < len(s) && !strings.ContainsRune(",}] \t\r\n", rune(s[j])) {
		j++
	}
	return j
}

// decodeLoose decodes a JSON string token (quotes included, the closing one perhaps missing),
// tolerating bad escapes: \uXXXX (surrogate pairs too) and the one-letter escapes are resolved,
// anything else is kept as written.
func decodeLoose(tok string) string {
	tok = strings.TrimPrefix(tok, `"`)
	var b strings.Builder
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c == '"' {
			break // the closing quote
		}
		if c != '\\' || i+1 >= len(tok) {
			b.WriteByte(c)
			continue
		}
		i++
		switch tok[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			r, n := hexRune(tok[i+1:])
			if n == 0 {
				b.WriteString(`\u`)
				continue
			}
			i += n
			if r >= 0xD800 && r < 0xDC00 && strings.HasPrefix(tok[i+1:], `\u`) {
				if lo, m := hexRune(tok[i+3:]); m == 4 && lo >= 0xDC00 && lo < 0xE000 {
					r = (r-0xD800)<<10 + (lo - 0xDC00) + 0x10000
					i += 6
				}
			}
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			b.WriteRune(r)
		default: // \" \\ \/ and anything unknown: the character itself
			b.WriteByte(tok[i])
		}
	}
	return b.String()
}

// hexRune reads the 4 hex digits of a \u escape; n is 4, or 0 when they are not there.
func hexRune(s string) (rune, int) {
	if len(s) < 4 {
		return 0, 0
	}
	v, err := strconv.ParseUint(s[:4], 16, 32)
	if err != nil {
		return 0, 0
	}
	return rune(v), 4
}
