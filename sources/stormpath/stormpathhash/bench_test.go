package stormpathhash

import (
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

// BenchmarkTranslate measures parse (legacy.Parse, which finds the registered prefix) + Auth0
// translation (no password verification) of Stormpath's formats (moved from
// pipeline/hash/legacy's BenchmarkTranslate). Run:
// go test -run '^$' -bench Translate -benchmem ./sources/stormpath/stormpathhash
func BenchmarkTranslate(b *testing.B) {
	legacytest.BenchTranslate(b, []vector{
		{Name: "stormpath2_md5",
			Stored: "$stormpath2$MD5$1$OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=$ULWTW74NXPyLYj3VfYHWrg=="},
	}, legacy.Parse)
}
