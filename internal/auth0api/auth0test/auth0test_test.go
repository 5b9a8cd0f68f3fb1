package auth0test_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/auth0api/auth0test"
)

func TestToken(t *testing.T) {
	e := newEnv(t, auth0test.Options{})
	aud := e.srv.URL + "/api/v2/"
	tests := []struct {
		name       string
		form       url.Values
		jsonBody   string
		basic      bool
		wantStatus int
		wantError  string
	}{
		{name: "good form", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}, "audience": {aud}}, wantStatus: 200},
		{name: "good json", jsonBody: `{"grant_type":"client_credentials","client_id":"` + clientID + `","client_secret":"s3cr3t/+=","audience":"` + aud + `"}`, wantStatus: 200},
		{name: "good basic auth", form: url.Values{"grant_type": {"client_credentials"}, "audience": {aud}}, basic: true, wantStatus: 200},
		{name: "bad secret", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {"nope"}, "audience": {aud}}, wantStatus: 401, wantError: "access_denied"},
		{name: "unknown client", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {"other"}, "client_secret": {clientSecret}, "audience": {aud}}, wantStatus: 401, wantError: "access_denied"},
		{name: "bad audience", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}, "audience": {"https://other/api/v2/"}}, wantStatus: 403, wantError: "access_denied"},
		{name: "audience without slash", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}, "audience": {e.srv.URL + "/api/v2"}}, wantStatus: 403, wantError: "access_denied"},
		{name: "no audience", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}}, wantStatus: 403, wantError: "access_denied"},
		{name: "no grant type", form: url.Values{"client_id": {clientID}, "client_secret": {clientSecret}, "audience": {aud}}, wantStatus: 400, wantError: "invalid_request"},
		{name: "password grant", form: url.Values{"grant_type": {"password"}, "client_id": {clientID}, "client_secret": {clientSecret}, "audience": {aud}}, wantStatus: 403, wantError: "unauthorized_client"},
		{name: "unknown grant", form: url.Values{"grant_type": {"magic"}, "client_id": {clientID}, "client_secret": {clientSecret}, "audience": {aud}}, wantStatus: 400, wantError: "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req *http.Request
			if tt.jsonBody != "" {
				req, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/oauth/token", strings.NewReader(tt.jsonBody))
				req.Header.Set("Content-Type", "application/json")
			} else {
				req, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/oauth/token", strings.NewReader(tt.form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if tt.basic {
				req.SetBasicAuth(clientID, clientSecret)
			}
			a := e.do(req)
			if a.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", a.status, tt.wantStatus, a.body)
			}
			m := a.json(t)
			if tt.wantStatus != 200 {
				if m["error"] != tt.wantError || m["error_description"] == "" {
					t.Errorf("body %s, want error %q with a description", a.body, tt.wantError)
				}
				if tt.wantStatus == 401 && m["error_description"] != "Unauthorized" {
					t.Errorf("error_description %v, want Unauthorized", m["error_description"])
				}
				return
			}
			if m["token_type"] != "Bearer" || m["access_token"] == "" || m["expires_in"] != json.Number("86400") ||
				m["scope"] != "create:users read:users read:connections update:connections read:connections_options update:connections_options" {
				t.Errorf("token answer %s", a.body)
			}
			if g := e.api(http.MethodGet, "/connections", nil, "", m["access_token"].(string)); g.status != 200 {
				t.Errorf("the new token is refused: %d %s", g.status, g.body)
			}
		})
	}
}

func TestTokenValidation(t *testing.T) {
	e := newEnv(t, auth0test.Options{TokenTTL: 5 * time.Second})
	tests := []struct {
		name    string
		advance time.Duration
		token   string
		header  string
		want    int
		message string
	}{
		{name: "fresh token", token: e.token, want: 200},
		{name: "just before expiry", advance: 4 * time.Second, token: e.token, want: 200},
		{name: "expired", advance: time.Second, token: e.token, want: 401, message: "Expired token received for JSON Web Token validation"},
		{name: "unknown token", token: "forged", want: 401, message: "Invalid token"},
		{name: "no header", want: 401, message: "Missing authentication"},
		{name: "basic scheme", header: "Basic " + e.token, want: 401, message: "Bad HTTP authentication header format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clk.Advance(tt.advance)
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v2/connections", nil)
			switch {
			case tt.header != "":
				req.Header.Set("Authorization", tt.header)
			case tt.token != "":
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			a := e.do(req)
			if a.status != tt.want {
				t.Fatalf("status %d, want %d: %s", a.status, tt.want, a.body)
			}
			if tt.want == 401 {
				m := a.json(t)
				if m["message"] != tt.message || m["error"] != "Unauthorized" || m["statusCode"] != json.Number("401") {
					t.Errorf("body %s, want message %q", a.body, tt.message)
				}
			}
		})
	}
	t.Run("expires_in of a short TTL", func(t *testing.T) {
		a := e.tokenRequest(url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}, "audience": {e.srv.URL + "/api/v2/"}})
		if got := a.json(t)["expires_in"]; got != json.Number("5") {
			t.Errorf("expires_in %v, want 5", got)
		}
	})
}

func TestScopes(t *testing.T) {
	tests := []struct {
		name    string
		scopes  []string
		method  string
		path    string
		want    int
		message string
	}{
		{"import without create:users", []string{"read:users", "read:connections"}, "POST", "/jobs/users-imports", 403, "Insufficient scope, expected any of: create:users"},
		{"connections without read:connections", []string{"create:users"}, "GET", "/connections", 403, "Insufficient scope, expected any of: read:connections"},
		{"export without read:users", []string{"create:users"}, "POST", "/jobs/users-exports", 403, "Insufficient scope, expected any of: read:users"},
		{"job with read:users only", []string{"read:users"}, "GET", "/jobs/job_0000000000000000", 404, ""},
		{"job with create:users only", []string{"create:users"}, "GET", "/jobs/job_0000000000000000/errors", 404, ""},
		{"job with neither", []string{"read:connections"}, "GET", "/jobs/job_0000000000000000", 403, "Insufficient scope, expected any of: create:users,read:users"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, auth0test.Options{Scopes: tt.scopes})
			var body *bytes.Buffer
			ct := ""
			if tt.method == "POST" {
				body, ct = multipartBody(part{name: "users", value: "[]", file: true}, part{name: "connection_id", value: connID})
			}
			var a answer
			if body != nil {
				a = e.api(tt.method, tt.path, body, ct)
			} else {
				a = e.api(tt.method, tt.path, nil, "")
			}
			if a.status != tt.want {
				t.Fatalf("status %d, want %d: %s", a.status, tt.want, a.body)
			}
			if tt.want == 403 {
				m := a.json(t)
				if m["message"] != tt.message || m["errorCode"] != "insufficient_scope" || m["error"] != "Forbidden" {
					t.Errorf("body %s", a.body)
				}
			}
		})
	}
}

func TestConnections(t *testing.T) {
	e := newEnv(t, auth0test.Options{Connections: []auth0test.Connection{
		{ID: "con_AAAAAAAAAAAAAAAA", Name: "Username-Password-Authentication", Strategy: "auth0", Enabled: true},
		{ID: "con_BBBBBBBBBBBBBBBB", Name: "legacy-db", Strategy: "auth0", Enabled: true, CustomDatabase: true, ImportMode: true},
		{ID: "con_CCCCCCCCCCCCCCCC", Name: "google-oauth2", Strategy: "google-oauth2", Enabled: true},
	}})
	tests := []struct {
		name    string
		query   string
		wantIDs []string
	}{
		{"all", "", []string{"con_AAAAAAAAAAAAAAAA", "con_BBBBBBBBBBBBBBBB", "con_CCCCCCCCCCCCCCCC"}},
		{"by name", "?name=legacy-db", []string{"con_BBBBBBBBBBBBBBBB"}},
		{"by name and strategy", "?name=legacy-db&strategy=auth0", []string{"con_BBBBBBBBBBBBBBBB"}},
		{"by strategy", "?strategy=auth0", []string{"con_AAAAAAAAAAAAAAAA", "con_BBBBBBBBBBBBBBBB"}},
		{"unknown name", "?name=nope", nil},
		{"name with wrong strategy", "?name=google-oauth2&strategy=auth0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.get("/connections" + tt.query)
			if a.status != 200 {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			var list []map[string]any
			if err := json.Unmarshal(a.body, &list); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range list {
				ids = append(ids, c["id"].(string))
				if _, ok := c["enabled_clients"].([]any); !ok {
					t.Errorf("connection %v has no enabled_clients array", c)
				}
			}
			if !slices.Equal(ids, tt.wantIDs) {
				t.Errorf("ids %v, want %v", ids, tt.wantIDs)
			}
		})
	}
	t.Run("by id", func(t *testing.T) {
		a := e.get("/connections/con_BBBBBBBBBBBBBBBB")
		m := a.json(t)
		// The default scopes include read:connections_options (without it: TestConnectionOptionsScopes).
		opts, _ := m["options"].(map[string]any)
		if a.status != 200 || m["name"] != "legacy-db" || m["strategy"] != "auth0" || opts["import_mode"] != true {
			t.Errorf("%d %s", a.status, a.body)
		}
	})
	t.Run("unknown id", func(t *testing.T) {
		if a := e.get("/connections/con_ZZZZZZZZZZZZZZZZ"); a.status != 404 {
			t.Errorf("status %d", a.status)
		}
	})
	t.Run("unknown route", func(t *testing.T) {
		a := e.get("/users")
		if a.status != 404 || a.json(t)["statusCode"] != json.Number("404") {
			t.Errorf("%d %s", a.status, a.body)
		}
	})
}

func TestImportBadRequests(t *testing.T) {
	e := newEnv(t, auth0test.Options{Connections: []auth0test.Connection{
		{ID: connID, Name: connName, Strategy: "auth0", Enabled: true},
		{ID: "con_social0000000000", Name: "google-oauth2", Strategy: "google-oauth2", Enabled: true},
		{ID: "con_disabled00000000", Name: "disabled", Strategy: "auth0"},
		{ID: "con_customdb0000000a", Name: "custom", Strategy: "auth0", Enabled: true, CustomDatabase: true},
		{ID: "con_customdb0000000b", Name: "custom-import", Strategy: "auth0", Enabled: true, CustomDatabase: true, ImportMode: true},
	}})
	users := `[{"email":"a@example.com"}]`
	file := part{name: "users", value: users, file: true}
	conn := part{name: "connection_id", value: connID}
	tests := []struct {
		name    string
		parts   []part
		ct      string // overrides the multipart content type
		want    int
		message string
	}{
		{name: "no users part", parts: []part{conn}, want: 400, message: auth0test.MsgUsersPartMissing},
		{name: "users as a plain field", parts: []part{{name: "users", value: users}, conn}, want: 400, message: auth0test.MsgUsersPartMissing},
		{name: "empty users file", parts: []part{{name: "users", value: "", file: true}, conn}, want: 400, message: auth0test.MsgUsersFileEmpty},
		{name: "blank users file", parts: []part{{name: "users", value: " \n", file: true}, conn}, want: 400, message: auth0test.MsgUsersFileEmpty},
		{name: "no connection_id", parts: []part{file}, want: 400, message: auth0test.MsgConnectionMissing},
		{name: "malformed connection_id", parts: []part{file, {name: "connection_id", value: "con_short"}}, want: 400,
			message: "Payload validation error: 'String does not match pattern ^con_[A-Za-z0-9]{16}$: con_short' on property connection_id."},
		{name: "unknown connection", parts: []part{file, {name: "connection_id", value: "con_0000000000000000"}}, want: 400, message: auth0test.MsgConnectionNotFound},
		{name: "social connection", parts: []part{file, {name: "connection_id", value: "con_social0000000000"}}, want: 400, message: auth0test.MsgNotDatabase},
		{name: "disabled connection", parts: []part{file, {name: "connection_id", value: "con_disabled00000000"}}, want: 400, message: auth0test.MsgNotEnabled},
		{name: "custom db without import mode", parts: []part{file, {name: "connection_id", value: "con_customdb0000000a"}}, want: 400, message: auth0test.MsgCustomDBNoImport},
		{name: "custom db with import mode", parts: []part{file, {name: "connection_id", value: "con_customdb0000000b"}}, want: 202},
		{name: "upsert not a boolean", parts: []part{file, conn, {name: "upsert", value: "yes"}}, want: 400,
			message: "Payload validation error: 'Expected type boolean but found type string' on property upsert."},
		{name: "unknown part", parts: []part{file, conn, {name: "connection", value: connName}}, want: 400,
			message: "Payload validation error: 'Additional properties not allowed: connection'."},
		{name: "checks users before connection", parts: []part{{name: "connection_id", value: "bad"}}, want: 400, message: auth0test.MsgUsersPartMissing},
		{name: "not multipart", parts: []part{file, conn}, ct: "application/json", want: 415, message: "Unsupported Media Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := multipartBody(tt.parts...)
			if tt.ct != "" {
				ct = tt.ct
			}
			a := e.api(http.MethodPost, "/jobs/users-imports", body, ct)
			if a.status != tt.want {
				t.Fatalf("status %d, want %d: %s", a.status, tt.want, a.body)
			}
			if tt.want != 202 {
				if got := a.message(t); got != tt.message {
					t.Errorf("message %q, want %q", got, tt.message)
				}
			}
		})
	}
}

// fileOfSize returns a valid users file of exactly n bytes.
func fileOfSize(n int) string {
	head := `[{"email":"pad@example.com","user_metadata":{"pad":"`
	tail := `"}}]`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

func TestImportSizeLimit(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		wholeBody bool
		want      int
	}{
		{"512000 bytes accepted", 512000, false, 202},
		{"512001 bytes refused", 512001, false, 413},
		{"whole-body limit counts the multipart overhead", 512000, true, 413},
		{"whole-body limit accepts a smaller file", 511000, true, 202},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, auth0test.Options{LimitWholeBody: tt.wholeBody})
			a := e.importFile(fileOfSize(tt.size))
			if a.status != tt.want {
				t.Fatalf("status %d, want %d: %.200s", a.status, tt.want, a.body)
			}
			if tt.want == 413 {
				want := `{"statusCode":413,"error":"Request Entity Too Large","message":"Payload content length greater than maximum allowed: 512000"}`
				if string(a.body) != want {
					t.Errorf("body %s, want %s", a.body, want)
				}
				if st := e.srv.Stats(); st.TooLarge != 1 || st.ImportJobs != 0 {
					t.Errorf("stats %+v", st)
				}
			}
		})
	}
}

func TestConcurrentJobLimit(t *testing.T) {
	tests := []struct {
		name string
		max  int
	}{{"default two", 0}, {"three", 3}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, auth0test.Options{MaxConcurrentJobs: tt.max, JobDelay: time.Second, ProcessingTime: 10 * time.Second})
			n := max(tt.max, 2)
			for i := range n {
				e.mustImport(fmt.Sprintf(`[{"email":"u%d@example.com"}]`, i))
			}
			a := e.importFile(`[{"email":"late@example.com"}]`)
			want := fmt.Sprintf(`{"statusCode":429,"error":"Too Many Requests","message":"There are %d active import users jobs, please wait until some of them are finished and try again"}`, n)
			if a.status != 429 || string(a.body) != want {
				t.Fatalf("%d %s, want 429 %s", a.status, a.body, want)
			}
			e.clk.Advance(11 * time.Second)
			e.mustImport(`[{"email":"late@example.com"}]`)
			st := e.srv.Stats()
			if st.ConcurrencyLimited != 1 || st.ImportJobs != int64(n+1) || st.MaxConcurrentJobs != n {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestJobLifecycle(t *testing.T) {
	e := newEnv(t, auth0test.Options{JobDelay: 2 * time.Second, ProcessingTime: 6 * time.Second, PerUser: time.Second})
	a := e.importFile(`[{"email":"Ann@Example.com","user_id":"u1","given_name":"Ann"},{"email":"bob@example.com"}]`,
		"upsert", "false", "external_id", "batch-1", "send_completion_email", "false")
	if a.status != 202 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	created := a.json(t)
	id := created["id"].(string)
	for k, v := range map[string]any{"status": "pending", "type": "users_import", "connection_id": connID, "connection": connName,
		"upsert": false, "external_id": "batch-1", "send_completion_email": false, "created_at": "2026-03-04T05:06:07.000Z"} {
		if created[k] != v {
			t.Errorf("created job %s = %v, want %v", k, created[k], v)
		}
	}
	if len(id) != 20 || !strings.HasPrefix(id, "job_") {
		t.Errorf("job id %q", id)
	}
	steps := []struct {
		name     string
		advance  time.Duration
		status   string
		pct      string
		timeLeft string
	}{
		{"pending during the delay", time.Second, "pending", "", ""},
		{"processing starts", time.Second, "processing", "0", "8"},
		{"half way", 4 * time.Second, "processing", "50", "4"},
		{"completed", 4 * time.Second, "completed", "", ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			e.clk.Advance(st.advance)
			j := e.job(id)
			if j["status"] != st.status {
				t.Fatalf("status %v, want %s", j["status"], st.status)
			}
			pct, _ := j["percentage_done"].(json.Number)
			left, _ := j["time_left_seconds"].(json.Number)
			if string(pct) != st.pct || string(left) != st.timeLeft {
				t.Errorf("percentage_done %q time_left_seconds %q, want %q %q", pct, left, st.pct, st.timeLeft)
			}
		})
	}
	j := e.job(id)
	if got := summary(t, j); got != [4]int{0, 0, 2, 2} {
		t.Errorf("summary %v", got)
	}
	users := e.srv.Users(connName)
	if len(users) != 2 {
		t.Fatalf("users %v", users)
	}
	u := users[0]
	ids, _ := u["identities"].([]any)
	if u["user_id"] != "auth0|u1" || u["email"] != "ann@example.com" || u["email_verified"] != false ||
		u["created_at"] != "2026-03-04T05:06:17.000Z" || len(ids) != 1 || ids[0].(map[string]any)["connection"] != connName {
		t.Errorf("stored user %v", u)
	}
	if id2, _ := users[1]["user_id"].(string); !strings.HasPrefix(id2, "auth0|") || len(id2) != len("auth0|")+24 {
		t.Errorf("generated user_id %q", id2)
	}
	jobs := e.srv.Jobs()
	if len(jobs) != 1 || jobs[0].Status != "completed" || jobs[0].Users != 2 || jobs[0].ExternalID != "batch-1" {
		t.Errorf("Jobs() %+v", jobs)
	}
}

// TestJobLifecycleRealClock runs a job on the real clock with tiny delays and polls it.
func TestJobLifecycleRealClock(t *testing.T) {
	e := newEnv(t, auth0test.Options{Now: time.Now, JobDelay: time.Millisecond, ProcessingTime: 2 * time.Millisecond})
	id := e.mustImport(`[{"email":"a@example.com"},{"email":"b@example.com"}]`)
	seen := map[string]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := e.job(id)["status"].(string)
		seen[s] = true
		if s == "completed" || s == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s", s)
		}
	}
	if !seen["completed"] || seen["failed"] {
		t.Errorf("statuses seen %v", seen)
	}
	if n := len(e.srv.Users(connName)); n != 2 {
		t.Errorf("%d users", n)
	}
}

func TestImportFileFailures(t *testing.T) {
	tests := []struct {
		name, file string
	}{
		{"not JSON", `[{"email":`},
		{"an object, not an array", `{"email":"a@example.com"}`},
		{"NDJSON", "{\"email\":\"a@example.com\"}\n{\"email\":\"b@example.com\"}"},
		{"trailing garbage", `[] x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, auth0test.Options{ProcessingTime: time.Second})
			id := e.mustImport(tt.file)
			j := e.finish(id, time.Second)
			if j["status"] != "failed" || j["status_details"] != auth0test.DetailsParseFailed || j["summary"] != nil {
				t.Errorf("job %v", j)
			}
			a := e.get("/jobs/" + id + "/errors")
			m := a.json(t)
			if a.status != 200 || m["status"] != "failed" || m["status_details"] != auth0test.DetailsParseFailed || m["id"] != id {
				t.Errorf("errors: %d %s", a.status, a.body)
			}
		})
	}
}

func TestDuplicatedUser(t *testing.T) {
	e := newEnv(t, auth0test.Options{ProcessingTime: time.Second})
	id := e.mustImport(`[
		{"email":"a@example.com","username":"alice","user_id":"1"},
		{"email":"A@EXAMPLE.COM","user_id":"2"},
		{"email":"b@example.com","username":"Alice"},
		{"email":"c@example.com","user_id":"1"},
		{"email":"bad"},
		{"email":"bad"},
		{"email":"d@example.com","user_id":"4"}
	]`)
	j := e.finish(id, time.Second)
	if got := summary(t, j); got != [4]int{5, 0, 2, 7} {
		t.Errorf("summary %v", got)
	}
	errs := e.userErrors(id)
	want := [][]string{
		{"DUPLICATED_USER@email"}, {"DUPLICATED_USER@username"}, {"DUPLICATED_USER@user_id"},
		{"FORMAT@email"}, {"FORMAT@email"},
	}
	if len(errs) != len(want) {
		t.Fatalf("errors %v", errs)
	}
	for i, ue := range errs {
		if got := codes(ue); !slices.Equal(got, want[i]) {
			t.Errorf("user error %d: %v, want %v", i, got, want[i])
		}
	}
	if msg := errs[0]["errors"].([]any)[0].(map[string]any)["message"]; msg != "A user with this email was already provided." {
		t.Errorf("message %v", msg)
	}
}

func TestConflicts(t *testing.T) {
	seed := raw(
		`{"email":"taken@example.com","username":"taken","user_id":"t1"}`,
		`{"user_id":"auth0|p1","email":"profile@example.com","identities":[{"connection":"Username-Password-Authentication","provider":"auth0","user_id":"p1"}]}`,
	)
	tests := []struct {
		name   string
		user   string
		upsert string
		want   []string
		sum    [4]int
	}{
		{"email taken", `{"email":"Taken@example.com"}`, "false", []string{"CONFLICT_EMAIL@email"}, [4]int{1, 0, 0, 1}},
		{"username taken", `{"email":"new@example.com","username":"TAKEN"}`, "false", []string{"CONFLICT_USERNAME@username"}, [4]int{1, 0, 0, 1}},
		{"user_id taken", `{"email":"new@example.com","user_id":"t1"}`, "false", []string{"CONFLICT@user_id"}, [4]int{1, 0, 0, 1}},
		{"user_id of a seeded profile", `{"email":"new@example.com","user_id":"p1"}`, "false", []string{"CONFLICT@user_id"}, [4]int{1, 0, 0, 1}},
		{"all three", `{"email":"taken@example.com","username":"taken","user_id":"t1"}`, "false",
			[]string{"CONFLICT_EMAIL@email", "CONFLICT_USERNAME@username", "CONFLICT@user_id"}, [4]int{1, 0, 0, 1}},
		{"upsert still refuses a taken username", `{"email":"new@example.com","username":"taken"}`, "true", []string{"CONFLICT_USERNAME@username"}, [4]int{1, 0, 0, 1}},
		{"upsert updates by email", `{"email":"taken@example.com","user_id":"other"}`, "true", nil, [4]int{0, 1, 0, 1}},
		{"no conflict", `{"email":"new@example.com","username":"newbie","user_id":"n1"}`, "false", nil, [4]int{0, 0, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, auth0test.Options{Users: seed, ProcessingTime: time.Second})
			id := e.mustImport("["+tt.user+"]", "upsert", tt.upsert)
			j := e.finish(id, time.Second)
			if got := summary(t, j); got != tt.sum {
				t.Errorf("summary %v, want %v", got, tt.sum)
			}
			errs := e.userErrors(id)
			if tt.want == nil {
				if errs != nil {
					t.Errorf("errors %v, want 204", errs)
				}
				return
			}
			if len(errs) != 1 || !slices.Equal(codes(errs[0]), tt.want) {
				t.Errorf("errors %v, want %v", errs, tt.want)
			}
		})
	}
}

func TestUpsert(t *testing.T) {
	seed := raw(`{"email":"ann@example.com","user_id":"a1","username":"ann","email_verified":true,"given_name":"Ann",
		"family_name":"Old","blocked":true,"app_metadata":{"a":1,"b":2},"user_metadata":{"keep":"me"}}`)
	e := newEnv(t, auth0test.Options{Users: seed, ProcessingTime: time.Second})
	before := e.srv.Users(connName)[0]
	e.clk.Advance(time.Minute)
	id := e.mustImport(`[{"email":"ANN@example.com","username":"other","blocked":false,"given_name":"Annie","app_metadata":{"c":3}},
		{"email":"new@example.com","email_verified":true}]`, "upsert", "true")
	j := e.finish(id, time.Second)
	if got := summary(t, j); got != [4]int{0, 1, 1, 2} {
		t.Fatalf("summary %v", got)
	}
	users := e.srv.Users(connName)
	u := users[0]
	tests := []struct {
		key  string
		want any
	}{
		{"user_id", "auth0|a1"},
		{"given_name", "Annie"},
		{"family_name", "Old"},
		{"username", "ann"},                // not upsertable
		{"blocked", true},                  // not upsertable
		{"email_verified", false},          // reset: not supplied
		{"app_metadata", `{"c":3}`},        // replaced, not merged
		{"user_metadata", `{"keep":"me"}`}, // not supplied: kept
		{"created_at", before["created_at"]},
		{"updated_at", "2026-03-04T05:07:08.000Z"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got := u[tt.key]
			if m, ok := got.(map[string]any); ok {
				b, _ := json.Marshal(m)
				got = string(b)
			}
			if got != tt.want {
				t.Errorf("%s = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
	if users[1]["email_verified"] != true {
		t.Errorf("inserted user %v", users[1])
	}
}

func TestJobErrorsEndpoint(t *testing.T) {
	e := newEnv(t, auth0test.Options{JobDelay: time.Second, ProcessingTime: time.Second})
	clean := e.mustImport(`[{"email":"ok@example.com"}]`)
	dirty := e.mustImport(`[
		{"email":"x@example.com","password_hash":"$2b$10$abc","custom_password_hash":{"algorithm":"sha256",
		  "hash":{"value":"deadbeef","encoding":"hex"},"salt":{"value":"pepper"}}},
		{"email":"y@example.com","mfa_factors":[{"totp":{"secret":"JBTWY3DPEHPK3PNP"}}],"extra":1}
	]`)
	t.Run("pending job gives the job object", func(t *testing.T) {
		a := e.get("/jobs/" + clean + "/errors")
		m := a.json(t)
		if a.status != 200 || m["status"] != "pending" || m["id"] != clean || m["type"] != "users_import" {
			t.Errorf("%d %s", a.status, a.body)
		}
	})
	e.clk.Advance(2 * time.Second)
	t.Run("no failed user gives 204", func(t *testing.T) {
		if a := e.get("/jobs/" + clean + "/errors"); a.status != 204 || len(a.body) != 0 {
			t.Errorf("%d %s", a.status, a.body)
		}
	})
	t.Run("failed users give the array with redacted secrets", func(t *testing.T) {
		errs := e.userErrors(dirty)
		if len(errs) != 2 {
			t.Fatalf("errors %v", errs)
		}
		u0, _ := json.Marshal(errs[0]["user"])
		want0 := `{"custom_password_hash":{"algorithm":"sha256","hash":{"encoding":"hex","value":"*****"},"salt":{"value":"*****"}},"email":"x@example.com","password_hash":"*****"}`
		if string(u0) != want0 {
			t.Errorf("user 0 %s, want %s", u0, want0)
		}
		if got := codes(errs[0]); !slices.Equal(got, []string{"PATTERN@password_hash", "NOT_PASSED@password_hash"}) {
			t.Errorf("codes %v", got)
		}
		u1, _ := json.Marshal(errs[1]["user"])
		if !strings.Contains(string(u1), `"secret":"*****"`) || strings.Contains(string(u1), "JBTWY") {
			t.Errorf("user 1 %s", u1)
		}
		if got := codes(errs[1]); !slices.Equal(got, []string{"OBJECT_ADDITIONAL_PROPERTIES@extra"}) {
			t.Errorf("codes %v", got)
		}
		for _, ue := range errs {
			for _, x := range ue["errors"].([]any) {
				if msg := x.(map[string]any)["message"].(string); strings.Contains(msg, "$2b$10$abc") {
					t.Errorf("message leaks the hash: %s", msg)
				}
			}
		}
	})
	t.Run("unknown job", func(t *testing.T) {
		a := e.get("/jobs/job_ZZZZZZZZZZZZZZZZ/errors")
		if a.status != 404 || a.message(t) != "The job does not exist." {
			t.Errorf("%d %s", a.status, a.body)
		}
	})
}

func TestJobTimeoutAndRetention(t *testing.T) {
	e := newEnv(t, auth0test.Options{ProcessingTime: 3 * time.Hour, TokenTTL: 48 * time.Hour, Users: raw(`{"email":"a@example.com"}`)})
	slow := e.mustImport(`[{"email":"b@example.com"}]`)
	j := e.finish(slow, 2*time.Hour)
	if j["status"] != "failed" || j["status_details"] != auth0test.DetailsTimedOut {
		t.Errorf("job %v", j)
	}
	if n := len(e.srv.Users(connName)); n != 1 {
		t.Errorf("a timed-out job changed the tenant: %d users", n)
	}
	if a := e.get("/jobs/" + slow + "/errors"); a.status != 200 || a.json(t)["status_details"] != auth0test.DetailsTimedOut {
		t.Errorf("errors %d %s", a.status, a.body)
	}
	e.clk.Advance(22*time.Hour - time.Second)
	if a := e.get("/jobs/" + slow); a.status != 200 {
		t.Errorf("before retention: %d", a.status)
	}
	e.clk.Advance(time.Second)
	for _, p := range []string{"/jobs/" + slow, "/jobs/" + slow + "/errors"} {
		if a := e.get(p); a.status != 404 {
			t.Errorf("%s after retention: %d %s", p, a.status, a.body)
		}
	}
}

func TestRateLimit(t *testing.T) {
	t.Run("bucket", func(t *testing.T) {
		e := newEnv(t, auth0test.Options{RateLimit: auth0test.RateLimit{Burst: 2, PerSecond: 0.5}})
		reset0 := e.clk.Now().Unix()
		steps := []struct {
			name                    string
			advance                 time.Duration
			status                  int
			remaining, reset, retry string
		}{
			{"first", 0, 200, "1", strconv.FormatInt(reset0+2, 10), ""},
			{"second", 0, 200, "0", strconv.FormatInt(reset0+4, 10), ""},
			{"third is limited", 0, 429, "0", strconv.FormatInt(reset0+4, 10), "2"},
			{"refilled after 2s", 2 * time.Second, 200, "0", strconv.FormatInt(reset0+6, 10), ""},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				e.clk.Advance(st.advance)
				a := e.get("/connections")
				if a.status != st.status {
					t.Fatalf("status %d, want %d", a.status, st.status)
				}
				h := a.header
				if h.Get("X-Ratelimit-Limit") != "2" || h.Get("X-Ratelimit-Remaining") != st.remaining ||
					h.Get("X-Ratelimit-Reset") != st.reset || h.Get("Retry-After") != st.retry {
					t.Errorf("headers limit %q remaining %q reset %q retry %q, want 2 %s %s %q",
						h.Get("X-Ratelimit-Limit"), h.Get("X-Ratelimit-Remaining"), h.Get("X-Ratelimit-Reset"), h.Get("Retry-After"),
						st.remaining, st.reset, st.retry)
				}
				if st.status == 429 {
					want := `{"statusCode":429,"error":"Too Many Requests","message":"Global limit has been reached","errorCode":"too_many_requests"}`
					if string(a.body) != want {
						t.Errorf("body %s", a.body)
					}
				}
			})
		}
		if st := e.srv.Stats(); st.RateLimited != 1 {
			t.Errorf("RateLimited %d", st.RateLimited)
		}
	})
	t.Run("unlimited still sends headers", func(t *testing.T) {
		e := newEnv(t, auth0test.Options{})
		for _, p := range []string{"/connections", "/jobs/job_0000000000000000", "/nope"} {
			a := e.get(p)
			if a.header.Get("X-Ratelimit-Limit") != "50" || a.header.Get("X-Ratelimit-Remaining") != "49" || a.header.Get("X-Ratelimit-Reset") == "" {
				t.Errorf("%s: headers %v", p, a.header)
			}
		}
	})
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults auth0test.Faults
		check  func(t *testing.T, e *env)
	}{
		{"drop", auth0test.Faults{DropEvery: 2}, func(t *testing.T, e *env) {
			if a := e.get("/connections"); a.err == nil {
				t.Errorf("dropped request answered %d", a.status)
			}
			if a := e.get("/connections"); a.status != 200 {
				t.Errorf("next request %d %v", a.status, a.err)
			}
			if st := e.srv.Stats(); st.Faults.Dropped != 1 {
				t.Errorf("stats %+v", st.Faults)
			}
		}},
		{"rate limit", auth0test.Faults{RateLimitEvery: 2}, func(t *testing.T, e *env) {
			a := e.get("/connections")
			if a.status != 429 || a.header.Get("X-Ratelimit-Remaining") != "0" || a.header.Get("Retry-After") == "" ||
				a.json(t)["errorCode"] != "too_many_requests" {
				t.Errorf("%d %v %s", a.status, a.header, a.body)
			}
		}},
		{"server error", auth0test.Faults{ServerErrorEvery: 2}, func(t *testing.T, e *env) {
			a := e.get("/connections")
			if a.status != 500 || a.json(t)["statusCode"] != json.Number("500") || a.header.Get("X-Ratelimit-Limit") == "" {
				t.Errorf("first: %d %s", a.status, a.body)
			}
			e.get("/connections")
			if a := e.get("/connections"); a.status != 503 || a.json(t)["error"] != "Service Unavailable" {
				t.Errorf("second: %d %s", a.status, a.body)
			}
		}},
		{"token endpoint faults too", auth0test.Faults{ServerErrorEvery: 2}, func(t *testing.T, e *env) {
			a := e.tokenRequest(url.Values{"grant_type": {"client_credentials"}})
			if a.status != 500 || a.json(t)["error"] != "server_error" {
				t.Errorf("%d %s", a.status, a.body)
			}
		}},
		{"slow answer released by the client's timeout", auth0test.Faults{SlowEvery: 2, Slow: time.Hour}, func(t *testing.T, e *env) {
			e.c.Timeout = 50 * time.Millisecond
			if a := e.get("/connections"); a.err == nil {
				t.Errorf("slowed request answered %d", a.status)
			}
			e.c.Timeout = 0
			if a := e.get("/connections"); a.status != 200 {
				t.Errorf("next request %d", a.status)
			}
			if st := e.srv.Stats(); st.Faults.Slowed != 1 {
				t.Errorf("stats %+v", st.Faults)
			}
		}},
		{"all dropped by probability 1", auth0test.Faults{DropRate: 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.check == nil { // the token request itself is dropped
				clk := newClock()
				srv := auth0test.NewServer(auth0test.Options{ClientID: clientID, ClientSecret: clientSecret, Now: clk.Now, Faults: tt.faults})
				defer srv.Close()
				e := &env{t: t, srv: srv, clk: clk, c: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}}
				for range 3 {
					if a := e.tokenRequest(url.Values{}); a.err == nil {
						t.Errorf("answered %d", a.status)
					}
				}
				return
			}
			e := newEnv(t, auth0test.Options{Faults: tt.faults}) // request 1: the token
			tt.check(t, e)
		})
	}
}

func TestProbabilisticFaultsAreSeeded(t *testing.T) {
	run := func(seed int64) string {
		clk := newClock()
		srv := auth0test.NewServer(auth0test.Options{ClientID: clientID, ClientSecret: clientSecret, Now: clk.Now, Seed: seed,
			Faults: auth0test.Faults{RateLimitRate: 0.3, ServerErrorRate: 0.2}})
		defer srv.Close()
		e := &env{t: t, srv: srv, clk: clk, c: http.DefaultClient}
		var b strings.Builder
		for range 60 {
			a := e.get("/connections")
			b.WriteString(strconv.Itoa(a.status / 100))
		}
		return b.String()
	}
	a, b, c := run(7), run(7), run(8)
	if a != b {
		t.Errorf("same seed, different faults:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("different seeds, same faults: %s", a)
	}
	n4, n5 := strings.Count(a, "4"), strings.Count(a, "5")
	// Without a token every unfaulted request is 401, so count 429 and 5xx via the digits:
	// 4 covers 401 and 429; 5 is the server errors (≈ 20% of 60).
	if n5 < 4 || n5 > 24 || n4 < 30 {
		t.Errorf("fault mix %s", a)
	}
}

func TestBusy(t *testing.T) {
	tests := []struct {
		name     string
		jobs     int
		gap      time.Duration
		want     float64
		wantSpan time.Duration
	}{
		{"two side by side", 2, 0, 1.0, 10 * time.Second},
		{"one alone", 1, 0, 0.5, 10 * time.Second},
		{"second starts half way", 2, 5 * time.Second, 0.5 * (5*1 + 5*2 + 5*1) / 15.0, 15 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, auth0test.Options{JobDelay: time.Second, ProcessingTime: 9 * time.Second})
			if f, span := e.srv.Busy(); f != 0 || span != 0 {
				t.Errorf("before any job: %v %v", f, span)
			}
			for i := range tt.jobs {
				if i > 0 {
					e.clk.Advance(tt.gap)
				}
				e.mustImport(fmt.Sprintf(`[{"email":"u%d@example.com"}]`, i))
			}
			e.clk.Advance(time.Minute)
			f, span := e.srv.Busy()
			if diff := f - tt.want; diff > 1e-9 || diff < -1e-9 || span != tt.wantSpan {
				t.Errorf("Busy() = %v, %v; want %v, %v", f, span, tt.want, tt.wantSpan)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	e := newEnv(t, auth0test.Options{MaxConcurrentJobs: 2, ProcessingTime: time.Second})
	var wg sync.WaitGroup
	accepted := make(chan string, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := e.importFile(fmt.Sprintf(`[{"email":"c%d@example.com"}]`, i))
			switch a.status {
			case 202:
				accepted <- a.json(t)["id"].(string)
			case 429:
			default:
				t.Errorf("status %d %s", a.status, a.body)
			}
			e.get("/connections")
			e.srv.Stats()
			e.srv.Jobs()
		}()
	}
	wg.Wait()
	close(accepted)
	n := 0
	for range accepted {
		n++
	}
	st := e.srv.Stats()
	if n != 2 || st.ConcurrencyLimited != 38 || st.MaxConcurrentJobs != 2 {
		t.Errorf("accepted %d, stats %+v", n, st)
	}
	e.clk.Advance(time.Second)
	if got := len(e.srv.Users(connName)); got != 2 {
		t.Errorf("%d users", got)
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	srv := auth0test.NewServer(auth0test.Options{ClientID: clientID, ClientSecret: clientSecret,
		Faults: auth0test.Faults{SlowEvery: 1, Slow: time.Hour}, JobDelay: time.Hour})
	tr := &http.Transport{}
	c := &http.Client{Transport: tr}
	done := make(chan error, 1)
	go func() {
		resp, err := c.Get(srv.URL + "/api/v2/connections")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for srv.Stats().Faults.Slowed == 0 {
		runtime.Gosched()
	}
	srv.Close()
	<-done
	tr.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}

func TestUsersByEmail(t *testing.T) {
	e := newEnv(t, auth0test.Options{Users: raw(`{"email":"Ann@Example.com","user_id":"a1"}`, `{"email":"bob@example.com"}`)})
	cases := []struct {
		name, query string
		status      int
		want        int
	}{
		{"found, case-insensitive", "?email=ann%40example.com", 200, 1},
		{"none", "?email=zed%40example.com", 200, 0},
		{"missing email", "", 400, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := e.get("/users-by-email" + tc.query)
			if a.status != tc.status {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			if a.status != 200 {
				return
			}
			var users []map[string]any
			if err := json.Unmarshal(a.body, &users); err != nil || len(users) != tc.want {
				t.Fatalf("users %s (%v)", a.body, err)
			}
			if tc.want == 1 && (users[0]["user_id"] != "auth0|a1" || users[0]["created_at"] == nil) {
				t.Errorf("profile %v", users[0])
			}
		})
	}
}
