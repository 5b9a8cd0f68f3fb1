package htmlreport

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/usher-migrate/usher/pipeline/runreport"
)

// Chart geometry (SVG user units = CSS pixels).
const (
	chartW, chartH                     = 760, 260
	padLeft, padRight, padTop, padBott = 64, 16, 14, 40
	plotW, plotH                       = chartW - padLeft - padRight, chartH - padTop - padBott
)

// segment is one part of a stacked bar.
type segment struct {
	Name  string
	Count int64
}

// stackBar is a horizontal bar split by share (the routes at a glance).
type stackBar struct {
	Parts []barPart
	Total int64
}

type barPart struct {
	Name    string
	Count   int64
	X, W    float64
	Percent float64
}

const stackW = 720

func newStackBar(segs []segment) *stackBar {
	b := &stackBar{}
	for _, s := range segs {
		b.Total += max(s.Count, 0)
	}
	if b.Total == 0 {
		return nil
	}
	x := 0.0
	for _, s := range segs {
		if s.Count <= 0 {
			continue
		}
		w := stackW * float64(s.Count) / float64(b.Total)
		b.Parts = append(b.Parts, barPart{Name: s.Name, Count: s.Count, X: round1(x), W: round1(w), Percent: 100 * float64(s.Count) / float64(b.Total)})
		x += w
	}
	return b
}

// lineChart is a chart of one series against time, with its axes.
type lineChart struct {
	W, H, PlotW, PlotH, Left, Top float64
	Points                        string // the polyline's points
	Area                          string // the polygon under it
	XTicks, YTicks                []tick
	Limit                         *tick // a horizontal reference line (the job limit)
	Average                       *tick // the run's average
	Peak, Mean                    float64
	N                             int // points of the series
	Duration                      float64
}

// Right and Bottom are the plot area's right and bottom edges.
func (c *lineChart) Right() float64  { return c.Left + c.PlotW }
func (c *lineChart) Bottom() float64 { return c.Top + c.PlotH }

// tick is an axis mark: Pos is its x (XTicks) or y (YTicks) in the chart.
type tick struct {
	Pos   float64
	Label string
}

// throughputChart draws records read per second between consecutive samples, as steps: each
// interval's rate spans the interval.
func throughputChart(samples []runreport.Sample) *lineChart {
	if len(samples) < 2 {
		return nil
	}
	// The time axis spans the whole run, from its start (the first sample comes with the first
	// record, after the sources' preparation).
	t0, t1 := 0.0, samples[len(samples)-1].T
	if t1 <= samples[0].T {
		return nil
	}
	type step struct{ a, b, rate float64 }
	var steps []step
	peak := 0.0
	for i := 1; i < len(samples); i++ {
		p, s := samples[i-1], samples[i]
		if s.T <= p.T {
			continue
		}
		r := float64(s.Read-p.Read) / (s.T - p.T)
		steps = append(steps, step{p.T, s.T, r})
		peak = max(peak, r)
	}
	mean := float64(samples[len(samples)-1].Read-samples[0].Read) / (t1 - samples[0].T)
	c := newChart(t0, t1, peak)
	var pts []string
	for _, st := range steps {
		pts = append(pts, c.pt(st.a, st.rate), c.pt(st.b, st.rate))
	}
	c.Points = strings.Join(pts, " ")
	c.Area = c.pt(steps[0].a, 0) + " " + c.Points + " " + c.pt(steps[len(steps)-1].b, 0)
	c.Peak, c.Mean, c.N = round1(peak), round1(mean), len(samples)
	c.Average = &tick{Pos: c.y(mean), Label: "average " + formatRate(mean)}
	return c.lineChart
}

// scaled is a chart under construction: its x and y ranges.
type scaled struct {
	*lineChart
	t0, t1, ymax float64
}

func newChart(t0, t1, ymax float64) scaled {
	top := niceCeil(ymax)
	c := scaled{lineChart: &lineChart{W: chartW, H: chartH, PlotW: plotW, PlotH: plotH, Left: padLeft, Top: padTop, Duration: t1 - t0}, t0: t0, t1: t1, ymax: top}
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		c.YTicks = append(c.YTicks, tick{Pos: c.y(v), Label: formatRate(v)})
	}
	stepT := niceStep((t1 - t0) / 6)
	for t := math.Ceil(t0/stepT) * stepT; t <= t1+1e-9; t += stepT {
		c.XTicks = append(c.XTicks, tick{Pos: c.x(t), Label: formatTick(t, stepT)})
	}
	return c
}

func (c scaled) x(t float64) float64 {
	return round1(padLeft + plotW*(t-c.t0)/(c.t1-c.t0))
}

func (c scaled) y(v float64) float64 {
	if c.ymax <= 0 {
		return padTop + plotH
	}
	return round1(padTop + plotH - plotH*v/c.ymax)
}

func (c scaled) pt(t, v float64) string {
	return strconv.FormatFloat(c.x(t), 'f', -1, 64) + "," + strconv.FormatFloat(c.y(v), 'f', -1, 64)
}

// niceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten (1 for 0).
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// niceStep is a time step of at least d seconds that reads well.
func niceStep(d float64) float64 {
	for _, s := range []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400} {
		if s >= d {
			return s
		}
	}
	return niceCeil(d/86400) * 86400
}

// jobsView is the upload: the jobs' table, their timeline and the use of the job slots.
type jobsView struct {
	Rows  []jobRow
	Limit int
	// Peak is the most jobs in flight at once (submitted, not yet seen ended); Busy the share
	// of the upload's span with all Limit slots in use; MeanInFlight the average in flight.
	Peak         int
	Busy         float64
	MeanInFlight float64
	Span         float64
	Timed        int // jobs with both ends known
	Gantt        *gantt
	Slots        *lineChart
	Inserted     int64
	Updated      int64
	Failed       int64
	Total        int64
}

type jobRow struct {
	runreport.Job
	Start, End string // seconds after the first job's start ("+1.2 s")
	Took       string
	OK         bool
}

// gantt draws each job as a bar from its start to its end.
type gantt struct {
	W, H, Left, RowH float64
	Bars             []ganttBar
	XTicks           []tick
}

// Right and Bottom are the plot area's right and bottom edges; BarH a bar's height.
func (g *gantt) Right() float64  { return g.W - padRight }
func (g *gantt) Bottom() float64 { return g.H - padBott }
func (g *gantt) BarH() float64   { return round1(g.RowH * 0.75) }

type ganttBar struct {
	Y, X, W float64
	File    string
	Status  string
}

// maxGanttJobs bounds the jobs drawn one bar each (the slot chart shows any number).
const maxGanttJobs = 150

func jobStart(j runreport.Job) (time.Time, bool) {
	for _, s := range []string{j.SubmittedAt, j.SentAt, j.CreatedAt} {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil && s != "" {
			return t, true
		}
	}
	return time.Time{}, false
}

func newJobsView(jobs []runreport.Job, limit int) *jobsView {
	v := &jobsView{Limit: limit}
	type span struct {
		a, b float64
		i    int
	}
	var spans []span
	var origin time.Time
	for _, j := range jobs {
		if t, ok := jobStart(j); ok && (origin.IsZero() || t.Before(origin)) {
			origin = t
		}
	}
	for i, j := range jobs {
		row := jobRow{Job: j, OK: j.Status == "completed" && (j.Summary == nil || j.Summary.Failed == 0)}
		if s := j.Summary; s != nil {
			v.Inserted += int64(s.Inserted)
			v.Updated += int64(s.Updated)
			v.Failed += int64(s.Failed)
			v.Total += int64(s.Total)
		}
		start, okA := jobStart(j)
		end, errB := time.Parse(time.RFC3339Nano, j.CompletedAt)
		if okA {
			row.Start = "+" + formatSeconds(start.Sub(origin).Seconds())
		}
		if errB == nil && j.CompletedAt != "" {
			row.End = "+" + formatSeconds(end.Sub(origin).Seconds())
			if okA && !end.Before(start) {
				row.Took = formatSeconds(end.Sub(start).Seconds())
				spans = append(spans, span{start.Sub(origin).Seconds(), end.Sub(origin).Seconds(), i})
			}
		}
		v.Rows = append(v.Rows, row)
	}
	v.Timed = len(spans)
	if len(spans) == 0 {
		return v
	}
	// In flight over time: +1 at each start, -1 at each end (ends first at equal times).
	type event struct {
		t float64
		d int
	}
	var evs []event
	t0, t1 := math.Inf(1), 0.0
	for _, s := range spans {
		evs = append(evs, event{s.a, 1}, event{s.b, -1})
		t0, t1 = min(t0, s.a), max(t1, s.b)
	}
	sortEvents := func(a, b event) int {
		if a.t != b.t {
			if a.t < b.t {
				return -1
			}
			return 1
		}
		return a.d - b.d
	}
	slices.SortFunc(evs, sortEvents)
	v.Span = t1 - t0
	n, last := 0, t0
	var busy, area float64
	type level struct {
		t float64
		n int
	}
	levels := []level{{t0, 0}}
	for _, e := range evs {
		dt := e.t - last
		area += float64(n) * dt
		if limit > 0 && n >= limit {
			busy += dt
		}
		n += e.d
		last = e.t
		v.Peak = max(v.Peak, n)
		levels = append(levels, level{e.t, n})
	}
	if v.Span > 0 {
		v.Busy = round1(100 * busy / v.Span)
		v.MeanInFlight = math.Round(100*area/v.Span) / 100
	}
	// The slot chart: jobs in flight as steps, the limit as a reference line.
	if v.Span > 0 {
		c := newChart(t0, t1, float64(max(v.Peak, limit)))
		c.YTicks = nil
		for k := 0; k <= int(c.ymax); k++ {
			c.YTicks = append(c.YTicks, tick{Pos: c.y(float64(k)), Label: strconv.Itoa(k)})
		}
		var pts []string
		prev := 0
		for _, l := range levels {
			pts = append(pts, c.pt(l.t, float64(prev)), c.pt(l.t, float64(l.n)))
			prev = l.n
		}
		c.Points = strings.Join(pts, " ")
		c.N = len(levels)
		if limit > 0 {
			c.Limit = &tick{Pos: c.y(float64(limit)), Label: "limit " + strconv.Itoa(limit)}
		}
		v.Slots = c.lineChart
	}
	if len(spans) <= maxGanttJobs && v.Span > 0 {
		rowH := min(16, max(4, 320/float64(len(spans))))
		g := &gantt{W: chartW, Left: padLeft, RowH: rowH, H: padTop + rowH*float64(len(spans)) + padBott}
		c := scaled{lineChart: &lineChart{}, t0: t0, t1: t1}
		for k, s := range spans {
			j := jobs[s.i]
			x := c.x(s.a)
			g.Bars = append(g.Bars, ganttBar{Y: round1(padTop + rowH*float64(k)), X: x, W: max(round1(c.x(s.b)-x), 1), File: j.File, Status: j.Status})
		}
		stepT := niceStep((t1 - t0) / 6)
		for t := math.Ceil(t0/stepT) * stepT; t <= t1+1e-9; t += stepT {
			g.XTicks = append(g.XTicks, tick{Pos: c.x(t), Label: formatTick(t, stepT)})
		}
		v.Gantt = g
	}
	return v
}
