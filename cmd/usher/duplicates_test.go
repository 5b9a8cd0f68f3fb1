package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/runreport"
	"github.com/usher-migrate/usher/sinks/importfiles"
)

// spAccount is one account of a stormpath-export tree.
type spAccount struct {
	id, email, username, given, dir, status string
	groups                                  []string
	custom                                  map[string]any
}

// writeStormpathExport writes accounts as the stormpath-export CLI does (stormpath/stormpath-export,
// the `stormpath-export` script: <tenant>/accounts/<id>.json, one object per file, indent=2 and
// sort_keys, with the account's directory and groups embedded and customData inline; values are
// ours). The tool never writes accountLinks, so a person with an account in several directories
// appears as unrelated accounts sharing an e-mail.
func writeStormpathExport(t *testing.T, root string, accounts []spAccount) {
	t.Helper()
	dir := filepath.Join(root, "5TenantMultiDirXyzAbc1", "accounts")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	meta := map[string]any{"href": "https://api.stormpath.com/v1/tenants/5TenantMultiDirXyzAbc1", "id": "5TenantMultiDirXyzAbc1", "key": "multi", "name": "multi"}
	b, _ := json.MarshalIndent(meta, "", "  ")
	os.WriteFile(filepath.Join(root, "5TenantMultiDirXyzAbc1", "meta.json"), b, 0o600)
	const ts = "2016-03-01T10:00:00.000000+00:00"
	for _, a := range accounts {
		var groups []any
		for _, g := range a.groups {
			groups = append(groups, map[string]any{"createdAt": ts, "description": g, "href": "https://api.stormpath.com/v1/groups/G" + g,
				"id": "G" + g, "modifiedAt": ts, "name": g, "status": "ENABLED"})
		}
		custom := map[string]any{"createdAt": ts, "modifiedAt": ts}
		for k, v := range a.custom {
			custom[k] = v
		}
		rec := map[string]any{
			"apiKeys": []any{}, "createdAt": ts, "customData": custom,
			"directory": map[string]any{"createdAt": ts, "description": "", "href": "https://api.stormpath.com/v1/directories/D" + a.dir,
				"id": "D" + a.dir, "modifiedAt": ts, "name": a.dir, "status": "ENABLED"},
			"email": a.email, "fullName": a.given + " Doe", "givenName": a.given, "groups": groups,
			"href": "https://api.stormpath.com/v1/accounts/" + a.id, "id": a.id, "middleName": nil, "modifiedAt": ts,
			"status": a.status, "surname": "Doe", "username": a.username,
		}
		b, _ := json.MarshalIndent(rec, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, a.id+".json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDuplicatesAcrossStormpathDirectories: ten accounts of five people in several directories
// (the case where a real export lost 7 of 10 accounts to duplicate_email). Merged (the default),
// every person is one user with the union of their groups and each account's custom data, ids and
// usernames under app_metadata.stormpath.merged_accounts; read = imported + merged. With
// --duplicates reject the later accounts are rejected, read = imported + rejected.
func TestDuplicatesAcrossStormpathDirectories(t *testing.T) {
	accounts := []spAccount{
		{"1PicardCaptainsAcct01", "picard@example.org", "jlpicard", "Jean", "Captains", "ENABLED", []string{"officers"}, map[string]any{"rank": "Captain"}},
		{"2RikerOfficersAcct002", "riker@example.org", "wriker", "Will", "Officers", "ENABLED", []string{"officers"}, nil},
		{"3PicardOfficersAcct03", "Picard@Example.org", "picard", "Jean", "Officers", "ENABLED", []string{"officers", "bridge"}, map[string]any{"ship": "Enterprise"}},
		{"4TroiCounselorsAcct04", "troi@example.org", "dtroi", "Deanna", "Counselors", "DISABLED", []string{"counselors"}, nil},
		{"5PicardDiplomatsAcc05", "picard@example.org", "jl", "Jean", "Diplomats", "ENABLED", []string{"diplomats"}, map[string]any{"rank": "Ambassador", "languages": []any{"fr"}}},
		{"6RikerPilotsAccount06", "riker@example.org", "number1", "Will", "Pilots", "ENABLED", []string{"pilots"}, nil},
		{"7TroiOfficersAcct0007", "troi@example.org", "deanna", "Deanna", "Officers", "ENABLED", []string{"officers"}, nil},
		{"8DataScienceAccount08", "data@example.org", "data", "Data", "Science", "ENABLED", []string{"science"}, nil},
		{"9DataOfficersAcct0009", "data@example.org", "", "Data", "Officers", "ENABLED", []string{"officers"}, map[string]any{"rank": "Lt Cmdr"}},
		{"AWorfSecurityAcct0010", "worf@example.org", "worf", "Worf", "Security", "ENABLED", []string{"security"}, nil},
	}
	in := t.TempDir()
	writeStormpathExport(t, in, accounts)

	t.Run("merge", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "run")
		code, msg := usher(t, "migrate", "--source", "stormpath", "--input", in, "--out", out, "--progress", "never")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, msg)
		}
		if !strings.Contains(msg, "merged 5") {
			t.Errorf("the summary does not count the merged accounts: %s", msg)
		}
		rep, files := checkRun(t, out, importfiles.DefaultMaxFileBytes)
		if want := (runreport.Counts{Read: 10, Imported: 5, Merged: 5}); rep.Counts != want {
			t.Fatalf("counts %+v, want %+v", rep.Counts, want)
		}
		oracle.ImportFiles(t, files...)
		users := map[string]map[string]any{}
		for _, f := range files {
			b, _ := os.ReadFile(f)
			var arr []map[string]any
			json.Unmarshal(b, &arr)
			for _, u := range arr {
				users[strings.ToLower(u["email"].(string))] = u
			}
		}
		sp := func(u map[string]any) map[string]any {
			return u["app_metadata"].(map[string]any)["stormpath"].(map[string]any)
		}
		picard := users["picard@example.org"]
		if picard["user_id"] != "1PicardCaptainsAcct01" || picard["username"] != "jlpicard" {
			t.Errorf("picard: the first account's id and username, got %v %v", picard["user_id"], picard["username"])
		}
		if g := fmt.Sprint(sp(picard)["groups"]); g != "[officers bridge diplomats]" {
			t.Errorf("picard's groups %s, want the union of his three accounts'", g)
		}
		um := picard["user_metadata"].(map[string]any)
		if um["rank"] != "Captain" || um["ship"] != "Enterprise" || um["languages"] == nil {
			t.Errorf("picard's user_metadata %v: the first account's rank, the others' other keys", um)
		}
		merged := sp(picard)["merged_accounts"].([]any)
		var ids, names []string
		for _, m := range merged {
			m := m.(map[string]any)
			ids = append(ids, m["user_id"].(string))
			names = append(names, fmt.Sprint(m["username"]))
			if !strings.Contains(m["position"].(string), m["user_id"].(string)+".json") {
				t.Errorf("merged account %v: position %v", m["user_id"], m["position"])
			}
		}
		if !slices.Equal(ids, []string{"1PicardCaptainsAcct01", "3PicardOfficersAcct03", "5PicardDiplomatsAcc05"}) ||
			!slices.Equal(names, []string{"jlpicard", "picard", "jl"}) {
			t.Errorf("picard's merged accounts %v %v", ids, names)
		}
		if rank := merged[2].(map[string]any)["user_metadata"].(map[string]any)["rank"]; rank != "Ambassador" {
			t.Errorf("the third account's own custom data is lost: %v", merged[2])
		}
		if troi := users["troi@example.org"]; troi["blocked"] != false {
			t.Errorf("troi has an enabled account, yet blocked = %v", troi["blocked"])
		}
		if len(users) != 5 {
			t.Errorf("%d users, want 5", len(users))
		}
	})

	t.Run("reject", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "run")
		code, msg := usher(t, "migrate", "--source", "stormpath", "--input", in, "--out", out, "--progress", "never", "--duplicates", "reject")
		if code != exitRejected {
			t.Fatalf("exit %d: %s", code, msg)
		}
		rep, _ := checkRun(t, out, importfiles.DefaultMaxFileBytes)
		if want := (runreport.Counts{Read: 10, Imported: 5, Rejected: 5}); rep.Counts != want || rep.Reasons[pipeline.CodeDuplicateEmail] != 5 {
			t.Fatalf("counts %+v reasons %v", rep.Counts, rep.Reasons)
		}
	})
}

// TestDuplicatesFromStdin: a merge reads its input twice, so standard input is saved first; the
// run merges as from a file.
func TestDuplicatesFromStdin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	lines := `{"email":"a@example.com","user_id":"1","app_metadata":{"legacy":{"groups":["x"]}}}
{"email":"b@example.com","user_id":"2"}
{"email":"A@example.com","user_id":"3","app_metadata":{"legacy":{"groups":["y"]}}}
`
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	os.WriteFile(in, []byte(lines), 0o600)
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := filepath.Join(dir, "run")
	cmd := exec.Command(binary(t), "migrate", "--source", "json", "--input", "-", "--out", out, "--progress", "never")
	cmd.Stdin = f
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, msg)
	}
	rep, files := checkRun(t, out, importfiles.DefaultMaxFileBytes)
	if want := (runreport.Counts{Read: 3, Imported: 2, Merged: 1}); rep.Counts != want {
		t.Fatalf("counts %+v", rep.Counts)
	}
	b, _ := os.ReadFile(files[0])
	if !strings.Contains(string(b), `"groups":["x","y"]`) {
		t.Errorf("import file %s", b)
	}
}

// TestStormpathExportFolderPerDirectory: an earlier stormpath-export writes one folder per
// directory (directories/<name>/accounts/<email>.json) with the account's directory as its name
// and no id (the id is the last segment of href); values are ours. The person in two
// directories is merged, the directory's name kept.
func TestStormpathExportFolderPerDirectory(t *testing.T) {
	root := filepath.Join(t.TempDir(), "stormpath-exports")
	write := func(dir, file, body string) {
		p := filepath.Join(root, "directories", dir, "accounts", file)
		os.MkdirAll(filepath.Dir(p), 0o700)
		os.WriteFile(p, []byte(body), 0o600)
	}
	write("Main", "pat@example.com.json", `{"customData": {"company": "Acme", "href": "https://api.stormpath.com/v1/accounts/aPM/customData"},
  "directory": "Main", "email": "pat@example.com", "fullName": "Pat Main", "givenName": "Pat", "groups": [],
  "href": "https://api.stormpath.com/v1/accounts/aPM", "middleName": null, "status": "ENABLED", "surname": "Main", "username": "pat"}`)
	write("Partners", "pat@example.com.json", `{"customData": {"partnerTier": "gold"}, "directory": "Partners", "email": "PAT@example.com",
  "fullName": "Pat Partner", "givenName": "Pat", "groups": [], "href": "https://api.stormpath.com/v1/accounts/aPP", "middleName": null,
  "status": "ENABLED", "surname": "Partner", "username": "pat.partner"}`)
	write("Main", "quinn@example.com.json", `{"directory": "Main", "email": "quinn@example.com", "givenName": "Quinn", "groups": [],
  "href": "https://api.stormpath.com/v1/accounts/aQM", "status": "ENABLED", "surname": "Q", "username": "quinn"}`)
	out := filepath.Join(t.TempDir(), "run")
	if code, msg := usher(t, "migrate", "--source", "stormpath", "--input", root, "--out", out, "--progress", "never"); code != exitOK {
		t.Fatalf("exit %d: %s", code, msg)
	}
	rep, files := checkRun(t, out, importfiles.DefaultMaxFileBytes)
	if want := (runreport.Counts{Read: 3, Imported: 2, Merged: 1}); rep.Counts != want {
		t.Fatalf("counts %+v", rep.Counts)
	}
	b, _ := os.ReadFile(files[0])
	for _, want := range []string{`"directory":{"name":"Main"}`, `"user_id":"aPM"`, `"partnerTier":"gold"`, `"company":"Acme"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("import file lacks %s: %s", want, b)
		}
	}
}
