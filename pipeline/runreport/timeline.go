package runreport

import (
	"math"
	"slices"
)

// MaxTimelinePoints bounds a Timeline, whatever the run's length.
const MaxTimelinePoints = 600

// Timeline is report.json's "timeline": the run's counts sampled as it goes, for report.html's
// throughput chart. Samples are at least Step seconds apart; Step starts at one second and
// doubles whenever the samples would exceed MaxTimelinePoints (every other sample is dropped,
// the last one kept), so a run of any length keeps at most MaxTimelinePoints evenly spaced
// samples. The sink that counts the records samples them (it is called in source order, from
// the runner's writer), and keeps the timeline with its checkpoint, so a resumed run continues
// it (T counts from the first run's start, the interruption included).
type Timeline struct {
	Step    float64  `json:"step_seconds"`
	Samples []Sample `json:"samples"`
}

// Sample is the run's counts T seconds after it started (cumulative, as in Counts; an export
// counts Exported instead of Imported and Lazy).
type Sample struct {
	T        float64 `json:"t"`
	Read     int64   `json:"read"`
	Imported int64   `json:"imported,omitempty"`
	Lazy     int64   `json:"lazy,omitempty"`
	Rejected int64   `json:"rejected,omitempty"`
	Exported int64   `json:"exported,omitempty"`
}

// Due reports whether a sample at t (seconds since the start) would be kept: the first one, or
// one at least Step after the last.
func (tl *Timeline) Due(t float64) bool {
	n := len(tl.Samples)
	return n == 0 || t >= tl.Samples[n-1].T+tl.step()
}

// Add records s when it is due (see Due), thinning the samples to stay within MaxTimelinePoints.
func (tl *Timeline) Add(s Sample) {
	if !tl.Due(s.T) {
		return
	}
	tl.Step = tl.step()
	s.T = roundMillis(s.T)
	tl.Samples = append(tl.Samples, s)
	tl.bound()
}

// End records the run's last sample whatever the step (replacing one taken at the same time),
// so that the timeline ends with the report's final counts.
func (tl *Timeline) End(s Sample) {
	tl.Step = tl.step()
	s.T = roundMillis(s.T)
	if n := len(tl.Samples); n > 0 && tl.Samples[n-1].T >= s.T {
		s.T = tl.Samples[n-1].T
		tl.Samples[n-1] = s
		return
	}
	tl.Samples = append(tl.Samples, s)
	tl.bound()
}

// Clone returns a copy that shares nothing with tl (nil for nil).
func (tl *Timeline) Clone() *Timeline {
	if tl == nil {
		return nil
	}
	return &Timeline{Step: tl.Step, Samples: slices.Clone(tl.Samples)}
}

func (tl *Timeline) step() float64 {
	if tl.Step <= 0 || math.IsNaN(tl.Step) || math.IsInf(tl.Step, 0) {
		return 1
	}
	return tl.Step
}

// bound drops every other sample (keeping the first and the last) and doubles the step while
// there are more than MaxTimelinePoints.
func (tl *Timeline) bound() {
	for len(tl.Samples) > MaxTimelinePoints {
		last := tl.Samples[len(tl.Samples)-1]
		kept := tl.Samples[:0]
		for i := 0; i < len(tl.Samples); i += 2 {
			kept = append(kept, tl.Samples[i])
		}
		if kept[len(kept)-1] != last {
			kept = append(kept, last)
		}
		tl.Samples = kept
		tl.Step *= 2
	}
}

func roundMillis(t float64) float64 {
	if t < 0 || math.IsNaN(t) || math.IsInf(t, 0) {
		return 0
	}
	return math.Round(t*1000) / 1000
}
