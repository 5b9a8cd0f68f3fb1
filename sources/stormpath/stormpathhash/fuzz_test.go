package stormpathhash

import (
	"context"
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

// FuzzParseStormpath feeds any string to legacy.Parse with Stormpath's schemes registered and, as
// each of Stormpath's formats, to legacy.ParseAs. Its seeds are the Stormpath strings that
// seeded pipeline/hash/legacy's FuzzParse before the formats moved here.
func FuzzParseStormpath(f *testing.F) {
	f.Cleanup(legacy.FuzzBounds())
	for _, v := range vectors {
		f.Add(v.mcf, v.password, uint8(0))
	}
	for _, s := range []string{"$stormpath1$", "$stormpath2$", "$stormpath2$MD5$2000000000$$4QrcOUm6Wau+VuBX8g+IPg==",
		"$stormpath2$MD5$1$$!!!", "$stormpath2$md5$1$$4QrcOUm6Wau+VuBX8g+IPg=="} {
		f.Add(s, "x", uint8(0))
	}
	formats := append([]string{legacy.FormatAuto}, Formats...)
	f.Fuzz(func(t *testing.T, s, password string, format uint8) {
		h, err := legacy.Parse(s)
		if err != nil {
			if h != nil {
				t.Fatalf("non-nil Hash with error %v", err)
			}
		} else {
			exercise(t, h, password)
		}
		h, err = legacy.ParseAs(formats[int(format)%len(formats)], s, "")
		if err != nil {
			if h != nil {
				t.Fatalf("non-nil Hash with error %v", err)
			}
			return
		}
		exercise(t, h, password)
	})
}
