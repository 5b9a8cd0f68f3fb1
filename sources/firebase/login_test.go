package firebase

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/firebase/firebasetest"
)

const liveAPIKey = "AIzaSyEXAMPLE-live-login-key-000000000"

// logins starts the emulator and builds the live login as hook serve does (newLive), with the
// API key in a file and the service-account key.
func logins(t *testing.T, o firebasetest.Options, withCredentials bool) (*firebasetest.Server, pipeline.LiveLogin, *[]string) {
	o.APIKey, o.Now = liveAPIKey, time.Now
	srv, opts, _ := liveSetup(t, o)
	keyFile := filepath.Join(t.TempDir(), "api-key")
	os.WriteFile(keyFile, []byte(liveAPIKey+"\n"), 0o600)
	lo := map[string]string{"api-key-file": keyFile, "url": opts["url"]}
	if withCredentials {
		lo["credentials-file"] = opts["credentials-file"]
	}
	var mu sync.Mutex
	var logged []string
	t.Setenv(CredentialsEnv, "")
	l, err := newLive(lo, func(format string, args ...any) {
		mu.Lock()
		logged = append(logged, fmt.Sprintf(format, args...))
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv, l, &logged
}

// TestLiveLogin: accounts:signInWithPassword's answers become the hook's: a right password (a
// second factor pending too) signs in with the account's localId; unknown users, wrong
// passwords (with and without email enumeration protection), disabled accounts (logged) are
// refused; TOO_MANY_ATTEMPTS_TRY_LATER and an outage are errors (503); a login that is no e-mail
// address is refused without asking.
func TestLiveLogin(t *testing.T) {
	users := liveUsers(t, 40)
	for _, protect := range []bool{false, true} {
		t.Run(fmt.Sprint("email enumeration protection ", protect), func(t *testing.T) {
			srv, l, logged := logins(t, firebasetest.Options{Users: users, HashConfig: &liveParams, EmailEnumerationProtection: protect, LockAfter: 2,
				Passwords: map[string]string{"user2@example.com": "mfa-password"}}, true)
			cases := []struct {
				name, login, password string
				ok                    bool
				id, err               string
			}{
				{"right password", "user3@example.com", "pw-3", true, fmt.Sprintf("Uid%025d", 3), ""},
				{"right password, second factor pending", "user2@example.com", "mfa-password", true, fmt.Sprintf("Uid%025d", 2), ""},
				{"wrong password", "user3@example.com", "pw-4", false, "", ""},
				{"unknown user", "nobody@example.com", "pw-3", false, "", ""},
				{"disabled", "user9@example.com", "pw-9", false, "", ""},
				{"not an e-mail address", "Uid0000000000000000000000003", "pw-3", false, "", ""},
				{"wrong again: locked", "user3@example.com", "pw-5", false, "", ""},
				{"locked: TOO_MANY_ATTEMPTS_TRY_LATER", "user3@example.com", "pw-3", false, "", "TOO_MANY_ATTEMPTS_TRY_LATER"},
			}
			for _, tc := range cases {
				id, ok, err := l.Login(context.Background(), tc.login, tc.password)
				if ok != tc.ok || id != tc.id || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
					t.Errorf("%s: Login = %q, %v, %v", tc.name, id, ok, err)
				}
				if err != nil && (strings.Contains(err.Error(), tc.password) || strings.Contains(err.Error(), liveAPIKey)) {
					t.Errorf("%s: a secret in %v", tc.name, err)
				}
			}
			if n := len(srv.SignIns()); n != len(cases)-1 {
				t.Errorf("%d sign-ins, want %d (none for a login that is no e-mail)", n, len(cases)-1)
			}
			if len(*logged) != 1 || !strings.Contains((*logged)[0], "USER_DISABLED") {
				t.Errorf("logged %q", *logged)
			}
		})
	}
	t.Run("outage", func(t *testing.T) {
		_, l, _ := logins(t, firebasetest.Options{Users: users, HashConfig: &liveParams, Faults: firebasetest.Faults{ServerErrorEvery: 1}}, true)
		if _, ok, err := l.Login(context.Background(), "user3@example.com", "pw-3"); ok || err == nil || !strings.Contains(err.Error(), "UNAVAILABLE") {
			t.Fatalf("ok %v, %v", ok, err)
		}
	})
}

// TestLiveAccounts: Account and Lookup read accounts:lookup and hand the user on without its
// password hash, salt and version; an unknown e-mail is nil; without the service account they
// say what is missing.
func TestLiveAccounts(t *testing.T) {
	users := liveUsers(t, 10)
	_, l, _ := logins(t, firebasetest.Options{Users: users}, true)
	b, err := l.Account(context.Background(), fmt.Sprintf("Uid%025d", 3))
	if err != nil || !strings.Contains(string(b), "user3@example.com") {
		t.Fatalf("%s %v", b, err)
	}
	for _, k := range []string{"passwordHash", `"salt"`, `"version"`} {
		if strings.Contains(string(b), k) {
			t.Errorf("%s in the account: %s", k, b)
		}
	}
	if b, err := l.Lookup(context.Background(), "USER3@example.com"); err != nil || !strings.Contains(string(b), "Uid") || strings.Contains(string(b), "passwordHash") {
		t.Fatalf("%s %v", b, err)
	}
	if b, err := l.Lookup(context.Background(), "nobody@example.com"); err != nil || b != nil {
		t.Fatalf("unknown: %s %v", b, err)
	}
	if _, err := l.Account(context.Background(), "no-such-uid"); err == nil {
		t.Fatal("an unknown account read")
	}
	_, bare, _ := logins(t, firebasetest.Options{Users: users}, false)
	if _, err := bare.Account(context.Background(), "x"); err == nil || !strings.Contains(err.Error(), "service account") {
		t.Fatalf("without credentials: %v", err)
	}
}

// TestNewLiveErrors: the live login needs the API key, and no error shows it.
func TestNewLiveErrors(t *testing.T) {
	t.Setenv(APIKeyEnv, "")
	t.Setenv(CredentialsEnv, "")
	if _, err := newLive(map[string]string{}, nil); err == nil || !strings.Contains(err.Error(), "--firebase-api-key-file") {
		t.Fatalf("%v", err)
	}
	bad := filepath.Join(t.TempDir(), "k")
	os.WriteFile(bad, []byte("AIza key with spaces"), 0o600)
	if _, err := newLive(map[string]string{"api-key-file": bad}, nil); err == nil || strings.Contains(err.Error(), "AIza") {
		t.Fatalf("%v", err)
	}
	t.Setenv(APIKeyEnv, liveAPIKey)
	if _, err := newLive(map[string]string{"credentials-file": filepath.Join(t.TempDir(), "missing.json")}, nil); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("%v", err)
	}
}
