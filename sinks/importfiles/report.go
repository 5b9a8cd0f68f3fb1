package importfiles

import (
	"path/filepath"
	"time"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/internal/nofollow"
	"github.com/usher-migrate/usher/pipeline/runreport"
)

// state is the aggregate the report is made of; it is saved with every checkpoint.
type state struct {
	StartedAt time.Time        `json:"started_at"`
	Counts    runreport.Counts `json:"counts"`
	Reasons   map[string]int64 `json:"reasons"`
	Hashes    map[string]int64 `json:"hashes"`
	Warnings  map[string]int64 `json:"warnings"`
}

// writeReport writes report.json from the run's state (and, with s.stopped, why it stopped).
func (s *Sink) writeReport() (*runreport.Report, error) {
	rep := &runreport.Report{Source: s.cfg.Source, Inputs: s.cfg.Inputs, StartedAt: s.state.StartedAt,
		FinishedAt: s.cfg.Now().UTC(), DryRun: s.cfg.DryRun, Counts: s.state.Counts, Reasons: s.state.Reasons,
		Hashes: s.state.Hashes, Warnings: s.state.Warnings, Files: []runreport.ReportFile{}, Jobs: []any{}, Stopped: s.stopped}
	if len(rep.Warnings) == 0 {
		rep.Warnings = nil
	}
	if !s.cfg.DryRun {
		files, err := s.led.Files()
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			rep.Files = append(rep.Files, runreport.ReportFile{Path: f.Path, Users: f.Users, Bytes: f.Bytes})
		}
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := nofollow.WriteFileAtomic(filepath.Join(s.cfg.Dir, ReportName), append(b, '\n')); err != nil {
		return nil, err
	}
	return rep, nil
}
