package hook

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/store"
)

// StoreUsers are the Users of a lazy-migration store (pipeline/store: SQLite or PostgreSQL, filled
// by usher migrate or usher stage). Source names the legacy system of the users AddMigrated
// records. A swept user (the sweep put it in an import file) is gone: answering for it would
// create it twice in Auth0.
type StoreUsers struct {
	Store  store.Store
	Source string
}

// Find implements Users.
func (u StoreUsers) Find(ctx context.Context, login string) (string, []byte, error) {
	usr, err := u.Store.Find(ctx, login)
	if err != nil {
		return "", nil, err
	}
	if usr.Status == store.StatusSwept {
		// The sweep put this user in an import file: answering would create it twice in Auth0.
		return "", nil, fmt.Errorf("%s: %w", usr.Key, ErrGone)
	}
	return usr.Key, usr.Profile, nil
}

// MarkMigrated marks the user migrated; when the sweep took the user between Find and this call,
// it answers ErrGone so the hook refuses the login.
func (u StoreUsers) MarkMigrated(ctx context.Context, key string) (bool, error) {
	changed, err := u.Store.MarkMigrated(ctx, key)
	if err != nil || changed {
		return changed, err
	}
	return false, u.gone(ctx, key)
}

// gone answers ErrGone when the user key is swept.
func (u StoreUsers) gone(ctx context.Context, key string) error {
	usr, err := u.Store.Get(ctx, key)
	switch {
	case err != nil:
		return err
	case usr.Status == store.StatusSwept:
		return fmt.Errorf("%s: %w", key, ErrGone)
	}
	return nil
}

// Sample hands the hook a spread of stored profiles to calibrate its refusal floor.
func (u StoreUsers) Sample(ctx context.Context, n int) ([][]byte, error) {
	return u.Store.Sample(ctx, n)
}

// AddMigrated records a user signed in through the live legacy system that the store did not
// hold, as migrated, keyed like stage keys users (user_id, else the lower-cased email).
func (u StoreUsers) AddMigrated(ctx context.Context, profile map[string]any) error {
	str := func(k string) string { s, _ := profile[k].(string); return s }
	key := str("user_id")
	if key == "" {
		key = strings.ToLower(str("email"))
	}
	if key == "" {
		return errors.New("the live account has neither user_id nor email")
	}
	b, err := pipeline.Marshal(profile)
	if err != nil {
		return err
	}
	if err := u.Store.Put(ctx, []store.User{{Key: key, UserID: str("user_id"), Email: str("email"), Username: str("username"),
		Profile: b, Status: store.StatusMigrated, Source: u.Source, Position: "live login"}}); err != nil {
		return err
	}
	// Put leaves a swept user as it is: a stored user found under another login (the email
	// changed in the legacy system since the export) may be in a sweep file, and then Auth0 must
	// not create it a second time.
	return u.gone(ctx, key)
}
