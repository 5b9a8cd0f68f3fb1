package firebaseapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/emulator"
	"github.com/usher-migrate/usher/sources/firebase/firebaseapi"
	"github.com/usher-migrate/usher/sources/firebase/firebasehash"
	"github.com/usher-migrate/usher/sources/firebase/firebasetest"
)

const (
	project = "my-project-42"
	apiKey  = "AIzaSyEXAMPLE-web-api-key-000000000000"
)

var params = firebasehash.Params{SignerKey: []byte("emulated-project-signer-key-0123"), SaltSeparator: []byte{7}, Rounds: 2, MemoryCost: 5}

// apiUsers makes n API users (UserInfo objects, unsorted ids); every 3rd has a password hash of
// password "pw-<i>", every 5th is disabled, user 1 has a second factor.
func apiUsers(t testing.TB, n int) [][]byte {
	var out [][]byte
	for i := 0; i < n; i++ {
		u := map[string]any{"localId": fmt.Sprintf("uid%05d", (i*7919)%n), "email": fmt.Sprintf("user%d@example.com", i),
			"emailVerified": i%2 == 0, "createdAt": "1700000000000", "lastLoginAt": "1710000000000", "disabled": i%5 == 4}
		if i%3 == 0 {
			salt := []byte(fmt.Sprintf("salt-%d", i))
			h, err := firebasehash.Compute([]byte(fmt.Sprintf("pw-%d", i)), salt, params)
			if err != nil {
				t.Fatal(err)
			}
			u["passwordHash"], u["salt"], u["version"] = b64url(h), b64url(salt), 0
		}
		if i == 1 {
			u["mfaInfo"] = []any{map[string]any{"mfaEnrollmentId": "e1", "phoneInfo": "+15555550100"}}
			u["passwordHash"], u["salt"] = "", ""
		}
		b, _ := json.Marshal(u)
		out = append(out, b)
	}
	return out
}

// b64url is web-safe base64, as the API sends hashes and salts.
func b64url(b []byte) string { return base64.URLEncoding.EncodeToString(b) }

// setup starts an emulator and a client of it on a fake clock.
func setup(t *testing.T, o firebasetest.Options, tweak func(*firebaseapi.Config)) (*firebasetest.Server, *firebaseapi.Client, *emulator.Clock) {
	t.Helper()
	clock := emulator.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	o.Project, o.Now = project, clock.Now
	if o.APIKey == "" {
		o.APIKey = apiKey
	}
	srv := firebasetest.NewServer(o)
	t.Cleanup(srv.Close)
	sa, err := firebaseapi.ParseServiceAccount(srv.ServiceAccount())
	if err != nil {
		t.Fatal(err)
	}
	cfg := firebaseapi.Config{BaseURL: srv.URL, Project: project, Account: sa, APIKey: apiKey, Sleep: clock.Sleep, Now: clock.Now, Logf: t.Logf}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := firebaseapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, clock
}

// TestUsers lists every user once, in the API's order (ascending localId), across page sizes and
// faults (dropped connections, 429 with and without Retry-After, 503, truncated answers), and
// through the empty last page after a full one.
func TestUsers(t *testing.T) {
	users := apiUsers(t, 2000)
	cases := []struct {
		name     string
		pageSize int
		faults   firebasetest.Faults
	}{
		{name: "default page size, full last page", pageSize: 0},
		{name: "small pages", pageSize: 7},
		{name: "faults", pageSize: 300, faults: firebasetest.Faults{DropEvery: 3, RateLimitEvery: 4, ServerErrorEvery: 5, TruncateEvery: 7, RetryAfter: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, clock := setup(t, firebasetest.Options{Users: users, Faults: tc.faults}, func(c *firebaseapi.Config) { c.PageSize = tc.pageSize })
			var ids []string
			err := c.Users(context.Background(), func(obj []byte) error {
				var u struct{ LocalID string }
				if err := json.Unmarshal(obj, &u); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, u.LocalID)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != len(users) {
				t.Fatalf("%d users, want %d", len(ids), len(users))
			}
			for i := range ids {
				if want := fmt.Sprintf("uid%05d", i); ids[i] != want {
					t.Fatalf("user %d is %s, want %s", i, ids[i], want)
				}
			}
			st := srv.Stats()
			if tc.faults != (firebasetest.Faults{}) {
				if st.Dropped+st.RateLimited+st.ServerErrors+st.Truncated == 0 || c.Stats().Retries == 0 {
					t.Fatalf("no fault was hit: %+v %+v", st, c.Stats())
				}
				waited := false
				for _, d := range clock.Sleeps() {
					waited = waited || d == 2*time.Second
				}
				if !waited {
					t.Errorf("Retry-After 2 was not waited for: %v", clock.Sleeps())
				}
			}
			if st.Tokens != 1 {
				t.Errorf("%d tokens fetched, want 1 (cached)", st.Tokens)
			}
		})
	}
}

// TestTokenRefresh: a revoked or expired token is replaced (after a 401, or before it expires).
func TestTokenRefresh(t *testing.T) {
	srv, c, clock := setup(t, firebasetest.Options{Users: apiUsers(t, 30)}, func(c *firebaseapi.Config) { c.PageSize = 10 })
	n := 0
	err := c.Users(context.Background(), func([]byte) error {
		if n++; n == 5 {
			srv.RevokeTokens()
		}
		if n == 15 {
			clock.Advance(2 * time.Hour)
		}
		return nil
	})
	if err != nil || n != 30 {
		t.Fatalf("%d users, %v", n, err)
	}
	if st := srv.Stats(); st.Tokens != 3 || st.Unauthorized != 1 {
		t.Fatalf("tokens %d, 401s %d; want 3 and 1", st.Tokens, st.Unauthorized)
	}
}

// TestPermanentErrors: a service account the token endpoint does not know, another project, a
// tenant that does not exist are permanent errors that say why; none holds a secret.
func TestPermanentErrors(t *testing.T) {
	srv, _, clock := setup(t, firebasetest.Options{Users: apiUsers(t, 3)}, nil)
	other, _, _ := setup(t, firebasetest.Options{}, nil)
	sa, _ := firebaseapi.ParseServiceAccount(srv.ServiceAccount())
	foreign, _ := firebaseapi.ParseServiceAccount(other.ServiceAccount()) // the same key, another token_uri
	foreign.TokenURI = srv.TokenURI
	foreign.ClientEmail = "someone@elsewhere.iam.gserviceaccount.com"
	cases := []struct {
		name string
		cfg  firebaseapi.Config
		want string
	}{
		{"unknown service account", firebaseapi.Config{Project: project, Account: foreign}, "invalid_grant"},
		{"another project", firebaseapi.Config{Project: "not-mine", Account: sa}, "PERMISSION_DENIED"},
		{"no such tenant", firebaseapi.Config{Project: project, Tenant: "t-404", Account: sa}, "TENANT_NOT_FOUND"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.BaseURL, tc.cfg.MaxRetries, tc.cfg.Now = srv.URL, 2, clock.Now
			c, err := firebaseapi.New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Users(context.Background(), func([]byte) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), "ya29.") {
				t.Fatalf("a secret in the error: %v", err)
			}
			if c.Stats().Retries != 0 {
				t.Errorf("a permanent error was retried")
			}
		})
	}
}

// TestPageTokenLoop: a page token handed back twice stops the listing instead of looping.
func TestPageTokenLoop(t *testing.T) {
	srv, _, clock := setup(t, firebasetest.Options{}, nil)
	sa, _ := firebaseapi.ParseServiceAccount(srv.ServiceAccount())
	loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"users":[{"localId":"a"}],"nextPageToken":"same"}`))
	}))
	defer loop.Close()
	c, _ := firebaseapi.New(firebaseapi.Config{BaseURL: loop.URL, Project: project, Account: sa, Now: clock.Now})
	n := 0
	err := c.Users(context.Background(), func([]byte) error { n++; return nil })
	if err == nil || !strings.Contains(err.Error(), "page token") || n != 2 {
		t.Fatalf("%d users, %v", n, err)
	}
}

// TestHashConfig reads the project's and a tenant's parameters, and reports a refusal.
func TestHashConfig(t *testing.T) {
	_, c, _ := setup(t, firebasetest.Options{HashConfig: &params, TenantUsers: map[string][][]byte{"t-1": nil}}, nil)
	p, err := c.HashConfig(context.Background())
	if err != nil || p.Rounds != 2 || p.MemoryCost != 5 || string(p.SignerKey) != string(params.SignerKey) {
		t.Fatalf("%v %v", p, err)
	}
	_, tc, _ := setup(t, firebasetest.Options{HashConfig: &params, TenantUsers: map[string][][]byte{"t-1": nil}}, func(c *firebaseapi.Config) { c.Tenant = "t-1" })
	if p, err := tc.HashConfig(context.Background()); err != nil || p.Rounds != 2 {
		t.Fatalf("tenant: %v %v", p, err)
	}
	_, denied, _ := setup(t, firebasetest.Options{}, nil)
	if _, err := denied.HashConfig(context.Background()); err == nil || !strings.Contains(err.Error(), "PERMISSION_DENIED") {
		t.Fatalf("without permission: %v", err)
	}
}

// TestSignIn: the answers of accounts:signInWithPassword and their codes (the message before
// " : "), with and without email enumeration protection; the API key never in an error.
func TestSignIn(t *testing.T) {
	users := apiUsers(t, 10)
	for _, protect := range []bool{false, true} {
		t.Run(fmt.Sprint("protection ", protect), func(t *testing.T) {
			_, c, _ := setup(t, firebasetest.Options{Users: users, HashConfig: &params, EmailEnumerationProtection: protect,
				LockAfter: 3, Passwords: map[string]string{"user1@example.com": "mfa-pw"}}, nil)
			unknown, wrong := "EMAIL_NOT_FOUND", "INVALID_PASSWORD"
			if protect {
				unknown, wrong = "INVALID_LOGIN_CREDENTIALS", "INVALID_LOGIN_CREDENTIALS"
			}
			cases := []struct {
				name, email, password, wantID, wantCode string
			}{
				{"right password (hash)", "user3@example.com", "pw-3", "uid00007", ""},
				{"right password, other case", "USER6@example.com", "pw-6", "", ""},
				{"second factor pending", "user1@example.com", "mfa-pw", "", ""},
				{"wrong password", "user3@example.com", "pw-4", "", wrong},
				{"unknown", "nobody@example.com", "x", "", unknown},
				{"disabled", "user9@example.com", "pw-9", "", "USER_DISABLED"},
				{"no hash", "user2@example.com", "x", "", wrong},
				{"invalid email", "not-an-email", "x", "", "INVALID_EMAIL"},
				{"wrong twice more", "user3@example.com", "pw-5", "", wrong},
				{"wrong a third time", "user3@example.com", "pw-5", "", wrong},
				{"locked", "user3@example.com", "pw-3", "", "TOO_MANY_ATTEMPTS_TRY_LATER"},
			}
			for _, tc := range cases {
				id, err := c.SignIn(context.Background(), tc.email, tc.password)
				if tc.wantCode == "" {
					if err != nil || id == "" || (tc.wantID != "" && id != tc.wantID) {
						t.Errorf("%s: %q %v", tc.name, id, err)
					}
					continue
				}
				var ae *firebaseapi.APIError
				if !errors.As(err, &ae) || ae.Code != tc.wantCode || ae.Status != 400 {
					t.Errorf("%s: %v, want %s", tc.name, err, tc.wantCode)
				} else if strings.Contains(err.Error(), apiKey) || strings.Contains(err.Error(), tc.password) {
					t.Errorf("%s: a secret in %v", tc.name, err)
				}
			}
		})
	}
	_, bad, _ := setup(t, firebasetest.Options{Users: users}, func(c *firebaseapi.Config) { c.APIKey = "AIzaWRONG" })
	_, err := bad.SignIn(context.Background(), "user3@example.com", "pw-3")
	var ae *firebaseapi.APIError
	if !errors.As(err, &ae) || !strings.Contains(ae.Message, "API key not valid") || strings.Contains(err.Error(), "AIzaWRONG") {
		t.Fatalf("a wrong API key: %v", err)
	}
}

// TestLookup finds users by localId and e-mail, and nothing for an unknown one.
func TestLookup(t *testing.T) {
	_, c, _ := setup(t, firebasetest.Options{Users: apiUsers(t, 10)}, nil)
	for _, tc := range []struct{ by, value, want string }{
		{"localId", "uid00007", "user3@example.com"}, {"email", "USER3@example.com", "user3@example.com"}, {"email", "no@example.com", ""},
	} {
		b, err := c.Lookup(context.Background(), tc.by, tc.value)
		if err != nil {
			t.Fatal(err)
		}
		var u struct{ Email string }
		if b != nil {
			json.Unmarshal(b, &u)
		}
		if u.Email != tc.want {
			t.Errorf("%s %s: %s, want %q", tc.by, tc.value, b, tc.want)
		}
	}
}
