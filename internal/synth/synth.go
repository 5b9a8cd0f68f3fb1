// Package synth generates deterministic synthetic user corpora for tests and benchmarks: NDJSON
// shaped like an Auth0 users export ("auth0-export") or like Auth0 bulk-import user objects
// ("auth0-import"), optionally sprinkled with deliberate defects whose exact counts are reported so
// callers can assert a pipeline's accounting.
//
// Output depends only on the Config: the generator is single-threaded, seeded from Config.Seed with
// math/rand/v2's PCG, and never reads the clock, so the same Config always yields byte-identical
// output regardless of GOMAXPROCS or machine.
package synth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Corpus styles accepted in Config.Style.
const (
	// StyleExport produces Auth0 users-export NDJSON lines: user_id "auth0|<24 hex>", the
	// read-only created_at/updated_at/last_login/logins_count/identities fields, metadata and
	// (unlike a real export, so migrations have something to carry) password hashes.
	StyleExport = "auth0-export"
	// StyleImport produces objects that are already valid Auth0 bulk-import users: no read-only
	// fields and user_id without the "auth0|" prefix.
	StyleImport = "auth0-import"
	// StyleGigya produces SAP Customer Data Cloud accounts as accounts.search returns them (see
	// WriteGigya).
	StyleGigya = "gigya"
)

// Defect kinds, the keys of Stats.Defects. Defective records are emitted in this cyclic order.
const (
	// DefectTruncated is a valid record cut off mid-line (not valid JSON).
	DefectTruncated = "truncated"
	// DefectGarbage is a line that is not a JSON object (noise, HTML, invalid UTF-8, a JSON array).
	DefectGarbage = "garbage"
	// DefectBlank is an empty line. It is not a record: counted in Stats.Lines, not Stats.Users.
	DefectBlank = "blank"
	// DefectWrongType is a record with email_verified:"yes" and/or given_name:42.
	DefectWrongType = "wrong_type"
	// DefectInvalidEmail is a record whose email is syntactically invalid.
	DefectInvalidEmail = "invalid_email"
	// DefectDuplicateEmail is a record reusing an earlier clean user's email in different case.
	DefectDuplicateEmail = "duplicate_email"
	// DefectDuplicateUserID is a record reusing an earlier clean user's user_id (fresh email).
	DefectDuplicateUserID = "duplicate_user_id"
	// DefectReservedMetadataKey is a record whose app_metadata holds a key Auth0 reserves.
	DefectReservedMetadataKey = "reserved_metadata_key"
	// DefectUnknownField is a record with a top-level key that is not part of the user shape.
	DefectUnknownField = "unknown_field"
)

type kind int

const (
	kTruncated kind = iota
	kGarbage
	kBlank
	kWrongType
	kInvalidEmail
	kDupEmail
	kDupID
	kReserved
	kUnknown
	numKinds
	kClean kind = -1
)

// String names the defect kind as Stats reports it.
func (k kind) String() string {
	if k == kClean {
		return "clean"
	}
	return kindNames[k]
}

var kindNames = [numKinds]string{
	DefectTruncated, DefectGarbage, DefectBlank, DefectWrongType, DefectInvalidEmail,
	DefectDuplicateEmail, DefectDuplicateUserID, DefectReservedMetadataKey, DefectUnknownField,
}

// DefectKinds returns the defect kinds in the order Write cycles through them.
func DefectKinds() []string { return append([]string(nil), kindNames[:]...) }

// Config describes a synthetic corpus.
type Config struct {
	// N is the number of lines (users, including defective ones and blank lines) to write.
	N int
	// Seed seeds the PCG generator; different seeds give different corpora.
	Seed int64
	// Style is StyleExport or StyleImport; empty means StyleExport.
	Style string
	// Corrupt is the fraction (0..1) of lines replaced by defects. Exactly floor(N*Corrupt)
	// lines (up to float rounding) are defective, spread evenly through the corpus, their kinds
	// cycling through DefectKinds. Duplicate kinds are skipped while no clean user precedes them
	// (only possible when Corrupt > 0.5).
	Corrupt float64
}

// Stats accounts for what Write produced.
type Stats struct {
	// Lines is the number of '\n'-terminated lines written (always Config.N on success).
	Lines int `json:"lines"`
	// Users is the number of non-blank lines, i.e. records a reader will see.
	Users int `json:"users"`
	// Clean is the number of records without any defect; a correct pipeline accepts exactly these.
	Clean int `json:"clean"`
	// Bytes is the total output size.
	Bytes int64 `json:"bytes"`
	// Defects counts defective lines per kind (keys from DefectKinds; absent means zero).
	Defects map[string]int `json:"defects"`
}

// Rejected is the number of records a correct pipeline rejects: every defect except blank lines,
// which are not records. It equals Users - Clean.
func (s Stats) Rejected() int {
	n := 0
	for k, v := range s.Defects {
		if k != DefectBlank {
			n += v
		}
	}
	return n
}

// passwordPrefix starts every synthetic plaintext password; see PasswordFor.
const passwordPrefix = "Synth!"

// PasswordFor returns the plaintext password behind a generated user's salted sha256
// custom_password_hash (the only real hashes in a corpus; bcrypt and pbkdf2 values are random but
// well-formed). userID may carry the "auth0|" prefix.
func PasswordFor(userID string) string {
	return passwordPrefix + strings.TrimPrefix(userID, "auth0|")
}

const (
	flushAt = 256 << 10 // output chunk size handed to the writer
	refCap  = 64        // reservoir of earlier clean users that duplicates copy from

	epochStart int64 = 1451606400000 // 2016-01-01T00:00:00Z in ms
	epochEnd   int64 = 1751328000000 // 2025-07-01T00:00:00Z in ms

	bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

var bcryptB64 = base64.NewEncoding(bcryptAlphabet).WithPadding(base64.NoPadding)

// ref remembers an earlier clean user for duplicate defects.
type ref struct {
	id    [12]byte
	email []byte // as written (lower-case)
}

type gen struct {
	rng    *rand.PCG
	export bool
	key    uint64
	rate   float64

	refs     [refCap]ref
	nRefs    int
	nClean   int // clean records so far (reservoir sampling counter)
	nDefects int // defect slots consumed so far (drives the kind cycle)
	variant  [numKinds]int
	counts   [numKinds]int

	scratch [128]byte
	// hook, when set (tests only), is told the kind of every line just written.
	hook func(k kind)
}

// Write streams cfg.N NDJSON lines to w and returns what it wrote. Output is buffered internally
// in chunks; a write error aborts generation and is returned with the stats so far.
func Write(w io.Writer, cfg Config) (Stats, error) {
	return write(w, cfg, nil)
}

func write(w io.Writer, cfg Config, hook func(kind)) (Stats, error) {
	st := Stats{Defects: map[string]int{}}
	switch cfg.Style {
	case "", StyleExport, StyleImport:
	case StyleGigya:
		if cfg.Corrupt != 0 {
			return st, errors.New("synth: the " + StyleGigya + " style has no defects (Corrupt must be 0)")
		}
		return WriteGigya(w, GigyaConfig{N: cfg.N, Seed: cfg.Seed})
	default:
		return st, errors.New("synth: unknown style " + strconv.Quote(cfg.Style) +
			" (want " + StyleExport + ", " + StyleImport + " or " + StyleGigya + ")")
	}
	if cfg.N < 0 {
		return st, errors.New("synth: negative N")
	}
	if !(cfg.Corrupt >= 0 && cfg.Corrupt <= 1) { // also rejects NaN
		return st, errors.New("synth: Corrupt must be within 0..1")
	}
	seed := uint64(cfg.Seed)
	g := &gen{
		rng:    rand.NewPCG(seed, mix64(seed^0x5bd1e9955bd1e995)),
		export: cfg.Style != StyleImport,
		key:    mix64(seed + 0x9e3779b97f4a7c15),
		rate:   cfg.Corrupt,
		hook:   hook,
	}
	buf := make([]byte, 0, flushAt+8<<10)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		n, err := w.Write(buf)
		st.Bytes += int64(n)
		if err == nil && n < len(buf) {
			err = io.ErrShortWrite
		}
		buf = buf[:0]
		return err
	}
	fill := func() {
		for i, c := range g.counts {
			if c > 0 {
				st.Defects[kindNames[i]] = c
			}
		}
		st.Clean = g.nClean
	}
	for i := 0; i < cfg.N; i++ {
		k := g.pick(i)
		buf = g.line(buf, i, k)
		st.Lines++
		if k != kBlank {
			st.Users++
		}
		if k != kClean {
			g.counts[k]++
		}
		if g.hook != nil {
			g.hook(k)
		}
		if len(buf) >= flushAt {
			if err := flush(); err != nil {
				fill()
				return st, err
			}
		}
	}
	err := flush()
	fill()
	return st, err
}

// pick decides whether line i is a defect and of which kind. Defects are spread with a
// Bresenham-style rule so that exactly floor(N*rate) of N lines are defective.
func (g *gen) pick(i int) kind {
	if g.rate == 0 || math.Floor(float64(i+1)*g.rate) <= math.Floor(float64(i)*g.rate) {
		return kClean
	}
	for {
		k := kind(g.nDefects % int(numKinds))
		g.nDefects++
		if (k == kDupEmail || k == kDupID) && g.nRefs == 0 {
			continue
		}
		return k
	}
}

// intn returns a value in [0,n) (multiply-high reduction; the bias is irrelevant here).
func (g *gen) intn(n int) int {
	hi, _ := bits.Mul64(g.rng.Uint64(), uint64(n))
	return int(hi)
}

// int64n is intn for int64 ranges (timestamps), portable to 32-bit platforms.
func (g *gen) int64n(n int64) int64 {
	hi, _ := bits.Mul64(g.rng.Uint64(), uint64(n))
	return int64(hi)
}

// chance reports true with probability pct/100.
func (g *gen) chance(pct int) bool { return g.intn(100) < pct }

func (g *gen) fillRandom(p []byte) {
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, g.rng.Uint64())
		p = p[8:]
	}
	if len(p) > 0 {
		var t [8]byte
		binary.LittleEndian.PutUint64(t[:], g.rng.Uint64())
		copy(p, t[:])
	}
}

func (g *gen) nextVariant(k kind, n int) int {
	v := g.variant[k] % n
	g.variant[k]++
	return v
}

// line appends one '\n'-terminated line of kind k for sequence number seq.
func (g *gen) line(b []byte, seq int, k kind) []byte {
	switch k {
	case kBlank:
		return append(b, '\n')
	case kGarbage:
		return append(g.garbage(b), '\n')
	}
	start := len(b)
	b = g.user(b, seq, k)
	if k == kTruncated {
		n := len(b) - start
		cut := n/10 + g.intn(n*8/10)
		for cut > 1 && !utf8.RuneStart(b[start+cut]) {
			cut--
		}
		b = b[:start+cut]
	}
	return append(b, '\n')
}

func (g *gen) garbage(b []byte) []byte {
	switch v := g.nextVariant(kGarbage, 2+len(garbageLines)); v {
	case 0: // printable noise; the leading '~' keeps it from ever being valid JSON
		b = append(b, '~')
		for n := 40 + g.intn(120); n > 0; n-- {
			b = append(b, byte(' '+g.intn(95)))
		}
		return b
	case 1: // raw bytes, invalid UTF-8, no newline
		b = append(b, 0xff, 0xfe)
		for n := 16 + g.intn(48); n > 0; n-- {
			c := byte(g.rng.Uint64())
			if c == '\n' || c == '\r' {
				c = 0
			}
			b = append(b, c)
		}
		return b
	default:
		return append(b, garbageLines[v-2]...)
	}
}

// user appends one user object (no newline). k selects a record-level defect, if any.
func (g *gen) user(b []byte, seq int, k kind) []byte {
	created := epochStart + g.int64n(epochEnd-epochStart)
	var id [12]byte
	binary.BigEndian.PutUint32(id[0:4], uint32(created/1000))
	binary.BigEndian.PutUint64(id[4:12], mix64(g.key^uint64(seq))) // bijective → unique per seq
	var dup *ref
	if k == kDupEmail || k == kDupID {
		dup = &g.refs[g.intn(g.nRefs)]
		if k == kDupID {
			id = dup.id
		}
	}
	var hexID [24]byte
	hex.Encode(hexID[:], id[:])

	given := &escGiven[g.intn(len(escGiven))]
	family := &escFamily[g.intn(len(escFamily))]
	tld := tlds[g.intn(len(tlds))]

	wrongVerified, wrongGiven := false, false
	if k == kWrongType {
		switch g.nextVariant(k, 3) {
		case 0:
			wrongVerified = true
		case 1:
			wrongGiven = true
		default:
			wrongVerified, wrongGiven = true, true
		}
	}

	b = append(b, `{"user_id":"`...)
	if g.export {
		b = append(b, "auth0|"...)
	}
	b = append(b, hexID[:]...)

	// email
	b = append(b, `","email":"`...)
	emailStart := len(b)
	switch k {
	case kDupEmail:
		b = appendCaseVariant(b, dup.email, g.nextVariant(k, 3))
	case kInvalidEmail:
		v := g.nextVariant(k, 4)
		if v != 2 { // variant 2 has an empty local part
			b = appendLocal(b, given.slug, family.slug, seq)
		}
		switch v {
		case 0: // no @
			b = append(b, ".example."...)
			b = append(b, tld...)
		case 1: // two @
			b = append(b, "@@example."...)
			b = append(b, tld...)
		case 2:
			b = append(b, "@example."...)
			b = append(b, tld...)
		default: // empty domain
			b = append(b, '@')
		}
	default:
		b = appendLocal(b, given.slug, family.slug, seq)
		b = append(b, "@example."...)
		b = append(b, tld...)
	}
	emailEnd := len(b)

	b = append(b, `","email_verified":`...)
	switch {
	case wrongVerified:
		b = append(b, `"yes"`...)
	case g.chance(85):
		b = append(b, "true"...)
	default:
		b = append(b, "false"...)
	}
	if wrongGiven {
		b = append(b, `,"given_name":42`...)
	} else {
		b = append(b, `,"given_name":"`...)
		b = append(b, given.json...)
		b = append(b, '"')
	}
	b = append(b, `,"family_name":"`...)
	b = append(b, family.json...)
	b = append(b, `","name":"`...)
	b = append(b, given.json...)
	b = append(b, ' ')
	b = append(b, family.json...)
	b = append(b, `","nickname":"`...)
	if g.chance(70) {
		b = append(b, given.slug...)
		b = append(b, '.')
		b = append(b, family.slug...)
	} else {
		b = append(b, given.json...)
	}
	if g.chance(60) { // Auth0's default: gravatar with the initials avatar as fallback
		b = append(b, `","picture":"https://s.gravatar.com/avatar/`...)
		g.fillRandom(g.scratch[:16])
		b = hex.AppendEncode(b, g.scratch[:16])
		b = append(b, `?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2F`...)
	} else {
		b = append(b, `","picture":"https://cdn.auth0.com/avatars/`...)
	}
	b = append(b, given.slug[0], family.slug[0])
	b = append(b, `.png"`...)

	if g.export {
		updated := created + g.int64n(epochEnd-created+1)
		logins := 0
		if !g.chance(5) {
			logins = 1 + g.intn(1+g.intn(400))
		}
		b = append(b, `,"created_at":"`...)
		b = appendTime(b, created)
		b = append(b, `","updated_at":"`...)
		b = appendTime(b, updated)
		b = append(b, '"')
		if logins > 0 {
			b = append(b, `,"last_login":"`...)
			b = appendTime(b, created+g.int64n(updated-created+1))
			b = append(b, '"')
		}
		b = append(b, `,"logins_count":`...)
		b = strconv.AppendInt(b, int64(logins), 10)
		b = append(b, `,"identities":[{"connection":"`...)
		b = append(b, connections[g.intn(len(connections))]...)
		b = append(b, `","provider":"auth0","user_id":"`...)
		b = append(b, hexID[:]...)
		b = append(b, `","isSocial":false}]`...)
	}

	if g.chance(75) {
		b = g.userMetadata(b)
	}
	if k == kReserved || g.chance(90) {
		b = g.appMetadata(b, k)
	}
	b = g.password(b, hexID[:])
	if g.chance(1) {
		b = append(b, `,"blocked":true`...)
	}
	if k == kUnknown {
		b = append(b, ',')
		b = append(b, unknownKeys[g.nextVariant(k, len(unknownKeys))]...)
	}
	b = append(b, '}')

	if k == kClean {
		g.remember(id, b[emailStart:emailEnd])
	}
	return b
}

// remember offers a clean user to the duplicate reservoir (reservoir sampling, size refCap).
func (g *gen) remember(id [12]byte, email []byte) {
	slot := g.nClean
	if slot >= refCap {
		slot = g.intn(g.nClean + 1)
	}
	g.nClean++
	if slot >= refCap {
		return
	}
	r := &g.refs[slot]
	r.id = id
	r.email = append(r.email[:0], email...)
	if g.nRefs < refCap {
		g.nRefs++
	}
}

func (g *gen) userMetadata(b []byte) []byte {
	b = append(b, `,"user_metadata":{"plan":"`...)
	b = append(b, plans[g.intn(len(plans))]...)
	b = append(b, `","locale":"`...)
	b = append(b, locales[g.intn(len(locales))]...)
	b = append(b, `","newsletter":`...)
	b = appendBool(b, g.chance(40))
	b = append(b, `,"preferences":{"theme":"`...)
	b = append(b, themes[g.intn(len(themes))]...)
	b = append(b, '"')
	if g.chance(35) {
		b = append(b, `,"timezone":"`...)
		b = append(b, timezones[g.intn(len(timezones))]...)
		b = append(b, '"')
	}
	if g.chance(10) {
		b = append(b, `,"units":"`...)
		b = append(b, units[g.intn(len(units))]...)
		b = append(b, '"')
	}
	b = append(b, '}')
	if g.chance(10) {
		b = append(b, `,"signup_referrer":"`...)
		b = append(b, referrers[g.intn(len(referrers))]...)
		b = append(b, '"')
	}
	return append(b, '}')
}

func (g *gen) appMetadata(b []byte, k kind) []byte {
	b = append(b, `,"app_metadata":{"roles":["user"`...)
	n, first := 0, g.intn(len(extraRoles))
	if g.chance(35) {
		n = 1 + g.intn(2)
	}
	for j := 0; j < n; j++ {
		b = append(b, `,"`...)
		b = append(b, extraRoles[(first+j)%len(extraRoles)]...)
		b = append(b, '"')
	}
	b = append(b, `],"tier":"`...)
	b = append(b, tiers[g.intn(len(tiers))]...)
	b = append(b, '"')
	if g.chance(40) {
		b = append(b, `,"customer_id":"cus_`...)
		g.fillRandom(g.scratch[:7])
		b = hex.AppendEncode(b, g.scratch[:7])
		b = append(b, '"')
	}
	if g.chance(20) {
		b = append(b, `,"legacy_id":`...)
		b = strconv.AppendInt(b, int64(100000+g.intn(9900000)), 10)
	}
	if g.chance(20) {
		b = append(b, `,"features":[`...)
		n, first = 1+g.intn(2), g.intn(len(features))
		for j := 0; j < n; j++ {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, features[(first+j)%len(features)]...)
			b = append(b, '"')
		}
		b = append(b, ']')
	}
	if k == kReserved {
		b = append(b, ',')
		b = append(b, reservedKeys[g.nextVariant(k, len(reservedKeys))]...)
	}
	return append(b, '}')
}

// password appends the credential member: ~60% bcrypt password_hash, ~25% pbkdf2 PHC,
// ~10% salted sha256 (a real hash of PasswordFor(id)), ~5% none.
func (g *gen) password(b []byte, hexID []byte) []byte {
	s := g.scratch[:]
	switch u := g.intn(100); {
	case u < 60:
		b = append(b, `,"password_hash":"`...)
		switch v := g.intn(10); {
		case v < 8:
			b = append(b, "$2b$10$"...)
		case v < 9:
			b = append(b, "$2a$10$"...)
		default:
			b = append(b, "$2b$12$"...)
		}
		g.fillRandom(s[:16+23])
		b = bcryptB64.AppendEncode(b, s[:16])   // 22-char salt
		b = bcryptB64.AppendEncode(b, s[16:39]) // 31-char checksum
		return append(b, '"')
	case u < 85:
		b = append(b, `,"custom_password_hash":{"algorithm":"pbkdf2","hash":{"value":"`...)
		hashLen := 32
		switch v := g.intn(20); {
		case v < 11:
			b = append(b, "$pbkdf2-sha256$i=100000,l=32$"...)
		case v < 16:
			b = append(b, "$pbkdf2-sha512$i=210000,l=64$"...)
			hashLen = 64
		default:
			b = append(b, "$pbkdf2-sha1$i=10000,l=20$"...)
			hashLen = 20
		}
		g.fillRandom(s[:16+hashLen])
		b = base64.RawStdEncoding.AppendEncode(b, s[:16])
		b = append(b, '$')
		b = base64.RawStdEncoding.AppendEncode(b, s[16:16+hashLen])
		return append(b, `","encoding":"utf8"}}`...)
	case u < 95:
		// salt ‖ password (prefix) or password ‖ salt (suffix), hashed for real.
		g.fillRandom(s[:16])
		prefix := g.chance(50)
		var msg []byte
		if prefix {
			msg = append(append(append(s[16:16], s[:16]...), passwordPrefix...), hexID...)
		} else {
			msg = append(append(append(s[16:16], passwordPrefix...), hexID...), s[:16]...)
		}
		sum := sha256.Sum256(msg)
		b = append(b, `,"custom_password_hash":{"algorithm":"sha256","hash":{"value":"`...)
		b = hex.AppendEncode(b, sum[:])
		b = append(b, `","encoding":"hex"},"salt":{"value":"`...)
		b = hex.AppendEncode(b, s[:16])
		if prefix {
			return append(b, `","encoding":"hex","position":"prefix"}}`...)
		}
		return append(b, `","encoding":"hex","position":"suffix"}}`...)
	default:
		return b
	}
}

// appendLocal appends the unique local part given.family.<seq+1>.
func appendLocal(b []byte, given, family string, seq int) []byte {
	b = append(b, given...)
	b = append(b, '.')
	b = append(b, family...)
	b = append(b, '.')
	return strconv.AppendInt(b, int64(seq)+1, 10)
}

// appendCaseVariant appends a lower-case ASCII email with its case changed; every variant
// upper-cases at least the 'e' of the "example" domain, so the result always differs.
func appendCaseVariant(b, email []byte, variant int) []byte {
	at := len(email)
	for i, c := range email {
		if c == '@' {
			at = i
			break
		}
	}
	for i, c := range email {
		up := false
		switch variant {
		case 0: // everything
			up = true
		case 1: // first letter and the domain
			up = i == 0 || i > at
		default: // first letter of every dot/at-separated part
			up = i == 0 || email[i-1] == '.' || email[i-1] == '@'
		}
		if up && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendTime appends ms (Unix milliseconds, ≥ 0) as "2006-01-02T15:04:05.000Z" using the
// days-to-civil algorithm (H. Hinnant), avoiding time.Format in the hot loop.
func appendTime(b []byte, ms int64) []byte {
	days, rem := ms/86400000, ms%86400000
	z := days + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	b = append4(b, int(y))
	b = append(b, '-')
	b = append2(b, int(m))
	b = append(b, '-')
	b = append2(b, int(d))
	b = append(b, 'T')
	b = append2(b, int(rem/3600000))
	b = append(b, ':')
	b = append2(b, int(rem/60000%60))
	b = append(b, ':')
	b = append2(b, int(rem/1000%60))
	b = append(b, '.')
	ms3 := int(rem % 1000)
	b = append(b, byte('0'+ms3/100), byte('0'+ms3/10%10), byte('0'+ms3%10))
	return append(b, 'Z')
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func append4(b []byte, v int) []byte {
	return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// mix64 is the splitmix64 finalizer, a bijection on uint64.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal (with quotes), escaping quotes,
// backslashes and control characters, and replacing invalid UTF-8 with U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
