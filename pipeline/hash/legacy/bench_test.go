package legacy_test

import (
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

// BenchmarkTranslate measures parse + Auth0 translation (no password verification) per
// format. Target (issue): ≥ 1M hashes/s per core for pure-format translations such as Gigya
// pbkdf2 → PHC. Run: go test -run '^$' -bench Translate -benchmem ./pipeline/hash/legacy (Gigya's
// and Stormpath's formats: the same benchmark in sources/gigya/gigyahash and
// sources/stormpath/stormpathhash).
func BenchmarkTranslate(b *testing.B) {
	legacytest.BenchTranslate(b, []legacytest.Vector[string]{
		{Name: "phc_pbkdf2_sha256",
			Stored: "$pbkdf2-sha256$i=1000,l=32$c2FsdHlzYWx0$VDrl72vKkfYVFik4umYbkSDzyssrawhVf2ho/zPsSiQ"},
		{Name: "bcrypt_2y",
			Stored: "$2y$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"},
		{Name: "md5_crypt_unimportable", WantUnimportable: true,
			Stored: "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"},
	}, legacy.ParseMCF)
}
