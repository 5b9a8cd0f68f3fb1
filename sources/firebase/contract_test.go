package firebase

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/firebase/firebasehash"
	"github.com/usher-migrate/usher/sources/sourcetest"
)

// contractParams are cheap hash parameters for the contract users (the suite writes many).
var contractParams = firebasehash.Params{SignerKey: []byte("contract-signer-key-0123456789ab"), SaltSeparator: []byte{7}, Rounds: 1, MemoryCost: 4}

// contractHashConfig writes contractParams as the console shows them and returns the file (in a
// folder of its own: the suite compresses what the harness writes, and a hash config is no export).
func contractHashConfig(t *testing.T, dir string) string {
	p := filepath.Join(dir, "hash-config.txt")
	sourcetest.WriteFile(t, p, []byte("hash_config {\n  algorithm: SCRYPT,\n  base64_signer_key: "+
		base64.StdEncoding.EncodeToString(contractParams.SignerKey)+",\n  base64_salt_separator: Bw==,\n  rounds: 1,\n  mem_cost: 4,\n}\n"))
	return p
}

// contractHash returns a user's passwordHash and salt (the salt derived from the id, so the same
// users give the same bytes), standard base64 as the CLI writes them.
func contractHash(t testing.TB, u sourcetest.User) (hash, salt string) {
	if u.Password == "" {
		return "", ""
	}
	s := sha256.Sum256([]byte(u.ID))
	h, err := firebasehash.Compute([]byte(u.Password), s[:10], contractParams)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(h), base64.StdEncoding.EncodeToString(s[:10])
}

// contractJSON renders a user as firebase auth:export writes it (one line here).
func contractJSON(t testing.TB) func(int, sourcetest.User) string {
	return func(i int, u sourcetest.User) string {
		m := map[string]any{"localId": u.ID, "email": u.Email, "emailVerified": i%2 == 0, "displayName": u.Name,
			"createdAt": "1700000000000", "lastSignedInAt": "1710000000000", "providerUserInfo": []any{}}
		if h, s := contractHash(t, u); h != "" {
			m["passwordHash"], m["salt"] = h, s
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
}

// contractCSV renders a user as a row of firebase auth:export's CSV (52 columns and a trailing
// comma; the display name escaped as escapeCsv does).
func contractCSV(t testing.TB, i int, u sourcetest.User) string {
	cells := make([]string, csvColumns)
	cells[colLocalID], cells[colEmail] = u.ID, u.Email
	cells[colEmailVerified] = map[bool]string{true: "true", false: "false"}[i%2 == 0]
	cells[colPasswordHash], cells[colSalt] = contractHash(t, u)
	cells[colDisplayName] = u.Name
	if strings.ContainsAny(u.Name, ",\"\r\n") {
		cells[colDisplayName] = `"` + strings.ReplaceAll(u.Name, `"`, `""`) + `"`
	}
	cells[currentLayout.createdAt], cells[currentLayout.lastSignedInAt] = "1700000000000", "1710000000000"
	cells[currentLayout.disabled] = "false"
	return strings.Join(cells, ",") + ","
}

// TestContract runs the source contract against export files: JSON (an NDJSON file and an
// export {"users": [...]} in a folder), with the hash config.
func TestContract(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		Name: "firebase",
		Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			in := sourcetest.JSONFiles(t, dir, users, contractJSON(t), "users", "")
			in.Options = map[string]string{"hash-config": contractHashConfig(t, t.TempDir())}
			return in
		},
		Malformed: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			in := sourcetest.JSONFiles(t, dir, users, contractJSON(t), "users", `{"localId": "broken", "email": `)
			in.Options = map[string]string{"hash-config": contractHashConfig(t, t.TempDir())}
			return in
		},
		Stdin: func(t *testing.T, dir string, users []sourcetest.User) ([]byte, sourcetest.Input) {
			b, in := sourcetest.NDJSONStdin(users, contractJSON(t))
			in.Options = map[string]string{"hash-config": contractHashConfig(t, t.TempDir())}
			return b, in
		},
		Gzip:        true,
		RecordLimit: true,
	})
}

// csvInput writes users as two CSV exports in a folder (the second with Windows line ends), plus
// bad, when set, as a row after the first user.
func csvInput(t *testing.T, dir string, users []sourcetest.User, bad string) sourcetest.Input {
	folder := filepath.Join(dir, "export")
	a, b := filepath.Join(folder, "a.csv"), filepath.Join(folder, "b.csv")
	half := len(users) / 2
	var recs []sourcetest.Record
	var ta, tb strings.Builder
	for i, u := range users[:half] {
		ta.WriteString(contractCSV(t, i, u) + "\n")
		recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: a, Line: len(recs) + 1}, Email: u.Email})
		if i == 0 && bad != "" {
			ta.WriteString(bad + "\n")
			recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: a, Line: len(recs) + 1}, Bad: true})
		}
	}
	for j, u := range users[half:] {
		tb.WriteString(contractCSV(t, half+j, u) + "\r\n")
		recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: b, Line: j + 1}, Email: u.Email})
	}
	if half > 0 {
		sourcetest.WriteFile(t, a, []byte(ta.String()))
	}
	sourcetest.WriteFile(t, b, []byte(tb.String()))
	return sourcetest.Input{Paths: []string{folder}, Records: recs, Options: map[string]string{"hash-config": contractHashConfig(t, t.TempDir())}}
}

// TestContractCSV runs the source contract against CSV exports, standard input included
// (format csv).
func TestContractCSV(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		Name: "firebase",
		Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return csvInput(t, dir, users, "")
		},
		Malformed: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return csvInput(t, dir, users, "broken,broken@example.com,maybe"+strings.Repeat(",", 50))
		},
		Stdin: func(t *testing.T, dir string, users []sourcetest.User) ([]byte, sourcetest.Input) {
			var b strings.Builder
			in := sourcetest.Input{Paths: []string{"-"}, Options: map[string]string{"format": "csv", "hash-config": contractHashConfig(t, t.TempDir())}}
			for i, u := range users {
				b.WriteString(contractCSV(t, i, u) + "\n")
				in.Records = append(in.Records, sourcetest.Record{Pos: pipeline.Position{File: "-", Line: i + 1}, Email: u.Email})
			}
			return []byte(b.String()), in
		},
		Gzip:        true,
		RecordLimit: true,
	})
}
