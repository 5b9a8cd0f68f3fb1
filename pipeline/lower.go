package pipeline

import "strings"

// lowerASCIIFast lower-cases s, returning s itself when it has no upper-case letters.
func lowerASCIIFast(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || ('A' <= c && c <= 'Z') {
			return strings.ToLower(s)
		}
	}
	return s
}
