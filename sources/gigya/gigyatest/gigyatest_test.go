package gigyatest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-migrate/usher/sources/gigya/gigyatest"
)

const (
	apiKey  = "3_key"
	userKey = "uk"
	secret  = "sec+/="
)

func accounts(n int) [][]byte {
	out := make([][]byte, n)
	for i := range n {
		out[i] = fmt.Appendf(nil, `{"UID":"u%d","n":%d.0,"profile":{"email":"u%d@example.com"},"password":{"hash":"h%d"}}`, i, i, i, i)
	}
	return out
}

func options(n int) gigyatest.Options {
	return gigyatest.Options{APIKey: apiKey, UserKey: userKey, Secret: secret, Accounts: accounts(n)}
}

func auth(extra ...string) url.Values {
	v := url.Values{"apiKey": {apiKey}, "userKey": {userKey}, "secret": {secret}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

// answer is a decoded emulator response.
type answer struct {
	raw          []byte
	ErrorCode    int             `json:"errorCode"`
	ErrorDetails string          `json:"errorDetails"`
	StatusCode   int             `json:"statusCode"`
	APIDomain    string          `json:"apiDomain"`
	Location     string          `json:"location"`
	Results      json.RawMessage `json:"results"`
	ObjectsCount int             `json:"objectsCount"`
	TotalCount   int             `json:"totalCount"`
	NextCursorID string          `json:"nextCursorId"`
	Password     json.RawMessage `json:"password"`
	UID          string          `json:"UID"`
}

func post(t *testing.T, base, method string, form url.Values) answer {
	t.Helper()
	resp, err := http.PostForm(base+"/"+method, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d: %s", resp.StatusCode, body)
	}
	a := answer{raw: body}
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return a
}

func TestRequestErrors(t *testing.T) {
	srv := gigyatest.NewServer(options(3))
	defer srv.Close()
	o := options(0)
	o.RedirectTo = "eu1.gigya.com"
	wrongDC := gigyatest.NewServer(o)
	defer wrongDC.Close()

	tests := []struct {
		name        string
		base        string
		method      string
		form        url.Values
		wantCode    int
		wantDetails string
	}{
		{name: "unknown method", method: "accounts.nope", form: auth(), wantCode: 400001, wantDetails: "unknown method"},
		{name: "missing secret", method: "accounts.search", form: url.Values{"apiKey": {apiKey}, "userKey": {userKey}}, wantCode: 400002, wantDetails: "secret"},
		{name: "wrong apiKey", method: "accounts.search", form: auth("apiKey", "3_other"), wantCode: 403005},
		{name: "wrong userKey", method: "accounts.search", form: auth("userKey", "other"), wantCode: 403005},
		{name: "wrong secret", method: "accounts.search", form: auth("secret", "nope"), wantCode: 403003},
		{name: "search without query", method: "accounts.search", form: auth("openCursor", "true"), wantCode: 400002, wantDetails: "query"},
		{name: "search without openCursor", method: "accounts.search", form: auth("query", "SELECT * FROM accounts"), wantCode: 400006, wantDetails: "openCursor"},
		{name: "query that is not a SELECT", method: "accounts.search", form: auth("query", "DELETE FROM accounts", "openCursor", "true"), wantCode: 400006},
		{name: "bad LIMIT", method: "accounts.search", form: auth("query", "SELECT * FROM accounts LIMIT 0", "openCursor", "true"), wantCode: 400006, wantDetails: "LIMIT"},
		{name: "cursor with query", method: "accounts.search", form: auth("query", "SELECT * FROM accounts", "cursorId", "x"), wantCode: 400006},
		{name: "unknown cursor", method: "accounts.search", form: auth("cursorId", "nope"), wantCode: 400006, wantDetails: "invalid cursorId"},
		{name: "getAccountInfo without UID", method: "accounts.getAccountInfo", form: auth(), wantCode: 400002, wantDetails: "UID"},
		{name: "unknown UID", method: "accounts.getAccountInfo", form: auth("UID", "nobody"), wantCode: 403047},
		{name: "wrong data center", base: wrongDC.URL, method: "accounts.search", form: auth(), wantCode: 301001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.base
			if base == "" {
				base = srv.URL
			}
			a := post(t, base, tt.method, tt.form)
			if a.ErrorCode != tt.wantCode || a.StatusCode != tt.wantCode/1000 {
				t.Fatalf("errorCode %d statusCode %d, want %d: %s", a.ErrorCode, a.StatusCode, tt.wantCode, a.raw)
			}
			if !strings.Contains(a.ErrorDetails, tt.wantDetails) {
				t.Errorf("errorDetails %q, want %q in it", a.ErrorDetails, tt.wantDetails)
			}
			if strings.Contains(string(a.raw), secret) {
				t.Errorf("answer echoes the secret: %s", a.raw)
			}
			if tt.wantCode == 301001 && (a.APIDomain != "eu1.gigya.com" || a.Location != "https://accounts.eu1.gigya.com/accounts.search") {
				t.Errorf("apiDomain %q location %q", a.APIDomain, a.Location)
			}
		})
	}

	t.Run("GET is refused", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/accounts.search?" + auth("query", "SELECT * FROM accounts", "openCursor", "true").Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a answer
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || a.ErrorCode != 400001 {
			t.Fatalf("errorCode %d, err %v; want 400001", a.ErrorCode, err)
		}
	})
	t.Run("credentials in the URL are not read", func(t *testing.T) {
		resp, err := http.Post(srv.URL+"/accounts.search?"+auth("query", "SELECT * FROM accounts", "openCursor", "true").Encode(), "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a answer
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || a.ErrorCode != 400002 {
			t.Fatalf("errorCode %d, err %v; want 400002", a.ErrorCode, err)
		}
	})
}

func TestSearchPaging(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		accounts  int
		maxBatch  int
		wantSizes []int
	}{
		{name: "no LIMIT gives 300", query: "SELECT * FROM accounts", accounts: 650, wantSizes: []int{300, 300, 50}},
		{name: "LIMIT honoured", query: "select UID from accounts where x=1 limit 7", accounts: 15, wantSizes: []int{7, 7, 1}},
		{name: "LIMIT above 1000 capped", query: "SELECT * FROM accounts LIMIT 5000", accounts: 2100, wantSizes: []int{1000, 1000, 100}},
		{name: "MaxBatch below LIMIT", query: "SELECT * FROM accounts LIMIT 1000", accounts: 700, maxBatch: 300, wantSizes: []int{300, 300, 100}},
		{name: "exact multiple", query: "SELECT * FROM accounts LIMIT 5", accounts: 10, wantSizes: []int{5, 5}},
		{name: "no accounts", query: "SELECT * FROM accounts", accounts: 0, wantSizes: []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := options(tt.accounts)
			o.MaxBatch = tt.maxBatch
			srv := gigyatest.NewServer(o)
			defer srv.Close()

			var all []json.RawMessage
			var sizes []int
			form := auth("query", tt.query, "openCursor", "true")
			for {
				a := post(t, srv.URL, "accounts.search", form)
				if a.ErrorCode != 0 || a.TotalCount != tt.accounts {
					t.Fatalf("answer %s", a.raw)
				}
				var page []json.RawMessage
				if err := json.Unmarshal(a.Results, &page); err != nil {
					t.Fatal(err)
				}
				if a.ObjectsCount != len(page) {
					t.Errorf("objectsCount %d for %d results", a.ObjectsCount, len(page))
				}
				sizes = append(sizes, len(page))
				all = append(all, page...)
				if a.NextCursorID == "" {
					break
				}
				form = auth("cursorId", a.NextCursorID)
			}
			if fmt.Sprint(sizes) != fmt.Sprint(tt.wantSizes) {
				t.Errorf("page sizes %v, want %v", sizes, tt.wantSizes)
			}
			for i, want := range o.Accounts {
				if !bytes.Equal(all[i], want) {
					t.Fatalf("account %d = %s, want %s", i, all[i], want)
				}
			}
			if st := srv.Stats(); st.SearchCalls != len(tt.wantSizes) {
				t.Errorf("SearchCalls %d", st.SearchCalls)
			}
		})
	}
}

func TestCursorResendAndExpiry(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2025, 6, 9, 0, 0, 0, 0, time.UTC).UnixNano())
	advance := func(d time.Duration) { now.Add(int64(d)) }
	o := options(10)
	o.Now = func() time.Time { return time.Unix(0, now.Load()) }
	srv := gigyatest.NewServer(o)
	defer srv.Close()

	first := post(t, srv.URL, "accounts.search", auth("query", "SELECT * FROM accounts LIMIT 3", "openCursor", "true"))
	cursor := first.NextCursorID
	a1 := post(t, srv.URL, "accounts.search", auth("cursorId", cursor))
	advance(4 * time.Minute)
	a2 := post(t, srv.URL, "accounts.search", auth("cursorId", cursor))
	if a1.ErrorCode != 0 || !bytes.Equal(a1.Results, a2.Results) || a1.NextCursorID != a2.NextCursorID {
		t.Fatalf("re-sent cursor gave a different page:\n%s\n%s", a1.raw, a2.raw)
	}
	advance(4 * time.Minute) // used 4 minutes ago: still alive
	if a := post(t, srv.URL, "accounts.search", auth("cursorId", cursor)); a.ErrorCode != 0 {
		t.Fatalf("cursor used 4 minutes ago refused: %s", a.raw)
	}
	advance(gigyatest.CursorTTL + time.Second)
	if a := post(t, srv.URL, "accounts.search", auth("cursorId", cursor)); a.ErrorCode != 400006 || !strings.Contains(a.ErrorDetails, "expired") {
		t.Fatalf("stale cursor: %s", a.raw)
	}
	if a := post(t, srv.URL, "accounts.search", auth("cursorId", cursor)); a.ErrorCode != 400006 || !strings.Contains(a.ErrorDetails, "invalid cursorId") {
		t.Fatalf("expired cursor is forgotten: %s", a.raw)
	}
}

func TestGetAccountInfoAndPasswords(t *testing.T) {
	o := options(3)
	o.SearchOmitsPassword = true
	srv := gigyatest.NewServer(o)
	defer srv.Close()

	s := post(t, srv.URL, "accounts.search", auth("query", "SELECT * FROM accounts", "openCursor", "true"))
	if bytes.Contains(s.Results, []byte("password")) {
		t.Fatalf("search returned passwords: %s", s.Results)
	}
	tests := []struct {
		name    string
		include string
		wantPW  string
	}{
		{name: "password included", include: "profile,data,password", wantPW: `{"hash":"h1"}`},
		{name: "password not included", include: "profile,data"},
		{name: "no include", include: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := post(t, srv.URL, "accounts.getAccountInfo", auth("UID", "u1", "include", tt.include))
			if a.ErrorCode != 0 || a.UID != "u1" || string(a.Password) != tt.wantPW {
				t.Fatalf("answer %s", a.raw)
			}
			if !bytes.Contains(a.raw, []byte(`"profile":{"email":"u1@example.com"}`)) {
				t.Errorf("account fields not at the top level: %s", a.raw)
			}
		})
	}
	if st := srv.Stats(); st.AccountInfoCalls != 3 || st.PerUID["u1"] != 3 || st.MaxInFlight != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultsAreDeterministic(t *testing.T) {
	tests := []struct {
		name   string
		faults gigyatest.Faults
		want   string // outcome of requests 1..8
	}{
		{name: "none", want: "ok ok ok ok ok ok ok ok"},
		{name: "rate limit every 3rd", faults: gigyatest.Faults{RateLimitEvery: 3}, want: "ok ok 403048 ok ok 403048 ok ok"},
		{name: "server error every 2nd alternates HTTP 500 and 500001", faults: gigyatest.Faults{ServerErrorEvery: 2}, want: "ok http500 ok 500001 ok http500 ok 500001"},
		{name: "drop every 4th", faults: gigyatest.Faults{DropEvery: 4}, want: "ok ok ok dropped ok ok ok dropped"},
		{name: "slow every 3rd", faults: gigyatest.Faults{SlowEvery: 3, Slow: time.Hour}, want: "ok ok timeout ok ok timeout ok ok"},
		{name: "drop wins over rate limit", faults: gigyatest.Faults{DropEvery: 2, RateLimitEvery: 2}, want: "ok dropped ok dropped ok dropped ok dropped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := options(1)
			o.Faults = tt.faults
			srv := gigyatest.NewServer(o)
			defer srv.Close()
			client := &http.Client{Timeout: 200 * time.Millisecond}
			var got []string
			for range 8 {
				got = append(got, outcome(client, srv.URL))
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Fatalf("outcomes %q, want %q", g, tt.want)
			}
			if st := srv.Stats(); st.Requests != 8 {
				t.Errorf("Requests %d", st.Requests)
			}
		})
	}
}

func outcome(client *http.Client, base string) string {
	resp, err := client.PostForm(base+"/accounts.getAccountInfo", auth("UID", "u0"))
	if err != nil {
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			return "timeout"
		}
		return "dropped"
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("http%d", resp.StatusCode)
	}
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return "garbled"
	}
	if a.ErrorCode != 0 {
		return fmt.Sprint(a.ErrorCode)
	}
	return "ok"
}

func TestHandlerServesTheSameState(t *testing.T) {
	srv := gigyatest.NewServer(options(2))
	defer srv.Close()
	other := httptest.NewServer(srv.Handler())
	defer other.Close()
	if a := post(t, other.URL, "accounts.getAccountInfo", auth("UID", "u0")); a.ErrorCode != 0 {
		t.Fatalf("answer %s", a.raw)
	}
	if st := srv.Stats(); st.Requests != 1 || st.AccountInfoCalls != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestNewServerRejectsNonObjects(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewServer accepted an account that is not an object")
		}
	}()
	o := options(0)
	o.Accounts = [][]byte{[]byte(`[1]`)}
	gigyatest.NewServer(o).Close()
}

// loginAccounts are accounts in each state accounts.login distinguishes.
func loginAccounts() gigyatest.Options {
	o := gigyatest.Options{APIKey: apiKey, UserKey: userKey, Secret: secret,
		Accounts: [][]byte{
			[]byte(`{"UID":"ok","isActive":true,"isRegistered":true,"isVerified":true,"loginIDs":{"emails":["Ok@Example.com"],"username":"okuser"},"profile":{"email":"ok@example.com"},"password":{"hash":"h"}}`),
			[]byte(`{"UID":"off","isActive":false,"isRegistered":true,"loginIDs":{"emails":["off@example.com"]}}`),
			[]byte(`{"UID":"locked","isActive":true,"lockedUntil":"2099-01-01T00:00:00Z","loginIDs":{"emails":["locked@example.com"]}}`),
			[]byte(`{"UID":"was-locked","isActive":true,"lockedUntil":"2001-01-01T00:00:00Z","loginIDs":{"emails":["was@example.com"]}}`),
			[]byte(`{"UID":"pending","isRegistered":false,"loginIDs":{"emails":["pending@example.com"]}}`),
			[]byte(`{"UID":"unverified","isRegistered":true,"isVerified":false,"loginIDs":{"emails":["unverified@example.com"]}}`),
			[]byte(`{"UID":"nopw","loginIDs":{"emails":["nopw@example.com"]}}`),
		},
		Passwords: map[string]string{"ok": "right", "off": "right", "locked": "right", "was-locked": "right",
			"pending": "right", "unverified": "right"},
		RequireVerifiedEmail: true,
	}
	return o
}

func TestLogin(t *testing.T) {
	srv := gigyatest.NewServer(loginAccounts())
	defer srv.Close()
	tests := []struct {
		name, loginID, password string
		wantCode                int
		wantUID                 string
	}{
		{"email, any case", "ok@EXAMPLE.com", "right", 0, "ok"},
		{"username", "okuser", "right", 0, "ok"},
		{"wrong password", "ok@example.com", "Right", 403042, ""},
		{"unknown login", "who@example.com", "right", 403042, ""},
		{"account without a password", "nopw@example.com", "right", 403042, ""},
		{"disabled, right password", "off@example.com", "right", 403041, ""},
		{"disabled, wrong password", "off@example.com", "wrong", 403042, ""},
		{"locked out", "locked@example.com", "right", 403120, ""},
		{"lock expired", "was@example.com", "right", 0, "was-locked"},
		{"pending registration", "pending@example.com", "right", 206001, ""},
		{"pending verification", "unverified@example.com", "right", 206002, ""},
		{"missing loginID", "", "right", 400002, ""},
		{"missing password", "ok@example.com", "", 400002, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := post(t, srv.URL, "accounts.login", auth("loginID", tt.loginID, "password", tt.password))
			if a.ErrorCode != tt.wantCode || a.UID != tt.wantUID {
				t.Fatalf("errorCode %d UID %q, want %d %q: %s", a.ErrorCode, a.UID, tt.wantCode, tt.wantUID, a.raw)
			}
			if tt.wantCode == 0 && (!bytes.Contains(a.raw, []byte(`"sessionInfo":{"sessionToken":"st_`)) || bytes.Contains(a.raw, []byte(`"password"`))) {
				t.Errorf("success answer: %s", a.raw)
			}
			if tt.wantCode/1000 == 206 && !bytes.Contains(a.raw, []byte(`"regToken"`)) {
				t.Errorf("interrupted answer without regToken: %s", a.raw)
			}
			if bytes.Contains(a.raw, []byte("right")) {
				t.Errorf("answer echoes the password: %s", a.raw)
			}
		})
	}
	if a := post(t, srv.URL, "accounts.logout", auth("UID", "ok")); a.ErrorCode != 0 {
		t.Errorf("logout: %s", a.raw)
	}
	if a := post(t, srv.URL, "accounts.logout", auth("UID", "nobody")); a.ErrorCode != 403047 {
		t.Errorf("logout of an unknown UID: %s", a.raw)
	}
	if st := srv.Stats(); st.LoginCalls != len(tests) || st.LogoutCalls != 2 {
		t.Errorf("stats %+v", st)
	}
}
