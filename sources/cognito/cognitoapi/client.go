// Package cognitoapi is usher's client of the Amazon Cognito user pools API: ListUsers (every user
// of a pool, page by page), AdminGetUser and AdminInitiateAuth with ADMIN_USER_PASSWORD_AUTH. The
// AWS SDK for Go v2 (service/cognitoidentityprovider) serialises the awsJson1_1 calls and signs
// them with SigV4; it sits behind the API interface, so that tests and the cognitotest emulator
// run it over loopback (Config.Endpoint, static Config.Credentials).
//
// Retries are this package's, not the SDK's: the SDK client is built with aws.NopRetryer (one
// attempt per call), and Client retries a call, re-signed, after throttling
// (TooManyRequestsException, whatever its HTTP status), server errors (InternalErrorException,
// 5xx), dropped connections and truncated answers, with a capped exponential back-off with
// jitter through Config.Sleep, at most Config.MaxRetries times (internal/httpcore's
// Client.Retry). Every answer's body is capped at Config.MaxBody (httpcore.LimitBody). Calls are paced at Config.Rate
// requests per second (Cognito's quotas are per account and per category of operations, shared
// with the pool's own traffic: 30 requests per second for the user-listing calls, not
// adjustable; the Amazon Cognito developer guide, "Quotas").
//
// Errors name the operation and Cognito's error code and message; they never contain a password,
// the client secret or AWS credentials.
package cognitoapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/cenkalti/backoff/v5"
	"golang.org/x/time/rate"

	"github.com/usher-migrate/usher/internal/httpcore"
)

// API is the part of the Cognito user pools API usher calls, as the AWS SDK's
// *cognitoidentityprovider.Client implements it.
type API interface {
	ListUsers(ctx context.Context, in *cip.ListUsersInput, optFns ...func(*cip.Options)) (*cip.ListUsersOutput, error)
	AdminGetUser(ctx context.Context, in *cip.AdminGetUserInput, optFns ...func(*cip.Options)) (*cip.AdminGetUserOutput, error)
	AdminInitiateAuth(ctx context.Context, in *cip.AdminInitiateAuthInput, optFns ...func(*cip.Options)) (*cip.AdminInitiateAuthOutput, error)
}

// Limits and defaults.
const (
	// MaxPageSize is ListUsers' largest Limit (QueryLimitType: 0 to 60).
	MaxPageSize = 60
	// DefaultRate is the default pace in requests per second: a sixth of the 30 per second
	// Cognito allows the account's user-listing calls, which the pool's own traffic shares.
	DefaultRate = 5
	// DefaultMaxRetries is how often a call is retried by default.
	DefaultMaxRetries = 8
	// DefaultMaxBody caps one answer's body: a page of 60 users of at most 2 KiB per attribute
	// value stays far below it.
	DefaultMaxBody = 16 << 20
)

// poolIDRE is a user pool id (botocore's UserPoolIdType pattern): the region, "_", letters and
// digits.
var poolIDRE = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)

// Config configures a Client.
type Config struct {
	// PoolID is the user pool id (us-east-1_Ab12Cd34E). Required.
	PoolID string
	// Region is the pool's region; default the part of PoolID before "_".
	Region string
	// Endpoint, when set, is the API's base URL instead of the region's (cognitotest, a proxy).
	Endpoint string
	// Credentials sign the calls; nil takes the AWS SDK's standard chain (environment, shared
	// config and credentials files, SSO, web identity, container and instance roles).
	Credentials aws.CredentialsProvider
	// ClientID and ClientSecret are the app client AdminInitiateAuth signs in through; the secret
	// (when the client has one) makes each call's SECRET_HASH.
	ClientID, ClientSecret string
	// Filter is ListUsers' Filter for Users (empty: every user).
	Filter string
	// PageSize is ListUsers' Limit, 1 to MaxPageSize (0: MaxPageSize).
	PageSize int
	// Rate paces every call, in requests per second (0: DefaultRate; negative: unpaced).
	Rate int
	// MaxRetries bounds the retries of one call (0: DefaultMaxRetries; negative: none).
	MaxRetries int
	// HTTPClient sends the requests (default: a client with a 30 s timeout).
	HTTPClient *http.Client
	// MaxBody caps one answer's body (0: DefaultMaxBody); a larger one is an error that is not
	// retried.
	MaxBody int64
	// Sleep waits between retries and for the pace (default: a timer); Now is the pace's clock
	// (default time.Now). Tests pass an emulator.Clock's.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
	// NewBackOff makes one call's back-off (default httpcore.DefaultBackOff: 0.5 s, ×1.5, ±50 %
	// jitter, at most 30 s).
	NewBackOff func() backoff.BackOff
	// Logf reports retries.
	Logf func(format string, args ...any)
	// API replaces the SDK client (tests of the retry logic).
	API API
}

// Client calls a user pool. Safe for concurrent use.
type Client struct {
	api        API
	pool       string
	clientID   string
	secret     string
	filter     string
	pageSize   int32
	maxRetries int
	limiter    *rate.Limiter
	sleep      func(ctx context.Context, d time.Duration) error
	now        func() time.Time
	newBackOff func() backoff.BackOff
	logf       func(format string, args ...any)
	core       *httpcore.Client // retries the calls
}

// New checks cfg and builds the client. With no Credentials it loads the AWS SDK's default
// configuration (credentials are resolved at the first call, so a missing one is an error of
// that call).
func New(ctx context.Context, cfg Config) (*Client, error) {
	if !poolIDRE.MatchString(cfg.PoolID) {
		return nil, fmt.Errorf("user pool id %q: want <region>_<id>, e.g. us-east-1_Ab12Cd34E", cfg.PoolID)
	}
	if cfg.PageSize < 0 || cfg.PageSize > MaxPageSize {
		return nil, fmt.Errorf("page size %d: ListUsers takes 1 to %d", cfg.PageSize, MaxPageSize)
	}
	c := &Client{api: cfg.API, pool: cfg.PoolID, clientID: cfg.ClientID, secret: cfg.ClientSecret, filter: cfg.Filter,
		pageSize: int32(cfg.PageSize), maxRetries: cfg.MaxRetries, sleep: cfg.Sleep, now: cfg.Now,
		newBackOff: cfg.NewBackOff, logf: cfg.Logf}
	if c.pageSize == 0 {
		c.pageSize = MaxPageSize
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	httpcore.DefaultHooks(&c.sleep, &c.now, &c.logf)
	if c.newBackOff == nil {
		c.newBackOff = httpcore.DefaultBackOff
	}
	c.core = &httpcore.Client{Sleep: c.sleep, Now: c.now}
	r := cfg.Rate
	if r == 0 {
		r = DefaultRate
	}
	if r > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(r), 1)
	}
	if c.api != nil {
		return c, nil
	}
	region := cfg.Region
	if region == "" {
		region, _, _ = strings.Cut(cfg.PoolID, "_")
	}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return nil, errors.New("endpoint: want an http(s) base URL without user info, e.g. https://cognito-idp.us-east-1.amazonaws.com")
		}
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	maxBody := cfg.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	var awsCfg aws.Config
	if cfg.Credentials != nil {
		awsCfg = aws.Config{Region: region, Credentials: aws.NewCredentialsCache(cfg.Credentials)}
	} else {
		var err error
		if awsCfg, err = config.LoadDefaultConfig(ctx, config.WithRegion(region)); err != nil {
			return nil, fmt.Errorf("loading the AWS configuration: %w", err)
		}
	}
	c.api = cip.NewFromConfig(awsCfg, func(o *cip.Options) {
		o.Region = region
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(strings.TrimRight(cfg.Endpoint, "/"))
		}
		o.Retryer = aws.NopRetryer{} // one attempt per call: Client.do retries
		o.HTTPClient = limitedClient{hc, maxBody}
	})
	return c, nil
}

// limitedClient sends requests with an http.Client and caps the body of every answer.
type limitedClient struct {
	c   *http.Client
	max int64
}

// Do implements the SDK's HTTPClient.
func (l limitedClient) Do(r *http.Request) (*http.Response, error) {
	resp, err := l.c.Do(r)
	if err != nil {
		return nil, err
	}
	resp.Body = httpcore.LimitBody(resp.Body, l.max)
	return resp, nil
}

// ErrBodyTooLarge is wrapped by the error of an answer larger than Config.MaxBody (it is
// httpcore.ErrBodyTooLarge).
var ErrBodyTooLarge = httpcore.ErrBodyTooLarge

// do runs one call: paced, and retried while Retryable says so, each attempt sent (and signed)
// afresh by call. Its error names the operation, and the retries made when there were some.
func (c *Client) do(ctx context.Context, op string, call func(ctx context.Context) error) error {
	gaveUp := func(err error, retries int) error {
		return fmt.Errorf("cognito %s: %w (gave up after %d retries)", op, err, retries)
	}
	return c.core.Retry(ctx, httpcore.Op{
		Policy: httpcore.Policy{MaxRetries: c.maxRetries, NewBackOff: c.newBackOff},
		Try: func(ctx context.Context, retry int) (httpcore.Verdict, error) {
			if err := c.pace(ctx); err != nil {
				return httpcore.Verdict{}, err
			}
			err := call(ctx)
			switch {
			case err == nil:
				return httpcore.Success, nil
			case ctx.Err() != nil:
				return httpcore.Verdict{}, ctx.Err()
			case Retryable(err):
				return httpcore.Verdict{Err: err, Retry: true}, nil
			case retry > 0:
				return httpcore.Verdict{Err: gaveUp(err, retry)}, nil
			}
			return httpcore.Verdict{Err: fmt.Errorf("cognito %s: %w", op, err)}, nil
		},
		OnRetry: func(i httpcore.RetryInfo) {
			c.logf("cognito %s: %s; retry %d of %d in %v", op, Describe(i.Err), i.Retry, i.Max, i.Wait.Round(time.Millisecond))
		},
		GiveUp: func(last error, retries int, stopped bool) error {
			if retries == 0 && !stopped {
				return fmt.Errorf("cognito %s: %w", op, last)
			}
			return gaveUp(last, retries)
		},
	})
}

// pace waits for the call's turn at Config.Rate.
func (c *Client) pace(ctx context.Context) error {
	if c.limiter == nil {
		return ctx.Err()
	}
	now := c.now()
	if d := c.limiter.ReserveN(now, 1).DelayFrom(now); d > 0 {
		return c.sleep(ctx, d)
	}
	return ctx.Err()
}

// Users lists every user of the pool (ListUsers with Config.Filter, Limit Config.PageSize),
// following PaginationToken until an answer has none, and hands each to emit as the JSON of a
// ListUsers user (EncodeUser), in the API's order. A page may hold fewer users than the limit
// without being the last (the API says so); a token that does not change is an error, not an
// endless loop. It returns emit's error unchanged.
func (c *Client) Users(ctx context.Context, emit func(user []byte) error) error {
	var token *string
	for page := 1; ; page++ {
		in := &cip.ListUsersInput{UserPoolId: aws.String(c.pool), Limit: aws.Int32(c.pageSize), PaginationToken: token}
		if c.filter != "" {
			in.Filter = aws.String(c.filter)
		}
		out, err := c.listUsers(ctx, in)
		if err != nil {
			return fmt.Errorf("page %d: %w", page, err)
		}
		for _, u := range out.Users {
			if err := emit(EncodeUser(u)); err != nil {
				return err
			}
		}
		next := aws.ToString(out.PaginationToken)
		if next == "" {
			return nil
		}
		if token != nil && next == *token {
			return fmt.Errorf("cognito ListUsers: page %d answered the token it was asked with: the listing does not advance", page)
		}
		token = &next
	}
}

func (c *Client) listUsers(ctx context.Context, in *cip.ListUsersInput) (*cip.ListUsersOutput, error) {
	var out *cip.ListUsersOutput
	err := c.do(ctx, "ListUsers", func(ctx context.Context) error {
		var err error
		out, err = c.api.ListUsers(ctx, in)
		return err
	})
	return out, err
}

// FindUsers returns the users ListUsers finds with filter (one page of at most limit users, 1 to
// MaxPageSize), each as EncodeUser writes it.
func (c *Client) FindUsers(ctx context.Context, filter string, limit int) ([][]byte, error) {
	limit = min(max(limit, 1), MaxPageSize)
	out, err := c.listUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(c.pool), Filter: aws.String(filter), Limit: aws.Int32(int32(limit))})
	if err != nil {
		return nil, err
	}
	users := make([][]byte, 0, len(out.Users))
	for _, u := range out.Users {
		users = append(users, EncodeUser(u))
	}
	return users, nil
}

// ErrUserNotFound is wrapped by User's error when the pool has no such user.
var ErrUserNotFound = errors.New("no such user")

// User reads one user with AdminGetUser (username: the username, an alias such as the email when
// the pool has that alias, or the sub of a local user) and returns it as the JSON of a ListUsers
// user (EncodeUser: UserAttributes become Attributes; the MFA settings, which ListUsers does not
// list, are left out so that a user reads the same both ways). An unknown user is an error
// wrapping ErrUserNotFound.
func (c *Client) User(ctx context.Context, username string) ([]byte, error) {
	var out *cip.AdminGetUserOutput
	err := c.do(ctx, "AdminGetUser", func(ctx context.Context) error {
		var err error
		out, err = c.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(c.pool), Username: aws.String(username)})
		return err
	})
	if ErrorCode(err) == CodeUserNotFound {
		return nil, fmt.Errorf("%w: %w", ErrUserNotFound, err)
	}
	if err != nil {
		return nil, err
	}
	return EncodeUser(types.UserType{Username: out.Username, Attributes: out.UserAttributes, UserCreateDate: out.UserCreateDate,
		UserLastModifiedDate: out.UserLastModifiedDate, Enabled: out.Enabled, UserStatus: out.UserStatus, MFAOptions: out.MFAOptions}), nil
}

// Auth is what AdminInitiateAuth answered a right password.
type Auth struct {
	// Authenticated is set when it issued tokens (AuthenticationResult); the tokens are not kept.
	Authenticated bool
	// Challenge is the challenge it asked for instead (NEW_PASSWORD_REQUIRED, SMS_MFA, …).
	Challenge string
}

// Authenticate signs username in with AdminInitiateAuth, flow ADMIN_USER_PASSWORD_AUTH
// (USERNAME, PASSWORD and, when the app client has a secret, SECRET_HASH). A wrong password and
// every other refusal are errors carrying Cognito's code (ErrorCode): NotAuthorizedException,
// UserNotFoundException, UserNotConfirmedException, PasswordResetRequiredException, …
func (c *Client) Authenticate(ctx context.Context, username, password string) (Auth, error) {
	params := map[string]string{"USERNAME": username, "PASSWORD": password}
	if c.secret != "" {
		params["SECRET_HASH"] = SecretHash(username, c.clientID, c.secret)
	}
	in := &cip.AdminInitiateAuthInput{UserPoolId: aws.String(c.pool), ClientId: aws.String(c.clientID),
		AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: params}
	var out *cip.AdminInitiateAuthOutput
	err := c.do(ctx, "AdminInitiateAuth", func(ctx context.Context) error {
		var err error
		out, err = c.api.AdminInitiateAuth(ctx, in)
		return err
	})
	if err != nil {
		return Auth{}, err
	}
	return Auth{Authenticated: out.AuthenticationResult != nil, Challenge: string(out.ChallengeName)}, nil
}

// SecretHash is the SECRET_HASH of username for an app client with a secret:
// Base64(HMAC-SHA256(key: the client secret, message: username + client id)), UTF-8, standard
// base64 (the Amazon Cognito developer guide, "Computing secret hash values").
func SecretHash(username, clientID, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
