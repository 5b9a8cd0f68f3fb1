package oktatest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/sources/okta/oktatest"
)

const token = "00abcdefTESTtoken_123"

func userJSON(id, status string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"status":%q,"profile":{"login":"%s@example.com","n":12345678901234567890}}`, id, status, id)
}

// fiveUsers: u1..u5, u2 and u4 DEPROVISIONED.
func fiveUsers() [][]byte {
	return [][]byte{
		userJSON("00u1", "ACTIVE"),
		userJSON("00u2", "DEPROVISIONED"),
		userJSON("00u3", "STAGED"),
		userJSON("00u4", "DEPROVISIONED"),
		userJSON("00u5", "SUSPENDED"),
	}
}

type answer struct {
	status int
	header http.Header
	body   []byte
	err    error
}

func get(t *testing.T, c *http.Client, rawURL, tok string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", tok)
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: body, err: err}
}

func noKeepAlive() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e oktatest.ErrorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e.ErrorCode
}

var linkRE = regexp.MustCompile(`^<([^>]*)>; rel="(self|next)"$`)

// links returns the self and next targets, checking each Link field has the expected shape.
func links(t *testing.T, h http.Header) (self, next string) {
	t.Helper()
	for _, v := range h.Values("Link") {
		m := linkRE.FindStringSubmatch(v)
		if m == nil {
			t.Fatalf("Link field %q has an unexpected shape", v)
		}
		if m[2] == "self" {
			self = m[1]
		} else {
			next = m[1]
		}
	}
	return self, next
}

func TestAuth(t *testing.T) {
	srv := oktatest.NewServer(oktatest.Options{Token: token, Users: fiveUsers()})
	defer srv.Close()
	tests := []struct {
		name       string
		auth       string
		wantStatus int
	}{
		{"right token", "SSWS " + token, 200},
		{"no header", "", 401},
		{"wrong token", "SSWS nope", 401},
		{"bearer scheme", "Bearer " + token, 401},
		{"lower-case scheme", "ssws " + token, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := get(t, http.DefaultClient, srv.URL+"/api/v1/users", tt.auth)
			if a.err != nil {
				t.Fatal(a.err)
			}
			if a.status != tt.wantStatus {
				t.Fatalf("status %d, want %d", a.status, tt.wantStatus)
			}
			if tt.wantStatus == 401 {
				if code := errorCode(t, a.body); code != "E0000011" {
					t.Errorf("errorCode %q, want E0000011", code)
				}
				if bytes.Contains(a.body, []byte(token)) {
					t.Error("error body contains the token")
				}
			}
			for _, h := range []string{"X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"} {
				if a.header.Get(h) == "" {
					t.Errorf("no %s header", h)
				}
			}
		})
	}
}

func TestListPaging(t *testing.T) {
	srv := oktatest.NewServer(oktatest.Options{Token: token, Users: fiveUsers()})
	defer srv.Close()
	tests := []struct {
		name      string
		first     string
		wantPages [][]string // ids per page
	}{
		{"main pass limit 2", "/api/v1/users?limit=2", [][]string{{"00u1", "00u3"}, {"00u5"}}},
		{"main pass limit 1", "/api/v1/users?limit=1", [][]string{{"00u1"}, {"00u3"}, {"00u5"}}},
		{"main pass default limit", "/api/v1/users", [][]string{{"00u1", "00u3", "00u5"}}},
		{"main pass exact fit", "/api/v1/users?limit=3", [][]string{{"00u1", "00u3", "00u5"}}},
		{"search deprovisioned", "/api/v1/users?limit=1&search=" + url.QueryEscape(`status eq "DEPROVISIONED"`), [][]string{{"00u2"}, {"00u4"}}},
		{"search value any case", "/api/v1/users?search=" + url.QueryEscape(`status EQ "deprovisioned"`), [][]string{{"00u2", "00u4"}}},
		{"filter deprovisioned", "/api/v1/users?limit=1&filter=" + url.QueryEscape(`status eq "DEPROVISIONED"`), [][]string{{"00u2"}, {"00u4"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := srv.URL + tt.first
			var pages [][]string
			for next != "" {
				a := get(t, http.DefaultClient, next, "SSWS "+token)
				if a.err != nil || a.status != 200 {
					t.Fatalf("GET %s: %d %v %s", next, a.status, a.err, a.body)
				}
				again := get(t, http.DefaultClient, next, "SSWS "+token)
				if !bytes.Equal(a.body, again.body) || fmt.Sprint(a.header.Values("Link")) != fmt.Sprint(again.header.Values("Link")) {
					t.Fatalf("GET %s twice gave different answers", next)
				}
				self, nxt := links(t, a.header)
				if self != next {
					t.Errorf("self link %q, want %q", self, next)
				}
				var users []struct{ ID string }
				if err := json.Unmarshal(a.body, &users); err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, u := range users {
					ids = append(ids, u.ID)
				}
				pages = append(pages, ids)
				if nxt != "" {
					u, err := url.Parse(nxt)
					if err != nil || !u.IsAbs() || "http://"+u.Host != srv.URL {
						t.Fatalf("next link %q is not absolute on the server's origin", nxt)
					}
					after := u.Query().Get("after")
					if after != ids[len(ids)-1] {
						t.Errorf("cursor %q, want the last id %q", after, ids[len(ids)-1])
					}
					if _, err := strconv.Atoi(after); err == nil {
						t.Errorf("cursor %q looks like an index", after)
					}
					orig, _ := url.Parse(next)
					for _, p := range []string{"search", "filter"} {
						if u.Query().Get(p) != orig.Query().Get(p) {
							t.Errorf("next link lost %s: %q", p, nxt)
						}
					}
				}
				next = nxt
			}
			if fmt.Sprint(pages) != fmt.Sprint(tt.wantPages) {
				t.Errorf("pages %v, want %v", pages, tt.wantPages)
			}
		})
	}
}

func TestListBodyVerbatim(t *testing.T) {
	users := [][]byte{
		[]byte("{ \"status\" : \"ACTIVE\",\n  \"id\": \"00uA\", \"x\": 1.50e+3, \"s\": \"\\u00e9\" }"),
		[]byte(`{"id":"00uB","status":"LOCKED_OUT","big":123456789012345678901234567890}`),
	}
	srv := oktatest.NewServer(oktatest.Options{Token: token, Users: users})
	defer srv.Close()
	a := get(t, http.DefaultClient, srv.URL+"/api/v1/users", "SSWS "+token)
	want := "[" + string(users[0]) + "," + string(users[1]) + "]"
	if string(a.body) != want {
		t.Errorf("body\n%s\nwant\n%s", a.body, want)
	}
}

func TestListLimitClamped(t *testing.T) {
	var users [][]byte
	for i := range 250 {
		users = append(users, userJSON(fmt.Sprintf("00u%04d", i), "ACTIVE"))
	}
	srv := oktatest.NewServer(oktatest.Options{Token: token, Users: users})
	defer srv.Close()
	a := get(t, http.DefaultClient, srv.URL+"/api/v1/users?limit=500", "SSWS "+token)
	var got []json.RawMessage
	if err := json.Unmarshal(a.body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != oktatest.MaxLimit {
		t.Errorf("%d users, want %d", len(got), oktatest.MaxLimit)
	}
	_, next := links(t, a.header)
	if !strings.Contains(next, "limit=200") {
		t.Errorf("next link %q does not carry the served limit", next)
	}
}

func TestListBadRequests(t *testing.T) {
	srv := oktatest.NewServer(oktatest.Options{Token: token, Users: fiveUsers()})
	defer srv.Close()
	q := url.QueryEscape
	tests := []struct {
		name     string
		query    string
		wantCode string
	}{
		{"limit zero", "limit=0", "E0000001"},
		{"limit not a number", "limit=ten", "E0000001"},
		{"unknown cursor", "after=00uNOPE", "E0000029"},
		{"empty cursor", "after=", "E0000029"},
		{"other search", "search=" + q(`profile.department eq "X"`), "E0000031"},
		{"other status", "search=" + q(`status eq "ACTIVE"`), "E0000031"},
		{"filter value case", "filter=" + q(`status eq "deprovisioned"`), "E0000031"},
		{"attribute case", "search=" + q(`Status eq "DEPROVISIONED"`), "E0000031"},
		{"unquoted value", "search=" + q(`status eq DEPROVISIONED`), "E0000031"},
		{"search and filter", "search=" + q(`status eq "DEPROVISIONED"`) + "&filter=" + q(`status eq "DEPROVISIONED"`), "E0000033"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := get(t, http.DefaultClient, srv.URL+"/api/v1/users?"+tt.query, "SSWS "+token)
			if a.status != 400 {
				t.Fatalf("status %d, want 400 (%s)", a.status, a.body)
			}
			if code := errorCode(t, a.body); code != tt.wantCode {
				t.Errorf("errorCode %q, want %q", code, tt.wantCode)
			}
		})
	}
}

func TestOtherEndpoints(t *testing.T) {
	srv := oktatest.NewServer(oktatest.Options{
		Token:  token,
		Users:  fiveUsers(),
		Groups: map[string][]byte{"00u1": []byte(` [{"id":"00g1","profile":{"name":"Everyone"}}] `)},
	})
	defer srv.Close()
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantBody   string // for 200
		wantCode   string // for errors
	}{
		{"groups", "/api/v1/users/00u1/groups", 200, `[{"id":"00g1","profile":{"name":"Everyone"}}]`, ""},
		{"no groups", "/api/v1/users/00u3/groups", 200, `[]`, ""},
		{"groups of deprovisioned user", "/api/v1/users/00u2/groups", 200, `[]`, ""},
		{"groups of unknown user", "/api/v1/users/00uX/groups", 404, "", "E0000007"},
		{"get user", "/api/v1/users/00u4", 200, string(userJSON("00u4", "DEPROVISIONED")), ""},
		{"get user by login", "/api/v1/users/00U4@Example.com", 200, string(userJSON("00u4", "DEPROVISIONED")), ""},
		{"get unknown user", "/api/v1/users/00uX", 404, "", "E0000007"},
		{"unknown path", "/api/v1/groups", 404, "", "E0000008"},
		{"unknown sub-resource", "/api/v1/users/00u1/apps", 404, "", "E0000008"},
		{"users prefix only", "/api/v1/usersX", 404, "", "E0000008"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := get(t, http.DefaultClient, srv.URL+tt.path, "SSWS "+token)
			if a.status != tt.wantStatus {
				t.Fatalf("status %d, want %d (%s)", a.status, tt.wantStatus, a.body)
			}
			if tt.wantStatus == 200 && string(a.body) != tt.wantBody {
				t.Errorf("body %s, want %s", a.body, tt.wantBody)
			}
			if tt.wantCode != "" {
				if code := errorCode(t, a.body); code != tt.wantCode {
					t.Errorf("errorCode %q, want %q", code, tt.wantCode)
				}
			}
		})
	}
	t.Run("method not allowed", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/api/v1/users/00u1", nil)
		req.Header.Set("Authorization", "SSWS "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 405 || errorCode(t, body) != "E0000022" {
			t.Errorf("got %d %s", resp.StatusCode, body)
		}
	})
	if st := srv.Stats(); st.GroupsCalls != 3 || st.NotFound != 5 {
		t.Errorf("stats %+v: want 3 groups calls and 5 not-found", st)
	}
}

func TestErrorBodyShape(t *testing.T) {
	srv := oktatest.NewServer(oktatest.Options{Token: token})
	defer srv.Close()
	a := get(t, http.DefaultClient, srv.URL+"/api/v1/users", "SSWS wrong")
	re := regexp.MustCompile(`^\{"errorCode":"E0000011","errorSummary":"Invalid token provided","errorLink":"E0000011","errorId":"oaetest\d{13}","errorCauses":\[\]\}$`)
	if !re.Match(a.body) {
		t.Errorf("error body %s", a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestFaults(t *testing.T) {
	const n = 12
	tests := []struct {
		name   string
		faults oktatest.Faults
		want   string // outcome per request: . ok, D dropped, R 429, S 500, T truncated
	}{
		{"none", oktatest.Faults{}, "............"},
		{"drop every 3", oktatest.Faults{DropEvery: 3}, "..D..D..D..D"},
		{"rate limit every 4", oktatest.Faults{RateLimitEvery: 4}, "...R...R...R"},
		{"server error every 5", oktatest.Faults{ServerErrorEvery: 5}, "....S....S.."},
		{"truncate every 2", oktatest.Faults{TruncateEvery: 2}, ".T.T.T.T.T.T"},
		{"precedence", oktatest.Faults{DropEvery: 6, RateLimitEvery: 4, ServerErrorEvery: 3, TruncateEvery: 2}, ".TSR.D.RST.D"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := oktatest.NewServer(oktatest.Options{Token: token, Users: fiveUsers(), Faults: tt.faults})
			defer srv.Close()
			c := noKeepAlive()
			var got strings.Builder
			for range n {
				a := get(t, c, srv.URL+"/api/v1/users", "SSWS "+token)
				switch {
				case a.err != nil && a.status == 0:
					got.WriteByte('D')
				case a.err != nil && a.status == 200:
					got.WriteByte('T')
				case a.status == 429:
					got.WriteByte('R')
					if a.header.Get("X-Rate-Limit-Remaining") != "0" || errorCode(t, a.body) != "E0000047" {
						t.Errorf("429 answer: %v %s", a.header, a.body)
					}
				case a.status == 500:
					got.WriteByte('S')
					if errorCode(t, a.body) != "E0000009" {
						t.Errorf("500 answer: %s", a.body)
					}
				case a.status == 200:
					got.WriteByte('.')
				default:
					t.Fatalf("unexpected answer %d %v", a.status, a.err)
				}
			}
			if got.String() != tt.want {
				t.Errorf("outcomes %s, want %s", got.String(), tt.want)
			}
			st := srv.Stats()
			count := func(c byte) int64 { return int64(strings.Count(tt.want, string(c))) }
			if st.Requests != n || st.Dropped != count('D') || st.RateLimited != count('R') ||
				st.ServerErrors != count('S') || st.Truncated != count('T') {
				t.Errorf("stats %+v do not match %s", st, tt.want)
			}
		})
	}
}

func TestSlowFault(t *testing.T) {
	t.Run("served after the delay", func(t *testing.T) {
		srv := oktatest.NewServer(oktatest.Options{Token: token, Users: fiveUsers(),
			Faults: oktatest.Faults{SlowEvery: 1, Slow: time.Millisecond}})
		defer srv.Close()
		if a := get(t, http.DefaultClient, srv.URL+"/api/v1/users", "SSWS "+token); a.status != 200 {
			t.Fatalf("status %d %v", a.status, a.err)
		}
		if st := srv.Stats(); st.Slowed != 1 {
			t.Errorf("Slowed %d, want 1", st.Slowed)
		}
	})
	t.Run("client gives up", func(t *testing.T) {
		srv := oktatest.NewServer(oktatest.Options{Token: token, Users: fiveUsers(),
			Faults: oktatest.Faults{SlowEvery: 1, Slow: time.Hour}})
		defer srv.Close() // returns promptly: the held handler sees the client leave
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/users", nil)
		req.Header.Set("Authorization", "SSWS "+token)
		_, err := http.DefaultClient.Do(req)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v, want a deadline", err)
		}
	})
}

func TestRateLimitWindow(t *testing.T) {
	start := time.Unix(1_700_000_000, 400_000_000)
	clock := oktatest.NewClock(start)
	srv := oktatest.NewServer(oktatest.Options{Token: token, Users: fiveUsers(), RateLimit: 2, Now: clock.Now})
	defer srv.Close()
	steps := []struct {
		advance       time.Duration
		wantStatus    int
		wantRemaining string
		wantReset     int64
	}{
		{0, 200, "1", 1_700_000_001},
		{0, 200, "0", 1_700_000_001},
		{0, 429, "0", 1_700_000_001},
		{500 * time.Millisecond, 429, "0", 1_700_000_001}, // still the same second (…00.9)
		{100 * time.Millisecond, 200, "1", 1_700_000_002}, // next second: new window
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		a := get(t, http.DefaultClient, srv.URL+"/api/v1/users", "SSWS "+token)
		if a.status != s.wantStatus || a.header.Get("X-Rate-Limit-Remaining") != s.wantRemaining ||
			a.header.Get("X-Rate-Limit-Reset") != strconv.FormatInt(s.wantReset, 10) ||
			a.header.Get("X-Rate-Limit-Limit") != "2" {
			t.Errorf("step %d: %d remaining %s reset %s limit %s", i, a.status,
				a.header.Get("X-Rate-Limit-Remaining"), a.header.Get("X-Rate-Limit-Reset"), a.header.Get("X-Rate-Limit-Limit"))
		}
		if a.status == 429 && errorCode(t, a.body) != "E0000047" {
			t.Errorf("step %d: %s", i, a.body)
		}
	}
	if st := srv.Stats(); st.RateLimited != 2 || st.WindowLimited != 2 {
		t.Errorf("stats %+v", st)
	}
	t.Run("unlimited", func(t *testing.T) {
		srv := oktatest.NewServer(oktatest.Options{Token: token})
		defer srv.Close()
		for range 3 {
			a := get(t, http.DefaultClient, srv.URL+"/api/v1/users", "SSWS "+token)
			if a.header.Get("X-Rate-Limit-Limit") != strconv.Itoa(oktatest.ReportedLimit) ||
				a.header.Get("X-Rate-Limit-Remaining") != strconv.Itoa(oktatest.ReportedLimit-1) {
				t.Errorf("headers %v", a.header)
			}
		}
	})
}

func TestUpdateUser(t *testing.T) {
	srv := oktatest.NewServer(oktatest.Options{Token: token, Users: fiveUsers()})
	defer srv.Close()
	ids := func(q string) string {
		a := get(t, http.DefaultClient, srv.URL+"/api/v1/users"+q, "SSWS "+token)
		var us []struct{ ID string }
		if err := json.Unmarshal(a.body, &us); err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, u := range us {
			s = append(s, u.ID)
		}
		return strings.Join(s, ",")
	}
	deprov := "?search=" + url.QueryEscape(`status eq "DEPROVISIONED"`)
	if err := srv.UpdateUser(userJSON("00u3", "DEPROVISIONED")); err != nil {
		t.Fatal(err)
	}
	if err := srv.UpdateUser(userJSON("00u9", "ACTIVE")); err != nil {
		t.Fatal(err)
	}
	if got := ids(""); got != "00u1,00u5,00u9" {
		t.Errorf("main listing %s", got)
	}
	if got := ids(deprov); got != "00u2,00u3,00u4" {
		t.Errorf("DEPROVISIONED listing %s", got)
	}
	if err := srv.UpdateUser([]byte(`{"status":"ACTIVE"}`)); err == nil {
		t.Error("UpdateUser accepted a user without id")
	}
}

func TestNewPanics(t *testing.T) {
	tests := []struct {
		name string
		o    oktatest.Options
	}{
		{"no token", oktatest.Options{}},
		{"not an object", oktatest.Options{Token: "t", Users: [][]byte{[]byte(`[]`)}}},
		{"no id", oktatest.Options{Token: "t", Users: [][]byte{[]byte(`{"status":"ACTIVE"}`)}}},
		{"numeric id", oktatest.Options{Token: "t", Users: [][]byte{[]byte(`{"id":1,"status":"ACTIVE"}`)}}},
		{"no status", oktatest.Options{Token: "t", Users: [][]byte{[]byte(`{"id":"a"}`)}}},
		{"duplicate id", oktatest.Options{Token: "t", Users: [][]byte{userJSON("a", "ACTIVE"), userJSON("a", "STAGED")}}},
		{"groups not an array", oktatest.Options{Token: "t", Groups: map[string][]byte{"a": []byte(`{}`)}}},
		{"negative rate limit", oktatest.Options{Token: "t", RateLimit: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("New did not panic")
				}
			}()
			oktatest.New(tt.o)
		})
	}
}

func TestClock(t *testing.T) {
	start := time.Unix(100, 0)
	c := oktatest.NewClock(start)
	if err := c.Sleep(context.Background(), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Second)
	if got := c.Now(); !got.Equal(start.Add(3 * time.Second)) {
		t.Errorf("Now %v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context: %v", err)
	}
	if got := c.Sleeps(); len(got) != 1 || got[0] != 2*time.Second {
		t.Errorf("Sleeps %v", got)
	}
}
