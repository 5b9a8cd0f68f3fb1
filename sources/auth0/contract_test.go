package auth0

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/internal/auth0api/auth0test"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/sourcetest"
)

// contractHash is a bcrypt hash standing for every password (the suite never verifies one).
const contractHash = "$2b$10$dZ609Yxz7YRqmB984H9VGuGtoDjON2RlJalSEeeusO6aYRX/VLwDy"

const contractConn = "Username-Password-Authentication"

// oid is the database identity id of the i-th user (an ObjectId, as Auth0 makes them).
func oid(i int) string { return fmt.Sprintf("64f1a0c2e4b0a1b2c3d4%04d", i+1) }

// exportLine is a user as a line of a users-exports job's NDJSON.
func exportLine(i int, u sourcetest.User) string {
	b, _ := json.Marshal(map[string]any{
		"user_id": "auth0|" + oid(i), "email": u.Email, "email_verified": true, "name": u.Name,
		"created_at": "2021-02-03T10:00:00.000Z",
		"identities": []any{map[string]any{"user_id": oid(i), "provider": "auth0", "connection": contractConn, "isSocial": false}},
	})
	return string(b)
}

// passwordLine is a line of the password-hash export for the user with database id id.
func passwordLine(id, email string) string {
	b, _ := json.Marshal(map[string]any{
		"_id": map[string]string{"$oid": id}, "email_verified": true, "email": email, "passwordHash": contractHash,
		"password_set_date": map[string]string{"$date": "2023-04-05T10:00:00.000Z"},
		"tenant":            "usher-contract", "connection": contractConn, "_tmp_is_unique": true,
	})
	return string(b)
}

// hugeName tells the users the suite makes larger than any record limit it sets.
func hugeName(u sourcetest.User) bool { return len(u.Name) > 1000 }

// writeExport writes a folder holding the first half of users as a users-exports NDJSON file
// (a-users.ndjson, with bad, when not empty, as an extra line after the first user) and the rest as
// an OWASP-escaped CSV export (b-users.csv). With passwords, it also writes the password-hash
// export (a line for each user with a password, then one for a user the export lacks), which the
// input joins.
func writeExport(t *testing.T, dir string, users []sourcetest.User, bad string, passwords bool) sourcetest.Input {
	folder := filepath.Join(dir, "export")
	nd, csv := filepath.Join(folder, "a-users.ndjson"), filepath.Join(folder, "b-users.csv")
	half := len(users) / 2
	var recs []sourcetest.Record
	var b strings.Builder
	for i, u := range users[:half] {
		b.WriteString(exportLine(i, u) + "\n")
		recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: nd, Line: len(recs) + 1}, Email: u.Email})
		if i == 0 && bad != "" {
			b.WriteString(bad + "\n")
			recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: nd, Line: len(recs) + 1}, Bad: true})
		}
	}
	if half > 0 {
		sourcetest.WriteFile(t, nd, []byte(b.String()))
	}
	b.Reset()
	b.WriteString("Id,Email,Name,provider,identities[0].provider,identities[0].isSocial\n")
	for j, u := range users[half:] {
		fmt.Fprintf(&b, "\"'auth0|%s\",\"'%s\",\"'%s\",\"'%s\",\"'auth0\",false\n", oid(half+j), u.Email, u.Name, contractConn)
		recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: csv, Line: j + 2}, Email: u.Email})
	}
	sourcetest.WriteFile(t, csv, []byte(b.String()))
	in := sourcetest.Input{Paths: []string{folder}, Records: recs}
	if passwords {
		in.Options, in.Records = writePasswordExport(t, dir, users, recs)
	}
	return in
}

// writePasswordExport writes the password-hash export of users and returns the options joining it and
// the records expected: recs, then the lines no user takes (in file order): the user the users
// export lacks, and the users too large to read (a flagged record is not joined).
func writePasswordExport(t *testing.T, dir string, users []sourcetest.User, recs []sourcetest.Record) (map[string]string, []sourcetest.Record) {
	path := filepath.Join(dir, "passwords.ndjson")
	var b strings.Builder
	line := 0
	for i, u := range users {
		if u.Password == "" {
			continue
		}
		b.WriteString(passwordLine(oid(i), u.Email) + "\n")
		line++
		if hugeName(u) {
			recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: path, Line: line}, Email: u.Email})
		}
	}
	b.WriteString(passwordLine("64f1a0c2e4b0a1b2c3d4ffff", "only-in-passwords@example.com") + "\n")
	recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: path, Line: line + 1}, Email: "only-in-passwords@example.com"})
	sourcetest.WriteFile(t, path, []byte(b.String()))
	return map[string]string{"passwords": path}, recs
}

func TestContract(t *testing.T) {
	for _, tc := range []struct {
		name      string
		passwords bool
	}{{"Files", false}, {"FilesWithPasswords", true}} {
		t.Run(tc.name, func(t *testing.T) {
			sourcetest.Run(t, sourcetest.Harness{
				Name: "auth0",
				Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
					return writeExport(t, dir, users, "", tc.passwords)
				},
				Malformed: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
					return writeExport(t, dir, users, `{"user_id": "auth0|broken", "email": `, tc.passwords)
				},
				// Standard input is read as JSON: an NDJSON users export.
				Stdin: func(t *testing.T, dir string, users []sourcetest.User) ([]byte, sourcetest.Input) {
					var b strings.Builder
					var recs []sourcetest.Record
					for i, u := range users {
						b.WriteString(exportLine(i, u) + "\n")
						recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: "-", Line: i + 1}, Email: u.Email})
					}
					in := sourcetest.Input{Paths: []string{"-"}, Records: recs}
					if tc.passwords {
						in.Options, in.Records = writePasswordExport(t, dir, users, recs)
					}
					return []byte(b.String()), in
				},
				Gzip:        true,
				RecordLimit: true,
			})
		})
	}
}

// TestContractLive runs the source contract against a live tenant (the auth0test emulator holding
// the users in its database connection): the users-exports job's file is spooled to the run's
// folder, so positions name lines of the spool file and a second Read (a resumed run) reads the
// spool again. With passwords, the password-hash export is joined to the spooled users, its
// lines no user took following them.
func TestContractLive(t *testing.T) {
	for _, tc := range []struct {
		name      string
		passwords bool
	}{{"Live", false}, {"LiveWithPasswords", true}} {
		t.Run(tc.name, func(t *testing.T) {
			sourcetest.Run(t, sourcetest.Harness{
				Name: "auth0",
				Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
					return writeLive(t, dir, users, tc.passwords)
				},
				RecordLimit: true,
			})
		})
	}
}

// writeLive starts an emulated tenant holding users (closed when t ends) and returns the input
// exporting them: positions are lines of the spool file, in the order the users were seeded
// (the export's order). With passwords, it also writes the password-hash export under dir.
func writeLive(t *testing.T, dir string, users []sourcetest.User, passwords bool) sourcetest.Input {
	const clientID, clientSecret = "contract", "contract-secret-0123"
	o := auth0test.Options{ClientID: clientID, ClientSecret: clientSecret}
	for i, u := range users {
		o.Users = append(o.Users, json.RawMessage(exportLine(i, u)))
	}
	srv := auth0test.NewServer(o)
	t.Cleanup(srv.Close)
	secretFile := filepath.Join(dir, "secret")
	sourcetest.WriteFile(t, secretFile, []byte(clientSecret+"\n"))
	work := filepath.Join(dir, "out")
	spooled := filepath.Join(work, "fetched", "auth0-users.ndjson")
	in := sourcetest.Input{
		Options: map[string]string{"tenant": srv.URL, "client-id": clientID, "client-secret-file": secretFile},
		WorkDir: work,
	}
	for i, u := range users {
		in.Records = append(in.Records, sourcetest.Record{Pos: pipeline.Position{File: spooled, Line: i + 1}, Email: u.Email})
	}
	if passwords {
		var opts map[string]string
		opts, in.Records = writePasswordExport(t, dir, users, in.Records)
		in.Options["passwords"] = opts["passwords"]
	}
	return in
}
