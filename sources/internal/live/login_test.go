package live

import (
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

func TestKeptLoginOf(t *testing.T) {
	kept := Kept{Namespace: "sys", Key: "username", Marker: "status", Fallback: "user_id"}
	cases := []struct {
		name    string
		kept    Kept
		profile map[string]any
		want    string
	}{
		{"the namespace's", kept, map[string]any{"app_metadata": map[string]any{"sys": map[string]any{"username": "jane"}}, "user_id": "u1"}, "jane"},
		{"another namespace's, marked", kept, map[string]any{"app_metadata": map[string]any{"other": map[string]any{"username": "jo", "status": "OK"}}}, "jo"},
		{"another namespace's, unmarked", kept, map[string]any{"app_metadata": map[string]any{"other": map[string]any{"username": "jo"}}, "user_id": "u1"}, "u1"},
		{"no marker needed", Kept{Namespace: "sys", Key: "login", Fallback: "username"},
			map[string]any{"app_metadata": map[string]any{"other": map[string]any{"login": "jo"}}, "username": "x"}, "jo"},
		{"two candidates: neither", Kept{Namespace: "sys", Key: "login", Fallback: "username"},
			map[string]any{"app_metadata": map[string]any{"a": map[string]any{"login": "jo"}, "b": map[string]any{"login": "al"}}, "username": "x"}, "x"},
		{"nothing kept", kept, map[string]any{}, ""},
	}
	for _, tc := range cases {
		if got := tc.kept.LoginOf(tc.profile); got != tc.want {
			t.Errorf("%s: LoginOf = %q, want %q", tc.name, got, tc.want)
		}
	}
	if AccountID([]byte(`{"ID":"00u1","profile":{}}`)) != "00u1" || AccountID([]byte(`{"id":5}`)) != "" || AccountID([]byte(`[`)) != "" {
		t.Error("AccountID")
	}
}

func TestFilesOrLive(t *testing.T) {
	cases := []struct {
		name   string
		o      map[string]string
		inputs []string
		remote bool
		err    string
	}{
		{"files", nil, []string{"a.json"}, false, ""},
		{"live", map[string]string{"url": "https://x", "search": "s"}, nil, true, ""},
		{"an option without the API", map[string]string{"search": "s"}, []string{"a.json"}, false, `x source: option "search" needs url (the live API)`},
		{"both", map[string]string{"url": "https://x"}, []string{"a.json"}, false, "x source: give either --input files or the live API (url), not both"},
	}
	for _, tc := range cases {
		remote, err := FilesOrLive("x", tc.o, tc.inputs, "url", "the live API")
		if remote != tc.remote || (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("%s: %v, %v; want %v, %q", tc.name, remote, err, tc.remote, tc.err)
		}
	}
	known := []pipeline.Option{{Name: "url"}}
	if err := CheckOptions("x", map[string]string{"token": "t"}, known, "token", "X_TOKEN"); err == nil ||
		err.Error() != "x source: the token is read from token-file or $X_TOKEN, never from an option" {
		t.Errorf("CheckOptions: %v", err)
	}
	if err := CheckSecretOptions("x", map[string]string{"pw": "t"}, known, map[string]string{"pw": "pw-file"}); err == nil ||
		!strings.Contains(err.Error(), "x: the pw is read from pw-file") {
		t.Errorf("CheckSecretOptions: %v", err)
	}
	if err := CheckSecretOptions("x", map[string]string{"url": "u", "nope": "1"}, known, nil); err == nil || err.Error() != `x: unknown option "nope"` {
		t.Errorf("CheckSecretOptions: %v", err)
	}
}
