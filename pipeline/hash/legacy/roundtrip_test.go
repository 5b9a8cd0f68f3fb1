package legacy_test

import (
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

// TestRoundTripAuth0 verifies every importable translation with the original password through
// auth0hash, which implements Auth0's documented custom_password_hash semantics: the translated
// hash must accept the password and reject a mutated one.
func TestRoundTripAuth0(t *testing.T) {
	legacytest.RunRoundTrip(t, vectors, legacy.Parse)
}
