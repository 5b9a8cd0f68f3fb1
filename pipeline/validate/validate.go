// Package validate checks candidate Auth0 bulk-import user objects against every rule of Auth0's
// bulk-import schema and its documented limits before they are written to an import file
// (https://auth0.com/docs/manage-users/user-migration/bulk-user-import-schema and
// .../user-migration/bulk-user-imports).
//
// The validator works on the generic JSON values the pipeline passes around (string, bool,
// json.Number, []any, map[string]any, nil), never modifies them, is safe for concurrent use and
// allocates nothing for a valid user: issue messages and field paths are only built once a
// problem has been found.
//
// Reason codes are the shared ones of package pipeline. Two of them carry routing meaning:
// CodeInvalidHash says the password material is malformed (a bug or corrupt data: the record is
// rejected), while CodeUnsupportedHash says it is well-formed but of a kind Auth0 cannot import
// in that place (an algorithm outside Auth0's list, argon2d, ldap {CRYPT}, a $2y$ bcrypt hash in
// password_hash, …). The hash stage decides what happens to those (lazy migration, rejection,
// translation into custom_password_hash); the validator only tells them apart.
package validate

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
)

// Default username length bounds of an Auth0 database connection; a connection may configure
// other bounds (options.validation.username, min ≥ 1, max ≤ 128).
const (
	DefaultUsernameMin = 1
	DefaultUsernameMax = 15
)

// Limits of Auth0's user profile, as documented (the stricter value where sources disagree).
const (
	MaxEmailLength      = 254   // whole address, characters
	MaxEmailLocalLength = 64    // part before the @, characters
	MaxUserIDLength     = 255   // characters, Create-User API limit applied to imports
	MaxGivenNameLength  = 150   // given_name and family_name, characters
	MaxNameLength       = 150   // name: API says 300, profile page 150; the stricter wins
	MaxNicknameLength   = 300   // nickname: API says 300, profile page 350; the stricter wins
	MinMFAFactors       = 1     // mfa_factors minItems
	MaxMFAFactors       = 10    // mfa_factors maxItems
	MaxProfileBytes     = 10240 // soft limit of a whole profile's JSON encoding (a warning)
)

// Options tunes connection-dependent rules.
type Options struct {
	UsernameMin, UsernameMax int // default 1 and 15 (Auth0's default); zero means default
}

// topLevel lists the keys Auth0's import schema allows on a user, in the order User checks them.
var topLevel = [...]string{
	"email", "email_verified", "phone_number", "phone_verified", "user_id", "username",
	"given_name", "family_name", "name", "nickname", "picture", "blocked",
	"app_metadata", "user_metadata", "password_hash", "custom_password_hash", "mfa_factors",
}

// User checks one candidate Auth0 bulk-import user object (a generic JSON value as produced by
// goccy/go-json with UseNumber: string, bool, json.Number, []any, map[string]any, nil) against
// every rule of Auth0's bulk-import schema. It returns all problems found (not just the first), in a
// deterministic order, and separately the warnings (soft limits). It never modifies u.
//
// Errors come in the order of the schema's properties (email first, mfa_factors last), then
// conflicts between properties, then unknown properties sorted by name; issues found inside
// metadata are sorted by field path. Messages name the violated limit or the expected value and
// never contain password, hash, salt or key material.
//
// A password_hash is accepted only as a $2a$/$2b$ bcrypt string; other bcrypt variants ($2y$,
// $2x$, $2$) yield CodeUnsupportedHash, anything else CodeInvalidHash. See the package comment
// for how the two codes differ.
func User(u map[string]any, opt Options) (errs []pipeline.Issue, warnings []pipeline.Issue) {
	errs, size := check(u, opt)
	if size > MaxProfileBytes {
		warnings = append(warnings, pipeline.Issue{
			Code: pipeline.CodeProfileTooLarge,
			Message: "the user's JSON encoding is " + strconv.Itoa(size) + " bytes, over Auth0's 10 KB (" +
				strconv.Itoa(MaxProfileBytes) + " bytes) profile soft limit; Auth0 logs oversized profiles and may start rejecting them",
		})
	}
	return errs, warnings
}

// check is User's work: it returns the errors and the size of u's JSON encoding, measured on the
// way (keys are looked up, not iterated, and metadata is sized by the walk that checks its keys).
func check(u map[string]any, opt Options) ([]pipeline.Issue, int) {
	c := checker{size: containerSize(len(u))}
	known := 0
	get := func(key string) (any, bool) {
		v, ok := u[key]
		if ok {
			known++
			c.size += len(key) + 3 // "key": (schema keys need no escaping)
			if key != "app_metadata" && key != "user_metadata" {
				c.size += encodedSize(v)
			}
		}
		return v, ok
	}

	if v, ok := get("email"); ok {
		c.email(v)
	} else {
		c.add(pipeline.CodeMissingEmail, "email", "email is required by Auth0's import schema")
	}
	if v, ok := get("email_verified"); ok {
		c.boolean("email_verified", v)
	}
	if v, ok := get("phone_number"); ok {
		c.phone(v)
	}
	if v, ok := get("phone_verified"); ok {
		c.boolean("phone_verified", v)
	}
	if v, ok := get("user_id"); ok {
		c.userID(v)
	}
	if v, ok := get("username"); ok {
		minLen, maxLen := opt.UsernameMin, opt.UsernameMax
		if minLen == 0 {
			minLen = DefaultUsernameMin
		}
		if maxLen == 0 {
			maxLen = DefaultUsernameMax
		}
		c.username(v, minLen, maxLen)
	}
	if v, ok := get("given_name"); ok {
		c.text("given_name", v, MaxGivenNameLength)
	}
	if v, ok := get("family_name"); ok {
		c.text("family_name", v, MaxGivenNameLength)
	}
	if v, ok := get("name"); ok {
		c.text("name", v, MaxNameLength)
	}
	if v, ok := get("nickname"); ok {
		c.text("nickname", v, MaxNicknameLength)
	}
	if v, ok := get("picture"); ok {
		c.picture(v)
	}
	if v, ok := get("blocked"); ok {
		c.boolean("blocked", v)
	}
	if v, ok := get("app_metadata"); ok {
		c.metadata("app_metadata", v, true)
	}
	if v, ok := get("user_metadata"); ok {
		c.metadata("user_metadata", v, false)
	}
	ph, hasPH := get("password_hash")
	if hasPH {
		c.passwordHash(ph)
	}
	cph, hasCPH := get("custom_password_hash")
	if hasCPH {
		c.customHash(cph)
	}
	if v, ok := get("mfa_factors"); ok {
		c.mfaFactors(v)
	}
	if hasPH && hasCPH {
		c.add(pipeline.CodePasswordConflict, "password_hash",
			"password_hash and custom_password_hash are mutually exclusive; send only one")
	}
	if len(u) > known {
		for _, k := range unknownKeys(u, topLevel[:]) {
			c.size += stringSize(k) + 1 + encodedSize(u[k])
			c.add(pipeline.CodeUnknownField, k,
				"unknown property "+quote(k)+": Auth0's import schema does not allow additional top-level properties")
		}
	}
	return c.errs, c.size
}

// checker collects the issues of one user and the size of its JSON encoding.
type checker struct {
	errs []pipeline.Issue
	size int
}

func (c *checker) add(code, field, msg string) {
	c.errs = append(c.errs, pipeline.Issue{Code: code, Field: field, Message: msg})
}

// typeErr reports a value of the wrong JSON type, with the given code.
func (c *checker) typeErr(code, field, want string, got any) {
	c.add(code, field, "must be "+article(want)+" "+want+", got "+pipeline.JSONType(got))
}

func article(s string) string {
	switch s[0] {
	case 'a', 'e', 'i', 'o', 'u':
		return "an"
	}
	return "a"
}

func (c *checker) boolean(field string, v any) {
	if _, ok := v.(bool); !ok {
		c.typeErr(pipeline.CodeInvalidType, field, "boolean", v)
	}
}

func (c *checker) email(v any) {
	s, ok := v.(string)
	if !ok {
		c.typeErr(pipeline.CodeInvalidType, "email", "string", v)
		return
	}
	if s == "" {
		c.add(pipeline.CodeMissingEmail, "email", "email is empty; Auth0's import schema requires an email address")
		return
	}
	if p := emailProblem(s); p != "" {
		c.add(pipeline.CodeInvalidEmail, "email", "not a valid email address: "+p)
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		if n := utf8.RuneCountInString(s[:at]); n > MaxEmailLocalLength {
			c.add(pipeline.CodeFieldTooLong, "email", "the part before @ is "+strconv.Itoa(n)+
				" characters; Auth0 allows at most "+strconv.Itoa(MaxEmailLocalLength))
		}
	}
	if n := utf8.RuneCountInString(s); n > MaxEmailLength {
		c.add(pipeline.CodeFieldTooLong, "email", "email is "+strconv.Itoa(n)+
			" characters; Auth0 allows at most "+strconv.Itoa(MaxEmailLength))
	}
}

func (c *checker) phone(v any) {
	s, ok := v.(string)
	if !ok {
		c.typeErr(pipeline.CodeInvalidType, "phone_number", "string", v)
		return
	}
	if !isE164(s) {
		c.add(pipeline.CodeInvalidPhone, "phone_number",
			"must be an E.164 number: + followed by 1 to 15 digits (^\\+[0-9]{1,15}$)")
	}
}

func (c *checker) userID(v any) {
	s, ok := v.(string)
	if !ok {
		c.typeErr(pipeline.CodeInvalidType, "user_id", "string", v)
		return
	}
	if s == "" {
		c.add(pipeline.CodeInvalidUserID, "user_id", "user_id is empty; omit it or give a non-empty id")
		return
	}
	if n := utf8.RuneCountInString(s); n > MaxUserIDLength {
		c.add(pipeline.CodeFieldTooLong, "user_id", "user_id is "+strconv.Itoa(n)+
			" characters; Auth0 allows at most "+strconv.Itoa(MaxUserIDLength))
	}
	for _, r := range s {
		if isJSSpace(r) {
			c.add(pipeline.CodeInvalidUserID, "user_id", "user_id must not contain whitespace (found "+runeName(r)+")")
			break
		}
	}
}

func (c *checker) username(v any, minLen, maxLen int) {
	s, ok := v.(string)
	if !ok {
		c.typeErr(pipeline.CodeInvalidType, "username", "string", v)
		return
	}
	n := utf8.RuneCountInString(s)
	if n < minLen {
		c.add(pipeline.CodeFieldTooShort, "username", "username is "+strconv.Itoa(n)+
			" characters; the connection requires at least "+strconv.Itoa(minLen))
	}
	if n > maxLen {
		c.add(pipeline.CodeFieldTooLong, "username", "username is "+strconv.Itoa(n)+
			" characters; the connection allows at most "+strconv.Itoa(maxLen))
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; b >= utf8.RuneSelf || !usernameByte[b] {
			r, _ := utf8.DecodeRuneInString(s[i:])
			c.add(pipeline.CodeInvalidUsername, "username", "character "+runeName(r)+
				" is not allowed; usernames may hold unaccented letters, digits and @ ^ $ ! - # . + ' ~ _ `")
			break
		}
	}
	if strings.IndexByte(s, '@') >= 0 && emailProblem(s) == "" {
		c.add(pipeline.CodeInvalidUsername, "username", "username must not be an email address")
	}
}

// text checks a free-text profile string of 1..max characters.
func (c *checker) text(field string, v any, maxLen int) {
	s, ok := v.(string)
	if !ok {
		c.typeErr(pipeline.CodeInvalidType, field, "string", v)
		return
	}
	if s == "" {
		c.add(pipeline.CodeFieldTooShort, field, field+" is empty; Auth0 requires at least 1 character (omit it instead)")
		return
	}
	if len(s) > maxLen { // a byte count at most maxLen cannot hold more runes
		if n := utf8.RuneCountInString(s); n > maxLen {
			c.add(pipeline.CodeFieldTooLong, field, field+" is "+strconv.Itoa(n)+
				" characters; Auth0 allows at most "+strconv.Itoa(maxLen))
		}
	}
}

func (c *checker) picture(v any) {
	s, ok := v.(string)
	if !ok {
		c.typeErr(pipeline.CodeInvalidType, "picture", "string", v)
		return
	}
	if p := uriProblem(s); p != "" {
		c.add(pipeline.CodeInvalidPicture, "picture", "must be an absolute URL with a scheme and a host: "+p)
	}
}

// unknownKeys returns the keys of m not in allowed, sorted.
func unknownKeys(m map[string]any, allowed []string) []string {
	var out []string
	for k := range m {
		if !slices.Contains(allowed, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// quote renders a user-supplied name for a message, shortened so a hostile key cannot flood it.
func quote(s string) string {
	const maxQuoted = 64
	if len(s) > maxQuoted {
		cut := maxQuoted
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

// nameOf renders a short, name-like value (an algorithm, encoding or scheme name) for a message.
// Anything else is left out, so password material put in the wrong property never reaches a
// message.
func nameOf(s string) string {
	const hidden = "(value not shown)"
	if s == "" || len(s) > 24 {
		return hidden
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; !isAlnum(b) && b != '-' && b != '_' && b != '.' && b != '{' && b != '}' {
			return hidden
		}
	}
	return strconv.Quote(s)
}

func runeName(r rune) string {
	return strconv.QuoteRune(r) + " (U+" + strings.ToUpper(strconv.FormatInt(int64(r), 16)) + ")"
}

// intValue reads a JSON integer. ok is false when v is not a number or not integral (JSON Schema's
// "integer" accepts 32.0 and 3.2e1, as JavaScript does).
func intValue(v any) (n int64, ok bool) {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, true
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return 0, false
		}
		return floatInt(f)
	case float64:
		return floatInt(x)
	case float32:
		return floatInt(float64(x))
	case int:
		return int64(x), true
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case uint32:
		return int64(x), true
	}
	return 0, false
}

func floatInt(f float64) (int64, bool) {
	const limit = 1 << 63
	if f != f || f >= limit || f < -limit || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}
