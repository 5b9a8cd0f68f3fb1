package gigyahash

import (
	"context"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

var formatName = regexp.MustCompile(`^[a-z0-9_]+$`)

// exercise checks the Hash contract on any parsed value: a stable report name, Verify bounded
// and never panicking, Auth0 returning exactly one translation or an error.
func exercise(t *testing.T, h legacy.Hash, password string) {
	if !formatName.MatchString(h.Format()) {
		t.Fatalf("Format %q is not snake_case", h.Format())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_ = h.Verify(ctx, password)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Verify took %v for %s", d, h.Format())
	}
	ph, custom, err := h.Auth0()
	if err == nil && (ph == "") == (custom == nil) {
		t.Fatalf("Auth0 returned %q and %v", ph, custom)
	}
	if err != nil && (ph != "" || custom != nil) {
		t.Fatalf("Auth0 returned a translation with error %v", err)
	}
}

// FuzzParseGigya feeds any JSON object to Parse (moved from pipeline/hash/legacy).
func FuzzParseGigya(f *testing.F) {
	f.Cleanup(legacy.FuzzBounds())
	for _, v := range vectors {
		if v.gigya != nil {
			b, err := json.Marshal(v.gigya)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b, v.password)
		}
	}
	f.Add([]byte(`{"hash":"W6ph5Mm5Pz8GgiULbPgzG37mj9g=","hashSettings":{"algorithm":"sha1","salt":"c2FsdA==","binaryFormat":"$password:hex$salt:utf32"}}`), "00ff")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		var pw map[string]any
		if json.Unmarshal(data, &pw) != nil {
			return
		}
		h, err := Parse(pw)
		if err != nil {
			if h != nil {
				t.Fatalf("non-nil Hash with error %v", err)
			}
			return
		}
		exercise(t, h, password)
	})
}
