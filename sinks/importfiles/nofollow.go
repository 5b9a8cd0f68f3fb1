package importfiles

import (
	"path/filepath"

	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/pipeline/runreport"
)

// outputPaths are the paths a run writes in dir (the ledger's companions included); the
// folders among them are marked in the map. Nothing a run writes goes through a link: Open
// refuses one planted at any of these paths before any work (nofollow.RefuseLinks), and every
// output is opened with nofollow.OpenOutput.
func outputPaths(dir string) ([]string, map[string]bool) {
	imp, dedupDir := filepath.Join(dir, ImportDir), filepath.Join(dir, ".usher-dedup")
	db := filepath.Join(dir, ledger.FileName)
	return []string{imp, dedupDir, db, db + "-wal", db + "-shm", db + "-journal",
			filepath.Join(dir, RejectsFile), filepath.Join(dir, LazyFile),
			filepath.Join(dir, ReportName), filepath.Join(dir, ReportName+".tmp"),
			filepath.Join(dir, runreport.HTMLName), filepath.Join(dir, runreport.HTMLName+".tmp")},
		map[string]bool{imp: true, dedupDir: true}
}
