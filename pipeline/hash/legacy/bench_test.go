package legacy

import (
	"testing"
)

// BenchmarkTranslate measures parse + Auth0 translation (no password verification) per
// format. Target (issue): ≥ 1M hashes/s per core for pure-format translations such as Gigya
// pbkdf2 → PHC. Run: go test -run '^$' -bench Translate -benchmem ./pipeline/hash/legacy (Gigya's
// and Stormpath's formats: the same benchmark in sources/gigya/gigyahash and
// sources/stormpath/stormpathhash).
func BenchmarkTranslate(b *testing.B) {
	type input struct {
		name string
		mcf  string
		// importable: Auth0 must succeed; otherwise it must fail (ErrUnimportable).
		importable bool
	}
	inputs := []input{
		{name: "phc_pbkdf2_sha256", importable: true,
			mcf: "$pbkdf2-sha256$i=1000,l=32$c2FsdHlzYWx0$VDrl72vKkfYVFik4umYbkSDzyssrawhVf2ho/zPsSiQ"},
		{name: "bcrypt_2y", importable: true,
			mcf: "$2y$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"},
		{name: "md5_crypt_unimportable", importable: false,
			mcf: "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h, err := parseMCF(in.mcf)
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
