package keycloak

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/sourcetest"
)

// contractUser renders a user as Keycloak exports it (ExportUtils.exportUser: the fields of
// testdata/export-file/realm-export.json), with a pbkdf2-sha256 password credential when the
// suite gives a password (salt derived from the id, so the same users give the same bytes).
func contractUser(u sourcetest.User) map[string]any {
	m := map[string]any{
		"id": u.ID, "createdTimestamp": 1700000000000, "username": strings.ToLower(u.ID), "enabled": true, "totp": false,
		"emailVerified": true, "firstName": u.Name, "lastName": "Contract", "email": u.Email,
		"attributes":  map[string]any{"locale": []string{"en"}},
		"credentials": []any{}, "disableableCredentialTypes": []any{}, "requiredActions": []any{},
		"realmRoles": []string{"default-roles-acme"}, "notBefore": 0, "groups": []any{},
	}
	if u.Password != "" {
		salt := sha256.Sum256([]byte(u.ID))
		key, _ := pbkdf2.Key(sha256.New, u.Password, salt[:16], 1000, 32)
		secret, _ := json.Marshal(map[string]any{"value": base64.StdEncoding.EncodeToString(key),
			"salt": base64.StdEncoding.EncodeToString(salt[:16]), "additionalParameters": map[string]any{}})
		m["credentials"] = []any{map[string]any{"id": "c-" + u.ID, "type": "password", "createdDate": 1700000000000,
			"secretData": string(secret), "credentialData": `{"hashIterations":1000,"algorithm":"pbkdf2-sha256","additionalParameters":{}}`}}
	}
	return m
}

// usersFile renders a <realm>-users-N.json file with one user per line (the first on line 4) and
// a last element bad (when not empty).
func usersFile(realm string, users []sourcetest.User, bad string) string {
	var lines []string
	for _, u := range users {
		b, _ := json.Marshal(contractUser(u))
		lines = append(lines, "    "+string(b))
	}
	if bad != "" {
		lines = append(lines, "    "+bad)
	}
	return "{\n  \"realm\" : \"" + realm + "\",\n  \"users\" : [\n" + strings.Join(lines, ",\n") + "\n  ]\n}\n"
}

// dirExport writes a directory export (kc.sh export --dir D --users different_files): the realm's
// settings without users, then the users in two files; bad, when not empty, is a broken last
// element of the first. It returns the input reading the folder.
func dirExport(t *testing.T, dir string, users []sourcetest.User, bad string) sourcetest.Input {
	folder := filepath.Join(dir, "export")
	sourcetest.WriteFile(t, filepath.Join(folder, "acme-realm.json"), []byte("{\n  \"id\" : \"acme\",\n  \"realm\" : \"acme\",\n  \"enabled\" : true\n}\n"))
	half := (len(users) + 1) / 2
	var recs []sourcetest.Record
	first := filepath.Join(folder, "acme-users-0.json")
	sourcetest.WriteFile(t, first, []byte(usersFile("acme", users[:half], bad)))
	for i, u := range users[:half] {
		recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: first, Line: 4 + i}, Email: u.Email})
	}
	if bad != "" {
		recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: first, Line: 4 + half}, Bad: true})
	}
	if len(users) > half {
		second := filepath.Join(folder, "acme-users-1.json")
		sourcetest.WriteFile(t, second, []byte(usersFile("acme", users[half:], "")))
		for i, u := range users[half:] {
			recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: second, Line: 4 + i}, Email: u.Email})
		}
	}
	return sourcetest.Input{Paths: []string{folder}, Records: recs}
}

// TestContract runs the source contract against kc.sh export files: a directory export with the
// realm's settings and two users files; standard input holding a users file.
func TestContract(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		Name: "keycloak",
		Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return dirExport(t, dir, users, "")
		},
		Malformed: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return dirExport(t, dir, users, `{"id":"broken","email": ]`)
		},
		Stdin: func(t *testing.T, _ string, users []sourcetest.User) ([]byte, sourcetest.Input) {
			in := sourcetest.Input{Paths: []string{"-"}}
			for i, u := range users {
				in.Records = append(in.Records, sourcetest.Record{Pos: pipeline.Position{File: "-", Line: 4 + i}, Email: u.Email})
			}
			return []byte(usersFile("acme", users, "")), in
		},
		Gzip:        true,
		RecordLimit: true,
	})
}
