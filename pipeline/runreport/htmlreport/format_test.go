package htmlreport

import "testing"

func TestFormats(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{groupThousands(0), "0"}, {groupThousands(999), "999"}, {groupThousands(1000), "1,000"}, {groupThousands(-1234567), "-1,234,567"},
		{percent(12.345), "12.3%"}, {percent(0.01), "<0.1%"}, {percent(0), "0.0%"},
		{formatSeconds(0.354), "0.35 s"}, {formatSeconds(12.44), "12.4 s"}, {formatSeconds(185), "3 min 05 s"}, {formatSeconds(7450), "2 h 04 min"},
		{formatRate(0.5), "0.50/s"}, {formatRate(12.34), "12.3/s"}, {formatRate(12345.6), "12,346/s"},
		{formatTick(0, 0.005), "0"}, {formatTick(0.015, 0.005), "0.015 s"}, {formatTick(0.2, 0.1), "0.2 s"}, {formatTick(0.30000000000000004, 0.1), "0.3 s"},
		{formatTick(30, 10), "30 s"}, {formatTick(150, 30), "2 min 30 s"}, {formatTick(120, 60), "2 min"}, {formatTick(5400, 1800), "1 h 30 min"}, {formatTick(7200, 3600), "2 h"},
		{num(3), "3"}, {num(int64(12345)), "12,345"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if niceCeil(0) != 1 || niceCeil(7) != 10 || niceCeil(2.2) != 2.5 || niceCeil(1918) != 2000 || niceStep(31.0/6) != 10 {
		t.Error("nice numbers")
	}
}
