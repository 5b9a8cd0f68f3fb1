package gigyahash

import (
	"encoding/json"
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

// FuzzParseGigya feeds any JSON object to Parse (moved from pipeline/hash/legacy).
func FuzzParseGigya(f *testing.F) {
	f.Cleanup(legacy.FuzzBounds())
	for _, v := range vectors {
		if v.Stored != nil {
			b, err := json.Marshal(v.Stored)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b, v.Password)
		}
	}
	f.Add([]byte(`{"hash":"W6ph5Mm5Pz8GgiULbPgzG37mj9g=","hashSettings":{"algorithm":"sha1","salt":"c2FsdA==","binaryFormat":"$password:hex$salt:utf32"}}`), "00ff")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		var pw map[string]any
		if json.Unmarshal(data, &pw) != nil {
			return
		}
		h, err := Parse(pw)
		legacytest.CheckParse(t, h, err, password)
	})
}
