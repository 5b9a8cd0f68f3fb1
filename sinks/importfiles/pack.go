package importfiles

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/usher-migrate/usher/internal/nofollow"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/ledger"
)

// clean removes import files numbered from fileNo on (keeping fileNo's partial file when keepOff > 0).
func (s *Sink) clean(keepOff int64, fileNo int) error {
	entries, err := os.ReadDir(filepath.Join(s.cfg.Dir, ImportDir))
	if err != nil {
		return err
	}
	for _, e := range entries {
		var no int
		name := e.Name()
		if _, err := fmt.Sscanf(name, "users-%06d.json", &no); err != nil {
			continue
		}
		if no < fileNo || (no == fileNo && keepOff > 0 && strings.HasSuffix(name, ".tmp")) {
			continue
		}
		if err := os.Remove(filepath.Join(s.cfg.Dir, ImportDir, name)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sink) finalPath(no int) string {
	return filepath.Join(s.cfg.Dir, ImportDir, fmt.Sprintf("users-%06d.json", no))
}
func (s *Sink) tmpPath(no int) string { return s.finalPath(no) + ".tmp" }

// appendUser adds r's user to the current import file, starting a new file when it would not fit.
func (s *Sink) appendUser(r *pipeline.Result) error {
	need := int64(len(r.User))
	if s.curUsers > 0 {
		need += 2 // ",\n"
	}
	if s.curUsers > 0 && s.curOff+need+2 > int64(s.cfg.MaxFileBytes) {
		if err := s.closeImportFile(); err != nil {
			return err
		}
		need = int64(len(r.User))
	}
	if s.cur == nil {
		f, err := nofollow.OpenOutput(s.tmpPath(s.curNo), os.O_CREATE|os.O_WRONLY|os.O_TRUNC)
		if err != nil {
			return fmt.Errorf("import file: %w", err)
		}
		s.cur, s.curW, s.curHash = f, bufio.NewWriterSize(f, 64<<10), sha256.New()
		s.put([]byte{'['})
		s.curOff, s.curUsers, s.curFirst = 1, 0, r.Seq
	}
	if s.curUsers > 0 {
		s.put([]byte(",\n"))
	}
	if err := s.put(r.User); err != nil {
		return fmt.Errorf("import file: %w", err)
	}
	s.curOff += need
	s.curUsers++
	return nil
}

// put writes b to the current import file and its running hash.
func (s *Sink) put(b []byte) error {
	s.curHash.Write(b)
	_, err := s.curW.Write(b)
	return err
}

// closeImportFile completes the current import file and gives it its final name.
func (s *Sink) closeImportFile() error {
	if s.cur == nil {
		return nil
	}
	s.put([]byte("]\n"))
	if err := s.curW.Flush(); err != nil {
		return fmt.Errorf("import file: %w", err)
	}
	if err := s.cur.Close(); err != nil {
		return fmt.Errorf("import file: %w", err)
	}
	s.cur = nil
	sum, size := hex.EncodeToString(s.curHash.Sum(nil)), s.curOff+2
	if err := os.Rename(s.tmpPath(s.curNo), s.finalPath(s.curNo)); err != nil {
		return fmt.Errorf("import file: %w", err)
	}
	rel := filepath.ToSlash(filepath.Join(ImportDir, filepath.Base(s.finalPath(s.curNo))))
	s.newFile = append(s.newFile, ledger.File{No: s.curNo, Path: rel, Users: s.curUsers, Bytes: size,
		SHA256: sum, FirstSeq: s.curFirst, LastSeq: s.lastSeq})
	s.curNo++
	s.curOff, s.curUsers, s.curFirst = 0, 0, 0
	return nil
}
