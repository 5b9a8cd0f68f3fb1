package firebasehash

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// FuzzParseFirebase feeds any JSON object to ParseMaterial, and any record to Material: neither
// panics, a parsed Hash keeps the legacy.Hash contract (a fixed report name, Auth0 always
// ErrUnimportable, Verify bounded), and no error shows the signer key. Verify runs only on the
// cheaper parameters (mem_cost ≤ 10), so each input costs milliseconds.
func FuzzParseFirebase(f *testing.F) {
	for _, v := range loadVectors(f)[:5] {
		b, _ := json.Marshal(v.material())
		f.Add(b, v.password)
	}
	f.Add([]byte(`{"passwordHash":"AAAA","salt":"","signerKey":"AAA=","saltSeparator":"Bw==","rounds":1,"memoryCost":1}`), "x")
	f.Add([]byte(`{"passwordHash":"-_-_","signerKey":"-_-_","rounds":"8","memoryCost":"99"}`), "")
	f.Add([]byte(`{"passwordHash":"aGFzaA==","salt":"c2FsdA==","version":1,"passwordHashParams":{"signerKey":"c2s=","rounds":8,"memoryCost":14}}`), "p")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		var m map[string]any
		if json.Unmarshal(data, &m) != nil || m == nil {
			return
		}
		key, _ := m[KeySignerKey].(string)
		h, err := ParseMaterial(m)
		if err != nil {
			if h != nil {
				t.Fatalf("a Hash with error %v", err)
			}
			if len(key) >= 8 && strings.Contains(err.Error(), key) {
				t.Fatalf("the error shows the signer key: %v", err)
			}
		} else {
			if h.Format() != Format {
				t.Fatalf("format %q", h.Format())
			}
			if _, _, err := h.Auth0(); !errors.Is(err, legacy.ErrUnimportable) {
				t.Fatalf("Auth0: %v", err)
			}
			if fh := h.(*Hash); fh.params.MemoryCost <= 10 {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				start := time.Now()
				_ = h.Verify(ctx, password)
				cancel()
				if d := time.Since(start); d > 2*time.Second {
					t.Fatalf("Verify took %v", d)
				}
			}
		}
		if v, ok := m[KeyHash]; ok {
			if mat, err := Material(v, m); err == nil && mat != nil {
				if _, hasParams := mat[KeySignerKey]; !hasParams && m[ParamsKey] != nil {
					t.Fatalf("material without the parameters: %v", mat)
				}
			}
		}
	})
}
