package validate

import (
	"strconv"
	"strings"

	"github.com/usher-migrate/usher/pipeline"
)

// Algorithms lists the custom_password_hash algorithms Auth0 imports. Any other value is
// CodeUnsupportedHash.
var Algorithms = []string{"argon2", "bcrypt", "hmac", "ldap", "md4", "md5", "sha1", "sha256", "sha512", "pbkdf2", "scrypt"}

func isAlgorithm(s string) bool {
	switch s {
	case "argon2", "bcrypt", "hmac", "ldap", "md4", "md5", "sha1", "sha256", "sha512", "pbkdf2", "scrypt":
		return true
	}
	return false
}

// digestSize is the output size in bytes of the digests Auth0 names (plain md*/sha* algorithms
// and hash.digest of hmac), or 0 for an unknown name.
func digestSize(name string) int {
	switch name {
	case "md4", "md5":
		return 16
	case "sha1", "ripemd160":
		return 20
	case "sha224":
		return 28
	case "sha256":
		return 32
	case "sha384":
		return 48
	case "sha512", "whirlpool":
		return 64
	}
	return 0
}

// pbkdf2Digests are the digest names Auth0 accepts in a $pbkdf2-<digest>$ PHC id (Node/OpenSSL
// names, matched case-insensitively as Node's crypto does).
var pbkdf2Digests = []string{
	"RSA-MD4", "RSA-MD5", "RSA-MDC2", "RSA-RIPEMD160", "RSA-SHA1", "RSA-SHA1-2", "RSA-SHA224",
	"RSA-SHA256", "RSA-SHA384", "RSA-SHA512", "md4", "md4WithRSAEncryption", "md5",
	"md5WithRSAEncryption", "mdc2", "mdc2WithRSA", "ripemd", "ripemd160", "ripemd160WithRSA",
	"rmd160", "sha1", "sha1WithRSAEncryption", "sha224", "sha224WithRSAEncryption", "sha256",
	"sha256WithRSAEncryption", "sha384", "sha384WithRSAEncryption", "sha512",
	"sha512WithRSAEncryption", "ssl3-md5", "ssl3-sha1", "whirlpool",
}

func isPBKDF2Digest(s string) bool {
	switch s { // the common ones without a scan
	case "sha1", "sha256", "sha512", "md5":
		return true
	}
	for _, d := range pbkdf2Digests {
		if strings.EqualFold(s, d) {
			return true
		}
	}
	return false
}

// ldapScheme describes an RFC 2307 userPassword scheme Auth0 verifies.
func ldapScheme(s string) (size int, salted, ok bool) {
	var buf [8]byte
	if len(s) > len(buf) {
		return 0, false, false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b-'a' < 26 {
			b -= 'a' - 'A'
		}
		buf[i] = b
	}
	switch string(buf[:len(s)]) {
	case "MD5":
		return 16, false, true
	case "SMD5":
		return 16, true, true
	case "SHA":
		return 20, false, true
	case "SSHA":
		return 20, true, true
	case "SHA256":
		return 32, false, true
	case "SSHA256":
		return 32, true, true
	case "SHA384":
		return 48, false, true
	case "SSHA384":
		return 48, true, true
	case "SHA512":
		return 64, false, true
	case "SSHA512":
		return 64, true, true
	}
	return 0, false, false
}

// decodedLen returns how many bytes s holds in encoding enc ("hex", "base64" or "utf8"), or -1
// when s is not valid in it. Hex may be upper or lower case; base64 may use the standard or the
// URL-safe alphabet, padded or not (Auth0 accepts both).
func decodedLen(s, enc string) int {
	switch enc {
	case "hex":
		if len(s)%2 != 0 {
			return -1
		}
		for i := 0; i < len(s); i++ {
			if !isHex(s[i]) {
				return -1
			}
		}
		return len(s) / 2
	case "base64":
		return base64Len(s, true, true)
	}
	return len(s)
}

// base64Len returns the decoded length of s in base64 (standard alphabet, plus the URL-safe
// one when url is set; '=' padding allowed when pad is set), or -1 when s is not valid.
func base64Len(s string, url, pad bool) int {
	n := len(s)
	if pad {
		for n > 0 && len(s)-n < 2 && s[n-1] == '=' {
			n--
		}
		if n < len(s) && len(s)%4 != 0 {
			return -1
		}
	}
	for i := 0; i < n; i++ {
		b := s[i]
		if isAlnum(b) || b == '+' || b == '/' || (url && (b == '-' || b == '_')) {
			continue
		}
		return -1
	}
	if n%4 == 1 {
		return -1
	}
	return n/4*3 + [4]int{0, 0, 1, 2}[n%4]
}

// passwordHash checks password_hash. Only the shape Auth0 accepts there is valid: a $2a$ or $2b$
// bcrypt modular-crypt string at cost 10 (Auth0's import pattern is ^\$2[ab]?\$10+\$…). A
// well-formed bcrypt string of another variant or cost is CodeUnsupportedHash (the hash stage
// moves $2a$/$2b$/$2y$ of any cost to custom_password_hash, which accepts them); anything else
// is CodeInvalidHash.
func (c *checker) passwordHash(v any) {
	const field = "password_hash"
	s, ok := v.(string)
	if !ok {
		c.typeErr(pipeline.CodeInvalidType, field, "string", v)
		return
	}
	if s == "" {
		c.add(pipeline.CodeInvalidHash, field, "password_hash is empty; omit it for a user without a password")
		return
	}
	variant, p := parseBcrypt(s)
	switch {
	case p != "":
		c.add(pipeline.CodeInvalidHash, field, "password_hash "+p)
	case variant == "y":
		c.add(pipeline.CodeUnsupportedHash, field, "password_hash accepts only $2a$ and $2b$ bcrypt hashes; "+
			"a $2y$ hash can be imported as custom_password_hash with algorithm bcrypt")
	case variant != "a" && variant != "b":
		c.add(pipeline.CodeUnsupportedHash, field, "Auth0 cannot import $2"+variant+"$ bcrypt hashes (only $2a$ and $2b$)")
	case s[4:6] != "10":
		c.add(pipeline.CodeUnsupportedHash, field, "password_hash accepts bcrypt cost 10 only; a hash of cost "+s[4:6]+
			" can be imported as custom_password_hash with algorithm bcrypt")
	}
}

// parseBcrypt checks that s is a bcrypt modular-crypt string $2<v>$<cost>$<22 salt + 31 hash
// characters> and returns its variant letter ("a", "b", "y", "x", or "" for $2$), or a problem.
func parseBcrypt(s string) (variant, problem string) {
	const want = "must be a bcrypt modular-crypt string: $2a$ or $2b$, a two-digit cost, $, and 53 characters"
	if !strings.HasPrefix(s, "$2") {
		return "", want
	}
	rest := s[2:]
	if rest != "" && rest[0] != '$' {
		variant, rest = rest[:1], rest[1:]
		switch variant {
		case "a", "b", "x", "y":
		default:
			return "", "has an unknown bcrypt variant; " + want
		}
	}
	if len(rest) < 4 || rest[0] != '$' || rest[1]-'0' >= 10 || rest[2]-'0' >= 10 || rest[3] != '$' {
		return "", "has no two-digit cost; " + want
	}
	if cost := int(rest[1]-'0')*10 + int(rest[2]-'0'); cost < 4 || cost > 31 {
		return "", "has cost " + rest[1:3] + "; bcrypt costs run from 04 to 31"
	}
	rest = rest[4:]
	if len(rest) != 53 {
		return "", "has " + strconv.Itoa(len(rest)) + " characters after the cost; bcrypt has 53 (22 salt + 31 hash)"
	}
	for i := 0; i < len(rest); i++ {
		if b := rest[i]; !isAlnum(b) && b != '.' && b != '/' {
			return "", "contains a character outside bcrypt's base64 alphabet (./A-Za-z0-9)"
		}
	}
	return variant, ""
}

// hashInfo is what customHash learned about a custom_password_hash while checking its shape; the
// per-algorithm rules run on it afterwards.
type hashInfo struct {
	alg           string // the algorithm, when it is one of Auth0's
	value         string // hash.value, when a non-empty string
	enc           string // hash.encoding, when valid
	encPresent    bool
	digest        string // hash.digest, when valid
	digestPresent bool
	keyPresent    bool
	saltPresent   bool
	keylen        int64 // keylen, when a valid integer > 0
	keylenPresent bool
	scryptParams  []string // scrypt-only parameters present (only built for non-scrypt algorithms)
}

const cph = "custom_password_hash"

var (
	cphKeys      = []string{"algorithm", "hash", "salt", "password", "keylen", "cost", "blockSize", "parallelization"}
	hashKeys     = []string{"value", "encoding", "digest", "key"}
	keyKeys      = []string{"value", "encoding"}
	saltKeys     = []string{"value", "encoding", "position"}
	passwordKeys = []string{"encoding"}
)

// customHash checks custom_password_hash: the schema's shape (additionalProperties false at every
// level, enums, required properties) and then the per-algorithm rules of Auth0's bulk-import
// schema page (https://auth0.com/docs/manage-users/user-migration/bulk-user-import-schema).
func (c *checker) customHash(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.typeErr(pipeline.CodeInvalidType, cph, "object", v)
		return
	}
	var h hashInfo
	known := 0

	if a, ok := m["algorithm"]; ok {
		known++
		s, isStr := a.(string)
		switch {
		case !isStr:
			c.typeErr(pipeline.CodeInvalidHash, cph+".algorithm", "string", a)
		case s == "":
			c.add(pipeline.CodeInvalidHash, cph+".algorithm", "algorithm is empty; it must be one of "+strings.Join(Algorithms, ", "))
		case isAlgorithm(s):
			h.alg = s
		case isAlgorithm(strings.ToLower(s)):
			c.add(pipeline.CodeInvalidHash, cph+".algorithm", "algorithm must be lower-case: "+quote(strings.ToLower(s)))
		default:
			c.add(pipeline.CodeUnsupportedHash, cph+".algorithm", "algorithm "+nameOf(s)+
				" is not one Auth0 imports ("+strings.Join(Algorithms, ", ")+")")
		}
	} else {
		c.add(pipeline.CodeInvalidHash, cph+".algorithm", "algorithm is required")
	}

	if x, ok := m["hash"]; ok {
		known++
		if hm, ok := x.(map[string]any); ok {
			c.hashObject(hm, &h)
		} else {
			c.typeErr(pipeline.CodeInvalidHash, cph+".hash", "object", x)
		}
	} else {
		c.add(pipeline.CodeInvalidHash, cph+".hash", "hash is required")
	}

	if x, ok := m["salt"]; ok {
		known++
		h.saltPresent = true
		c.encodedObject(cph+".salt", x, saltKeys, true)
	}

	if x, ok := m["password"]; ok {
		known++
		if pm, ok := x.(map[string]any); !ok {
			c.typeErr(pipeline.CodeInvalidHash, cph+".password", "object", x)
		} else {
			pk := 0
			if e, ok := pm["encoding"]; ok {
				pk++
				c.enum(cph+".password", "encoding", e, "ascii", "utf8", "utf16le", "ucs2", "latin1", "binary")
			}
			if len(pm) > pk {
				c.unknownHashKeys(cph+".password", pm, passwordKeys)
			}
		}
	}

	for _, p := range [...]struct {
		name string
		ok   func(int64) bool
		rule string
	}{
		{"keylen", func(n int64) bool { return n > 0 }, "an integer greater than 0"},
		{"cost", func(n int64) bool { return n > 1 && n&(n-1) == 0 }, "a power of two greater than 1 (default 16384)"},
		{"blockSize", func(n int64) bool { return n > 0 }, "an integer greater than 0 (default 8)"},
		{"parallelization", func(n int64) bool { return n > 0 }, "an integer greater than 0 (default 1)"},
	} {
		x, ok := m[p.name]
		if !ok {
			continue
		}
		known++
		if p.name == "keylen" {
			h.keylenPresent = true
		}
		if h.alg != "" && h.alg != "scrypt" {
			h.scryptParams = append(h.scryptParams, p.name)
		}
		n, isInt := intValue(x)
		switch {
		case !isInt && pipeline.JSONType(x) == "number":
			c.add(pipeline.CodeInvalidHash, cph+"."+p.name, p.name+" must be "+p.rule+"; got a non-integer number")
		case !isInt:
			c.typeErr(pipeline.CodeInvalidHash, cph+"."+p.name, "integer", x)
		case !p.ok(n):
			c.add(pipeline.CodeInvalidHash, cph+"."+p.name, p.name+" must be "+p.rule+"; got "+strconv.FormatInt(n, 10))
		case p.name == "keylen":
			h.keylen = n
		}
	}

	if len(m) > known {
		c.unknownHashKeys(cph, m, cphKeys)
	}
	if h.alg != "" {
		c.algorithmRules(&h)
	}
}

// hashObject checks custom_password_hash.hash and records what the per-algorithm rules need.
func (c *checker) hashObject(hm map[string]any, h *hashInfo) {
	const f = cph + ".hash"
	known := 0
	if x, ok := hm["value"]; ok {
		known++
		s, isStr := x.(string)
		switch {
		case !isStr:
			c.typeErr(pipeline.CodeInvalidHash, f+".value", "string", x)
		case s == "":
			c.add(pipeline.CodeInvalidHash, f+".value", "hash.value is empty")
		default:
			h.value = s
		}
	} else {
		c.add(pipeline.CodeInvalidHash, f+".value", "hash.value is required")
	}
	if x, ok := hm["encoding"]; ok {
		known++
		h.encPresent = true
		h.enc = c.enum(f, "encoding", x, "base64", "hex", "utf8")
	}
	if x, ok := hm["digest"]; ok {
		known++
		h.digestPresent = true
		h.digest = c.enum(f, "digest", x, "md4", "md5", "ripemd160", "sha1", "sha224", "sha256", "sha384", "sha512", "whirlpool")
	}
	if x, ok := hm["key"]; ok {
		known++
		h.keyPresent = true
		c.encodedObject(f+".key", x, keyKeys, false)
	}
	if len(hm) > known {
		c.unknownHashKeys(f, hm, hashKeys)
	}
}

// encodedObject checks a {value, encoding[, position]} object (salt, hash.key): value is a
// required string valid in its encoding (default utf8); messages never include the value.
func (c *checker) encodedObject(field string, x any, allowed []string, salt bool) {
	om, ok := x.(map[string]any)
	if !ok {
		c.typeErr(pipeline.CodeInvalidHash, field, "object", x)
		return
	}
	known := 0
	enc := "utf8"
	if e, ok := om["encoding"]; ok {
		known++
		enc = c.enum(field, "encoding", e, "base64", "hex", "utf8")
	}
	if salt {
		if p, ok := om["position"]; ok {
			known++
			c.enum(field, "position", p, "prefix", "suffix")
		}
	}
	if val, ok := om["value"]; ok {
		known++
		if s, isStr := val.(string); !isStr {
			c.typeErr(pipeline.CodeInvalidHash, field+".value", "string", val)
		} else if enc != "" && decodedLen(s, enc) < 0 {
			c.add(pipeline.CodeInvalidHash, field+".value", "value is not valid "+enc+" (its encoding says "+enc+")")
		}
	} else {
		c.add(pipeline.CodeInvalidHash, field+".value", "value is required")
	}
	if len(om) > known {
		c.unknownHashKeys(field, om, allowed)
	}
}

// enum checks that x, the value at parent.name, is one of the allowed strings and returns it (""
// when it is not). The path is only built for an issue.
func (c *checker) enum(parent, name string, x any, allowed ...string) string {
	s, ok := x.(string)
	field := func() string { return parent + "." + name }
	if !ok {
		c.typeErr(pipeline.CodeInvalidHash, field(), "string", x)
		return ""
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	c.add(pipeline.CodeInvalidHash, field(), "must be one of "+strings.Join(allowed, ", ")+"; got "+nameOf(s))
	return ""
}

func (c *checker) unknownHashKeys(field string, m map[string]any, allowed []string) {
	for _, k := range unknownKeys(m, allowed) {
		c.add(pipeline.CodeInvalidHash, field+"."+k, "unknown property "+quote(k)+" (allowed: "+strings.Join(allowed, ", ")+")")
	}
}

// algorithmRules applies the per-algorithm rules of Auth0's import docs (bulk-user-import-schema).
func (c *checker) algorithmRules(h *hashInfo) {
	alg := h.alg
	const encField = cph + ".hash.encoding"
	switch alg {
	case "argon2", "bcrypt", "ldap", "pbkdf2":
		// Auth0's own examples omit the encoding for these; utf8 is the only value allowed.
		if h.enc != "" && h.enc != "utf8" {
			c.add(pipeline.CodeInvalidHash, encField, "hash.encoding must be utf8 (or omitted) for algorithm "+alg)
		}
	default: // hmac, md4, md5, sha1, sha256, sha512, scrypt
		if !h.encPresent {
			c.add(pipeline.CodeInvalidHash, encField, "hash.encoding is required for algorithm "+alg+" (hex or base64)")
		} else if h.enc == "utf8" {
			c.add(pipeline.CodeInvalidHash, encField, "hash.encoding must be hex or base64 for algorithm "+alg)
		}
	}

	if alg == "hmac" {
		if !h.digestPresent {
			c.add(pipeline.CodeInvalidHash, cph+".hash.digest", "hash.digest is required for algorithm hmac")
		}
		if !h.keyPresent {
			c.add(pipeline.CodeInvalidHash, cph+".hash.key", "hash.key is required for algorithm hmac")
		}
	} else {
		if h.digestPresent {
			c.add(pipeline.CodeInvalidHash, cph+".hash.digest", "hash.digest is only used with algorithm hmac, not "+alg)
		}
		if h.keyPresent {
			c.add(pipeline.CodeInvalidHash, cph+".hash.key", "hash.key is only used with algorithm hmac, not "+alg)
		}
	}

	switch alg {
	case "argon2", "ldap", "pbkdf2":
		if h.saltPresent {
			c.add(pipeline.CodeInvalidHash, cph+".salt", "salt is not allowed for algorithm "+alg+
				": the salt is part of hash.value")
		}
	case "scrypt":
		if !h.saltPresent {
			c.add(pipeline.CodeInvalidHash, cph+".salt", "salt is required for algorithm scrypt")
		}
		if !h.keylenPresent {
			c.add(pipeline.CodeInvalidHash, cph+".keylen", "keylen is required for algorithm scrypt")
		}
	}
	for _, p := range h.scryptParams {
		c.add(pipeline.CodeInvalidHash, cph+"."+p, p+" is only used with algorithm scrypt, not "+alg)
	}

	if h.value == "" {
		return
	}
	const valField = cph + ".hash.value"
	code, msg := "", ""
	switch alg {
	case "argon2":
		code, msg = argon2Problem(h.value)
	case "bcrypt":
		variant, p := parseBcrypt(h.value)
		switch {
		case p != "":
			code, msg = pipeline.CodeInvalidHash, "hash.value "+strings.Replace(p, "$2a$ or $2b$", "$2a$, $2b$ or $2y$", 1)
		case variant == "x" || variant == "":
			code, msg = pipeline.CodeUnsupportedHash, "Auth0 cannot import $2"+variant+"$ bcrypt hashes (only $2a$, $2b$ and $2y$)"
		}
	case "ldap":
		code, msg = ldapProblem(h.value)
	case "pbkdf2":
		code, msg = pbkdf2Problem(h.value)
	case "md4", "md5", "sha1", "sha256", "sha512":
		msg = lengthProblem(h.value, h.enc, digestSize(alg), "a "+alg+" digest")
	case "hmac":
		if h.digest != "" {
			msg = lengthProblem(h.value, h.enc, digestSize(h.digest), "an HMAC-"+h.digest)
		} else if h.enc == "hex" || h.enc == "base64" {
			msg = lengthProblem(h.value, h.enc, -1, "")
		}
	case "scrypt":
		want := -1
		if h.keylen > 0 && h.keylen <= 1<<30 {
			want = int(h.keylen)
		}
		msg = lengthProblem(h.value, h.enc, want, "keylen")
	}
	if msg != "" {
		if code == "" {
			code = pipeline.CodeInvalidHash
		}
		c.add(code, valField, msg)
	}
}

// lengthProblem checks that value is valid in enc (hex or base64; other encodings are reported
// elsewhere) and, when want ≥ 0, that it decodes to want bytes.
func lengthProblem(value, enc string, want int, what string) string {
	if enc != "hex" && enc != "base64" {
		return ""
	}
	n := decodedLen(value, enc)
	if n < 0 {
		return "hash.value is not valid " + enc + " (hash.encoding says " + enc + ")"
	}
	if want >= 0 && n != want {
		if what == "keylen" {
			return "hash.value decodes to " + strconv.Itoa(n) + " bytes but keylen is " + strconv.Itoa(want)
		}
		return "hash.value decodes to " + strconv.Itoa(n) + " bytes; " + what + " is " + strconv.Itoa(want) + " bytes"
	}
	return ""
}

// readUint reads a decimal number at the start of s (at most 10 digits, so it fits uint32 checks)
// and returns it with the rest of s.
func readUint(s string) (n int64, rest string, ok bool) {
	i := 0
	for i < len(s) && s[i]-'0' < 10 {
		if i == 10 {
			return 0, s, false
		}
		n = n*10 + int64(s[i]-'0')
		i++
	}
	return n, s[i:], i > 0
}

// argon2Problem checks an argon2 PHC string as libsodium (behind auth0/magic) decodes it:
// $argon2id$ or $argon2i$, optional v=16|19, m,t,p in that order, a B64 salt of at least 8 bytes
// and a B64 hash of at least 16 bytes. argon2d is CodeUnsupportedHash.
func argon2Problem(s string) (code, msg string) {
	const want = "hash.value must be an argon2 PHC string: $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<B64 salt>$<B64 hash>"
	inv := pipeline.CodeInvalidHash
	if !strings.HasPrefix(s, "$argon2") {
		return inv, want
	}
	rest := s[len("$argon2"):]
	k := strings.IndexByte(rest, '$')
	if k < 0 {
		return inv, want
	}
	switch rest[:k] {
	case "id", "i":
	case "d":
		return pipeline.CodeUnsupportedHash, "argon2d hashes cannot be imported by Auth0 (only argon2id and argon2i)"
	default:
		return inv, "hash.value has an unknown argon2 variant; " + want
	}
	rest = rest[k:]
	if strings.HasPrefix(rest, "$v=") {
		v, r, ok := readUint(rest[3:])
		if !ok {
			return inv, "hash.value has a malformed version; " + want
		}
		if v != 19 && v != 16 {
			return inv, "hash.value has argon2 version " + strconv.FormatInt(v, 10) + "; only 19 (0x13) and 16 (0x10) exist"
		}
		rest = r
	}
	var m, t, p int64
	for _, f := range [...]struct {
		prefix string
		dst    *int64
	}{{"$m=", &m}, {",t=", &t}, {",p=", &p}} {
		if !strings.HasPrefix(rest, f.prefix) {
			return inv, "hash.value has malformed parameters; " + want
		}
		n, r, ok := readUint(rest[len(f.prefix):])
		if !ok {
			return inv, "hash.value has malformed parameters; " + want
		}
		*f.dst, rest = n, r
	}
	if t < 1 || p < 1 || m < 8*p {
		return inv, "hash.value has impossible argon2 parameters (t ≥ 1, p ≥ 1 and m ≥ 8·p are required)"
	}
	if !strings.HasPrefix(rest, "$") {
		return inv, "hash.value has no salt; " + want
	}
	rest = rest[1:]
	k = strings.IndexByte(rest, '$')
	if k < 0 {
		return inv, "hash.value has no hash part; " + want
	}
	salt, hash := rest[:k], rest[k+1:]
	if n := base64Len(salt, false, false); n < 0 {
		return inv, "hash.value's salt is not B64 (standard base64 without padding)"
	} else if n < 8 {
		return inv, "hash.value's salt is " + strconv.Itoa(n) + " bytes; argon2 needs at least 8"
	}
	if n := base64Len(hash, false, false); n < 0 {
		return inv, "hash.value's hash part is not B64 (standard base64 without padding)"
	} else if n < 16 {
		return inv, "hash.value's hash part is " + strconv.Itoa(n) + " bytes; libsodium needs at least 16"
	}
	return "", ""
}

// ldapProblem checks an RFC 2307 userPassword value {SCHEME}base64 with a scheme Auth0 verifies;
// {CRYPT} and other schemes are CodeUnsupportedHash. The base64 payload must hold exactly the
// digest (unsalted schemes) or the digest followed by a salt of at least one byte (salted ones).
func ldapProblem(s string) (code, msg string) {
	const supported = "MD5, SMD5, SHA, SSHA, SHA256, SSHA256, SHA384, SSHA384, SHA512, SSHA512"
	inv := pipeline.CodeInvalidHash
	end := strings.IndexByte(s, '}')
	if !strings.HasPrefix(s, "{") || end < 0 {
		return inv, "hash.value must be an RFC 2307 userPassword string {SCHEME}base64, e.g. {SSHA}…"
	}
	scheme, payload := s[1:end], s[end+1:]
	size, salted, ok := ldapScheme(scheme)
	if !ok {
		if strings.EqualFold(scheme, "crypt") {
			return pipeline.CodeUnsupportedHash, "LDAP {CRYPT} hashes cannot be imported by Auth0 (system-dependent crypt)"
		}
		return pipeline.CodeUnsupportedHash, "LDAP scheme " + nameOf("{"+scheme+"}") + " cannot be imported by Auth0 (supported: " + supported + ")"
	}
	n := base64Len(payload, false, true)
	switch {
	case n < 0:
		return inv, "hash.value's payload after {" + scheme + "} is not valid base64"
	case !salted && n != size:
		return inv, "hash.value's payload decodes to " + strconv.Itoa(n) + " bytes; {" + scheme +
			"} holds a " + strconv.Itoa(size) + "-byte digest"
	case salted && n <= size:
		return inv, "hash.value's payload decodes to " + strconv.Itoa(n) + " bytes; {" + scheme +
			"} holds a " + strconv.Itoa(size) + "-byte digest followed by the salt"
	}
	return "", ""
}

// pbkdf2Problem checks a PBKDF2 PHC string $pbkdf2-<digest>[$i=<n>[,l=<n>]]$<B64 salt>$<B64 hash>
// (i defaults to 100000 and l to 64 at Auth0; the hash must decode to l bytes). An unknown digest
// is CodeUnsupportedHash.
func pbkdf2Problem(s string) (code, msg string) {
	const want = "hash.value must be a PHC string $pbkdf2-<digest>$i=<iterations>,l=<keylen>$<B64 salt>$<B64 hash>"
	inv := pipeline.CodeInvalidHash
	if !strings.HasPrefix(s, "$pbkdf2-") {
		return inv, want
	}
	var parts [5]string
	np := 0
	for rest := s[len("$pbkdf2-"):]; ; {
		if np == len(parts) {
			return inv, "hash.value has too many $-separated fields; " + want
		}
		k := strings.IndexByte(rest, '$')
		if k < 0 {
			parts[np] = rest
			np++
			break
		}
		parts[np] = rest[:k]
		np++
		rest = rest[k+1:]
	}
	digest := parts[0]
	if digest == "" {
		return inv, "hash.value names no digest; " + want
	}
	if !isPBKDF2Digest(digest) {
		return pipeline.CodeUnsupportedHash, "PBKDF2 digest " + nameOf(digest) + " is not one Auth0 supports"
	}
	var params, salt, hash string
	switch np {
	case 3:
		salt, hash = parts[1], parts[2]
		if strings.IndexByte(salt, '=') >= 0 {
			return inv, "hash.value has parameters but is missing the salt or the hash; " + want
		}
	case 4:
		params, salt, hash = parts[1], parts[2], parts[3]
	default:
		return inv, "hash.value is missing the salt or the hash; " + want
	}
	keylen := int64(64)
	seen := [2]bool{}
	for params != "" {
		kv := params
		if k := strings.IndexByte(params, ','); k >= 0 {
			kv, params = params[:k], params[k+1:]
			if params == "" {
				return inv, "hash.value has a trailing comma in its parameters"
			}
		} else {
			params = ""
		}
		if len(kv) < 3 || kv[1] != '=' || (kv[0] != 'i' && kv[0] != 'l') {
			return inv, "hash.value has an unknown parameter (only i=<iterations> and l=<keylen>); " + want
		}
		idx := 0
		if kv[0] == 'l' {
			idx = 1
		}
		if seen[idx] {
			return inv, "hash.value repeats the parameter " + kv[:1]
		}
		seen[idx] = true
		n, r, ok := readUint(kv[2:])
		if !ok || r != "" || n < 1 {
			return inv, "hash.value's parameter " + kv[:1] + " must be a positive integer"
		}
		if idx == 1 {
			keylen = n
		}
	}
	if n := base64Len(salt, false, false); n < 0 {
		return inv, "hash.value's salt is not B64 (standard base64 without = padding)"
	} else if n == 0 {
		return inv, "hash.value's salt is empty"
	}
	n := base64Len(hash, false, false)
	if n < 0 {
		return inv, "hash.value's hash part is not B64 (standard base64 without = padding)"
	}
	if int64(n) != keylen {
		l := "l is " + strconv.FormatInt(keylen, 10)
		if !seen[1] {
			l = "l is omitted, so Auth0 expects 64"
		}
		return inv, "hash.value's hash part decodes to " + strconv.Itoa(n) + " bytes but " + l
	}
	return "", ""
}
