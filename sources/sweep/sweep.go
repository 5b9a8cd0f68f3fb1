// Package sweep is the source of usher sweep: the users still waiting in a lazy-migration store
// (pipeline/store), which the sweep takes from the hook and imports without their password.
package sweep

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/store"
)

// Files in a sweep's output folder that tie it to the users it took.
const (
	IDFile    = "sweep.id"      // the sweep's id, recorded on the users it takes
	TakenFile = "sweep.claimed" // present once every waiting user has been taken
)

// New returns the source of a sweep whose output folder is dir. With dry (usher validate) it
// takes nobody and reads the waiting users. logf reports the users taken.
func New(st store.Store, dir string, dry bool, logf func(format string, args ...any)) *Source {
	return &Source{st: st, dir: dir, dry: dry, logf: logf}
}

// Source reads the users of a sweep (usher sweep). Before the first record it takes every
// user still waiting in the store (marks them swept with the sweep's id, so the hook stops
// answering for them from that moment), then emits exactly the users it took, in key order. The
// id lives in the output folder, so a resumed (or --fresh) sweep reads the same users in the same
// order; users who become waiting later belong to the next sweep, in another folder. A dry run
// (validate) takes nobody and reads the waiting users.
type Source struct {
	st   store.Store
	dir  string
	dry  bool
	logf func(format string, args ...any)
}

// Read emits the sweep's users' profiles, in key order.
func (s *Source) Read(ctx context.Context, emit func(pipeline.RawRecord) error) error {
	n := 0
	send := func(u store.User) error {
		n++
		return emit(pipeline.RawRecord{Pos: pipeline.Position{File: "store:" + u.Key, Index: n}, Data: u.Profile})
	}
	if s.dry {
		return s.st.Waiting(ctx, send)
	}
	id, err := s.take(ctx)
	if err != nil {
		return err
	}
	return s.st.Swept(ctx, id, send)
}

// take returns the sweep's id, creating it and taking every waiting user the first time.
func (s *Source) take(ctx context.Context) (string, error) {
	idPath := filepath.Join(s.dir, IDFile)
	b, err := os.ReadFile(idPath)
	id := strings.TrimSpace(string(b))
	switch {
	case errors.Is(err, os.ErrNotExist):
		var r [12]byte
		rand.Read(r[:])
		id = "sweep-" + hex.EncodeToString(r[:])
		if err := os.WriteFile(idPath, []byte(id+"\n"), 0o600); err != nil {
			return "", err
		}
	case err != nil:
		return "", err
	case id == "":
		return "", fmt.Errorf("%s is empty", idPath)
	}
	takenPath := filepath.Join(s.dir, TakenFile)
	if _, err := os.Stat(takenPath); err == nil {
		return id, nil
	}
	var batch []string
	taken := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.st.MarkSwept(ctx, id, batch)
		taken += len(batch)
		batch = batch[:0]
		return err
	}
	err = s.st.Waiting(ctx, func(u store.User) error {
		if batch = append(batch, u.Key); len(batch) == 1000 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return "", fmt.Errorf("sweep %s: taking the waiting users: %w", id, err)
	}
	if err := os.WriteFile(takenPath, nil, 0o600); err != nil {
		return "", err
	}
	s.logf("sweep %s: took %d waiting users; the hook no longer answers for them", id, taken)
	return id, nil
}

// Decode parses a stored profile.
func (s *Source) Decode(raw *pipeline.RawRecord) (map[string]any, error) {
	return pipeline.DecodeObject(raw.Data)
}

// WithoutPassword is the sweep's mapping: the stored Auth0-shaped user, its password material
// removed (swept users reset their password).
type WithoutPassword struct{}

// Map implements pipeline.Mapping.
func (WithoutPassword) Map(rec map[string]any) (*pipeline.Mapped, []pipeline.Issue) {
	delete(rec, "password_hash")
	delete(rec, "custom_password_hash")
	delete(rec, pipeline.LegacyPasswordKey)
	delete(rec, pipeline.MergedPasswordsKey)
	return &pipeline.Mapped{User: rec}, nil
}
