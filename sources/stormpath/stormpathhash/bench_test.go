package stormpathhash

import (
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// BenchmarkTranslate measures parse (legacy.Parse, which finds the registered prefix) + Auth0
// translation (no password verification) of Stormpath's formats (moved from
// pipeline/hash/legacy's BenchmarkTranslate). Run:
// go test -run '^$' -bench Translate -benchmem ./sources/stormpath/stormpathhash
func BenchmarkTranslate(b *testing.B) {
	type input struct {
		name string
		mcf  string
		// importable: Auth0 must succeed; otherwise it must fail (ErrUnimportable).
		importable bool
	}
	inputs := []input{
		{name: "stormpath2_md5", importable: true,
			mcf: "$stormpath2$MD5$1$OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=$ULWTW74NXPyLYj3VfYHWrg=="},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h, err := legacy.Parse(in.mcf)
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
