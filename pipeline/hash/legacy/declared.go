package legacy

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/oldcrypt"
)

// FormatAuto asks ParseAs to recognise a self-identifying format (Parse).
const FormatAuto = "auto"

// declared are the formats that cannot be told apart from their text, by passlib handler name:
// the user declares them (--source-opt password-format=NAME or a mapping's password rule).
// needsUser marks those salted with the user name.
var declared = map[string]struct {
	help      string
	needsUser bool
	parse     func(s, user string) (Hash, error)
}{
	"hex_md5":    {"MD5 of the password, hex", false, hexDigest("hex_md5", MD5, false)},
	"hex_sha1":   {"SHA-1 of the password, hex", false, hexDigest("hex_sha1", SHA1, false)},
	"hex_sha256": {"SHA-256 of the password, hex", false, hexDigest("hex_sha256", SHA256, false)},
	"hex_sha512": {"SHA-512 of the password, hex", false, hexDigest("hex_sha512", SHA512, false)},
	"hex_md4":    {"MD4 of the password, hex", false, hexDigest("hex_md4", algMD4, false)},
	"nthash":     {"Windows NT hash: MD4 of the UTF-16LE password, hex (optionally $3$$…)", false, parseNTHash},
	"postgres_md5": {`PostgreSQL "md5" ‖ hex MD5(password ‖ user name); the user name is the record's username, else its email`,
		true, parsePostgresMD5},
	"mysql323": {"MySQL 3.2.3 OLD_PASSWORD(), 16 hex digits", false, parseMySQL323},
	"des_crypt": {"traditional Unix DES crypt(3), 13 characters", false, func(s, _ string) (Hash, error) {
		return parseDESCrypt(s, "des_crypt")
	}},
	"oracle10": {"Oracle 10g, 16 hex digits, salted with the user name (the record's username, else its email)", true, parseOracle10},
	// Werkzeug < 2.3 "sha1$salt$hex" / "md5$salt$hex" is HMAC keyed with the salt; the same text is
	// a Django salted hash (digest of salt ‖ password), which Parse assumes.
	"werkzeug_salted_sha1": {"Werkzeug < 2.3 sha1$salt$hex: HMAC-SHA1 keyed with the salt (not Django's)", false, func(s, _ string) (Hash, error) {
		return parseWerkzeugPrefixed("sha1", s)
	}},
	"werkzeug_salted_md5": {"Werkzeug < 2.3 md5$salt$hex: HMAC-MD5 keyed with the salt (not Django's)", false, func(s, _ string) (Hash, error) {
		return parseWerkzeugPrefixed("md5", s)
	}},
}

func parseWerkzeugPrefixed(method, s string) (Hash, error) {
	rest, ok := strings.CutPrefix(s, method+"$")
	if !ok {
		return nil, fmt.Errorf("%w: werkzeug_salted_%s: want %s$salt$hexdigest", ErrMalformed, method, method)
	}
	return parseWerkzeugSalted(method, rest)
}

// DeclaredFormats lists the format names ParseAs takes, sorted: FormatAuto, the formats that must
// be declared, then every self-identifying format (built in, then those of registered schemes).
func DeclaredFormats() []string {
	out := make([]string, 0, len(declared)+len(SelfIdentifying)+1)
	for k := range declared {
		out = append(out, k)
	}
	sort.Strings(out)
	return append(append(append([]string{FormatAuto}, out...), SelfIdentifying...), schemeFormats()...)
}

// DeclaredHelp describes a format that must be declared ("" for others).
func DeclaredHelp(format string) string { return declared[format].help }

// NeedsUser reports whether the declared format is salted with the user name.
func NeedsUser(format string) bool { return declared[format].needsUser }

// SelfIdentifying lists the report names of the built-in formats Parse recognises by their text
// (registered schemes add theirs: Scheme.Formats).
var SelfIdentifying = []string{
	"apr_md5_crypt", "argon2d", "argon2i", "argon2id", "aspnet_identity_v2", "aspnet_identity_v3",
	"atlassian_pbkdf2_sha1", "bcrypt", "bcrypt_sha256", "bsdi_crypt", "django_argon2", "django_bcrypt",
	"django_bcrypt_sha256", "django_des_crypt", "django_pbkdf2_sha1", "django_pbkdf2_sha256",
	"django_salted_md5", "django_salted_sha1", "django_scrypt", "django_unsalted_md5",
	"django_unsalted_sha1", "dlitz_pbkdf2_sha1", "drupal_sha512", "fshp", "grub_pbkdf2_sha512",
	"ldap_bcrypt", "ldap_des_crypt", "ldap_md5", "ldap_md5_crypt", "ldap_pbkdf2_sha1",
	"ldap_pbkdf2_sha256", "ldap_pbkdf2_sha512", "ldap_salted_md5", "ldap_salted_sha1",
	"ldap_salted_sha256", "ldap_salted_sha384", "ldap_salted_sha512", "ldap_sha1", "ldap_sha256",
	"ldap_sha384", "ldap_sha512", "ldap_sha256_crypt", "ldap_sha512_crypt", "md5_crypt", "mssql2000",
	"mssql2005", "mysql41", "oracle11", "pbkdf2_sha1", "pbkdf2_sha256", "pbkdf2_sha512", "phpass_md5",
	"scram", "scrypt", "sha1_crypt", "sha256_crypt", "sha512_crypt",
	"sun_md5_crypt", "werkzeug_pbkdf2", "werkzeug_scrypt", "werkzeug_salted_sha224", "werkzeug_salted_sha256",
	"werkzeug_salted_sha384", "werkzeug_salted_sha512", "wordpress_bcrypt",
	"ldap_bsdi_crypt", "ldap_sha1_crypt", "ldap_apr_md5_crypt", "ldap_sun_md5_crypt", "phpass",
}

// formatAliases are declared names that stand for several report names.
var formatAliases = map[string][]string{
	"bcrypt": {"bcrypt_2a", "bcrypt_2b", "bcrypt_2y", "bcrypt_2x"},
	"phpass": {"phpass_md5", "drupal_sha512"},
}

// ParseAs parses s as the declared format: FormatAuto (any self-identifying format, as Parse), a
// format that must be declared (DeclaredFormats; user is the user name the format is salted with,
// where NeedsUser says so), or a self-identifying format name, in which case s must be of that
// format. Errors wrap ErrMalformed (s is not such a hash), ErrUnrecognized (auto found nothing) or
// say which name is unknown or what is missing.
func ParseAs(format, s, user string) (Hash, error) {
	if len(s) > maxHashLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, maxHashLen)
	}
	if format == FormatAuto || format == "" {
		return Parse(s)
	}
	if d, ok := declared[format]; ok {
		if d.needsUser && user == "" {
			return nil, fmt.Errorf("%w: %s is salted with the user name, and the record has none", ErrMalformed, format)
		}
		return d.parse(strings.TrimSpace(s), user)
	}
	if !isSelfIdentifying(format) {
		return nil, fmt.Errorf("unknown password format %q (known: %s)", format, strings.Join(DeclaredFormats(), ", "))
	}
	h, err := Parse(s)
	if err != nil {
		return nil, fmt.Errorf("not a %s hash: %w", format, err)
	}
	if got := h.Format(); got != format && !slices.Contains(formatAliases[format], got) {
		return nil, fmt.Errorf("%w: declared %s, but the value is %s", ErrMalformed, format, got)
	}
	return h, nil
}

func isSelfIdentifying(format string) bool {
	return slices.Contains(SelfIdentifying, format) || slices.Contains(schemeFormats(), format)
}

func hexDigest(format string, alg Digest, utf16 bool) func(s, _ string) (Hash, error) {
	return func(s, _ string) (Hash, error) {
		sum, err := decodeHex(s, alg.size, format)
		if err != nil {
			return nil, err
		}
		return &saltedDigest{format: format, alg: alg, utf16: utf16, rounds: 1, want: sum}, nil
	}
}

func parseNTHash(s, user string) (Hash, error) {
	return hexDigest("nthash", algMD4, true)(strings.TrimPrefix(s, "$3$$"), user)
}

// parsePostgresMD5 reads "md5" ‖ hex(MD5(password ‖ user)): Auth0's md5 with the user name as a
// suffix salt.
func parsePostgresMD5(s, user string) (Hash, error) {
	if !strings.HasPrefix(s, "md5") {
		return nil, fmt.Errorf("%w: postgres_md5: want md5 and 32 hex digits", ErrMalformed)
	}
	sum, err := decodeHex(s[3:], 16, "postgres_md5")
	if err != nil {
		return nil, err
	}
	return &saltedDigest{format: "postgres_md5", alg: MD5, salt: []byte(user), suffix: true, saltText: true, rounds: 1, want: sum}, nil
}

// hexString is a hash whose verification recomputes a hex string (MySQL 3.2.3, Oracle 10g),
// compared case-insensitively; neither is an Auth0 algorithm.
type hexString struct {
	format string
	stored string // lower case
	calc   func(pw string) string
}

func (h *hexString) Format() string { return h.format }

// Verify recomputes the hex string and compares it in constant time.
func (h *hexString) Verify(ctx context.Context, password string) error {
	if err := CheckPassword(ctx, password); err != nil {
		return err
	}
	return Equal([]byte(strings.ToLower(h.calc(password))), []byte(h.stored))
}

// Auth0 always reports ErrUnimportable.
func (h *hexString) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	return "", nil, Unimportable("%s is not an Auth0 algorithm", h.format)
}

func parseMySQL323(s, _ string) (Hash, error) {
	if _, err := decodeHex(s, 8, "mysql323"); err != nil {
		return nil, err
	}
	return &hexString{format: "mysql323", stored: strings.ToLower(s), calc: func(pw string) string {
		return oldcrypt.MySQL323([]byte(pw))
	}}, nil
}

func parseOracle10(s, user string) (Hash, error) {
	if _, err := decodeHex(s, 8, "oracle10"); err != nil {
		return nil, err
	}
	return &hexString{format: "oracle10", stored: strings.ToLower(s), calc: func(pw string) string {
		return oldcrypt.Oracle10(user, pw)
	}}, nil
}
