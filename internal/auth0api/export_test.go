package auth0api

import "github.com/cenkalti/backoff/v5"

// DecodeJobErrors exposes the errors-endpoint decoder to the fuzz target.
var DecodeJobErrors = decodeJobErrors

// SetBackOff replaces the back-off policy of c (tests: deterministic intervals).
func SetBackOff(c *Client, f func() backoff.BackOff) { c.newBackOff = f }
