package auth0hash

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// cheapEnough reports whether verifying c (already within CheckBounds) is fast enough for one
// fuzz execution; the bounds themselves still allow seconds of work per hash.
func cheapEnough(c *CustomPasswordHash) bool {
	switch c.Algorithm {
	case "bcrypt":
		v := c.Hash.Value
		cost, err := strconv.Atoi(v[4:6])
		return err == nil && cost <= 5
	case "scrypt":
		n, r, p := or(c.Cost, defaultScryptN), or(c.BlockSize, defaultScryptR), or(c.Parallelization, defaultScryptP)
		return n*r*p <= 1<<12
	case "argon2":
		a, err := parseArgon2(c.Hash.Value)
		return err == nil && uint64(a.m)*uint64(a.t) <= 1<<12
	case "pbkdf2":
		ph, err := parsePBKDF2(c.Hash.Value)
		return err == nil && ph.iter <= 2000 && len(ph.hash) <= 256
	}
	return true
}

// FuzzVerify decodes arbitrary JSON into a CustomPasswordHash and verifies a fixed password:
// it must never panic, and every error must be ErrMismatch or wrap one of the documented
// sentinels.
func FuzzVerify(f *testing.F) {
	for _, ka := range knownAnswers {
		f.Add([]byte(ka.chash))
	}
	f.Add([]byte(`{"algorithm":"scrypt","hash":{"value":"00","encoding":"hex"},"keylen":1,"cost":16,"blockSize":1}`))
	f.Add([]byte(`{"algorithm":"argon2","hash":{"value":"$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$AAAAAA"}}`))
	f.Add([]byte(`{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-md4$i=1,l=4$c2FsdA$AAAAAA"}}`))
	f.Add([]byte(`{"algorithm":"ldap","hash":{"value":"{SMD5}AAAAAAAAAAAAAAAAAAAAAAAA"}}`))
	f.Add([]byte(`{"algorithm":"hmac","hash":{"value":"AA==","encoding":"base64","digest":"ripemd160","key":{"value":"AA","encoding":"hex"}},"password":{"encoding":"latin1"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c CustomPasswordHash
		if err := json.Unmarshal(data, &c); err != nil {
			return
		}
		ctx := context.Background()
		if err := CheckBounds(&c); err != nil {
			// Rejected before any work: Verify must give the same answer.
			if verr := Verify(ctx, "password", &c); verr == nil || verr.Error() != err.Error() {
				t.Fatalf("CheckBounds %v but Verify %v", err, verr)
			}
			return
		}
		if !cheapEnough(&c) {
			return
		}
		for _, pw := range []string{"password", "pässwörd€", ""} {
			err := Verify(ctx, pw, &c)
			if err != nil && !errors.Is(err, ErrMismatch) && !errors.Is(err, ErrUnsupported) &&
				!errors.Is(err, ErrMalformed) && !errors.Is(err, ErrOutOfBounds) {
				t.Fatalf("Verify: undocumented error %v", err)
			}
			if errors.Is(err, ErrMismatch) && !strings.Contains(err.Error(), "does not match") {
				t.Fatalf("odd mismatch error %v", err)
			}
		}
	})
}
