package gigya

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/gigya/gigyatest"
	"github.com/usher-migrate/usher/sources/sourcetest"
)

// contractAccount renders a user as a full Gigya account, as accounts.search returns it (without
// a password: the suite never verifies one).
func contractAccount(_ int, u sourcetest.User) string {
	b, _ := json.Marshal(map[string]any{
		"UID": u.ID, "created": "2019-03-12T09:41:27.113Z", "isActive": true, "isRegistered": true, "isVerified": true,
		"loginProvider": "site", "socialProviders": "site",
		"loginIDs": map[string]any{"emails": []string{u.Email}, "unverifiedEmails": []string{}},
		"emails":   map[string]any{"verified": []string{u.Email}, "unverified": []string{}},
		"profile":  map[string]any{"firstName": u.Name, "email": u.Email},
	})
	return string(b)
}

// TestContract runs the source contract against Gigya files: NDJSON and a search result page
// ({"results": [...]}) in a folder.
func TestContract(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		Name: "gigya",
		Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return sourcetest.JSONFiles(t, dir, users, contractAccount, "results", "")
		},
		Malformed: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return sourcetest.JSONFiles(t, dir, users, contractAccount, "results", `{"UID": "broken", "profile": `)
		},
		Stdin: func(t *testing.T, _ string, users []sourcetest.User) ([]byte, sourcetest.Input) {
			return sourcetest.NDJSONStdin(users, contractAccount)
		},
		Gzip:        true,
		RecordLimit: true,
	})
}

// TestContractLive runs the source contract against the live accounts.search API (the gigyatest
// emulator): what is fetched is spooled to the run's folder, so positions name lines of the spool
// file and a second Read (a resumed run) reads the spool again.
func TestContractLive(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		Name: "gigya",
		Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			o := gigyatest.Options{APIKey: "3_contract", UserKey: "AContractKey", Secret: "contract-secret"}
			for i, u := range users {
				o.Accounts = append(o.Accounts, []byte(contractAccount(i, u)))
			}
			srv := gigyatest.NewServer(o)
			t.Cleanup(srv.Close)
			secretFile := filepath.Join(dir, "secret")
			sourcetest.WriteFile(t, secretFile, []byte(o.Secret+"\n"))
			work := filepath.Join(dir, "out")
			spooled := filepath.Join(work, "fetched", "gigya-accounts.ndjson")
			in := sourcetest.Input{
				Options: map[string]string{"api-key": o.APIKey, "user-key": o.UserKey, "secret-file": secretFile, "url": srv.URL},
				WorkDir: work,
			}
			for i, u := range users {
				in.Records = append(in.Records, sourcetest.Record{Pos: pipeline.Position{File: spooled, Line: i + 1}, Email: u.Email})
			}
			return in
		},
		RecordLimit: true,
	})
}
