package stormpath

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/sourcetest"
)

const (
	contractTenant = "7TenantContractSuite01"
	contractDir    = "2DirectoryContractSut1"
	contractHref   = "https://api.stormpath.com/v1/"
	// contractHash is a bcrypt MCF string standing for every password (the suite never verifies one).
	contractHash = "$2b$10$dZ609Yxz7YRqmB984H9VGuGtoDjON2RlJalSEeeusO6aYRX/VLwDy"
)

// account is one user as a Stormpath account resource; layoutB adds the password (a bcrypt MCF
// string, as the Admin-Console export has it) and names the directory by id only, layout A embeds
// the directory whole.
func account(u sourcetest.User, layoutB bool) map[string]any {
	a := map[string]any{
		"href": contractHref + "accounts/" + u.ID, "id": u.ID,
		"username": u.ID, "email": u.Email, "givenName": u.Name, "surname": "Contract", "fullName": u.Name + " Contract",
		"status": "ENABLED", "emailVerificationStatus": "VERIFIED",
		"createdAt": "2016-03-01T12:00:00.000Z", "modifiedAt": "2016-03-01T12:00:00.000Z",
		"customData": map[string]any{"href": contractHref + "accounts/" + u.ID + "/customData", "plan": "gold"},
	}
	if layoutB {
		a["directory"] = map[string]any{"id": contractDir}
		if u.Password != "" {
			a["password"] = contractHash // Write must write the same bytes every time: no fresh salt
		}
	} else {
		a["directory"] = directory()
	}
	return a
}

func directory() map[string]any {
	return map[string]any{"href": contractHref + "directories/" + contractDir, "id": contractDir,
		"name": "Contract", "description": "", "status": "ENABLED"}
}

func pretty(t *testing.T, v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeTenant writes a tenant folder in layout A (meta.json, accounts embedding their directory)
// or B (accounts naming their directory, directories/), one account per file named after its id,
// with bad, when not empty, as the content of an extra account file sorted right after the first one's.
func writeTenant(t *testing.T, dir string, users []sourcetest.User, layoutB bool, bad string) sourcetest.Input {
	tenant := filepath.Join(dir, contractTenant)
	if layoutB {
		sourcetest.WriteFile(t, filepath.Join(tenant, "directories", contractDir+".json"), pretty(t, directory()))
	} else {
		sourcetest.WriteFile(t, filepath.Join(tenant, "meta.json"), pretty(t, map[string]any{"href": contractHref + "tenants/" + contractTenant}))
		sourcetest.WriteFile(t, filepath.Join(tenant, "directories", contractDir+".json"), pretty(t, directory()))
	}
	var recs []sourcetest.Record
	for i, u := range users {
		path := filepath.Join(tenant, "accounts", u.ID+".json")
		sourcetest.WriteFile(t, path, pretty(t, account(u, layoutB)))
		recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: path, Line: 1, Index: 1}, Email: u.Email})
		if i == 0 && bad != "" {
			path := filepath.Join(tenant, "accounts", u.ID+"z-broken.json")
			sourcetest.WriteFile(t, path, []byte(bad))
			recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: path, Line: 1, Index: 1}, Bad: true})
		}
	}
	return sourcetest.Input{Paths: []string{tenant}, Records: recs}
}

func TestContract(t *testing.T) {
	for _, layout := range []struct {
		name    string
		layoutB bool
	}{{"LayoutA", false}, {"LayoutB", true}} {
		t.Run(layout.name, func(t *testing.T) {
			sourcetest.Run(t, sourcetest.Harness{
				Name: "stormpath",
				Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
					return writeTenant(t, dir, users, layout.layoutB, "")
				},
				Malformed: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
					return writeTenant(t, dir, users, layout.layoutB, `{"id": "broken", "email": `)
				},
				// Standard input holds one collection page of accounts.
				Stdin: func(t *testing.T, _ string, users []sourcetest.User) ([]byte, sourcetest.Input) {
					var items []any
					var recs []sourcetest.Record
					for i, u := range users {
						items = append(items, account(u, layout.layoutB))
						recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: "-", Index: i + 1}, Email: u.Email})
					}
					page := map[string]any{"href": contractHref + "accounts", "offset": 0, "limit": 100, "size": len(items), "items": items}
					return pretty(t, page), sourcetest.Input{Paths: []string{"-"}, Records: recs}
				},
				Gzip:        true,
				RecordLimit: true,
			})
		})
	}
}
