package hook

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash"
	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// errNoPassword means the stored user has no password material the hook can check.
var errNoPassword = errors.New("hook: the user has no stored password")

// verify checks password against the material of an Auth0-shaped profile, whatever its format:
// a bcrypt or modular-crypt password_hash (Stormpath, PHC, md5-crypt, …), a custom_password_hash
// of any algorithm Auth0 documents, or legacy_password (source material Auth0 cannot import: a
// Gigya password object or a hash in a declared format). It returns nil on a match, an error wrapping legacy.ErrMismatch (or
// auth0hash.ErrMismatch) on a wrong password, errNoPassword, or another error when the stored
// material cannot be used.
func verify(ctx context.Context, profile map[string]any, password string) error {
	if list, ok := profile[pipeline.MergedPasswordsKey].([]any); ok {
		return verifyAny(ctx, list, password)
	}
	if ph, ok := profile["password_hash"].(string); ok && ph != "" {
		if strings.HasPrefix(ph, "$2a$") || strings.HasPrefix(ph, "$2b$") {
			return auth0hash.VerifyBcrypt(ctx, password, ph)
		}
		h, err := legacy.Parse(ph)
		if err != nil {
			return fmt.Errorf("hook: stored password_hash: %w", err)
		}
		return h.Verify(ctx, password)
	}
	if m, ok := profile["custom_password_hash"].(map[string]any); ok {
		c, err := hash.MapToCustom(m)
		if err != nil {
			return err
		}
		return auth0hash.Verify(ctx, password, c)
	}
	if lp, ok := profile[pipeline.LegacyPasswordKey].(map[string]any); ok {
		h, err := hash.ParseLegacy(lp)
		if err != nil {
			return fmt.Errorf("hook: stored legacy password: %w", err)
		}
		return h.Verify(ctx, password)
	}
	return errNoPassword
}

// verifyAny checks password against the passwords of the accounts merged into one user (each an
// object holding password_hash, custom_password_hash or legacy_password): nil when any matches. Every
// one is tried, so the time taken does not tell which account's password was given. When none
// matches it returns a mismatch if any material was usable, else the first error.
func verifyAny(ctx context.Context, list []any, password string) error {
	var matched bool
	var firstErr, mismatchErr error
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		if _, nested := m[pipeline.MergedPasswordsKey]; nested {
			continue
		}
		switch err := verify(ctx, m, password); {
		case err == nil:
			matched = true
		case mismatch(err):
			mismatchErr = err
		case firstErr == nil:
			firstErr = err
		}
	}
	switch {
	case matched:
		return nil
	case mismatchErr != nil:
		return mismatchErr
	case firstErr != nil:
		return firstErr
	}
	return errNoPassword
}

// mismatch reports whether err is a wrong password (as opposed to unusable material).
func mismatch(err error) bool {
	return errors.Is(err, legacy.ErrMismatch) || errors.Is(err, auth0hash.ErrMismatch)
}

// publicProfile is the profile the hook answers with: the Auth0-shaped user without any password
// material, with the same user_id the bulk file would carry.
func publicProfile(profile map[string]any) map[string]any {
	out := make(map[string]any, len(profile))
	for k, v := range profile {
		switch k {
		case "password_hash", "custom_password_hash", pipeline.LegacyPasswordKey, pipeline.MergedPasswordsKey, "mfa_factors":
			continue
		}
		out[k] = v
	}
	return out
}
