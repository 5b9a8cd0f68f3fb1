package gigyahash

import (
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

// BenchmarkTranslate measures parse + Auth0 translation (no password verification) of Gigya's
// formats (moved from pipeline/hash/legacy's BenchmarkTranslate). Target (issue): ≥ 1M hashes/s
// per core for pure-format translations such as Gigya pbkdf2 → PHC. Run:
// go test -run '^$' -bench Translate -benchmem ./sources/gigya/gigyahash
func BenchmarkTranslate(b *testing.B) {
	legacytest.BenchTranslate(b, []legacytest.Vector[map[string]any]{
		{Name: "gigya_pbkdf2_to_phc",
			Stored: gigya("XMGVWTbeKf4Xd+CGiuEZde8x7QA=", "pbkdf2", 10000.0, "wJuJqLoUFsdXa8k3sFhRlA==")},
	}, Parse)
}
