package legacy

import (
	"context"
	"errors"
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
)

// TestRoundTripAuth0 verifies every importable translation with the original password through
// auth0hash, which implements Auth0's documented custom_password_hash semantics: the translated
// hash must accept the password and reject a mutated one.
func TestRoundTripAuth0(t *testing.T) {
	ctx := context.Background()
	for _, v := range vectors {
		if v.wantUnimportable {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			h := parseVector(t, v)
			ph, custom, err := h.Auth0()
			if err != nil {
				t.Fatal(err)
			}
			check := func(pw string) error {
				if ph != "" {
					return auth0hash.VerifyBcrypt(ctx, pw, ph)
				}
				return auth0hash.Verify(ctx, pw, custom)
			}
			if err := check(v.password); err != nil {
				t.Errorf("auth0hash verify(correct) = %v", err)
			}
			if err := check(v.password + "x"); !errors.Is(err, auth0hash.ErrMismatch) {
				t.Errorf("auth0hash verify(mutated) = %v, want ErrMismatch", err)
			}
		})
	}
}
