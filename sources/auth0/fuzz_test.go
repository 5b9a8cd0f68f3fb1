package auth0

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzPasswordExport feeds arbitrary bytes to the password-export index as a file: building it
// and looking every line up by id and e-mail must end in entries or per-line errors, never a
// panic or a hang.
func FuzzPasswordExport(f *testing.F) {
	// Seeds in the shape of zitadel/zitadel-tools cmd/migration/auth0/example-data/passwords.json
	// (Mongo extended JSON, one object per line), with our values.
	f.Add([]byte(`{"_id":{"$oid":"60425dc43519d90068f82973"},"email_verified":false,"email":"a@example.com","passwordHash":"$2b$10$Z6hUTEEeoJXN5/AmSm/4.eZ75RYgFVriQM9LPhNEC7kbAbS/VAaJ2","password_set_date":{"$date":"2021-03-05T16:35:16.775Z"},"tenant":"t","connection":"Username-Password-Authentication","_tmp_is_unique":true}` + "\n"))
	f.Add([]byte(`{"_ID":{"$oid":"1"},"email":"B@x.test","passwordHash":"h"}` + "\n\n" + `{"alt_id":"x","email":"b@x.test","passwordHash":"h2"}` + "\r\n{"))
	f.Add([]byte("\xEF\xBB\xBF" + `{"_id":"plain","passwordHash":1}` + "\n[1,2]\nnull\n"))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "passwords.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		x, err := openIndex(path, dir, "")
		if err != nil {
			return
		}
		defer x.close()
		for i := 0; i < len(x.lines)-1; i++ {
			e, err := x.entry(i)
			if err != nil {
				continue
			}
			if e.oid != "" {
				if _, _, _, err := x.byID(e.oid); err != nil {
					t.Fatalf("line %d: byID: %v", i+1, err)
				}
			}
			if e.email != "" {
				if _, _, _, _, err := x.byEmail(e.email, e.connection); err != nil {
					t.Fatalf("line %d: byEmail: %v", i+1, err)
				}
			}
		}
	})
}
