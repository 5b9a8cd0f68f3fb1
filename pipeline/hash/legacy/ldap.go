package legacy

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
)

// ldapDigests are RFC 2307 schemes (upper-case) and their digests; the salted ones append the
// salt after the digest inside the base64 value and hash password ‖ salt.
var ldapDigests = map[string]struct {
	alg    Digest
	salted bool
}{
	"MD5": {MD5, false}, "SMD5": {MD5, true},
	"SHA": {SHA1, false}, "SSHA": {SHA1, true},
	"SHA256": {SHA256, false}, "SSHA256": {SHA256, true},
	"SHA384": {SHA384, false}, "SSHA384": {SHA384, true},
	"SHA512": {SHA512, false}, "SSHA512": {SHA512, true},
}

// ldapNames are the report names, as passlib's ldap_* handlers (and ldap_sha256/sha512/sha384
// for the unsalted SHA-2 schemes passlib lacks).
var ldapNames = map[string]string{
	"MD5": "ldap_md5", "SMD5": "ldap_salted_md5", "SHA": "ldap_sha1", "SSHA": "ldap_salted_sha1",
	"SHA256": "ldap_sha256", "SSHA256": "ldap_salted_sha256", "SHA384": "ldap_sha384",
	"SSHA384": "ldap_salted_sha384", "SHA512": "ldap_sha512", "SSHA512": "ldap_salted_sha512",
}

// parseBraced reads the "{SCHEME}…" strings: RFC 2307 digests, {CRYPT}, the PBKDF2 schemes,
// Atlassian's {PKCS5S2} and {FSHP…}.
func parseBraced(s string) (Hash, error) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return nil, ErrUnrecognized
	}
	scheme, value := strings.ToUpper(s[1:end]), s[end+1:]
	if d, ok := ldapDigests[scheme]; ok {
		return parseLDAPDigest(s, scheme, value, d.alg, d.salted)
	}
	switch {
	case scheme == "CRYPT":
		return parseLDAPCrypt(value)
	case scheme == "PKCS5S2":
		b, err := base64.StdEncoding.DecodeString(value)
		if err != nil || len(b) != 48 {
			return nil, fmt.Errorf("%w: atlassian_pbkdf2_sha1: want base64 of 16 salt and 32 hash bytes", ErrMalformed)
		}
		return newPBKDF2("atlassian_pbkdf2_sha1", SHA1, 10000, b[:16], b[16:])
	case scheme == "PBKDF2", scheme == "PBKDF2-SHA256", scheme == "PBKDF2-SHA512":
		// passlib ldap_pbkdf2_*: the $pbkdf2…$ string with the scheme as its prefix.
		digest := "sha1"
		if scheme != "PBKDF2" {
			digest = strings.ToLower(scheme[len("PBKDF2-"):])
		}
		h, err := parsePBKDF2("$pbkdf2-" + digest + "$" + value)
		if err != nil {
			return nil, err
		}
		p := h.(*pbkdf2Hash)
		p.format = "ldap_pbkdf2_" + digest
		return p, nil
	case scheme == "PBKDF2_SHA256":
		// 389-ds: base64 of iterations (uint32 BE) ‖ salt (64) ‖ PBKDF2-HMAC-SHA256 (256 bytes).
		b, err := base64.StdEncoding.DecodeString(value)
		if err != nil || len(b) != 4+64+256 {
			return nil, fmt.Errorf("%w: ldap_pbkdf2_sha256 (389-ds): want base64 of 324 bytes", ErrMalformed)
		}
		iter := binary.BigEndian.Uint32(b)
		if iter > 1<<31-1 {
			return nil, fmt.Errorf("%w: ldap_pbkdf2_sha256 (389-ds): bad iterations", ErrMalformed)
		}
		return newPBKDF2("ldap_pbkdf2_sha256", SHA256, int(iter), b[4:68], b[68:])
	case strings.HasPrefix(scheme, "FSHP"):
		return parseFSHP(scheme, value)
	}
	return nil, fmt.Errorf("%w: LDAP scheme {%s}", ErrUnrecognized, scheme)
}

// ldapDigest keeps the RFC 2307 string for SHA-384, which Auth0 imports only through its ldap
// algorithm; the other schemes become plain digests with a suffix salt, which Auth0 computes the
// same way.
type ldapDigest struct {
	*saltedDigest
	stored string
}

// Auth0 is the plain digest with a hex suffix salt, or for SHA-384 algorithm ldap with the
// canonical {SSHA384}/{SHA384} string (Auth0's ldap algorithm takes md5, smd5, sha* and ssha*).
func (h ldapDigest) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	if h.alg.name != "sha384" {
		return h.saltedDigest.Auth0()
	}
	return "", &auth0hash.CustomPasswordHash{Algorithm: "ldap", Hash: auth0hash.HashValue{Value: h.stored, Encoding: "utf8"}}, nil
}

func parseLDAPDigest(s, scheme, value string, alg Digest, salted bool) (Hash, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
	if err != nil {
		return nil, fmt.Errorf("%w: {%s}: bad base64", ErrMalformed, scheme)
	}
	switch {
	case !salted && len(b) != alg.size, salted && len(b) <= alg.size:
		return nil, fmt.Errorf("%w: {%s}: %d bytes for a %d-byte digest", ErrMalformed, scheme, len(b), alg.size)
	}
	d := &saltedDigest{format: ldapNames[scheme], alg: alg, salt: b[alg.size:], suffix: true, rounds: 1, want: b[:alg.size]}
	canon := "{" + scheme + "}" + base64.StdEncoding.EncodeToString(b)
	return ldapDigest{d, canon}, nil
}

// parseLDAPCrypt reads {CRYPT} followed by a crypt(3) string: modular crypt ($1$, $5$, $6$, $2?$,
// …), BSDi (_…) or traditional DES (13 characters). Auth0's ldap algorithm refuses {CRYPT}; a
// bcrypt inside is imported as bcrypt.
func parseLDAPCrypt(value string) (Hash, error) {
	var h Hash
	var err error
	switch {
	case strings.HasPrefix(value, "$"):
		h, err = parseDollar(value)
	case strings.HasPrefix(value, "_"):
		h, err = parseBSDi(value)
	default:
		h, err = parseDESCrypt(value, "des_crypt")
	}
	if err != nil {
		return nil, err
	}
	name := h.Format()
	if strings.HasPrefix(name, "bcrypt_") {
		name = "bcrypt"
	}
	return renamed{h, "ldap_" + name}, nil
}

// parseFSHP reads {FSHP<variant>|<salt size>|<rounds>}base64(salt ‖ digest): PBKDF1 over salt ‖
// password (FSHP puts the salt first), variant 0 SHA-1, 1 SHA-256, 2 SHA-384, 3 SHA-512.
func parseFSHP(scheme, value string) (Hash, error) {
	ps := strings.Split(scheme[len("FSHP"):], "|")
	if len(ps) != 3 {
		return nil, fmt.Errorf("%w: fshp: want {FSHPvariant|saltsize|rounds}", ErrMalformed)
	}
	variant, err1 := strconv.Atoi(ps[0])
	saltSize, err2 := strconv.Atoi(ps[1])
	rounds, err3 := strconv.Atoi(ps[2])
	algs := []Digest{SHA1, SHA256, SHA384, SHA512}
	if err1 != nil || err2 != nil || err3 != nil || variant < 0 || variant >= len(algs) || saltSize < 0 || rounds < 1 {
		return nil, fmt.Errorf("%w: fshp: bad parameters", ErrMalformed)
	}
	alg := algs[variant]
	b, err := base64.StdEncoding.DecodeString(value)
	if err != nil || len(b) != saltSize+alg.size {
		return nil, fmt.Errorf("%w: fshp: bad base64 or length", ErrMalformed)
	}
	return &saltedDigest{format: "fshp", alg: alg, salt: b[:saltSize], rounds: rounds, want: b[saltSize:]}, nil
}
