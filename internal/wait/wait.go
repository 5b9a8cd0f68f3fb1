// Package wait holds the small timing helpers the API clients and the Auth0 sink share.
package wait

import (
	"context"
	"time"
)

// Sleep waits for d or until ctx is done, whichever comes first; it returns ctx's error in the
// second case. It is the default of every client's injectable Sleep.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Retries turns a configured retry count into the one to use: 0 means def, a negative count
// means no retries.
func Retries(configured, def int) int {
	switch {
	case configured == 0:
		return def
	case configured < 0:
		return 0
	}
	return configured
}
