package oktaapi

import (
	"net/http"
	"strings"
)

// Link is one link-value of an RFC 8288 Link header field.
type Link struct {
	// URL is the target URI reference exactly as written between "<" and ">" (not resolved,
	// not re-encoded).
	URL string
	// Rel holds the relation types of the first "rel" parameter, lower-cased, in order
	// (rel="next self" gives ["next", "self"]). RFC 8288 §3.3: later rel parameters are ignored.
	Rel []string
	// Params holds every other parameter, name lower-cased, value unquoted; the first
	// occurrence of a name wins. A parameter without "=" has the value "". Nil when there are
	// none.
	Params map[string]string
}

// HasRel reports whether l carries the relation type rel (compared case-insensitively).
func (l Link) HasRel(rel string) bool {
	for _, r := range l.Rel {
		if strings.EqualFold(r, rel) {
			return true
		}
	}
	return false
}

// ParseLinks parses the values of one or more Link header fields (pass h.Values("Link")) into
// link-values, in order. It accepts several fields, several comma-separated link-values per
// field, commas inside <…> and inside quoted strings, optional whitespace around ";", "=" and
// ",", quoted or bare parameter values with backslash escapes, and space-separated relation
// types. A malformed link-value is skipped up to the next top-level comma; ParseLinks never
// fails and never panics.
func ParseLinks(values ...string) []Link {
	var links []Link
	for _, v := range values {
		links = parseLinkField(v, links)
	}
	return links
}

// NextURL returns the target of the first link in h's Link fields whose rel contains "next",
// exactly as written. ok is false when there is none (the end of a cursor-paged list).
func NextURL(h http.Header) (target string, ok bool) {
	for _, l := range ParseLinks(h.Values("Link")...) {
		if l.HasRel("next") {
			return l.URL, true
		}
	}
	return "", false
}

func parseLinkField(s string, links []Link) []Link {
	i := 0
	for {
		// Separators between link-values: whitespace and (possibly empty) list elements.
		for i < len(s) && (isOWS(s[i]) || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			return links
		}
		if s[i] != '<' {
			i = skipElement(s, i)
			continue
		}
		end := strings.IndexByte(s[i+1:], '>')
		if end < 0 {
			return links // unterminated target: nothing sensible follows
		}
		link := Link{URL: s[i+1 : i+1+end]}
		i += end + 2
		ok, relSeen := true, false
	params:
		for {
			for i < len(s) && isOWS(s[i]) {
				i++
			}
			if i >= len(s) || s[i] == ',' {
				break
			}
			if s[i] != ';' {
				ok = false
				break
			}
			i++
			for i < len(s) && isOWS(s[i]) {
				i++
			}
			start := i
			for i < len(s) && isTchar(s[i]) {
				i++
			}
			name := strings.ToLower(s[start:i])
			if name == "" {
				ok = false
				break
			}
			for i < len(s) && isOWS(s[i]) {
				i++
			}
			value := ""
			if i < len(s) && s[i] == '=' {
				i++
				for i < len(s) && isOWS(s[i]) {
					i++
				}
				if i < len(s) && s[i] == '"' {
					var closed bool
					value, i, closed = quotedString(s, i)
					if !closed {
						ok = false
						break params
					}
				} else {
					start := i
					for i < len(s) && isTchar(s[i]) {
						i++
					}
					value = s[start:i]
				}
			}
			if name == "rel" {
				if !relSeen {
					relSeen = true
					link.Rel = strings.Fields(strings.ToLower(value))
				}
				continue
			}
			if link.Params == nil {
				link.Params = map[string]string{}
			}
			if _, dup := link.Params[name]; !dup {
				link.Params[name] = value
			}
		}
		if !ok {
			i = skipElement(s, i)
			continue
		}
		links = append(links, link)
	}
}

// quotedString reads a quoted-string starting at s[i] == '"'. It returns the unescaped value,
// the index after the closing quote and whether the string was closed.
func quotedString(s string, i int) (string, int, bool) {
	var b strings.Builder
	for i++; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), i + 1, true
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), i, false
}

// skipElement moves past the current list element: to the next comma that is outside <…> and
// outside a quoted string, or to the end of s.
func skipElement(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ',':
			return i + 1
		case '<':
			if end := strings.IndexByte(s[i:], '>'); end >= 0 {
				i += end + 1
				continue
			}
			return len(s)
		case '"':
			_, next, closed := quotedString(s, i)
			if !closed {
				return len(s)
			}
			i = next
			continue
		}
		i++
	}
	return i
}

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// isTchar reports whether c is an RFC 9110 token character.
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
