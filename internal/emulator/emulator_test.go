package emulator

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestPick(t *testing.T) {
	rules := []Rule[string]{{Every: 3, Fault: "drop"}, {Every: 2, Fault: "429"}, {Every: 0, Fault: "never"}}
	cases := []struct {
		name string
		n    int64
		want string
	}{
		{"first request is clean", 1, "none"},
		{"every second", 2, "429"},
		{"every third", 3, "drop"},
		{"both hit: the first rule wins", 6, "drop"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Pick(tc.n, "none", rules...); got != tc.want {
				t.Errorf("Pick(%d) = %q, want %q", tc.n, got, tc.want)
			}
		})
	}
}

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewClock(t0)
	c.Sleep(context.Background(), 2*time.Second)
	c.Advance(time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); err == nil {
		t.Error("Sleep with a done context succeeded")
	}
	if got := c.Now(); !got.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("Now = %v", got)
	}
	if s := c.Sleeps(); len(s) != 1 || s[0] != 2*time.Second {
		t.Errorf("Sleeps = %v", s)
	}
}

func TestServerFaults(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
		wantErr bool
	}{
		{"drop", func(w http.ResponseWriter, r *http.Request) { Drop(w) }, true},
		{"hold ends when the server closes", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s *Server
			h := tc.handler
			if h == nil {
				h = func(w http.ResponseWriter, r *http.Request) {
					if Hold(r, time.Millisecond, s.Closing()) {
						w.WriteHeader(http.StatusNoContent)
					}
				}
			}
			s = Start(h)
			defer s.Close()
			resp, err := s.Client().Get(s.URL)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Get: %v, want error %v", err, tc.wantErr)
			}
			if err == nil {
				resp.Body.Close()
			}
		})
	}
}
