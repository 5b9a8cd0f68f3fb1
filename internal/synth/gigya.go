package synth

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// GigyaConfig configures WriteGigya.
type GigyaConfig struct {
	N    int   // accounts to write
	Seed int64 // same seed, same bytes
}

// WriteGigya writes N synthetic SAP Customer Data Cloud (Gigya) accounts as NDJSON, shaped like
// accounts.search results (research sources.md §1.2): UID, ISO and epoch-ms timestamps, loginIDs,
// emails, a profile with names and demographics, site data, consent
// preferences, identities, a pbkdf2 password object; about 1.2 KB each. One
// account in 50 is social-only (no password), one in 100 never logged in (the 0001-01-01
// sentinel), one in 200 is inactive. Emails and UIDs are unique. The hashes are random bytes of
// the right shape, not hashes of known passwords.
func WriteGigya(w io.Writer, cfg GigyaConfig) (Stats, error) {
	st := Stats{Defects: map[string]int{}}
	if cfg.N < 0 {
		return st, errors.New("synth: negative N")
	}
	seed := uint64(cfg.Seed)
	g := &gen{rng: rand.NewPCG(seed, mix64(seed^0x6a09e667f3bcc909)), key: mix64(seed + 0x243f6a8885a308d3)}
	buf := make([]byte, 0, flushAt+8<<10)
	flush := func() error {
		n, err := w.Write(buf)
		st.Bytes += int64(n)
		buf = buf[:0]
		return err
	}
	for i := 0; i < cfg.N; i++ {
		buf = g.gigyaAccount(buf, i)
		buf = append(buf, '\n')
		st.Lines++
		st.Users++
		st.Clean++
		if len(buf) >= flushAt {
			if err := flush(); err != nil {
				return st, err
			}
		}
	}
	return st, flush()
}

var gigyaBase = time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

func (g *gen) gigyaAccount(b []byte, seq int) []byte {
	var raw [16]byte
	g.fillRandom(raw[:])
	uid := hex.EncodeToString(raw[:])
	fn, ln := escGiven[g.intn(len(escGiven))], escFamily[g.intn(len(escFamily))]
	first, last := fn.json, ln.json
	email := fn.slug + "." + ln.slug + "." + strconv.Itoa(seq) + "@example." + tlds[g.intn(len(tlds))]
	created := gigyaBase + g.int64n(8*365*24*3600*1000)
	updated := created + g.int64n(3*365*24*3600*1000)
	social := seq%50 == 7
	never := seq%100 == 13
	ts := func(b []byte, name string, ms int64) []byte {
		b = append(b, `"`+name+`":"`...)
		b = time.UnixMilli(ms).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
		b = append(b, `","`+name+`Timestamp":`...)
		b = strconv.AppendInt(b, ms, 10)
		return append(b, ',')
	}
	b = append(b, `{"UID":"`+uid+`",`...)
	b = ts(b, "created", created)
	b = ts(b, "registered", created+1200)
	if never {
		b = append(b, `"lastLogin":"0001-01-01T00:00:00Z","lastLoginTimestamp":0,`...)
	} else {
		b = ts(b, "lastLogin", updated)
	}
	b = ts(b, "lastUpdated", updated+500)
	b = append(b, `"isActive":`...)
	b = strconv.AppendBool(b, seq%200 != 42)
	b = append(b, `,"isRegistered":true,"isVerified":true,"loginProvider":"`...)
	if social {
		b = append(b, `facebook","socialProviders":"facebook",`...)
	} else {
		b = append(b, `site","socialProviders":"site",`...)
	}
	b = append(b, `"loginIDs":{"emails":["`+email+`"],"unverifiedEmails":[]},"emails":{"verified":["`+email+`"],"unverified":[]},`...)
	phone := "+1415" + strconv.Itoa(5550000+g.intn(9999))
	b = append(b, `"phoneNumber":"`+phone+`","profile":{"firstName":"`+first+`","lastName":"`+last+`","nickname":"`+fn.slug+strconv.Itoa(seq%1000)+`","email":"`+email+`",`...)
	b = append(b, `"photoURL":"https://cdn.example.com/u/`+uid[:8]+`/large.jpg",`...)
	b = append(b, `"gender":"`+[]string{"f", "m", "u"}[g.intn(3)]+`","birthYear":`...)
	b = strconv.AppendInt(b, int64(1950+g.intn(55)), 10)
	b = append(b, `,"birthMonth":`...)
	b = strconv.AppendInt(b, int64(1+g.intn(12)), 10)
	b = append(b, `,"birthDay":`...)
	b = strconv.AppendInt(b, int64(1+g.intn(28)), 10)
	b = append(b, `,"city":"Oakland","country":"US","locale":"en_US"},`...)
	b = append(b, `"data":{"loyaltyTier":"`+tiers[g.intn(len(tiers))]+`","newsletter":`...)
	b = strconv.AppendBool(b, g.chance(50))
	b = append(b, `},"preferences":{"terms":{"tos":{"isConsentGranted":true,"docVersion":1.0,"lang":"en"}}},`...)
	b = append(b, `"identities":[{"provider":"site","providerUID":"`+uid+`","isLoginIdentity":false,"allowsLogin":false}`...)
	if social {
		b = append(b, `,{"provider":"facebook","providerUID":"`...)
		b = strconv.AppendInt(b, 10150000000000+int64(seq), 10)
		b = append(b, `","isLoginIdentity":true,"allowsLogin":true,"firstName":"`+first+`"}`...)
	}
	b = append(b, `],`...)
	if !social {
		var salt [16]byte
		var sum [20]byte
		g.fillRandom(salt[:])
		g.fillRandom(sum[:])
		b = append(b, `"password":{"hash":"`...)
		b = base64.StdEncoding.AppendEncode(b, sum[:])
		b = append(b, `","hashSettings":{"algorithm":"pbkdf2","rounds":10000,"salt":"`...)
		b = base64.StdEncoding.AppendEncode(b, salt[:])
		b = append(b, `"},"created":"2019-03-12T09:41:27.113Z"},`...)
	}
	b = append(b, `"regSource":"https://www.example.com/register"}`...)
	return b
}
