package cognitoapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/usher-migrate/usher/internal/emulator"
	"github.com/usher-migrate/usher/sources/cognito/cognitotest"
)

const (
	pool      = "eu-west-1_Usher0Test"
	akid      = "AKIDUSHERTEST0000001"
	secretKey = "usher-test-secret-access-key-0000000000"
	clientID  = "3n4b5urk1ft4fl3mg5e62d9ado"
)

var creds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: akid, SecretAccessKey: secretKey}, nil
})

// users returns n ListUsers users as the API sends them; every 4th is disabled.
func users(n int) [][]byte {
	var out [][]byte
	for i := range n {
		out = append(out, []byte(fmt.Sprintf(`{"Username":"user%03d","Attributes":[{"Name":"sub","Value":"00000000-0000-4000-8000-%012d"},{"Name":"email","Value":"user%03d@example.com"}],"UserCreateDate":1682955829.578,"UserLastModifiedDate":1689030181.63,"Enabled":%v,"UserStatus":"CONFIRMED"}`,
			i, i, i, i%4 != 3)))
	}
	return out
}

// client builds a Client of srv with a fake clock; tweak adjusts its configuration.
func client(t *testing.T, srv *cognitotest.Server, clock *emulator.Clock, tweak func(*Config)) *Client {
	t.Helper()
	cfg := Config{PoolID: pool, Endpoint: srv.URL, Credentials: creds, ClientID: clientID,
		Sleep: clock.Sleep, Now: clock.Now, Logf: t.Logf}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func usernames(t *testing.T, c *Client) ([]string, error) {
	var got []string
	err := c.Users(context.Background(), func(b []byte) error {
		var u struct{ Username string }
		if err := json.Unmarshal(b, &u); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		got = append(got, u.Username)
		return nil
	})
	return got, err
}

func TestUsers(t *testing.T) {
	all := users(130)
	cases := []struct {
		name     string
		opts     cognitotest.Options
		tweak    func(*Config)
		want     int // users listed
		sleeps   bool
		check    func(t *testing.T, st cognitotest.Stats)
		wantLogs bool
	}{
		{name: "pages of 60", want: 130, check: func(t *testing.T, st cognitotest.Stats) {
			if st.Operations["ListUsers"] != 3 || st.MaxLimit != 60 {
				t.Errorf("stats %+v", st)
			}
		}},
		{name: "pages shorter than asked, without being the last", opts: cognitotest.Options{ShortPageEvery: 1}, want: 130,
			check: func(t *testing.T, st cognitotest.Stats) {
				if st.Operations["ListUsers"] != 3 {
					t.Errorf("%d pages for 130 users in pages of 59", st.Operations["ListUsers"])
				}
			}},
		{name: "page size", tweak: func(c *Config) { c.PageSize = 7 }, want: 130},
		{name: "filter", tweak: func(c *Config) { c.Filter = `status = "Enabled"` }, want: 98},
		{name: "faults are retried", opts: cognitotest.Options{Faults: cognitotest.Faults{DropEvery: 5, ThrottleEvery: 6, ServerErrorEvery: 7, TruncateEvery: 11}},
			tweak: func(c *Config) { c.PageSize = 10 }, want: 130, sleeps: true,
			check: func(t *testing.T, st cognitotest.Stats) {
				if st.Dropped == 0 || st.Throttled == 0 || st.ServerErrors == 0 || st.Truncated == 0 {
					t.Errorf("a fault never happened: %+v", st)
				}
			}},
		{name: "the rate window", tweak: func(c *Config) { c.PageSize = 5; c.Rate = -1 }, opts: cognitotest.Options{RateLimit: 3}, want: 130, sleeps: true,
			check: func(t *testing.T, st cognitotest.Stats) {
				if st.WindowThrottled == 0 {
					t.Errorf("never throttled: %+v", st)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := emulator.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			o := tc.opts
			o.PoolID, o.Users, o.AccessKeys, o.Now = pool, all, map[string]string{akid: secretKey}, clock.Now
			srv := cognitotest.NewServer(o)
			defer srv.Close()
			c := client(t, srv, clock, tc.tweak)
			got, err := usernames(t, c)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want {
				t.Fatalf("listed %d users, want %d", len(got), tc.want)
			}
			for i := 1; i < len(got); i++ {
				if got[i] <= got[i-1] {
					t.Fatalf("out of order or twice: %s after %s", got[i], got[i-1])
				}
			}
			if tc.sleeps && len(clock.Sleeps()) == 0 {
				t.Error("no back-off")
			}
			if tc.check != nil {
				tc.check(t, srv.Stats())
			}
		})
	}
}

// TestPace: calls are spaced by Rate, through Sleep.
func TestPace(t *testing.T) {
	clock := emulator.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := cognitotest.NewServer(cognitotest.Options{PoolID: pool, Users: users(50), Now: clock.Now})
	defer srv.Close()
	c := client(t, srv, clock, func(c *Config) { c.PageSize = 5; c.Rate = 2 })
	start := clock.Now()
	if _, err := usernames(t, c); err != nil {
		t.Fatal(err)
	}
	// 10 pages at 2 per second: the first at once, the others half a second apart.
	if d := clock.Now().Sub(start); d != 4500*time.Millisecond {
		t.Errorf("10 calls took %v at 2 per second, want 4.5s", d)
	}
}

func TestFinalErrors(t *testing.T) {
	cases := []struct {
		name  string
		opts  cognitotest.Options
		tweak func(*Config)
		code  string
		calls int64
		text  string
	}{
		{name: "another pool", tweak: func(c *Config) { c.PoolID = "eu-west-1_Other" }, code: CodeResourceNotFound, calls: 1},
		{name: "a wrong secret access key", tweak: func(c *Config) {
			c.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{AccessKeyID: akid, SecretAccessKey: "not-the-key"}, nil
			})
		}, code: "InvalidSignatureException", calls: 1},
		{name: "a bad filter", tweak: func(c *Config) { c.Filter = `custom:plan = "gold"` }, code: CodeInvalidParameter, calls: 1},
		{name: "throttled until retries run out", opts: cognitotest.Options{Faults: cognitotest.Faults{ThrottleEvery: 1}},
			tweak: func(c *Config) { c.MaxRetries = 3 }, code: CodeTooManyRequests, calls: 4, text: "gave up after 3 retries"},
		{name: "a body over the limit", tweak: func(c *Config) { c.MaxBody = 100 }, calls: 1, text: ErrBodyTooLarge.Error()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := emulator.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			o := tc.opts
			o.PoolID, o.Users, o.AccessKeys = pool, users(3), map[string]string{akid: secretKey}
			srv := cognitotest.NewServer(o)
			defer srv.Close()
			c := client(t, srv, clock, tc.tweak)
			_, err := usernames(t, c)
			if err == nil {
				t.Fatal("no error")
			}
			if ErrorCode(err) != tc.code || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %v (code %q), want code %q and %q", err, ErrorCode(err), tc.code, tc.text)
			}
			if st := srv.Stats(); st.Requests != tc.calls {
				t.Errorf("%d requests, want %d", st.Requests, tc.calls)
			}
			if strings.Contains(err.Error(), secretKey) {
				t.Error("the secret key is in the error")
			}
		})
	}
}

// stuck is an API whose ListUsers always answers the same token.
type stuck struct{ API }

func (stuck) ListUsers(context.Context, *cip.ListUsersInput, ...func(*cip.Options)) (*cip.ListUsersOutput, error) {
	return &cip.ListUsersOutput{Users: []types.UserType{{Username: aws.String("u")}}, PaginationToken: aws.String("same")}, nil
}

func TestTokenMustAdvance(t *testing.T) {
	c, err := New(context.Background(), Config{PoolID: pool, API: stuck{}, Rate: -1})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = c.Users(context.Background(), func([]byte) error { n++; return nil })
	if err == nil || !strings.Contains(err.Error(), "does not advance") || n != 2 {
		t.Fatalf("err %v after %d users", err, n)
	}
}

func TestUserAndFind(t *testing.T) {
	clock := emulator.NewClock(time.Now())
	srv := cognitotest.NewServer(cognitotest.Options{PoolID: pool, Users: users(5), EmailAlias: true})
	defer srv.Close()
	c := client(t, srv, clock, nil)
	ctx := context.Background()
	want := string(EncodeUser(decodeUser(t, users(5)[2])))
	for _, name := range []string{"user002", "00000000-0000-4000-8000-000000000002", "USER002@example.com"} {
		b, err := c.User(ctx, name)
		if err != nil || string(b) != want {
			t.Errorf("User(%s) = %s, %v; want %s", name, b, err, want)
		}
	}
	if _, err := c.User(ctx, "nobody"); !errors.Is(err, ErrUserNotFound) {
		t.Errorf("User(nobody): %v", err)
	}
	found, err := c.FindUsers(ctx, `email = "user003@example.com"`, 2)
	if err != nil || len(found) != 1 || !strings.Contains(string(found[0]), `"user003"`) {
		t.Errorf("FindUsers: %q, %v", found, err)
	}
}

// decodeUser reads a wire user with the SDK's types (what ListUsers hands Client).
func decodeUser(t *testing.T, b []byte) types.UserType {
	var w struct {
		Username             string
		Attributes           []struct{ Name, Value string }
		UserCreateDate       float64
		UserLastModifiedDate float64
		Enabled              bool
		UserStatus           string
	}
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	u := types.UserType{Username: aws.String(w.Username), Enabled: w.Enabled, UserStatus: types.UserStatusType(w.UserStatus)}
	for _, a := range w.Attributes {
		u.Attributes = append(u.Attributes, types.AttributeType{Name: aws.String(a.Name), Value: aws.String(a.Value)})
	}
	c := time.UnixMilli(int64(w.UserCreateDate*1000 + 0.5))
	m := time.UnixMilli(int64(w.UserLastModifiedDate*1000 + 0.5))
	u.UserCreateDate, u.UserLastModifiedDate = &c, &m
	return u
}

func TestAuthenticate(t *testing.T) {
	const secret = "1q2w3e4r5t6y7u8i9o0pexampleclientsecretvalue0123456"
	srv := cognitotest.NewServer(cognitotest.Options{PoolID: pool, Users: users(2), AccessKeys: map[string]string{akid: secretKey},
		Passwords: map[string]string{"user000": "Pa55word!"}, Clients: map[string]cognitotest.Client{clientID: {Secret: secret}}})
	defer srv.Close()
	clock := emulator.NewClock(time.Now())
	ctx := context.Background()
	cases := []struct {
		name, secret, user, password string
		ok                           bool
		code, msg                    string
	}{
		{name: "right password", secret: secret, user: "user000", password: "Pa55word!", ok: true},
		{name: "wrong password", secret: secret, user: "user000", password: "nope", code: CodeNotAuthorized, msg: "Incorrect username or password."},
		{name: "unknown user", secret: secret, user: "ghost", password: "Pa55word!", code: CodeUserNotFound},
		{name: "wrong client secret", secret: "other", user: "user000", password: "Pa55word!", code: CodeNotAuthorized, msg: "Unable to verify secret hash for client " + clientID},
		{name: "no client secret", user: "user000", password: "Pa55word!", code: CodeNotAuthorized, msg: "Unable to verify secret hash"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := client(t, srv, clock, func(c *Config) { c.ClientSecret = tc.secret })
			res, err := c.Authenticate(ctx, tc.user, tc.password)
			if tc.ok {
				if err != nil || !res.Authenticated {
					t.Fatalf("%+v, %v", res, err)
				}
				return
			}
			if ErrorCode(err) != tc.code || !strings.Contains(ErrorMessage(err), tc.msg) {
				t.Fatalf("error %v, want %s %q", err, tc.code, tc.msg)
			}
			if strings.Contains(err.Error(), tc.password) || (tc.secret != "" && strings.Contains(err.Error(), tc.secret)) {
				t.Fatal("a secret is in the error")
			}
		})
	}
}

// TestSecretHash checks SecretHash against vectors computed with Python's hmac and checked with
// Node and openssl (testdata/secret-hash-vectors.json; the formula is the Amazon Cognito developer
// guide's, "Computing secret hash values").
func TestSecretHash(t *testing.T) {
	b, err := os.ReadFile("testdata/secret-hash-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Vectors []struct{ Username, ClientID, ClientSecret, SecretHash string }
	}
	if err := json.Unmarshal(b, &v); err != nil || len(v.Vectors) == 0 {
		t.Fatalf("vectors: %v", err)
	}
	for _, x := range v.Vectors {
		if got := SecretHash(x.Username, x.ClientID, x.ClientSecret); got != x.SecretHash {
			t.Errorf("SecretHash(%q) = %s, want %s", x.Username, got, x.SecretHash)
		}
	}
}

func TestEpochSeconds(t *testing.T) {
	for _, tc := range []struct {
		ms   int64
		want string
	}{{1682955829578, "1682955829.578"}, {1689030181630, "1689030181.63"}, {1500000000000, "1500000000"}, {-1500, "-2.5"}, {1600000000500, "1600000000.5"}} {
		if got := EpochSeconds(time.UnixMilli(tc.ms)); got != tc.want {
			t.Errorf("EpochSeconds(%d ms) = %s, want %s", tc.ms, got, tc.want)
		}
	}
}

func TestEncodeUser(t *testing.T) {
	in := users(1)[0]
	if got := string(EncodeUser(decodeUser(t, in))); got != string(in) {
		t.Errorf("got  %s\nwant %s", got, in)
	}
	u := types.UserType{Username: aws.String("<a&b>"), MFAOptions: []types.MFAOptionType{{DeliveryMedium: types.DeliveryMediumTypeSms, AttributeName: aws.String("phone_number")}}}
	if got := string(EncodeUser(u)); got != `{"Username":"<a&b>","Attributes":[],"Enabled":false,"MFAOptions":[{"DeliveryMedium":"SMS","AttributeName":"phone_number"}]}` {
		t.Errorf("got %s", got)
	}
}

func TestRetryable(t *testing.T) {
	resp := func(status int) *smithyhttp.Response {
		return &smithyhttp.Response{Response: &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(""))}}
	}
	api := func(code string, status int) error {
		return &smithy.OperationError{ServiceID: "Cognito Identity Provider", OperationName: "ListUsers",
			Err: &smithyhttp.ResponseError{Response: resp(status), Err: &smithy.GenericAPIError{Code: code, Message: "m"}}}
	}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"throttled, 400", api(CodeTooManyRequests, 400), true},
		{"throttled, 429", api(CodeTooManyRequests, 429), true},
		{"internal error", api(CodeInternalError, 500), true},
		{"unknown code, 503", api("ServiceUnavailable", 503), true},
		{"wrong password", api(CodeNotAuthorized, 400), false},
		{"unknown user", api(CodeUserNotFound, 400), false},
		{"bad parameter", api(CodeInvalidParameter, 400), false},
		{"connection", &smithy.OperationError{Err: &smithyhttp.RequestSendError{Err: io.ErrUnexpectedEOF}}, true},
		{"truncated answer", &smithy.OperationError{Err: &smithy.DeserializationError{Err: io.ErrUnexpectedEOF}}, true},
		{"body too large", &smithy.OperationError{Err: &smithy.DeserializationError{Err: ErrBodyTooLarge}}, false},
		{"credentials", errors.New("failed to refresh cached credentials"), false},
		{"cancelled", context.Canceled, false},
	}
	for _, tc := range cases {
		if got := Retryable(tc.err); got != tc.want {
			t.Errorf("%s: Retryable = %v", tc.name, got)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for _, cfg := range []Config{
		{PoolID: "not a pool"},
		{PoolID: pool, PageSize: 61},
		{PoolID: pool, Endpoint: "ftp://x"},
		{PoolID: pool, Endpoint: "https://user:pw@cognito.example"},
	} {
		cfg.Credentials = creds
		if _, err := New(context.Background(), cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		} else if strings.Contains(err.Error(), "pw@") {
			t.Errorf("the endpoint's password is in %v", err)
		}
	}
}
