package htmlreport

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// num writes an integer grouped by thousands (the template's "num").
func num(v any) string {
	switch n := v.(type) {
	case int:
		return groupThousands(int64(n))
	case int64:
		return groupThousands(n)
	}
	return fmt.Sprint(v)
}

// groupThousands writes n with commas between groups of three digits (1,234,567).
func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// percent writes a share with one decimal ("12.5%"; "<0.1%" for a small non-zero one).
func percent(p float64) string {
	switch {
	case p > 0 && p < 0.05:
		return "<0.1%"
	case math.IsNaN(p):
		return "–"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// formatSeconds writes a duration for people: "0.35 s", "12.4 s", "3 min 05 s", "2 h 04 min".
func formatSeconds(s float64) string {
	switch {
	case math.IsNaN(s) || math.IsInf(s, 0):
		return "–"
	case s < 0:
		return "-" + formatSeconds(-s)
	case s == 0:
		return "0 s"
	case s < 10:
		return strconv.FormatFloat(s, 'f', 2, 64) + " s"
	case s < 60:
		return strconv.FormatFloat(s, 'f', 1, 64) + " s"
	case s < 3600:
		m := int(s) / 60
		return fmt.Sprintf("%d min %02d s", m, int(s)-60*m)
	}
	h := int(s) / 3600
	return fmt.Sprintf("%d h %02d min", h, (int(s)-3600*h)/60)
}

// formatRate writes records per second.
func formatRate(r float64) string {
	switch {
	case r >= 100:
		return groupThousands(int64(math.Round(r))) + "/s"
	case r >= 10:
		return strconv.FormatFloat(r, 'f', 1, 64) + "/s"
	}
	return strconv.FormatFloat(r, 'f', 2, 64) + "/s"
}

func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.000 UTC")
}

func round1(v float64) float64 {
	return math.Round(v*10) / 10
}

// formatTick writes an axis mark at t seconds, ticks being step seconds apart: as precise as the
// step needs ("0.05 s", "30 s", "2 min 30 s", "1 h 30 min").
func formatTick(t, step float64) string {
	switch {
	case t == 0:
		return "0"
	case step < 1:
		return strconv.FormatFloat(t, 'f', int(math.Ceil(-math.Log10(step)-1e-9)), 64) + " s"
	case t < 60:
		return strconv.FormatFloat(t, 'f', 0, 64) + " s"
	case t < 3600:
		m, sec := int(t)/60, int(math.Round(t))%60
		if sec == 0 {
			return fmt.Sprintf("%d min", m)
		}
		return fmt.Sprintf("%d min %02d s", m, sec)
	}
	h, m := int(t)/3600, (int(math.Round(t))%3600)/60
	if m == 0 {
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %02d min", h, m)
}
