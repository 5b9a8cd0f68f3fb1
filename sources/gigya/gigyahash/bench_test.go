package gigyahash

import (
	"testing"
)

// BenchmarkTranslate measures parse + Auth0 translation (no password verification) of Gigya's
// formats (moved from pipeline/hash/legacy's BenchmarkTranslate). Target (issue): ≥ 1M hashes/s
// per core for pure-format translations such as Gigya pbkdf2 → PHC. Run:
// go test -run '^$' -bench Translate -benchmem ./sources/gigya/gigyahash
func BenchmarkTranslate(b *testing.B) {
	type input struct {
		name  string
		gigya map[string]any
		// importable: Auth0 must succeed; otherwise it must fail (ErrUnimportable).
		importable bool
	}
	inputs := []input{
		{name: "gigya_pbkdf2_to_phc", importable: true,
			gigya: gigya("XMGVWTbeKf4Xd+CGiuEZde8x7QA=", "pbkdf2", 10000.0, "wJuJqLoUFsdXa8k3sFhRlA==")},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h, err := Parse(in.gigya)
				if err != nil {
					b.Fatal(err)
				}
				_, _, err = h.Auth0()
				if (err == nil) != in.importable {
					b.Fatalf("Auth0: %v", err)
				}
			}
			if s := b.Elapsed().Seconds(); s > 0 {
				b.ReportMetric(float64(b.N)/s, "hashes/s")
			}
		})
	}
}
