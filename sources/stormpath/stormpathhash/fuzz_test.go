package stormpathhash

import (
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

// FuzzParseStormpath feeds any string to legacy.Parse with Stormpath's schemes registered and, as
// each of Stormpath's formats, to legacy.ParseAs. Its seeds are the Stormpath strings that
// seeded pipeline/hash/legacy's FuzzParse before the formats moved here.
func FuzzParseStormpath(f *testing.F) {
	f.Cleanup(legacy.FuzzBounds())
	for _, v := range vectors {
		f.Add(v.Stored, v.Password, uint8(0))
	}
	for _, s := range []string{"$stormpath1$", "$stormpath2$", "$stormpath2$MD5$2000000000$$4QrcOUm6Wau+VuBX8g+IPg==",
		"$stormpath2$MD5$1$$!!!", "$stormpath2$md5$1$$4QrcOUm6Wau+VuBX8g+IPg=="} {
		f.Add(s, "x", uint8(0))
	}
	formats := append([]string{legacy.FormatAuto}, Formats...)
	f.Fuzz(func(t *testing.T, s, password string, format uint8) {
		h, err := legacy.Parse(s)
		legacytest.CheckParse(t, h, err, password)
		h, err = legacy.ParseAs(formats[int(format)%len(formats)], s, "")
		legacytest.CheckParse(t, h, err, password)
	})
}
