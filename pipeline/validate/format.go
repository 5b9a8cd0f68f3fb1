package validate

import "strings"

// atext marks the bytes ajv-formats' email regex allows in the local part, besides '.':
// [a-z0-9!#$%&'*+/=?^_`{|}~-] under the case-insensitive flag (ASCII only: the regex has no
// "u" flag, so no non-ASCII character folds onto an ASCII one).
var atext = func() (t [256]bool) {
	for b := 'a'; b <= 'z'; b++ {
		t[b] = true
		t[b-'a'+'A'] = true
	}
	for b := '0'; b <= '9'; b++ {
		t[b] = true
	}
	for _, b := range "!#$%&'*+/=?^_`{|}~-" {
		t[b] = true
	}
	return t
}()

// usernameByte marks the bytes Auth0 allows in a username: unaccented letters and digits plus
// @ ^ $ ! - # . + ' ~ _ and backtick.
var usernameByte = func() (t [256]bool) {
	for b := 'a'; b <= 'z'; b++ {
		t[b] = true
		t[b-'a'+'A'] = true
	}
	for b := '0'; b <= '9'; b++ {
		t[b] = true
	}
	for _, b := range "@^$!-#.+'~_`" {
		t[b] = true
	}
	return t
}()

func isAlnum(b byte) bool {
	return b-'0' < 10 || (b|0x20)-'a' < 26
}

// emailProblem reports why s does not match the email format Auth0's schema validator uses
// (ajv-formats "email", case-insensitive):
//
//	^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*
//	@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$
//
// It returns "" when s matches. It is a hand-written equivalent of the regex: '@' appears in
// neither part's alphabet and '.' in no domain label, so splitting at the '@' and at the dots is
// unambiguous. Length limits (64/254) are checked separately.
func emailProblem(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "it has no @"
	}
	local, domain := s[:at], s[at+1:]
	if local == "" {
		return "nothing before the @"
	}
	dot := true // at the start of an atom
	for i := 0; i < len(local); i++ {
		b := local[i]
		switch {
		case b == '.':
			if dot {
				if i == 0 {
					return "the part before the @ starts with a dot"
				}
				return "the part before the @ has two dots in a row"
			}
			dot = true
		case atext[b]:
			dot = false
		case b == '@':
			return "it has more than one @"
		default:
			return "the part before the @ contains a character outside a-z 0-9 and !#$%&'*+/=?^_`{|}~-"
		}
	}
	if dot {
		return "the part before the @ ends with a dot"
	}
	if domain == "" {
		return "nothing after the @"
	}
	labels := 0
	for start := 0; start <= len(domain); {
		end := strings.IndexByte(domain[start:], '.')
		if end < 0 {
			end = len(domain)
		} else {
			end += start
		}
		label := domain[start:end]
		labels++
		if label == "" {
			return "the domain has an empty label (a leading, trailing or doubled dot)"
		}
		if len(label) > 63 {
			return "a domain label is longer than 63 characters"
		}
		if !isAlnum(label[0]) || !isAlnum(label[len(label)-1]) {
			return "a domain label does not start and end with a letter or digit"
		}
		for i := 1; i < len(label)-1; i++ {
			if b := label[i]; !isAlnum(b) && b != '-' {
				return "the domain contains a character outside a-z 0-9, '-' and '.'"
			}
		}
		start = end + 1
	}
	if labels < 2 {
		return "the domain has no dot"
	}
	return ""
}

// isE164 reports whether s matches ^\+[0-9]{1,15}$.
func isE164(s string) bool {
	if len(s) < 2 || len(s) > 16 || s[0] != '+' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i]-'0' >= 10 {
			return false
		}
	}
	return true
}

// isBase32Secret reports whether s matches ^[A-Z2-7]+$ (unpadded RFC 4648 base32).
func isBase32Secret(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; !(b-'A' < 26 || b-'2' < 6) {
			return false
		}
	}
	return true
}

// isJSSpace reports whether r is matched by JavaScript's \s, the class behind the Create-User
// API's user_id pattern ^\S*$.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// uriByte marks the bytes RFC 3986 allows in a URI outside the authority (unreserved,
// sub-delims, ':', '@', '/', '?', '#'; '%' is handled separately).
var uriByte = func() (t [256]bool) {
	for b := 'a'; b <= 'z'; b++ {
		t[b] = true
		t[b-'a'+'A'] = true
	}
	for b := '0'; b <= '9'; b++ {
		t[b] = true
	}
	for _, b := range "-._~!$&'()*+,;=:@/?#" {
		t[b] = true
	}
	return t
}()

func isHex(b byte) bool {
	return b-'0' < 10 || (b|0x20)-'a' < 6
}

// uriProblem reports why s is not an absolute URI with a scheme and a host (Auth0's
// "strict-uri" format for picture), or "" when it is one. The grammar is RFC 3986's:
// scheme ":" "//" [userinfo "@"] host [":" port] path ["?" query] ["#" fragment], ASCII only,
// with '%' only as a %XX escape.
func uriProblem(s string) string {
	// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
	i := 0
	for i < len(s) && (isAlnum(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.') {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != ':' || (s[0]|0x20)-'a' >= 26 {
		return "it does not start with a scheme such as https:"
	}
	rest := s[i+1:]
	if !strings.HasPrefix(rest, "//") {
		return "the scheme is not followed by // and a host"
	}
	rest = rest[2:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		if p := checkURIChars(authority[:at], false); p != "" {
			return "the user info " + p
		}
		authority = authority[at+1:]
	}
	var port string
	if strings.HasPrefix(authority, "[") {
		closing := strings.IndexByte(authority, ']')
		if closing < 0 {
			return "the IPv6 host has no closing ]"
		}
		host := authority[1:closing]
		if host == "" {
			return "the host is empty"
		}
		for k := 0; k < len(host); k++ {
			if b := host[k]; !isHex(b) && b != ':' && b != '.' && !(k == 0 && (b == 'v' || b == 'V')) {
				return "the bracketed host is not an IP literal"
			}
		}
		port = authority[closing+1:]
		if port != "" && port[0] != ':' {
			return "unexpected characters after the IPv6 host"
		}
	} else {
		host := authority
		if colon := strings.LastIndexByte(authority, ':'); colon >= 0 {
			host, port = authority[:colon], authority[colon:]
		}
		if host == "" {
			return "the host is empty"
		}
		if p := checkURIChars(host, true); p != "" {
			return "the host " + p
		}
	}
	for k := 1; k < len(port); k++ {
		if port[k]-'0' >= 10 {
			return "the port is not a number"
		}
	}
	if p := checkURIChars(tail, false); p != "" {
		return "the path, query or fragment " + p
	}
	if k := strings.IndexByte(tail, '#'); k >= 0 && strings.IndexByte(tail[k+1:], '#') >= 0 {
		return "it has more than one #"
	}
	return ""
}

// checkURIChars reports a byte of s outside RFC 3986's allowed set (in a host also without ':',
// '@', '/', '?' and '#'), or a malformed %-escape.
func checkURIChars(s string, host bool) string {
	for k := 0; k < len(s); k++ {
		b := s[k]
		if b == '%' {
			if k+2 >= len(s) || !isHex(s[k+1]) || !isHex(s[k+2]) {
				return "has a % not followed by two hex digits"
			}
			k += 2
			continue
		}
		if !uriByte[b] || (host && (b == ':' || b == '@' || b == '/' || b == '?' || b == '#')) {
			if b >= 0x80 {
				return "contains a non-ASCII character (percent-encode it)"
			}
			if b <= ' ' || b == 0x7f {
				return "contains a space or control character"
			}
			return "contains the character " + quote(string(b)) + " (percent-encode it)"
		}
	}
	return ""
}
