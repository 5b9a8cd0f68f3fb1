package importfiles

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/internal/nofollow"
	"github.com/usher-migrate/usher/pipeline/dedup"
	"github.com/usher-migrate/usher/pipeline/ledger"
)

// restore brings the folder back to the checkpoint: later import files removed, the open one and
// the ndjson files cut to their recorded sizes, the claim index rebuilt from the ledger.
func (s *Sink) restore(ctx context.Context, cp *ledger.Checkpoint) error {
	if err := json.Unmarshal([]byte(cp.State), &s.state); err != nil {
		return fmt.Errorf("checkpoint state: %w", err)
	}
	s.skip, s.lastSeq = cp.Seq, cp.Seq
	s.curNo, s.curOff, s.curUsers, s.curFirst = cp.FileNo, cp.FileOff, cp.FileUsers, cp.FileFirst
	if cp.FileOff > 0 {
		// The file being filled at the checkpoint may have been completed (and renamed) since: its
		// first FileOff bytes are still the checkpoint's.
		if _, err := os.Stat(s.tmpPath(cp.FileNo)); errors.Is(err, os.ErrNotExist) {
			if err := os.Rename(s.finalPath(cp.FileNo), s.tmpPath(cp.FileNo)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	if err := s.verify(cp); err != nil {
		return err
	}
	if err := s.led.Truncate(*cp); err != nil {
		return err
	}
	if err := s.clean(cp.FileOff, cp.FileNo); err != nil {
		return err
	}
	if cp.FileOff > 0 {
		f, err := nofollow.OpenOutput(s.tmpPath(cp.FileNo), os.O_RDWR)
		if err != nil {
			return fmt.Errorf("open partial import file: %w", err)
		}
		if err := f.Truncate(cp.FileOff); err != nil {
			f.Close()
			return err
		}
		s.curHash = sha256.New()
		if _, err := io.Copy(s.curHash, io.NewSectionReader(f, 0, cp.FileOff)); err != nil {
			f.Close()
			return err
		}
		if _, err := f.Seek(cp.FileOff, io.SeekStart); err != nil {
			f.Close()
			return err
		}
		s.cur, s.curW = f, bufio.NewWriterSize(f, 64<<10)
	}
	idx, err := dedup.Open(filepath.Join(s.cfg.Dir, ".usher-dedup"), s.lookup)
	if err != nil {
		return err
	}
	s.idx = idx
	return s.led.EachClaim(ctx, cp.Seq, func(seq int64, email, userID, username string) error {
		dups, err := s.claim(seq, email, userID, username)
		if err == nil && len(dups) > 0 {
			err = fmt.Errorf("ledger holds two claims of one identity (record %d): %s", seq, dups[0].Message)
		}
		return err
	})
}

// add queues a ledger row for the next checkpoint, and takes one when it is due.
func (s *Sink) add(ctx context.Context, row ledger.User) error {
	s.pending = append(s.pending, row)
	if s.overlay != nil {
		s.overlay[row.Seq] = row
	}
	return s.checkpointDue(ctx)
}

func (s *Sink) checkpointDue(ctx context.Context) error {
	if s.inGroup {
		return nil // a merged group's rows go into one checkpoint together
	}
	if s.cfg.Now().Sub(s.lastCP) >= s.cfg.CheckpointEvery || len(s.pending) >= 20000 {
		return s.checkpoint(ctx, false)
	}
	return nil
}

// checkpoint records in the ledger how far the output files go. The files are flushed to the
// operating system (which is what survives a killed process); they are fsynced only when the run
// completes, and a resume checks that they still hold what the checkpoint says (see verify). The
// ledger transaction runs in the background while the writer goes on; the next checkpoint waits
// for it.
func (s *Sink) checkpoint(ctx context.Context, done bool) error {
	if err := s.waitCommit(); err != nil {
		return err
	}
	if s.cur != nil {
		if err := s.curW.Flush(); err != nil {
			return fmt.Errorf("import file: %w", err)
		}
	}
	rejOff, err := s.rejects.flush()
	if err != nil {
		return err
	}
	lazyOff, err := s.lazy.flush()
	if err != nil {
		return err
	}
	st, err := json.Marshal(s.state)
	if err != nil {
		return err
	}
	cp := ledger.Checkpoint{Seq: s.lastSeq, FileNo: s.curNo, FileOff: s.curOff, FileUsers: s.curUsers,
		FileFirst: s.curFirst, RejectsOff: rejOff, LazyOff: lazyOff, State: string(st), Done: done}
	s.inflight, s.pending = s.pending, s.spare[:0]
	files := s.newFile
	s.newFile = nil
	ch := make(chan error, 1)
	s.commitDone = ch
	led, rows := s.led, s.inflight
	go func() { ch <- led.Commit(context.WithoutCancel(ctx), rows, files, cp) }()
	s.lastCP = s.cfg.Now()
	if done {
		return s.waitCommit()
	}
	return nil
}

// waitCommit waits for the background ledger commit, if any.
func (s *Sink) waitCommit() error {
	if s.commitDone == nil {
		return nil
	}
	err := <-s.commitDone
	s.commitDone = nil
	if err == nil && s.overlay != nil {
		for _, u := range s.inflight {
			delete(s.overlay, u.Seq)
		}
	}
	s.spare, s.inflight = s.inflight, nil
	return err
}

// verify checks, before a resume, that the output files still hold everything the checkpoint
// recorded: completed import files unchanged (size and SHA-256), the partial file and the NDJSON
// files at least as long as their recorded offsets. A shortfall means data was lost after the
// checkpoint was written (a power failure, a file edited by hand): resuming would lose users, so
// it is refused.
func (s *Sink) verify(cp *ledger.Checkpoint) error {
	files, err := s.led.Files()
	if err != nil {
		return err
	}
	for _, f := range files {
		if f.No >= cp.FileNo {
			continue
		}
		sum, size, err := fileSHA256(filepath.Join(s.cfg.Dir, filepath.FromSlash(f.Path)))
		if err != nil {
			return fmt.Errorf("%s: %w (start over with --fresh)", f.Path, err)
		}
		if sum != f.SHA256 || size != f.Bytes {
			return fmt.Errorf("%s changed since it was written (start over with --fresh)", f.Path)
		}
	}
	for path, off := range map[string]int64{
		filepath.Join(s.cfg.Dir, RejectsFile): cp.RejectsOff,
		filepath.Join(s.cfg.Dir, LazyFile):    cp.LazyOff,
		s.tmpPath(cp.FileNo):                  cp.FileOff,
	} {
		if off == 0 {
			continue
		}
		st, err := os.Stat(path)
		if err != nil || st.Size() < off {
			return fmt.Errorf("%s is shorter than the ledger's checkpoint (%d bytes): output was lost after the checkpoint; start over with --fresh", path, off)
		}
	}
	return nil
}

func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// sync makes the finished run's files durable.
func (s *Sink) sync() error {
	if _, err := s.rejects.flush(); err != nil {
		return err
	}
	if _, err := s.lazy.flush(); err != nil {
		return err
	}
	paths := []string{filepath.Join(s.cfg.Dir, ImportDir), s.cfg.Dir}
	files, err := s.led.Files()
	if err != nil {
		return err
	}
	for _, f := range files {
		paths = append(paths, filepath.Join(s.cfg.Dir, filepath.FromSlash(f.Path)))
	}
	var errs []error
	for _, p := range paths {
		errs = append(errs, syncPath(p))
	}
	errs = append(errs, s.rejects.f.Sync(), s.lazy.f.Sync())
	return errors.Join(errs...)
}

func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
