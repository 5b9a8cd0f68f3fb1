package gigyaapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/sources/gigya/gigyaapi"
	"github.com/usher-migrate/usher/sources/gigya/gigyatest"
)

func liveServer() *gigyatest.Server {
	o := serverOptions([][]byte{
		[]byte(`{"UID":"g1","loginIDs":{"emails":["ann@example.com"]},"profile":{"email":"ann@example.com","n":12345678901234567890},"password":{"hash":"h"}}`),
		[]byte(`{"UID":"g2","loginIDs":{"emails":["bob@example.com"]},"profile":{"email":"bob@example.com"}}`),
	})
	o.Passwords = map[string]string{"g1": "right"}
	return gigyatest.NewServer(o)
}

func TestLogin(t *testing.T) {
	srv := liveServer()
	defer srv.Close()
	o := serverOptions(nil)
	o.RedirectTo = "eu1.gigya.com"
	wrongDC := gigyatest.NewServer(o)
	defer wrongDC.Close()
	tests := []struct {
		name, base, login, password string
		wantUID                     string
		wantCode                    int
	}{
		{"right password", srv.URL, "ann@example.com", "right", "g1", 0},
		{"wrong password", srv.URL, "ann@example.com", "wrong", "", gigyaapi.CodeInvalidLogin},
		{"unknown login", srv.URL, "carl@example.com", "right", "", gigyaapi.CodeInvalidLogin},
		{"wrong data center, followed once", wrongDC.URL, "ann@example.com", "right", "g1", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := clientConfig(tt.base, &sleepRecorder{})
			cfg.URLFor = func(string) string { return srv.URL }
			c, err := gigyaapi.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			uid, err := c.Login(context.Background(), tt.login, tt.password)
			var ae *gigyaapi.APIError
			switch {
			case tt.wantCode == 0 && (err != nil || uid != tt.wantUID):
				t.Fatalf("Login = %q, %v; want %q", uid, err, tt.wantUID)
			case tt.wantCode != 0 && (!errors.As(err, &ae) || ae.ErrorCode != tt.wantCode):
				t.Fatalf("Login error %v, want errorCode %d", err, tt.wantCode)
			case err != nil && (strings.Contains(err.Error(), tt.password) || strings.Contains(err.Error(), secret)):
				t.Fatalf("error holds a secret: %v", err)
			}
		})
	}
	c, _ := gigyaapi.New(clientConfig(srv.URL, &sleepRecorder{}))
	if err := c.Logout(context.Background(), "g1"); err != nil {
		t.Errorf("Logout: %v", err)
	}
	if st := srv.Stats(); st.LogoutCalls != 1 {
		t.Errorf("emulator saw %d logouts", st.LogoutCalls)
	}
}

func TestAccountAndLookup(t *testing.T) {
	srv := liveServer()
	defer srv.Close()
	c, err := gigyaapi.New(clientConfig(srv.URL, &sleepRecorder{}))
	if err != nil {
		t.Fatal(err)
	}
	acct, err := c.Account(context.Background(), "g1")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(acct, &m); err != nil {
		t.Fatalf("%s: %v", acct, err)
	}
	for _, k := range []string{"errorCode", "callId", "statusCode", "time", "apiVersion", "password"} {
		if _, ok := m[k]; ok {
			t.Errorf("Account kept %q: %s", k, acct)
		}
	}
	if string(m["UID"]) != `"g1"` || !strings.Contains(string(m["profile"]), "12345678901234567890") {
		t.Errorf("Account = %s", acct)
	}
	var ae *gigyaapi.APIError
	if _, err := c.Account(context.Background(), "nobody"); !errors.As(err, &ae) || ae.ErrorCode != gigyaapi.CodeUnknownUser {
		t.Errorf("Account of an unknown UID: %v", err)
	}
	lookups := []struct{ name, email, wantUID string }{
		{"found, any case", " Bob@Example.com", "g2"},
		{"not found", "carl@example.com", ""},
		{"a quote finds nothing", `x" OR 1=1 OR "a@b.c`, ""},
	}
	for _, tt := range lookups {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Lookup(context.Background(), tt.email)
			if err != nil {
				t.Fatal(err)
			}
			var a struct{ UID string }
			if got != nil {
				json.Unmarshal(got, &a)
			}
			if a.UID != tt.wantUID {
				t.Fatalf("Lookup = %s, want UID %q", got, tt.wantUID)
			}
		})
	}
}

// TestFindLogin: the accounts a login names, by e-mail (lower-cased) or else by username; two
// accounts with one login are both returned (ambiguous), none gives nothing.
func TestFindLogin(t *testing.T) {
	srv := gigyatest.NewServer(serverOptions([][]byte{
		[]byte(`{"UID":"g1","loginIDs":{"emails":["ann@example.com"],"username":"annie"}}`),
		[]byte(`{"UID":"g2","loginIDs":{"emails":["twin@example.com"]}}`),
		[]byte(`{"UID":"g3","loginIDs":{"emails":["twin@example.com"]}}`),
	}))
	defer srv.Close()
	c, err := gigyaapi.New(clientConfig(srv.URL, &sleepRecorder{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, login string
		want        []string
	}{
		{"by e-mail, any case", "Ann@Example.com", []string{"g1"}},
		{"by username", "annie", []string{"g1"}},
		{"two accounts", "twin@example.com", []string{"g2", "g3"}},
		{"nobody", "carl@example.com", nil},
		{"a quote finds nothing", `x" OR 1=1 OR "a`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.FindLogin(context.Background(), tt.login)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("FindLogin = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
