package okta

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/okta/oktatest"
	"github.com/usher-migrate/usher/sources/sourcetest"
)

// contractUser renders a user as an Okta user object, as the users API returns it.
func contractUser(_ int, u sourcetest.User) string {
	b, _ := json.Marshal(map[string]any{
		"id": u.ID, "status": "ACTIVE", "created": "2013-06-24T16:39:18.000Z", "activated": "2013-06-24T16:39:19.000Z",
		"lastUpdated": "2013-06-27T16:35:28.000Z",
		"profile":     map[string]any{"login": u.Email, "email": u.Email, "firstName": u.Name, "lastName": "Contract"},
		"credentials": map[string]any{"password": map[string]any{}, "provider": map[string]any{"type": "OKTA", "name": "OKTA"}},
	})
	return string(b)
}

// TestContract runs the source contract against Okta files: NDJSON and a page array in a folder.
func TestContract(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		Name: "okta",
		Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return sourcetest.JSONFiles(t, dir, users, contractUser, "", "")
		},
		Malformed: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return sourcetest.JSONFiles(t, dir, users, contractUser, "", `{"id": "broken", "profile": `)
		},
		Stdin: func(t *testing.T, _ string, users []sourcetest.User) ([]byte, sourcetest.Input) {
			return sourcetest.NDJSONStdin(users, contractUser)
		},
		Gzip:        true,
		RecordLimit: true,
	})
}

// TestContractLive runs the source contract against the live users API (the oktatest emulator):
// what is fetched is spooled to the run's folder, so positions name lines of the spool file and a
// second Read (a resumed run) reads the spool again.
func TestContractLive(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		Name: "okta",
		Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			o := oktatest.Options{Token: "contract-token"}
			for i, u := range users {
				o.Users = append(o.Users, []byte(contractUser(i, u)))
			}
			srv := oktatest.NewServer(o)
			t.Cleanup(srv.Close)
			tokenFile := filepath.Join(dir, "token")
			sourcetest.WriteFile(t, tokenFile, []byte(o.Token+"\n"))
			work := filepath.Join(dir, "out")
			spooled := filepath.Join(work, "fetched", "okta-users.ndjson")
			in := sourcetest.Input{Options: map[string]string{"url": srv.URL, "token-file": tokenFile}, WorkDir: work}
			for i, u := range users {
				in.Records = append(in.Records, sourcetest.Record{Pos: pipeline.Position{File: spooled, Line: i + 1}, Email: u.Email})
			}
			return in
		},
		RecordLimit: true,
	})
}
