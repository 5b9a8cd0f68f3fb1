package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/sources/jsonfile"
	"github.com/usher-migrate/usher/sources/sourcetest"
)

// fakesys is a legacy system added in test code only, the way the README's "How to add a legacy
// system" says: one registry entry with its reader, its mapping and its live login. Nothing
// else in the repository knows it, yet migrate reads it, hook serve gets its --fakesys-* flags
// and signs its users in through it.
func init() {
	pipeline.RegisterSource(pipeline.SourceInfo{
		Name:        "fakesys",
		Description: "a legacy system of the tests: Auth0-shaped users in JSON files, passwords checked live",
		New: func(cfg pipeline.SourceConfig) (pipeline.Source, error) {
			s, err := jsonfile.New(cfg)
			if err != nil {
				return nil, err
			}
			return s.FlagTooLarge(), nil // records over the limit are rejected record_too_large by the mapping
		},
		NewMapping: pipeline.RejectFlagged(mappings.NewGeneric),
		Live: &pipeline.LiveInfo{
			Options: []pipeline.Option{{Name: "accounts-file", Help: "the live system: a JSON file of accounts {login: {password, user}}"}},
			New: func(opts map[string]string, _ func(string, ...any)) (pipeline.LiveLogin, error) {
				b, err := os.ReadFile(opts["accounts-file"])
				if err != nil {
					return nil, err
				}
				f := fakeLive{}
				return f, json.Unmarshal(b, &f)
			},
		},
	})
}

// fakeLive is fakesys's live login: accounts by login.
type fakeLive map[string]struct {
	Password string         `json:"password"`
	User     map[string]any `json:"user"`
}

func (f fakeLive) Login(_ context.Context, login, password string) (string, bool, error) {
	a, ok := f[login]
	if !ok || a.Password != password {
		return "", false, nil
	}
	id, _ := a.User["user_id"].(string)
	return id, true, nil
}

func (f fakeLive) Account(_ context.Context, id string) ([]byte, error) {
	for _, a := range f {
		if a.User["user_id"] == id {
			return json.Marshal(a.User)
		}
	}
	return nil, errors.New("no such account")
}

func (f fakeLive) Lookup(_ context.Context, login string) ([]byte, error) {
	if a, ok := f[login]; ok {
		return json.Marshal(a.User)
	}
	return nil, nil
}

// TestAddALegacySystem migrates fakesys's export (no passwords: every user waits for lazy
// migration) and signs its users in through the hook and the system's live login.
func TestAddALegacySystem(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "export.ndjson")
	os.WriteFile(in, []byte(`{"user_id":"f1","email":"ann@example.com","name":"Ann"}
{"user_id":"f2","email":"ben@example.com","name":"Ben"}
`), 0o600)
	accounts := filepath.Join(dir, "accounts.json")
	os.WriteFile(accounts, []byte(`{"ann@example.com":{"password":"ann-secret-1","user":{"user_id":"f1","email":"ann@example.com"}},
"ben@example.com":{"password":"ben-secret-2","user":{"user_id":"f2","email":"ben@example.com"}},
"cy@example.com":{"password":"cy-secret-3","user":{"user_id":"f3","email":"cy@example.com"}}}`), 0o600)
	out := filepath.Join(dir, "run")
	if code, msg := usher(t, "migrate", "--source", "fakesys", "--input", in, "--out", out, "--passwordless", "lazy", "--progress", "never"); code != exitOK {
		t.Fatalf("migrate: exit %d: %s", code, msg)
	}
	if rep := readReport(t, out); rep.Counts.Lazy != 2 {
		t.Fatalf("counts %+v, want both users lazy", rep.Counts)
	}
	token, tokenFile := hookToken(t, dir)
	url, stop := startHook(t, "--store", "sqlite:"+filepath.Join(out, ledger.FileName), "--token-file", tokenFile, "--fakesys-accounts-file", accounts)
	defer stop()
	runLiveCases(t, url, token, []liveCase{
		{"a stored user, the live system's password", "", "ann@example.com", "ann-secret-1", 200, "f1"},
		{"a stored user, a wrong password", "", "ben@example.com", "ann-secret-1", 401, ""},
		{"a user the export did not hold, mapped from the live system", "", "cy@example.com", "cy-secret-3", 200, "f3"},
		{"nobody", "", "dee@example.com", "whatever-4", 401, ""},
	})
}

// TestAddALegacySystemContract: fakesys's reader passes the Source contract suite, as every
// registered source does.
func TestAddALegacySystemContract(t *testing.T) {
	encode := func(_ int, u sourcetest.User) string {
		b, _ := json.Marshal(map[string]string{"user_id": u.ID, "email": u.Email, "name": u.Name})
		return string(b)
	}
	sourcetest.Run(t, sourcetest.Harness{
		Name: "fakesys",
		Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return sourcetest.JSONFiles(t, dir, users, encode, "", "")
		},
		Malformed: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return sourcetest.JSONFiles(t, dir, users, encode, "", `{"user_id":"broken","email":`)
		},
		Stdin: func(t *testing.T, dir string, users []sourcetest.User) ([]byte, sourcetest.Input) {
			return sourcetest.NDJSONStdin(users, encode)
		},
		Gzip:        true,
		RecordLimit: true,
	})
}
