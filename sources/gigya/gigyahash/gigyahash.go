// Package gigyahash holds Gigya's (SAP Customer Data Cloud's) password formats: the password
// object of an account export ({hash, hashSettings}) and of an import file ({hashedPassword,
// hashSettings} or {compoundHashedPassword}), registered with pipeline/hash/legacy as the scheme
// "gigya" that mappings name in a password rule and lazy profiles store.
package gigyahash

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// maxGigyaField bounds the length of hash, salt and template strings accepted by Parse.
const maxGigyaField = 4096

// gigyaUnsupported are Gigya import algorithms with no verifier here, mapped to report names.
var gigyaUnsupported = map[string]string{
	"sha1_hashbytes":    "gigya_sha1_hashbytes",
	"sha512hexa":        "gigya_sha512_hexa",
	"md5_double_salted": "gigya_md5_double_salted",
	"drupal":            "gigya_drupal",
	"symphony2":         "gigya_symphony2",
	"sap_abap":          "gigya_sap_abap",
	"custom":            "gigya_custom",
}

// Parse parses a Gigya account's "password" object as decoded JSON, in either of the shapes
// SAP documents:
//
//   - exported (accounts.getAccountInfo, accounts.search):
//     {"hash": <base64 digest>, "hashSettings": {"algorithm", "rounds", "salt", "format"?,
//     "binaryFormat"?}, "created"?};
//   - imported (accounts.importFullAccount and the IdentitySync import file): {"hashedPassword":
//     <base64 digest>, "hashSettings": {…, "url"?}} or {"compoundHashedPassword": <string>}, a
//     self-identifying hash string ("a Modular Crypt Format string … $…$", SAP says: bcrypt
//     "$2a$…", md5-crypt "$1$…", passlib "$pbkdf2-sha256$…", …) that legacy.Parse reads. An exported
//     "compoundHash" is read the same way.
//
// hash/hashedPassword with hashSettings wins over a compound string when both are present.
// The salt is base64 for the pbkdf2 family only; a `format` template takes it as exported text.
//
// Supported algorithms (case-insensitive):
//   - pbkdf2 / pbkdf2_sha1, pbkdf2_sha256, pbkdf2_sha512: PBKDF2-HMAC with the decoded salt,
//     rounds iterations and dkLen = decoded hash length [verified for pbkdf2; the SHA-256/512
//     PRFs are inferred from the names].
//   - md5, sha1, sha256, sha512: H(merged) where merged is the UTF-8 password when there is no
//     salt, or the `format` / `binaryFormat` template applied to the password and the salt
//     (`format`: the salt string as exported, as Gigya's GigyaPasswordValidator substitutes it);
//     with rounds > 1, [inferred] h = H(merged) then rounds-1 times h = H(h). A salt without a
//     template has an unknown merge order, so Verify gives legacy.ErrUnsupported.
//   - md5_crypt: the hash as a full "$1$" string, or (inferred) split hash + salt.
//   - bcrypt: the hash as a full MCF string (the split shape is unconfirmed: legacy.ErrUnsupported).
//   - drupal: the hash as a full "$S$" (or phpass "$P$"/"$H$") string; other shapes unsupported.
//   - sha1_hashbytes, sha512Hexa, md5_double_salted, drupal, symphony2, sap_abap, custom: parsed
//     to a Hash whose Verify gives legacy.ErrUnsupported and whose Auth0 gives ErrUnimportable.
//
// Unknown algorithms give the same unsupported Hash with Format "gigya_unknown". Structural
// problems (missing hash, bad base64, bad templates) give an error wrapping legacy.ErrMalformed.
// rounds may be a JSON number, json.Number or a decimal string; absent or 0 means 1.
func Parse(pw map[string]any) (legacy.Hash, error) {
	hashStr := gigyaHashString(pw)
	hs, ok := pw["hashSettings"].(map[string]any)
	if compound := gigyaCompound(pw); compound != "" && (hashStr == "" || !ok) {
		return parseGigyaCompound(compound)
	}
	if hashStr == "" {
		return nil, fmt.Errorf("%w: gigya: no hash", legacy.ErrMalformed)
	}
	if !ok {
		return nil, fmt.Errorf("%w: gigya: no hashSettings", legacy.ErrMalformed)
	}
	alg, _ := hs["algorithm"].(string)
	alg = strings.ToLower(strings.TrimSpace(alg))
	salt, _ := hs["salt"].(string)
	format, _ := hs["format"].(string)
	binFormat, _ := hs["binaryFormat"].(string)
	if len(hashStr) > maxGigyaField || len(salt) > maxGigyaField || len(format) > maxGigyaField || len(binFormat) > maxGigyaField {
		return nil, fmt.Errorf("%w: gigya: field longer than %d bytes", legacy.ErrMalformed, maxGigyaField)
	}
	rounds, err := gigyaRounds(hs["rounds"])
	if err != nil {
		return nil, err
	}
	switch alg {
	case "pbkdf2", "pbkdf2_sha1", "pbkdf2_sha256", "pbkdf2_sha512":
		d := legacy.SHA1
		switch alg {
		case "pbkdf2_sha256":
			d = legacy.SHA256
		case "pbkdf2_sha512":
			d = legacy.SHA512
		}
		s, _, err := legacy.CanonicalB64(salt)
		if err != nil {
			return nil, err
		}
		sum, n, err := legacy.CanonicalB64(hashStr)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("%w: gigya pbkdf2: bad hash", legacy.ErrMalformed)
		}
		return &gigyaPBKDF2{format: gigyaPBKDF2Formats[alg], alg: d, iter: rounds, salt: s, sum: sum, sumLen: n}, nil
	case "md5", "sha1", "sha256", "sha512":
		return parseGigyaDigest(alg, hashStr, salt, format, binFormat, rounds)
	case "md5_crypt":
		if strings.HasPrefix(hashStr, "$1$") {
			return legacy.Parse(hashStr)
		}
		return legacy.Parse("$1$" + salt + "$" + hashStr)
	case "drupal":
		// [inferred]: a full Drupal/phpass string in hash; any other shape is unsupported.
		if strings.HasPrefix(hashStr, "$S$") || strings.HasPrefix(hashStr, "$P$") || strings.HasPrefix(hashStr, "$H$") {
			return legacy.Parse(hashStr)
		}
	case "bcrypt":
		if strings.HasPrefix(hashStr, "$2") {
			return legacy.Parse(hashStr)
		}
		return legacy.Unsupported("gigya_bcrypt", "split bcrypt hash/salt export shape is unconfirmed"), nil
	}
	if f, ok := gigyaUnsupported[alg]; ok {
		return legacy.Unsupported(f, "Gigya algorithm semantics are not published"), nil
	}
	return legacy.Unsupported("gigya_unknown", "unknown Gigya algorithm"), nil
}

// HasPassword reports whether a Gigya password object holds a password: a hash,
// hashedPassword or compound string that is not empty. Accounts without a site password (social
// logins only) carry an empty object, or none.
func HasPassword(pw map[string]any) bool {
	return gigyaHashString(pw) != "" || gigyaCompound(pw) != ""
}

// gigyaHashString is the digest of an exported ("hash") or imported ("hashedPassword") object.
func gigyaHashString(pw map[string]any) string {
	if s, _ := pw["hash"].(string); s != "" {
		return s
	}
	s, _ := pw["hashedPassword"].(string)
	return s
}

// gigyaCompound is an import file's compoundHashedPassword (or an export's compoundHash).
func gigyaCompound(pw map[string]any) string {
	if s, _ := pw["compoundHashedPassword"].(string); s != "" {
		return s
	}
	s, _ := pw["compoundHash"].(string)
	return s
}

// parseGigyaCompound reads a compoundHashedPassword: a self-identifying hash string (legacy.Parse).
func parseGigyaCompound(s string) (legacy.Hash, error) {
	if len(s) > maxGigyaField {
		return nil, fmt.Errorf("%w: gigya: compoundHashedPassword longer than %d bytes", legacy.ErrMalformed, maxGigyaField)
	}
	h, err := legacy.Parse(s)
	if errors.Is(err, legacy.ErrUnrecognized) {
		return nil, fmt.Errorf("%w: gigya: compoundHashedPassword is not a hash string usher recognises (modular crypt \"$…$\", PHC, LDAP, Django, …)", legacy.ErrMalformed)
	}
	if err != nil {
		return nil, fmt.Errorf("gigya compoundHashedPassword: %w", err)
	}
	return h, nil
}

func gigyaRounds(v any) (int, error) {
	var f float64
	switch x := v.(type) {
	case nil:
		return 1, nil
	case float64:
		f = x
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case json.Number:
		n, err := x.Float64()
		if err != nil {
			return 0, fmt.Errorf("%w: gigya: bad rounds", legacy.ErrMalformed)
		}
		f = n
	case string:
		n, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: gigya: bad rounds", legacy.ErrMalformed)
		}
		f = n
	default:
		return 0, fmt.Errorf("%w: gigya: bad rounds", legacy.ErrMalformed)
	}
	if f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
		return 0, fmt.Errorf("%w: gigya: bad rounds", legacy.ErrMalformed)
	}
	if f == 0 {
		return 1, nil
	}
	return int(f), nil
}

// gigyaPBKDF2 is Gigya's pbkdf2 family. Salt and hash are kept as canonical unpadded base64
// (the exported strings themselves when they already are), so the translation to Auth0's PHC
// form, the bulk path, neither decodes nor encodes; Verify decodes them.
type gigyaPBKDF2 struct {
	format    string
	alg       legacy.Digest
	iter      int
	salt, sum string // standard base64 without padding
	sumLen    int    // decoded length of sum: PBKDF2's dkLen
}

// Format names the Gigya algorithm ("gigya_pbkdf2", "gigya_pbkdf2_sha256", …).
func (h *gigyaPBKDF2) Format() string { return h.format }

// Verify computes PBKDF2 over the decoded salt with dkLen = the hash's length, bounded, and
// compares in constant time.
func (h *gigyaPBKDF2) Verify(ctx context.Context, password string) error {
	salt, err := base64.RawStdEncoding.DecodeString(h.salt)
	if err != nil {
		return fmt.Errorf("%w: gigya pbkdf2 salt: %v", legacy.ErrMalformed, err)
	}
	sum, err := base64.RawStdEncoding.DecodeString(h.sum)
	if err != nil {
		return fmt.Errorf("%w: gigya pbkdf2 hash: %v", legacy.ErrMalformed, err)
	}
	return legacy.VerifyPBKDF2(ctx, h.alg, h.iter, salt, sum, password)
}

// Auth0 is the canonical PHC string "$pbkdf2-<digest>$i=<rounds>,l=<len>$<salt>$<hash>" as
// algorithm pbkdf2 with hash.encoding utf8.
func (h *gigyaPBKDF2) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	return "", &auth0hash.CustomPasswordHash{Algorithm: "pbkdf2",
		Hash: auth0hash.HashValue{Value: legacy.PHCPBKDF2(h.alg, h.iter, h.sumLen, h.salt, h.sum), Encoding: "utf8"}}, nil
}

// gigyaPBKDF2Formats are the report names of the pbkdf2 family (constant strings, so parsing
// does not allocate one per hash).
var gigyaPBKDF2Formats = map[string]string{"pbkdf2": "gigya_pbkdf2", "pbkdf2_sha1": "gigya_pbkdf2_sha1",
	"pbkdf2_sha256": "gigya_pbkdf2_sha256", "pbkdf2_sha512": "gigya_pbkdf2_sha512"}

// piece kinds of a merge template.
const (
	pieceLit = iota
	pieceSalt
	piecePassword
)

// piece is one part of a merge template: literal bytes, the salt's bytes, or the password
// encoded as enc (utf8, utf16, utf32, hex, base64).
type piece struct {
	kind int
	data []byte
	enc  string
}

// gigyaDigest is a Gigya md5/sha1/sha256/sha512 hash, optionally salted through a template.
type gigyaDigest struct {
	alg         legacy.Digest
	want        []byte
	rounds      int
	pieces      []piece
	fromFormat  bool   // pieces came from `format` (salt is the exported string, clear text)
	unsupported string // non-empty: Verify cannot know the merge (salt without template)
}

func parseGigyaDigest(name, hashStr, salt, format, binFormat string, rounds int) (legacy.Hash, error) {
	alg := map[string]legacy.Digest{"md5": legacy.MD5, "sha1": legacy.SHA1, "sha256": legacy.SHA256, "sha512": legacy.SHA512}[name]
	want, err := legacy.DecodeDigest(hashStr, alg.Size())
	if err != nil {
		return nil, err
	}
	h := &gigyaDigest{alg: alg, want: want, rounds: rounds}
	switch {
	case binFormat != "":
		h.pieces, err = parseBinaryFormat(binFormat, salt)
	case format != "":
		// The template takes hashSettings.salt as exported, never base64-decoded: Gigya's own
		// checker (gigya/GigyaPasswordValidator, validate.php) does
		// str_replace('$salt', $salt, $format). Only the pbkdf2 family decodes its salt.
		h.pieces, err = parseFormat(format, []byte(salt))
		h.fromFormat = true
	case salt != "":
		h.unsupported = "salt without format: Gigya's default merge order is unknown"
	default:
		h.pieces = []piece{{kind: piecePassword, enc: "utf8"}}
	}
	if err != nil {
		return nil, err
	}
	return h, nil
}

// parseFormat parses a `format` template: "$password" and "$salt" tokens, everything else
// literal text; the salt token stands for the salt string's UTF-8 bytes (Gigya: "clear text").
func parseFormat(f string, salt []byte) ([]piece, error) {
	var out []piece
	lit := []byte{}
	flush := func() {
		if len(lit) > 0 {
			out = append(out, piece{kind: pieceLit, data: lit})
			lit = []byte{}
		}
	}
	havePW := false
	for i := 0; i < len(f); {
		switch {
		case strings.HasPrefix(f[i:], "$password"):
			flush()
			out = append(out, piece{kind: piecePassword, enc: "utf8"})
			havePW = true
			i += len("$password")
		case strings.HasPrefix(f[i:], "$salt"):
			flush()
			out = append(out, piece{kind: pieceSalt, data: salt})
			i += len("$salt")
		default:
			lit = append(lit, f[i])
			i++
		}
	}
	flush()
	if !havePW {
		return nil, fmt.Errorf("%w: gigya format has no $password", legacy.ErrMalformed)
	}
	return out, nil
}

// parseBinaryFormat parses a `binaryFormat` template of "$password:<enc>", "$salt:<enc>" and
// "$0x<hex>" tokens. [inferred]: a token's encoding names how that value's string becomes
// bytes: utf8/utf16/utf32 encode it (UTF-16 and UTF-32 little-endian), hex/base64 decode it;
// the salt's string is hashSettings.salt as exported.
func parseBinaryFormat(f, salt string) ([]piece, error) {
	if !strings.HasPrefix(f, "$") {
		return nil, fmt.Errorf("%w: gigya binaryFormat must start with a token", legacy.ErrMalformed)
	}
	var out []piece
	havePW := false
	for _, tok := range strings.Split(f[1:], "$") {
		if hx, ok := strings.CutPrefix(tok, "0x"); ok {
			b, err := hex.DecodeString(hx)
			if err != nil || len(b) == 0 {
				return nil, fmt.Errorf("%w: gigya binaryFormat constant", legacy.ErrMalformed)
			}
			out = append(out, piece{kind: pieceLit, data: b})
			continue
		}
		name, enc, ok := strings.Cut(tok, ":")
		switch enc {
		case "hex", "base64", "utf8", "utf16", "utf32":
		default:
			ok = false
		}
		switch {
		case ok && name == "password":
			out = append(out, piece{kind: piecePassword, enc: enc})
			havePW = true
		case ok && name == "salt":
			b, err := encodeAs(salt, enc)
			if err != nil {
				return nil, fmt.Errorf("%w: gigya binaryFormat salt as %s", legacy.ErrMalformed, enc)
			}
			out = append(out, piece{kind: pieceSalt, data: b})
		default:
			return nil, fmt.Errorf("%w: gigya binaryFormat token %q", legacy.ErrMalformed, tok)
		}
	}
	if !havePW {
		return nil, fmt.Errorf("%w: gigya binaryFormat has no $password", legacy.ErrMalformed)
	}
	return out, nil
}

// encodeAs turns s into bytes per a binaryFormat encoding.
func encodeAs(s, enc string) ([]byte, error) {
	switch enc {
	case "utf8":
		return []byte(s), nil
	case "utf16":
		return legacy.UTF16LE(s), nil
	case "utf32":
		b := make([]byte, 0, 4*len(s))
		for _, r := range s {
			b = binary.LittleEndian.AppendUint32(b, uint32(r))
		}
		return b, nil
	case "hex":
		return hex.DecodeString(s)
	case "base64":
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return legacy.DecodeB64(s)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%w: encoding %q", legacy.ErrMalformed, enc)
}

func (h *gigyaDigest) Format() string { return "gigya_" + h.alg.Name() }

func (h *gigyaDigest) Bounds() error { return legacy.RoundBounds(h.rounds) }

// WhyUnverifiable says why Verify cannot succeed: a salt without a template ("" otherwise).
func (h *gigyaDigest) WhyUnverifiable() string { return h.unsupported }

func (h *gigyaPBKDF2) Bounds() error { return legacy.PBKDF2Bounds(h.alg, h.iter, h.sumLen) }

// Verify merges the password per the template, computes the (possibly iterated) digest with
// bounded rounds and compares in constant time. A password that cannot be decoded as the
// template's hex/base64 encoding cannot match: legacy.ErrMismatch.
func (h *gigyaDigest) Verify(ctx context.Context, password string) error {
	if err := legacy.CheckPassword(ctx, password); err != nil {
		return err
	}
	if h.unsupported != "" {
		return fmt.Errorf("%w: %s: %s", legacy.ErrUnsupported, h.Format(), h.unsupported)
	}
	var msg []byte
	for _, p := range h.pieces {
		if p.kind != piecePassword {
			msg = append(msg, p.data...)
			continue
		}
		b, err := encodeAs(password, p.enc)
		if err != nil {
			return legacy.ErrMismatch
		}
		msg = append(msg, b...)
	}
	sum, err := legacy.IterDigest(ctx, h.alg, msg, h.rounds)
	if err != nil {
		return err
	}
	return legacy.Equal(sum, h.want)
}

// Auth0 maps rounds ≤ 1 to the plain digest algorithm with a base64 hash. The template must
// have one password token, encoded utf8 (or utf16 → password.encoding utf16le), with salt and
// constants on one side only: a lone `format` $salt becomes a utf8 clear-text salt when valid
// UTF-8 ([inferred] from the template docs), anything else is folded into a hex salt.
func (h *gigyaDigest) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	if h.unsupported != "" {
		return "", nil, legacy.Unimportable("%s: %s", h.Format(), h.unsupported)
	}
	if h.rounds > 1 {
		return "", nil, legacy.Unimportable("%s with %d rounds: Auth0 has no iterated digests", h.Format(), h.rounds)
	}
	pw := -1
	for i, p := range h.pieces {
		if p.kind == piecePassword {
			if pw >= 0 {
				return "", nil, legacy.Unimportable("%s template uses the password twice", h.Format())
			}
			pw = i
		}
	}
	c := &auth0hash.CustomPasswordHash{Algorithm: h.alg.Name(),
		Hash: auth0hash.HashValue{Value: legacy.B64(h.want), Encoding: "base64"}}
	switch h.pieces[pw].enc {
	case "utf8":
	case "utf16":
		c.Password = &auth0hash.Password{Encoding: "utf16le"}
	default:
		return "", nil, legacy.Unimportable("%s template encodes the password as %s", h.Format(), h.pieces[pw].enc)
	}
	before, after := h.pieces[:pw], h.pieces[pw+1:]
	side, pos := before, "prefix"
	switch {
	case len(before) > 0 && len(after) > 0:
		return "", nil, legacy.Unimportable("%s template has text on both sides of the password", h.Format())
	case len(after) > 0:
		side, pos = after, "suffix"
	case len(before) == 0:
		return "", c, nil
	}
	var salt bytes.Buffer
	for _, p := range side {
		salt.Write(p.data)
	}
	if salt.Len() == 0 {
		return "", c, nil
	}
	if h.fromFormat && len(side) == 1 && side[0].kind == pieceSalt && utf8.Valid(side[0].data) {
		c.Salt = &auth0hash.Salt{Value: salt.String(), Encoding: "utf8", Position: pos}
	} else {
		c.Salt = &auth0hash.Salt{Value: hex.EncodeToString(salt.Bytes()), Encoding: "hex", Position: pos}
	}
	return "", c, nil
}
