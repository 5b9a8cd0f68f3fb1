package legacy

// The tests that use legacytest are in package legacy_test (legacytest imports this package, so
// package legacy's own tests cannot import it); these are the internals they reach.
var (
	// ParseMCF is parseMCF: modular-crypt strings ($1$, $2a$, $scrypt$, $pbkdf2-sha256$, …), not
	// the other forms Parse reads.
	ParseMCF = parseMCF
	// PBKDF2Auth0 is pbkdf2Auth0, the canonical PHC pbkdf2 translation.
	PBKDF2Auth0 = pbkdf2Auth0
	// LoadOutsiders is loadOutsiders: the vectors of testdata/outsiders.json.
	LoadOutsiders = loadOutsiders
)
