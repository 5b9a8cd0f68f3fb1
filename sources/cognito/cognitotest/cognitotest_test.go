package cognitotest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	pool   = "us-east-1_Ab12Cd34E"
	akid   = "AKIDUSHERTEST0000001"
	secret = "usher-test-secret-access-key-0000000000"
)

func testUsers() [][]byte {
	return [][]byte{
		[]byte(`{"Username":"ann","Attributes":[{"Name":"sub","Value":"s-ann"},{"Name":"email","Value":"ann@example.com"},{"Name":"name","Value":"Ann \"The\" Lee"}],"UserCreateDate":1600000000,"UserLastModifiedDate":1600000000.5,"Enabled":true,"UserStatus":"CONFIRMED"}`),
		[]byte(`{"Username":"anna","Attributes":[{"Name":"sub","Value":"s-anna"},{"Name":"email","Value":"anna@example.com"}],"UserCreateDate":1600000000,"UserLastModifiedDate":1600000000,"Enabled":false,"UserStatus":"UNCONFIRMED"}`),
		[]byte(`{"Username":"bob","Attributes":[{"Name":"sub","Value":"s-bob"},{"Name":"email","Value":"bob@example.com"}],"UserCreateDate":1600000000,"UserLastModifiedDate":1600000000,"Enabled":true,"UserStatus":"CONFIRMED","MFAOptions":[{"DeliveryMedium":"SMS","AttributeName":"phone_number"}]}`),
	}
}

// call sends op with body, signed with key/secretKey for region and service (empty key: unsigned);
// tweak edits the request before it is signed.
func call(t *testing.T, srv *Server, op, body, key, secretKey, region, service string, tweak func(*http.Request)) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", TargetPrefix+op)
	if tweak != nil {
		tweak(req)
	}
	if key != "" {
		sum := sha256.Sum256([]byte(body))
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secretKey}, req,
			hex.EncodeToString(sum[:]), service, region, time.Now())
		if err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer %q is not JSON: %v", b, err)
	}
	return resp.StatusCode, resp.Header, m
}

// signed sends op with body, correctly signed.
func signed(t *testing.T, srv *Server, op, body string) (int, map[string]any) {
	status, _, m := call(t, srv, op, body, akid, secret, "us-east-1", "cognito-idp", nil)
	return status, m
}

func TestProtocolErrors(t *testing.T) {
	srv := NewServer(Options{PoolID: pool, Users: testUsers(), AccessKeys: map[string]string{akid: secret}})
	defer srv.Close()
	list := `{"UserPoolId":"` + pool + `"}`
	cases := []struct {
		name            string
		op, body        string
		key, secretKey  string
		region, service string
		tweak           func(*http.Request)
		status          int
		typ             string
	}{
		{name: "unsigned", op: "ListUsers", body: list, status: 400, typ: "MissingAuthenticationTokenException"},
		{name: "malformed Authorization", op: "ListUsers", body: list, status: 400, typ: "IncompleteSignatureException",
			tweak: func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x") }},
		{name: "another region", op: "ListUsers", body: list, key: akid, secretKey: secret, region: "eu-west-1", service: "cognito-idp", status: 400, typ: "InvalidSignatureException"},
		{name: "another service", op: "ListUsers", body: list, key: akid, secretKey: secret, region: "us-east-1", service: "s3", status: 400, typ: "InvalidSignatureException"},
		{name: "an unknown access key", op: "ListUsers", body: list, key: "AKIDOTHER", secretKey: secret, region: "us-east-1", service: "cognito-idp", status: 400, typ: "UnrecognizedClientException"},
		{name: "a wrong secret key", op: "ListUsers", body: list, key: akid, secretKey: "wrong", region: "us-east-1", service: "cognito-idp", status: 400, typ: "InvalidSignatureException"},
		{name: "an unknown operation", op: "DeleteUserPool", body: list, key: akid, secretKey: secret, region: "us-east-1", service: "cognito-idp", status: 400, typ: "UnknownOperationException"},
		{name: "another content type", op: "ListUsers", body: list, key: akid, secretKey: secret, region: "us-east-1", service: "cognito-idp", status: 400, typ: "SerializationException",
			tweak: func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, h, m := call(t, srv, tc.op, tc.body, tc.key, tc.secretKey, tc.region, tc.service, tc.tweak)
			if status != tc.status || m["__type"] != tc.typ {
				t.Fatalf("%d %v, want %d %s", status, m, tc.status, tc.typ)
			}
			if _, has := m["message"]; !has {
				t.Errorf("no message: %v", m)
			}
			if et := h.Get("x-amzn-ErrorType"); !strings.HasPrefix(et, tc.typ+":") {
				t.Errorf("x-amzn-ErrorType %q", et)
			}
		})
	}
	if st := srv.Stats(); st.AuthFailures != 6 {
		t.Errorf("AuthFailures %d", st.AuthFailures)
	}
}

func TestListUsers(t *testing.T) {
	srv := NewServer(Options{PoolID: pool, Users: testUsers()})
	defer srv.Close()
	names := func(m map[string]any) string {
		var out []string
		users, _ := m["Users"].([]any)
		for _, u := range users {
			out = append(out, u.(map[string]any)["Username"].(string))
		}
		return strings.Join(out, ",")
	}
	cases := []struct {
		name, body string
		status     int
		want       string // usernames, or the error type
		token      bool
	}{
		{name: "all", body: `{"UserPoolId":"` + pool + `"}`, status: 200, want: "ann,anna,bob"},
		{name: "a page", body: `{"UserPoolId":"` + pool + `","Limit":2}`, status: 200, want: "ann,anna", token: true},
		{name: "limit 0 is the default", body: `{"UserPoolId":"` + pool + `","Limit":0}`, status: 200, want: "ann,anna,bob"},
		{name: "limit over 60", body: `{"UserPoolId":"` + pool + `","Limit":61}`, status: 400, want: "InvalidParameterException"},
		{name: "negative limit", body: `{"UserPoolId":"` + pool + `","Limit":-1}`, status: 400, want: "InvalidParameterException"},
		{name: "another pool", body: `{"UserPoolId":"us-east-1_Other"}`, status: 400, want: "ResourceNotFoundException"},
		{name: "no pool", body: `{}`, status: 400, want: "InvalidParameterException"},
		{name: "a bad token", body: `{"UserPoolId":"` + pool + `","PaginationToken":"garbage"}`, status: 400, want: "InvalidParameterException"},
		{name: "username prefix", body: `{"UserPoolId":"` + pool + `","Filter":"username ^= \"ann\""}`, status: 200, want: "ann,anna"},
		{name: "email exact", body: `{"UserPoolId":"` + pool + `","Filter":"email = \"bob@example.com\""}`, status: 200, want: "bob"},
		{name: "an escaped quote", body: `{"UserPoolId":"` + pool + `","Filter":"name = \"Ann \\\"The\\\" Lee\""}`, status: 200, want: "ann"},
		{name: "user status in any case", body: `{"UserPoolId":"` + pool + `","Filter":"cognito:user_status = \"unconfirmed\""}`, status: 200, want: "anna"},
		{name: "status", body: `{"UserPoolId":"` + pool + `","Filter":"status = \"Disabled\""}`, status: 200, want: "anna"},
		{name: "sub", body: `{"UserPoolId":"` + pool + `","Filter":"sub = \"s-bob\""}`, status: 200, want: "bob"},
		{name: "no match", body: `{"UserPoolId":"` + pool + `","Filter":"email = \"x@example.com\""}`, status: 200, want: ""},
		{name: "custom attributes are not searchable", body: `{"UserPoolId":"` + pool + `","Filter":"custom:plan = \"gold\""}`, status: 400, want: "InvalidParameterException"},
		{name: "not a filter", body: `{"UserPoolId":"` + pool + `","Filter":"email contains bob"}`, status: 400, want: "InvalidParameterException"},
		{name: "a filter over 256 characters", body: `{"UserPoolId":"` + pool + `","Filter":"email = \"` + strings.Repeat("a", 260) + `\""}`, status: 400, want: "InvalidParameterException"},
		{name: "not JSON", body: `{"UserPoolId":`, status: 400, want: "SerializationException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, m := signed(t, srv, "ListUsers", tc.body)
			got := names(m)
			if status != 200 {
				got, _ = m["__type"].(string)
			}
			if status != tc.status || got != tc.want {
				t.Fatalf("%d %v, want %d %s", status, m, tc.status, tc.want)
			}
			if _, has := m["PaginationToken"]; has != tc.token {
				t.Errorf("PaginationToken: %v", m)
			}
		})
	}
	t.Run("following the token", func(t *testing.T) {
		_, m := signed(t, srv, "ListUsers", `{"UserPoolId":"`+pool+`","Limit":2}`)
		tok := m["PaginationToken"].(string)
		_, m = signed(t, srv, "ListUsers", `{"UserPoolId":"`+pool+`","Limit":2,"PaginationToken":"`+tok+`"}`)
		if names(m) != "bob" || m["PaginationToken"] != nil {
			t.Fatalf("second page %v", m)
		}
		// A token belongs to its listing: with another filter it is refused.
		status, m := signed(t, srv, "ListUsers", `{"UserPoolId":"`+pool+`","Limit":2,"Filter":"username ^= \"a\"","PaginationToken":"`+tok+`"}`)
		if status != 400 || m["__type"] != "InvalidParameterException" {
			t.Fatalf("token of another filter: %d %v", status, m)
		}
	})
	t.Run("users byte for byte", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(`{"UserPoolId":"`+pool+`","Limit":1}`))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", TargetPrefix+"ListUsers")
		v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}, req,
			hex.EncodeToString(sha(`{"UserPoolId":"`+pool+`","Limit":1}`)), "cognito-idp", "us-east-1", time.Now())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Contains(b, testUsers()[0]) || resp.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
			t.Fatalf("%s", b)
		}
	})
}

func sha(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

func TestAdminGetUser(t *testing.T) {
	srv := NewServer(Options{PoolID: pool, Users: testUsers(), EmailAlias: true})
	defer srv.Close()
	for _, name := range []string{"bob", "s-bob", "BOB@example.com"} {
		status, m := signed(t, srv, "AdminGetUser", `{"UserPoolId":"`+pool+`","Username":"`+name+`"}`)
		if status != 200 || m["Username"] != "bob" || m["UserAttributes"] == nil || m["Attributes"] != nil || m["MFAOptions"] == nil {
			t.Fatalf("%s: %d %v", name, status, m)
		}
	}
	status, m := signed(t, srv, "AdminGetUser", `{"UserPoolId":"`+pool+`","Username":"nobody"}`)
	if status != 400 || m["__type"] != "UserNotFoundException" || m["message"] != "User does not exist." {
		t.Fatalf("unknown user: %d %v", status, m)
	}
}

func TestAdminInitiateAuth(t *testing.T) {
	srv := NewServer(Options{PoolID: pool, Users: testUsers(), Passwords: map[string]string{"ann": "pw-ann", "anna": "pw-anna", "bob": "pw-bob"},
		Clients: map[string]Client{"c1": {}, "c2": {PreventUserExistenceErrors: true}}})
	defer srv.Close()
	auth := func(client, user, pw string) string {
		return `{"AuthFlow":"ADMIN_USER_PASSWORD_AUTH","AuthParameters":{"USERNAME":"` + user + `","PASSWORD":"` + pw + `"},"ClientId":"` + client + `","UserPoolId":"` + pool + `"}`
	}
	cases := []struct {
		name, body string
		status     int
		want       string // __type, ChallengeName, or "tokens"
	}{
		{"tokens", auth("c1", "ann", "pw-ann"), 200, "tokens"},
		{"wrong password", auth("c1", "ann", "nope"), 400, "NotAuthorizedException"},
		{"unknown user", auth("c1", "zed", "x"), 400, "UserNotFoundException"},
		{"unknown user, existence errors prevented", auth("c2", "zed", "x"), 400, "NotAuthorizedException"},
		{"disabled and unconfirmed: disabled first", auth("c1", "anna", "pw-anna"), 400, "NotAuthorizedException"},
		{"another flow", strings.Replace(auth("c1", "ann", "pw-ann"), "ADMIN_USER_PASSWORD_AUTH", "USER_SRP_AUTH", 1), 400, "InvalidParameterException"},
		{"legacy flow name", strings.Replace(auth("c1", "ann", "pw-ann"), "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH", 1), 200, "tokens"},
		{"no password", auth("c1", "ann", ""), 400, "InvalidParameterException"},
		{"unknown client", auth("c9", "ann", "pw-ann"), 400, "ResourceNotFoundException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, m := signed(t, srv, "AdminInitiateAuth", tc.body)
			got, _ := m["__type"].(string)
			if status == 200 {
				if m["AuthenticationResult"] != nil {
					got = "tokens"
				} else {
					got, _ = m["ChallengeName"].(string)
				}
			}
			if status != tc.status || got != tc.want {
				t.Fatalf("%d %v, want %d %s", status, m, tc.status, tc.want)
			}
		})
	}
	if got := srv.AuthUsernames(); len(got) != 6 {
		t.Errorf("AuthUsernames %q", got)
	}
}

func TestFaults(t *testing.T) {
	srv := NewServer(Options{PoolID: pool, Users: testUsers(), RateLimit: 2, Now: func() time.Time { return time.Unix(1700000000, 0) },
		Faults: Faults{ServerErrorEvery: 2}})
	defer srv.Close()
	body := `{"UserPoolId":"` + pool + `"}`
	var got []string
	for range 4 {
		status, m := signed(t, srv, "ListUsers", body)
		got = append(got, http.StatusText(status)+" "+func() string { s, _ := m["__type"].(string); return s }())
	}
	want := []string{"OK ", "Internal Server Error InternalErrorException", "Bad Request TooManyRequestsException", "Bad Request TooManyRequestsException"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
	// The rate window is per category: AdminGetUser is not throttled by ListUsers' calls.
	if status, _ := signed(t, srv, "AdminGetUser", `{"UserPoolId":"`+pool+`","Username":"ann"}`); status != 200 {
		t.Errorf("AdminGetUser: %d", status)
	}
	if st := srv.Stats(); st.WindowThrottled != 2 || st.ServerErrors != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestNewRefuses(t *testing.T) {
	for name, o := range map[string]Options{
		"no pool":            {Users: testUsers()},
		"no username":        {PoolID: pool, Users: [][]byte{[]byte(`{"Attributes":[]}`)}},
		"duplicate username": {PoolID: pool, Users: [][]byte{testUsers()[0], testUsers()[0]}},
		"not JSON":           {PoolID: pool, Users: [][]byte{[]byte(`{`)}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			New(o)
		}()
	}
}

// FuzzFilter parses any ListUsers filter: it must never panic.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{`email = "a"`, `username ^= "x\"y"`, `status = "Enabled"`, `cognito:user_status="CONFIRMED"`, `"`} {
		f.Add(s)
	}
	u := &user{username: "u", status: "CONFIRMED", enabled: true, attrs: map[string]string{"email": "a"}}
	f.Fuzz(func(t *testing.T, s string) {
		if match, err := parseFilter(s); err == nil {
			match(u)
		}
	})
}
