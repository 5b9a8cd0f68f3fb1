package auth0

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/auth0api/auth0test"
	"github.com/usher-migrate/usher/pipeline"
)

// TestLiveTenantJoin is a tenant move: the old tenant's users come from a live users-exports job
// (the emulator holds the database users of testdata/users.ndjson) and their passwords from the
// support's password export.
func TestLiveTenantJoin(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "users.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var users []json.RawMessage
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// The database users whose profile names its connection (the emulator's connection).
		if line := sc.Text(); strings.Contains(line, `"user_id":"auth0|`) && strings.Contains(line, `"connection":"Username-Password-Authentication"`) {
			users = append(users, json.RawMessage(line))
		}
	}
	emu := auth0test.NewServer(auth0test.Options{ClientID: "mover", ClientSecret: "s3cret-mover-0123", Users: users,
		ProcessingTime: 10 * time.Millisecond})
	defer emu.Close()
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte("s3cret-mover-0123"), 0o600)
	passwords := filepath.Join("testdata", "passwords.json")
	got := readAll(t, pipeline.SourceConfig{WorkDir: dir, Options: map[string]string{
		"tenant": emu.URL, "client-id": "mover", "client-secret-file": secret, "passwords": passwords}})
	spool := filepath.Join(dir, "fetched", "auth0-users.ndjson")
	wants := []want{
		{pos: "U:1", password: "pw-ada", fields: []string{`user_id="64f1a0c2e4b0a1b2c3d40001"`, `user_metadata.plan="pro"`}},
		{pos: "U:2"},
		{pos: "U:3", password: "pw-dan"},
		{pos: "U:4", password: "pw-erin", fields: []string{`user_id="legacy-erin-17"`}},
		{pos: "U:5", password: "pw-fay", fields: []string{`email="fay@example.com"`}}, // the tenant stores e-mails lower-cased
		{pos: "U:6", password: "pw-hal"},
		{pos: "U:7"},
		{pos: "P:6", reject: CodeNotInUsersExport},
		{pos: "P:7", password: "pw-jay"}, {pos: "P:8", password: "pw-kim"},
		{pos: "P:9", password: "pw-lee", fields: []string{`user_id="64f1a0c2e4b0a1b2c3d40012"`}}, // lee is not in this tenant
		{pos: "P:10", reject: pipeline.CodeParseError},
	}
	check(t, got, rename(wants, spool, passwords))
}
