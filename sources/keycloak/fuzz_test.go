package keycloak

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzFrame frames any bytes as a Keycloak export file: it never panics or hangs, keeps no record
// over the limit, emits records at non-decreasing lines within the input, and nothing after a
// framing error (the rest of the file is skipped).
func FuzzFrame(f *testing.F) {
	for _, p := range []string{"export-file/realm-export.json", "export-file/all-realms.json",
		"export-dir-different_files/acme-users-1.json", "export-dir-ldap/corp-federated-users-0.json", "admin-api/GET_users_first0_max3.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"realm":"r","users":[{"id":"a"},{"id":"b"`))
	f.Add([]byte("{\"users\":[1,\"x\",[{}],{\"a\":[}]}\n{\"id\":2}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const max = 512
		lines := bytes.Count(data, []byte{'\n'}) + 1
		last, failed := 0, false
		fr := &framer{r: bufio.NewReaderSize(bytes.NewReader(data), 64), name: "fuzz", max: max,
			logf: func(string, ...any) {},
			emit: func(rec frame) error {
				if failed {
					t.Fatalf("a record after a framing error")
				}
				if rec.line < last || rec.line < 1 || rec.line > lines {
					t.Fatalf("record at line %d after line %d (input has %d)", rec.line, last, lines)
				}
				last = rec.line
				switch {
				case rec.err != nil:
					failed = true
				case rec.size > 0:
					if rec.size <= max {
						t.Fatalf("too large at %d bytes", rec.size)
					}
				case len(rec.data) > max || len(rec.data) == 0:
					t.Fatalf("a record of %d bytes", len(rec.data))
				}
				return nil
			}}
		if err := fr.run(); err != nil {
			t.Fatalf("run: %v", err)
		}
	})
}
