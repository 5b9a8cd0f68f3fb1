package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/sinks/importfiles"
)

// stormpathCustomData is a 2017 (Layout B) export whose accounts link to their custom data
// ("customData": {"href": …}) kept in a customData/ folder, with every other Account link
// attribute unexpanded; see its SOURCES.md for where each file's shape comes from.
const stormpathCustomData = "../../sources/stormpath/testdata/layout-b-customdata"

// TestStormpathCustomDataRun migrates that export: each account lands where SOURCES.md says, the
// joined custom data is the user's user_metadata (without the resource's href and timestamps),
// no {"href": …} link object reaches app_metadata, the unusable customData file rejects its
// account naming the file, the custom data of an account not in the export is a reject too, and
// rejects show passwordModifiedAt (a time, not a secret) with the password redacted.
func TestStormpathCustomDataRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, msg := usher(t, "migrate", "--source", "stormpath", "--input", stormpathCustomData, "--out", out,
		"--progress", "never", "--duplicates", "reject")
	if code != exitRejected {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if !strings.Contains(msg, "read 6 records: imported 3 (1 files), lazy 1, rejected 2") {
		t.Fatalf("summary: %s", msg)
	}
	rep, files := checkRun(t, out, importfiles.DefaultMaxFileBytes)
	if c := rep.Counts; c.Read != 6 || c.Imported != 3 || c.Lazy != 1 || c.Rejected != 2 {
		t.Fatalf("counts %+v", c)
	}

	users := map[string]map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var list []map[string]any
		if err := json.Unmarshal(b, &list); err != nil {
			t.Fatal(err)
		}
		for _, u := range list {
			users[u["user_id"].(string)] = u
		}
	}
	wantMeta := map[string]map[string]any{
		"1KirkLinkOnlyCustomDat": {"birthDate": "2233-03-22", "birthPlace": "Riverside, Iowa", "currentAssignment": "USS Enterprise (NCC-1701)",
			"preferences": map[string]any{"favoriteColor": "gold", "favoriteDrink": "Saurian brandy"}, "rank": "Captain",
			"startDate": "2265-01-01", "topScore": float64(1701)},
		"2SpockEmbeddedCustomDa": {"station": "science", "languages": []any{"Vulcan", "Federation Standard"}},
		"4ScottyNoCustomDataAcc": nil,
	}
	if len(users) != len(wantMeta) {
		t.Fatalf("imported %v", spKeys(users))
	}
	for id, want := range wantMeta {
		u, ok := users[id]
		if !ok {
			t.Fatalf("%s not imported (imported: %v)", id, spKeys(users))
		}
		got, has := u["user_metadata"]
		if want == nil {
			if has {
				t.Errorf("%s user_metadata %v, want none", id, got)
			}
		} else if b1, b2 := spJSON(t, got), spJSON(t, want); b1 != b2 {
			t.Errorf("%s user_metadata\n got %s\nwant %s", id, b1, b2)
		}
		sp := u["app_metadata"].(map[string]any)["stormpath"].(map[string]any)
		if p := spHrefLink(sp, "app_metadata.stormpath"); p != "" {
			t.Errorf("%s: link object at %s: %s", id, p, spJSON(t, sp))
		}
		for _, k := range []string{"tenant", "applications", "groupMemberships", "accessTokens", "refreshTokens", "linkedAccounts",
			"accountLinks", "phones", "factors", "providerData", "customData", "apiKeys", "emailVerificationToken"} {
			if _, ok := sp[k]; ok {
				t.Errorf("%s: app_metadata.stormpath.%s", id, k)
			}
		}
		if sp["passwordModifiedAt"] == nil || sp["directory"].(map[string]any)["name"] != "Starfleet Crew" {
			t.Errorf("%s: app_metadata.stormpath %s", id, spJSON(t, sp))
		}
	}
	if g := users["1KirkLinkOnlyCustomDat"]["app_metadata"].(map[string]any)["stormpath"].(map[string]any)["groups"]; spJSON(t, g) != `["bridge"]` {
		t.Errorf("kirk groups %v", g)
	}

	lazy := spNDJSON(t, filepath.Join(out, importfiles.LazyFile))
	if len(lazy) != 1 || lazy[0]["key"] != "5UhuraIteratedSha256Ac" || lazy[0]["reason"] != "unsupported_hash" {
		t.Errorf("lazy %v", lazy)
	}

	rejects := spNDJSON(t, filepath.Join(out, importfiles.RejectsFile))
	if len(rejects) != 2 {
		t.Fatalf("rejects %v", rejects)
	}
	mccoy, ghost := rejects[0], rejects[1]
	if !strings.HasSuffix(mccoy["position"].(string), filepath.Join("accounts", "3McCoyBrokenCustomData.json")+":1") {
		t.Errorf("first reject %v", mccoy)
	}
	errs := mccoy["errors"].([]any)
	e := errs[0].(map[string]any)
	if len(errs) != 1 || e["code"] != "parse_error" || e["field"] != "customData" ||
		!strings.Contains(e["message"].(string), filepath.Join("customData", "3McCoyBrokenCustomData.json")+": invalid JSON") {
		t.Errorf("mccoy errors %v", errs)
	}
	rec := mccoy["record"].(map[string]any)
	if rec["passwordModifiedAt"] != "2016-04-02T08:15:00.000Z" || rec["password"] != "[redacted]" {
		t.Errorf("mccoy record: passwordModifiedAt %v, password %v", rec["passwordModifiedAt"], rec["password"])
	}
	if p := spHrefLink(rec, "record"); p != "" {
		t.Errorf("mccoy record: link object at %s", p)
	}
	if !strings.HasSuffix(ghost["position"].(string), filepath.Join("customData", "9GhostDeletedAccount0.json")+":1") ||
		!strings.Contains(spJSON(t, ghost["errors"]), "customData of account 9GhostDeletedAccount0, which is not in the export") {
		t.Errorf("second reject %v", ghost)
	}
	raw, _ := os.ReadFile(filepath.Join(out, importfiles.RejectsFile))
	if bytes.Contains(raw, []byte("$2a$10$")) {
		t.Errorf("a password hash reached rejects.ndjson: %s", raw)
	}
}

// TestValidateRejectsAbove: `usher validate` without --out prints the rejects and says so only
// when there are some.
func TestValidateRejectsAbove(t *testing.T) {
	code, msg := usher(t, "validate", "--source", "stormpath", "--input", stormpathCustomData, "--progress", "never", "--duplicates", "reject")
	if code != exitRejected || !strings.Contains(msg, "dry run: read 6 records: importable 3, lazy 1, rejected 2  (rejects above)") {
		t.Fatalf("exit %d: %s", code, msg)
	}
	in := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(in, []byte(`[{"user_id":"u1","email":"a@example.com"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, msg = usher(t, "validate", "--source", "json", "--input", in, "--progress", "never", "--duplicates", "reject")
	if code != exitOK || !strings.Contains(msg, "dry run: read 1 records: importable 1, lazy 0, rejected 0\n") ||
		strings.Contains(msg, "rejects above") || strings.Contains(msg, "usher-validate-") {
		t.Fatalf("exit %d: %q", code, msg)
	}
	out := filepath.Join(t.TempDir(), "v")
	code, msg = usher(t, "validate", "--source", "json", "--input", in, "--out", out, "--progress", "never", "--duplicates", "reject")
	if code != exitOK || !strings.Contains(msg, "rejected 0  ("+out+")") {
		t.Fatalf("exit %d: %q", code, msg)
	}
}

// spHrefLink is the path of an {"href": …}-only object in v ("" when there is none).
func spHrefLink(v any, path string) string {
	switch t := v.(type) {
	case map[string]any:
		if _, ok := t["href"].(string); ok && len(t) == 1 {
			return path
		}
		for k, x := range t {
			if p := spHrefLink(x, path+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for _, x := range t {
			if p := spHrefLink(x, path+"[]"); p != "" {
				return p
			}
		}
	}
	return ""
}

func spNDJSON(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, m)
	}
	return out
}

func spJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func spKeys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
