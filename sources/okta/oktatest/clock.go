package oktatest

import (
	"time"

	"github.com/usher-migrate/usher/internal/emulator"
)

// Clock is a fake clock for tests: Now returns a time that moves only when Sleep or Advance is
// called, and Sleep records every wait instead of waiting. Pass Clock.Now as Options.Now and
// as the client's Now, and Clock.Sleep as the client's Sleep, so that rate-limit windows and
// X-Rate-Limit-Reset waits are exact and instantaneous. Safe for concurrent use.
type Clock = emulator.Clock

// NewClock returns a Clock showing start.
func NewClock(start time.Time) *Clock { return emulator.NewClock(start) }
