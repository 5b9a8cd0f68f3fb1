package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/sources/jsonfile"
	"github.com/usher-migrate/usher/sources/sourcetest"
)

// fakesys is a legacy system added in test code only, the way the README's "How to add a legacy
// system" says: one registry entry with its reader, its mapping and its live login, and its
// password format registered as a legacy.Scheme. Nothing else in the repository knows it, yet
// migrate reads it, routes its hashes to lazy migration, and hook serve gets its --fakesys-*
// flags and signs its users in through the live login or the stored hash.
func init() {
	legacy.Register(legacy.Scheme{Name: "fakesys", Prefix: "$fakesys$", Formats: []string{"fakesys_sha256"},
		ParseString: parseFakeHash})
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

// fakeHash is fakesys's password format, "$fakesys$<hex salt>$<hex SHA-256(salt ‖ password)>",
// which Auth0 cannot import (by this test's decree), so its users go to lazy migration and the hook verifies them.
type fakeHash struct{ salt, sum []byte }

func parseFakeHash(s string) (legacy.Hash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 4 {
		return nil, fmt.Errorf("%w: fakesys: want $fakesys$salt$hash", legacy.ErrMalformed)
	}
	salt, err1 := hex.DecodeString(parts[2])
	sum, err2 := hex.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(sum) != sha256.Size {
		return nil, fmt.Errorf("%w: fakesys: bad hex", legacy.ErrMalformed)
	}
	return &fakeHash{salt, sum}, nil
}

func (*fakeHash) Format() string { return "fakesys_sha256" }

func (h *fakeHash) Verify(ctx context.Context, password string) error {
	if err := legacy.CheckPassword(ctx, password); err != nil {
		return err
	}
	sum := sha256.Sum256(append(append([]byte{}, h.salt...), password...))
	return legacy.Equal(sum[:], h.sum)
}

func (*fakeHash) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	return "", nil, legacy.Unimportable("fakesys_sha256: not importable")
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

// TestAddALegacySystem migrates fakesys's export (no passwords or hashes Auth0 cannot import:
// every user waits for lazy migration) and signs its users in through the hook: by the system's
// live login, or by the stored hash in the system's own password format.
func TestAddALegacySystem(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "export.ndjson")
	os.WriteFile(in, []byte(`{"user_id":"f1","email":"ann@example.com","name":"Ann"}
{"user_id":"f2","email":"ben@example.com","name":"Ben"}
{"user_id":"f4","email":"dan@example.com","name":"Dan","password_hash":"`+fakeHashOf("5a17", "dan-secret-4")+`"}
`), 0o600)
	accounts := filepath.Join(dir, "accounts.json")
	os.WriteFile(accounts, []byte(`{"ann@example.com":{"password":"ann-secret-1","user":{"user_id":"f1","email":"ann@example.com"}},
"ben@example.com":{"password":"ben-secret-2","user":{"user_id":"f2","email":"ben@example.com"}},
"cy@example.com":{"password":"cy-secret-3","user":{"user_id":"f3","email":"cy@example.com"}}}`), 0o600)
	out := filepath.Join(dir, "run")
	if code, msg := usher(t, "migrate", "--source", "fakesys", "--input", in, "--out", out, "--passwordless", "lazy", "--progress", "never"); code != exitOK {
		t.Fatalf("migrate: exit %d: %s", code, msg)
	}
	if rep := readReport(t, out); rep.Counts.Lazy != 3 {
		t.Fatalf("counts %+v, want every user lazy", rep.Counts)
	}
	token, tokenFile := hookToken(t, dir)
	url, stop := startHook(t, "--store", "sqlite:"+filepath.Join(out, ledger.FileName), "--token-file", tokenFile, "--fakesys-accounts-file", accounts)
	defer stop()
	runLiveCases(t, url, token, []liveCase{
		{"a stored user, the live system's password", "", "ann@example.com", "ann-secret-1", 200, "f1"},
		{"a stored user, a wrong password", "", "ben@example.com", "ann-secret-1", 401, ""},
		{"a user the export did not hold, mapped from the live system", "", "cy@example.com", "cy-secret-3", 200, "f3"},
		{"nobody", "", "dee@example.com", "whatever-4", 401, ""},
		{"a stored hash in fakesys's own format", "", "dan@example.com", "dan-secret-4", 200, "f4"},
		{"a stored hash in fakesys's own format, a wrong password", "", "dan@example.com", "dan-secret-5", 401, ""},
	})
}

// fakeHashOf is fakesys's hash of password with the hex salt.
func fakeHashOf(saltHex, password string) string {
	salt, _ := hex.DecodeString(saltHex)
	sum := sha256.Sum256(append(salt, password...))
	return "$fakesys$" + saltHex + "$" + hex.EncodeToString(sum[:])
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
