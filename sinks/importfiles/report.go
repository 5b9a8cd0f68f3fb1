package importfiles

import (
	"path/filepath"
	"time"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/internal/nofollow"
	"github.com/usher-migrate/usher/pipeline/runreport"
	"github.com/usher-migrate/usher/pipeline/runreport/htmlreport"
)

// state is the aggregate the report is made of; it is saved with every checkpoint.
type state struct {
	StartedAt time.Time        `json:"started_at"`
	Counts    runreport.Counts `json:"counts"`
	Reasons   map[string]int64 `json:"reasons"`
	Hashes    map[string]int64 `json:"hashes"`
	Warnings  map[string]int64 `json:"warnings"`
	// The rest is report.html's (absent from checkpoints written before it).
	LazyReasons map[string]int64                     `json:"lazy_reasons,omitempty"`
	Examples    map[string][]runreport.RejectExample `json:"reject_examples,omitempty"`
	Timeline    runreport.Timeline                   `json:"timeline"`
}

// initMaps makes the state's maps (a checkpoint written by an earlier version lacks some).
func (st *state) initMaps() {
	for _, m := range []*map[string]int64{&st.Reasons, &st.Hashes, &st.Warnings, &st.LazyReasons} {
		if *m == nil {
			*m = map[string]int64{}
		}
	}
	if st.Examples == nil {
		st.Examples = map[string][]runreport.RejectExample{}
	}
}

// sample adds the run's counts to the timeline when one is due (about every second; see
// runreport.Timeline). The ordered writer calls it for every record.
func (s *Sink) sample() {
	t := s.cfg.Now().Sub(s.state.StartedAt).Seconds()
	if s.state.Timeline.Due(t) {
		s.state.Timeline.Add(s.counts(t))
	}
}

func (s *Sink) counts(t float64) runreport.Sample {
	c := s.state.Counts
	return runreport.Sample{T: t, Read: c.Read, Imported: c.Imported, Lazy: c.Lazy, Rejected: c.Rejected}
}

// writeReport writes report.json from the run's state (and, with s.stopped, why it stopped).
func (s *Sink) writeReport() (*runreport.Report, error) {
	rep := &runreport.Report{Source: s.cfg.Source, Inputs: s.cfg.Inputs, StartedAt: s.state.StartedAt,
		FinishedAt: s.cfg.Now().UTC(), DryRun: s.cfg.DryRun, Counts: s.state.Counts, Reasons: s.state.Reasons,
		Hashes: s.state.Hashes, Warnings: s.state.Warnings, Files: []runreport.ReportFile{}, Jobs: []any{}, Stopped: s.stopped}
	if len(rep.Warnings) == 0 {
		rep.Warnings = nil
	}
	if len(s.state.LazyReasons) > 0 {
		rep.LazyReasons = s.state.LazyReasons
	}
	if len(s.state.Examples) > 0 {
		rep.RejectExamples = s.state.Examples
	}
	rep.Timeline = s.state.Timeline.Clone()
	rep.Timeline.End(s.counts(rep.FinishedAt.Sub(rep.StartedAt).Seconds()))
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
	if err := htmlreport.WriteRun(s.cfg.Dir, rep); err != nil {
		return nil, err
	}
	return rep, nil
}
