package auth0test

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	json "github.com/goccy/go-json"
)

// The schema check below is this package's own reading of Auth0's bulk-import user schema
// (auth0/docs-v2 bulk-user-import-schema.mdx). It
// reports Auth0's documented job-error codes with z-schema's message wording (Auth0's messages
// quote z-schema, e.g. "Object didn't pass validation for format email: …"), one ErrorDetail per
// violation, in schema property order, then unknown properties sorted, then cross-field rules.
//
// Rule → code (those marked * are this emulator's choice; Auth0 documents the code list, not
// which rule yields which):
//
//	user not an object, a property of the wrong JSON type             INVALID_TYPE
//	email missing; custom_password_hash without algorithm or hash;
//	  hash without value*; salt or hash.key without value; an MFA
//	  factor without its secret or value                              OBJECT_REQUIRED
//	an unknown top-level, custom_password_hash or MFA factor member   OBJECT_ADDITIONAL_PROPERTIES* (z-schema's code; not in Auth0's list)
//	email, mfa email not an email address (incl. local part > 64,
//	  address > 254); picture not an absolute URL                     FORMAT
//	phone_number, totp secret, mfa phone, user_id (no whitespace),
//	  username characters*, password_hash (Auth0's pattern: bcrypt $2a$/$2b$
//	  at cost 10 only; any other cost must come as custom_password_hash),
//	  metadata key containing "." or "$"*                             PATTERN
//	user_id > 255, username > connection max, given_name /
//	  family_name > 150, name / nickname > 300                        MAX_LENGTH
//	username < connection min, an empty given_name, family_name,
//	  name or nickname                                                MIN_LENGTH
//	algorithm, encodings, digest, salt position not in their enum     ENUM_MISMATCH
//	keylen, blockSize, parallelization < 1; cost < 2                  MINIMUM
//	mfa_factors with 0 / more than 10 items                           ARRAY_LENGTH_SHORT / ARRAY_LENGTH_LONG
//	an MFA item with no factor or more than one*                      MFA_FACTORS_FAILED
//	per-algorithm rules (hash.encoding, digest/key only and required
//	  for hmac, salt forbidden for argon2/ldap/pbkdf2 and required for
//	  scrypt, keylen required for scrypt and scrypt parameters only
//	  for scrypt, cost a power of two, hash.value prefix of bcrypt,
//	  argon2, pbkdf2, ldap)*                                          ANY_OF_MISSING
//	password_hash together with custom_password_hash; username shaped
//	  like an email*; a reserved app_metadata key*                    NOT_PASSED
//
// Messages never contain password hashes, salts, keys or TOTP secrets: such values are shown as
// "*****". Lengths are counted in UTF-16 code units, as JavaScript does.

// Error codes of import job errors (Auth0's documented list, plus OBJECT_ADDITIONAL_PROPERTIES).
const (
	CodeAnyOfMissing     = "ANY_OF_MISSING"
	CodeArrayLengthLong  = "ARRAY_LENGTH_LONG"
	CodeArrayLengthShort = "ARRAY_LENGTH_SHORT"
	CodeConflict         = "CONFLICT"
	CodeConflictEmail    = "CONFLICT_EMAIL"
	CodeConflictUsername = "CONFLICT_USERNAME"
	CodeDuplicatedUser   = "DUPLICATED_USER"
	CodeEnumMismatch     = "ENUM_MISMATCH"
	CodeFormat           = "FORMAT"
	CodeInvalidType      = "INVALID_TYPE"
	CodeMaxLength        = "MAX_LENGTH"
	CodeMFAFactorsFailed = "MFA_FACTORS_FAILED"
	CodeMinLength        = "MIN_LENGTH"
	CodeMinimum          = "MINIMUM"
	CodeNotPassed        = "NOT_PASSED"
	CodeObjectRequired   = "OBJECT_REQUIRED"
	CodePattern          = "PATTERN"
	// CodeAdditionalProperties is z-schema's code for additionalProperties:false; Auth0 does
	// not list it, the emulator uses it for unknown members.
	CodeAdditionalProperties = "OBJECT_ADDITIONAL_PROPERTIES"
)

const redacted = "*****"

// Reserved app_metadata keys (Auth0's bulk-import schema page).
var reservedAppMetadata = []string{
	"__tenant", "_id", "blocked", "clientID", "created_at", "email_verified", "email",
	"globalClientID", "global_client_id", "identities", "lastIP", "lastLogin", "loginsCount",
	"metadata", "multifactor_last_modified", "multifactor", "updated_at", "user_id",
}

var topProperties = []string{
	"email", "email_verified", "phone_number", "phone_verified", "user_id", "username",
	"given_name", "family_name", "name", "nickname", "picture", "blocked", "app_metadata",
	"user_metadata", "password_hash", "custom_password_hash", "mfa_factors",
}

var cphProperties = []string{"algorithm", "hash", "salt", "password", "keylen", "cost", "blockSize", "parallelization"}

var (
	algorithms        = []string{"argon2", "bcrypt", "hmac", "ldap", "md4", "md5", "sha1", "sha256", "sha512", "pbkdf2", "scrypt"}
	encodings         = []string{"base64", "hex", "utf8"}
	digests           = []string{"md4", "md5", "ripemd160", "sha1", "sha224", "sha256", "sha384", "sha512", "whirlpool"}
	positions         = []string{"prefix", "suffix"}
	passwordEncodings = []string{"ascii", "utf8", "utf16le", "ucs2", "latin1", "binary"}
)

const (
	phonePattern    = `^\+[0-9]{1,15}$`
	totpPattern     = `^[A-Z2-7]+$`
	userIDPattern   = `^\S*$`
	usernamePattern = "^[a-zA-Z0-9_+\\-.!#$'^`~@]*$"
	bcryptPattern   = `^\$2[ab]?\$10+\$[./A-Za-z0-9]{53}$`
	metaKeyPattern  = `^[^.$]*$`
)

var (
	phoneRE    = regexp.MustCompile(phonePattern)
	totpRE     = regexp.MustCompile(totpPattern)
	usernameRE = regexp.MustCompile(usernamePattern)
	bcryptRE   = regexp.MustCompile(bcryptPattern)
)

// schemaCheck collects the issues of one user.
type schemaCheck struct {
	errs []ErrorDetail
}

func (c *schemaCheck) add(code, path, msg string) {
	c.errs = append(c.errs, ErrorDetail{Code: code, Message: msg, Path: path})
}

// checkUser checks one element of a users file against the import schema for connection cn.
func checkUser(v any, cn *conn) []ErrorDetail {
	c := &schemaCheck{}
	u, ok := v.(map[string]any)
	if !ok {
		c.typeErr("", "object", v)
		return c.errs
	}
	if _, ok := u["email"]; !ok {
		c.add(CodeObjectRequired, "email", "Missing required property: email")
	}
	for _, k := range topProperties {
		x, ok := u[k]
		if !ok {
			continue
		}
		switch k {
		case "email":
			if s, ok := c.str(k, x); ok && !isEmail(s) {
				c.add(CodeFormat, k, "Object didn't pass validation for format email: "+s)
			}
		case "email_verified", "phone_verified", "blocked":
			c.boolean(k, x)
		case "phone_number":
			if s, ok := c.str(k, x); ok && !phoneRE.MatchString(s) {
				c.add(CodePattern, k, patternMsg(phonePattern, s))
			}
		case "user_id":
			if s, ok := c.str(k, x); ok {
				c.maxLen(k, s, 255)
				if strings.IndexFunc(s, isJSSpace) >= 0 {
					c.add(CodePattern, k, patternMsg(userIDPattern, s))
				}
			}
		case "username":
			if s, ok := c.str(k, x); ok {
				c.minLen(k, s, cn.UsernameMin)
				c.maxLen(k, s, cn.UsernameMax)
				if !usernameRE.MatchString(s) {
					c.add(CodePattern, k, patternMsg(usernamePattern, s))
				}
				if isEmail(s) {
					c.add(CodeNotPassed, k, "Data matches schema from 'not'")
				}
			}
		case "given_name", "family_name":
			if s, ok := c.str(k, x); ok {
				c.minLen(k, s, 1)
				c.maxLen(k, s, 150)
			}
		case "name", "nickname":
			if s, ok := c.str(k, x); ok {
				c.minLen(k, s, 1)
				c.maxLen(k, s, 300)
			}
		case "picture":
			if s, ok := c.str(k, x); ok && !isURI(s) {
				c.add(CodeFormat, k, "Object didn't pass validation for format strict-uri: "+s)
			}
		case "app_metadata", "user_metadata":
			if m, ok := c.object(k, x); ok {
				if k == "app_metadata" {
					for _, key := range sortedKeys(m) {
						if slices.Contains(reservedAppMetadata, key) {
							c.add(CodeNotPassed, k+"."+key, "Data matches schema from 'not'")
						}
					}
				}
				c.metadataKeys(k, m)
			}
		case "password_hash":
			if s, ok := c.str(k, x); ok && !bcryptRE.MatchString(s) {
				c.add(CodePattern, k, patternMsg(bcryptPattern, redacted))
			}
		case "custom_password_hash":
			c.customHash(x)
		case "mfa_factors":
			c.mfaFactors(x)
		}
	}
	for _, k := range sortedKeys(u) {
		if !slices.Contains(topProperties, k) {
			c.add(CodeAdditionalProperties, k, "Additional properties not allowed: "+k)
		}
	}
	_, ph := u["password_hash"]
	_, cph := u["custom_password_hash"]
	if ph && cph {
		c.add(CodeNotPassed, "password_hash", "Data matches schema from 'not'")
	}
	return c.errs
}

func (c *schemaCheck) typeErr(path, want string, got any) {
	c.add(CodeInvalidType, path, "Expected type "+want+" but found type "+jsonType(got))
}

func (c *schemaCheck) str(path string, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		c.typeErr(path, "string", v)
	}
	return s, ok
}

func (c *schemaCheck) boolean(path string, v any) {
	if _, ok := v.(bool); !ok {
		c.typeErr(path, "boolean", v)
	}
}

func (c *schemaCheck) object(path string, v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.typeErr(path, "object", v)
	}
	return m, ok
}

func (c *schemaCheck) minLen(path, s string, n int) {
	if l := jsLen(s); l < n {
		c.add(CodeMinLength, path, fmt.Sprintf("String is too short (%d chars), minimum %d", l, n))
	}
}

func (c *schemaCheck) maxLen(path, s string, n int) {
	if l := jsLen(s); l > n {
		c.add(CodeMaxLength, path, fmt.Sprintf("String is too long (%d chars), maximum %d", l, n))
	}
}

func (c *schemaCheck) enum(path string, v any, allowed []string) (string, bool) {
	s, ok := c.str(path, v)
	if ok && !slices.Contains(allowed, s) {
		c.add(CodeEnumMismatch, path, "No enum match for: "+strconv.Quote(s))
		return s, false
	}
	return s, ok
}

func (c *schemaCheck) required(path string, m map[string]any, keys ...string) {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			c.add(CodeObjectRequired, join(path, k), "Missing required property: "+k)
		}
	}
}

func (c *schemaCheck) additional(path string, m map[string]any, allowed []string) {
	for _, k := range sortedKeys(m) {
		if !slices.Contains(allowed, k) {
			c.add(CodeAdditionalProperties, path, "Additional properties not allowed: "+k)
		}
	}
}

// metadataKeys reports keys containing "." or "$" at any depth.
func (c *schemaCheck) metadataKeys(path string, m map[string]any) {
	for _, k := range sortedKeys(m) {
		p := path + "." + k
		if strings.ContainsAny(k, ".$") {
			c.add(CodePattern, p, patternMsg(metaKeyPattern, k))
		}
		switch x := m[k].(type) {
		case map[string]any:
			c.metadataKeys(p, x)
		case []any:
			for i, e := range x {
				if em, ok := e.(map[string]any); ok {
					c.metadataKeys(p+"["+strconv.Itoa(i)+"]", em)
				}
			}
		}
	}
}

func (c *schemaCheck) customHash(v any) {
	const p = "custom_password_hash"
	m, ok := c.object(p, v)
	if !ok {
		return
	}
	c.required(p, m, "algorithm", "hash")
	alg, algOK := "", false
	if x, ok := m["algorithm"]; ok {
		alg, algOK = c.enum(p+".algorithm", x, algorithms)
	}
	var hash map[string]any
	if x, ok := m["hash"]; ok {
		if hash, ok = c.object(p+".hash", x); ok {
			c.required(p+".hash", hash, "value")
			if x, ok := hash["value"]; ok {
				c.str(p+".hash.value", x)
			}
			if x, ok := hash["encoding"]; ok {
				c.enum(p+".hash.encoding", x, encodings)
			}
			if x, ok := hash["digest"]; ok {
				c.enum(p+".hash.digest", x, digests)
			}
			if x, ok := hash["key"]; ok {
				if key, ok := c.object(p+".hash.key", x); ok {
					c.required(p+".hash.key", key, "value")
					if x, ok := key["value"]; ok {
						c.str(p+".hash.key.value", x)
					}
					if x, ok := key["encoding"]; ok {
						c.enum(p+".hash.key.encoding", x, encodings)
					}
				}
			}
		}
	}
	if x, ok := m["salt"]; ok {
		if salt, ok := c.object(p+".salt", x); ok {
			c.required(p+".salt", salt, "value")
			if x, ok := salt["value"]; ok {
				c.str(p+".salt.value", x)
			}
			if x, ok := salt["encoding"]; ok {
				c.enum(p+".salt.encoding", x, encodings)
			}
			if x, ok := salt["position"]; ok {
				c.enum(p+".salt.position", x, positions)
			}
		}
	}
	if x, ok := m["password"]; ok {
		if pw, ok := c.object(p+".password", x); ok {
			if x, ok := pw["encoding"]; ok {
				c.enum(p+".password.encoding", x, passwordEncodings)
			}
		}
	}
	for _, k := range []string{"keylen", "cost", "blockSize", "parallelization"} {
		x, ok := m[k]
		if !ok {
			continue
		}
		n, isInt := integer(x)
		if !isInt {
			c.typeErr(p+"."+k, "integer", x)
			continue
		}
		minimum := int64(1)
		if k == "cost" {
			minimum = 2
		}
		if n < minimum {
			c.add(CodeMinimum, p+"."+k, fmt.Sprintf("Value %d is less than minimum %d", n, minimum))
		} else if k == "cost" && n&(n-1) != 0 {
			c.add(CodeAnyOfMissing, p+".cost", anyOfMsg)
		}
	}
	c.additional(p, m, cphProperties)
	if algOK && hash != nil {
		c.algorithmRules(alg, m, hash)
	}
}

const anyOfMsg = "Data does not match any schemas from 'anyOf'"

// algorithmRules checks the per-algorithm constraints of custom_password_hash.
func (c *schemaCheck) algorithmRules(alg string, m, hash map[string]any) {
	const p = "custom_password_hash"
	enc, _ := hash["encoding"].(string)
	value, _ := hash["value"].(string)
	fail := func(path string) { c.add(CodeAnyOfMissing, path, anyOfMsg) }
	switch alg {
	case "argon2", "bcrypt", "ldap", "pbkdf2":
		if enc != "" && enc != "utf8" {
			fail(p + ".hash.encoding")
		}
	default: // md4, md5, sha*, hmac, scrypt
		if enc != "hex" && enc != "base64" {
			fail(p + ".hash.encoding")
		}
	}
	_, hasDigest := hash["digest"]
	_, hasKey := hash["key"]
	if alg == "hmac" {
		if !hasDigest {
			fail(p + ".hash.digest")
		}
		if !hasKey {
			fail(p + ".hash.key")
		}
	} else {
		if hasDigest {
			fail(p + ".hash.digest")
		}
		if hasKey {
			fail(p + ".hash.key")
		}
	}
	_, hasSalt := m["salt"]
	switch {
	case hasSalt && (alg == "argon2" || alg == "ldap" || alg == "pbkdf2"):
		fail(p + ".salt")
	case !hasSalt && alg == "scrypt":
		fail(p + ".salt")
	}
	if alg == "scrypt" {
		if _, ok := m["keylen"]; !ok {
			fail(p + ".keylen")
		}
	} else {
		for _, k := range []string{"keylen", "cost", "blockSize", "parallelization"} {
			if _, ok := m[k]; ok {
				fail(p + "." + k)
			}
		}
	}
	prefixOK := true
	switch alg {
	case "bcrypt":
		prefixOK = strings.HasPrefix(value, "$2a$") || strings.HasPrefix(value, "$2b$") || strings.HasPrefix(value, "$2y$")
	case "argon2":
		prefixOK = strings.HasPrefix(value, "$argon2id$") || strings.HasPrefix(value, "$argon2i$")
	case "pbkdf2":
		prefixOK = strings.HasPrefix(value, "$pbkdf2-")
	case "ldap":
		prefixOK = strings.HasPrefix(value, "{") && !strings.HasPrefix(strings.ToUpper(value), "{CRYPT}")
	}
	if value != "" && !prefixOK {
		fail(p + ".hash.value")
	}
}

func (c *schemaCheck) mfaFactors(v any) {
	const p = "mfa_factors"
	a, ok := v.([]any)
	if !ok {
		c.typeErr(p, "array", v)
		return
	}
	switch {
	case len(a) < 1:
		c.add(CodeArrayLengthShort, p, fmt.Sprintf("Array is too short (%d), minimum 1", len(a)))
	case len(a) > 10:
		c.add(CodeArrayLengthLong, p, fmt.Sprintf("Array is too long (%d), maximum 10", len(a)))
	}
	for i, item := range a {
		ip := p + "[" + strconv.Itoa(i) + "]"
		f, ok := c.object(ip, item)
		if !ok {
			continue
		}
		if len(f) != 1 {
			c.add(CodeMFAFactorsFailed, ip, "Each MFA factor must have exactly one of totp, phone, email")
		}
		for _, kind := range sortedKeys(f) {
			fp := ip + "." + kind
			var field string
			switch kind {
			case "totp":
				field = "secret"
			case "phone", "email":
				field = "value"
			default:
				c.add(CodeAdditionalProperties, ip, "Additional properties not allowed: "+kind)
				continue
			}
			obj, ok := c.object(fp, f[kind])
			if !ok {
				continue
			}
			c.required(fp, obj, field)
			c.additional(fp, obj, []string{field})
			x, ok := obj[field]
			if !ok {
				continue
			}
			s, ok := c.str(fp+"."+field, x)
			if !ok {
				continue
			}
			switch kind {
			case "totp":
				if !totpRE.MatchString(s) {
					c.add(CodePattern, fp+".secret", patternMsg(totpPattern, redacted))
				}
			case "phone":
				if !phoneRE.MatchString(s) {
					c.add(CodePattern, fp+".value", patternMsg(phonePattern, s))
				}
			case "email":
				if !isEmail(s) {
					c.add(CodeFormat, fp+".value", "Object didn't pass validation for format email: "+s)
				}
			}
		}
	}
}

func patternMsg(pattern, value string) string {
	return "String does not match pattern " + pattern + ": " + value
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// jsonType names v's JSON type as z-schema does (integral numbers are "integer").
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case json.Number:
		if _, ok := integer(x); ok {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// integer reads an integral JSON number (3 and 3.0 alike, as JavaScript).
func integer(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// jsLen is a string's length in UTF-16 code units (JavaScript's String.length).
func jsLen(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// isJSSpace reports whether r matches JavaScript's \s.
func isJSSpace(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' || unicode.Is(unicode.Zs, r) }

// isEmail is the "email" format: local@domain, local part of at most 64 characters made of
// atext and non-ASCII characters with single inner dots, a domain of at least two labels (letters,
// digits, hyphens inside, non-ASCII allowed, at most 63 characters each) whose last label (the
// TLD) is at least two letters or a punycode label, and at most 254 characters in all.
func isEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || jsLen(s) > 254 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if jsLen(local) > 64 || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return false
	}
	for _, r := range local {
		if r < 0x80 && !isAtext(byte(r)) && r != '.' {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || jsLen(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if r < 0x80 && !isAlnum(byte(r)) && r != '-' {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if strings.HasPrefix(strings.ToLower(tld), "xn--") {
		return true
	}
	if jsLen(tld) < 2 {
		return false
	}
	for _, r := range tld {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

func isAtext(b byte) bool {
	return isAlnum(b) || strings.IndexByte("!#$%&'*+/=?^_`{|}~-", b) >= 0
}

// isURI is the strict-uri format: an absolute URL with a scheme and a host, no spaces.
func isURI(s string) bool {
	if strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && u.Host != ""
}
