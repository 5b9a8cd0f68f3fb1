package auth0api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

const tokenPath = "/oauth/token"

// Token lifetime handling.
const (
	// RefreshMargin: a token is refreshed once less than max(10 % of its lifetime,
	// RefreshMargin) of it remains, but never before half of its lifetime has passed.
	RefreshMargin = 5 * time.Minute
	// DefaultTokenLifetime is assumed when the token answer has no positive expires_in.
	DefaultTokenLifetime = 10 * time.Minute
	// maxTokenLifetime (seconds) bounds expires_in (Auth0 allows at most 30 days).
	maxTokenLifetime = 30 * 24 * 3600
)

type tokenCall struct {
	done chan struct{}
	tok  string
	err  error
}

// Token returns a Management API access token from the client-credentials grant (POST
// {BaseURL}/oauth/token). The token is cached and a new one fetched once less than
// max(10 % of its lifetime, 5 min) of it remains (at most half its lifetime); concurrent
// callers share one fetch. When a refresh fails transiently while the cached token has not
// expired, the cached token is returned. A 401 or 403 from the token endpoint is a fatal
// *APIError ("the client credentials were rejected"). 429, 5xx and network errors are retried
// like every call. Never log the returned token.
func (c *Client) Token(ctx context.Context) (string, error) {
	for {
		c.tokMu.Lock()
		now := c.cfg.Now()
		if c.tok != "" && now.Before(c.refreshAt) {
			t := c.tok
			c.tokMu.Unlock()
			return t, nil
		}
		if f := c.inflight; f != nil {
			c.tokMu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return "", ctx.Err()
			}
			if f.err != nil && isCtxErr(f.err) && ctx.Err() == nil {
				continue // the fetching caller gave up; fetch for ourselves
			}
			return f.tok, f.err
		}
		f := &tokenCall{done: make(chan struct{})}
		c.inflight = f
		old, oldExp := c.tok, c.expiresAt
		c.tokMu.Unlock()

		tok, lifetime, err := c.fetchToken(ctx)

		c.tokMu.Lock()
		c.inflight = nil
		if err == nil {
			now := c.cfg.Now()
			margin := max(lifetime/10, RefreshMargin)
			margin = min(margin, lifetime/2)
			c.tok, c.expiresAt, c.refreshAt = tok, now.Add(lifetime), now.Add(lifetime-margin)
		}
		var fallback error
		if err != nil && old != "" && !isFatal(err) && !isCtxErr(err) && c.cfg.Now().Before(oldExp.Add(-30*time.Second)) {
			fallback, tok, err = err, old, nil
		}
		f.tok, f.err = tok, err
		c.tokMu.Unlock()
		close(f.done)
		if fallback != nil {
			c.logf("auth0: token refresh failed (%v); using the cached token until it expires", fallback)
		}
		return tok, err
	}
}

// dropToken forgets the cached token if it is still tok (after a 401 with it).
func (c *Client) dropToken(tok string) {
	c.tokMu.Lock()
	if c.tok == tok {
		c.tok = ""
	}
	c.tokMu.Unlock()
}

func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	body, err := json.Marshal(map[string]string{
		"grant_type":    "client_credentials",
		"client_id":     c.cfg.ClientID,
		"client_secret": c.cfg.ClientSecret,
		"audience":      c.cfg.Audience,
	})
	if err != nil {
		return "", 0, fmt.Errorf("auth0: encoding the token request: %w", err)
	}
	c.tokenFetches.Add(1)
	var out struct {
		AccessToken string  `json:"access_token"`
		ExpiresIn   flexInt `json:"expires_in"`
		TokenType   string  `json:"token_type"`
	}
	_, err = c.do(ctx, request{
		method: http.MethodPost, url: c.cfg.BaseURL + tokenPath, path: tokenPath,
		body: body, contentType: "application/json",
		classify: func(e *APIError) {
			if e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden {
				e.kind = kindCredentials
			}
		},
		decode: func(_ int, b []byte) error {
			if err := decodeJSON(b, &out); err != nil {
				return err
			}
			if out.AccessToken == "" {
				return errors.New("the token answer has no access_token")
			}
			if tt := strings.TrimSpace(out.TokenType); tt != "" && !strings.EqualFold(tt, "Bearer") {
				return fmt.Errorf("the token answer has token_type %q, want Bearer", clip(tt, 32))
			}
			for i := 0; i < len(out.AccessToken); i++ {
				if ch := out.AccessToken[i]; ch <= ' ' || ch >= 0x7f {
					return errors.New("the access_token contains a character that cannot be sent in a header")
				}
			}
			return nil
		},
	})
	if err != nil {
		return "", 0, err
	}
	c.tokMu.Lock()
	c.issued = append(c.issued, out.AccessToken)
	if len(c.issued) > 16 {
		c.issued = c.issued[len(c.issued)-16:]
	}
	c.tokMu.Unlock()
	lifetime := DefaultTokenLifetime
	if out.ExpiresIn > 0 {
		lifetime = time.Duration(min(int64(out.ExpiresIn), maxTokenLifetime)) * time.Second
	}
	c.logf("auth0: got a Management API token valid for %s", lifetime)
	return out.AccessToken, lifetime, nil
}

func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func isFatal(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Fatal()
}
