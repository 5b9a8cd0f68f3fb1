package wait

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"zero returns at once", context.Background(), 0, nil},
		{"a short wait ends", context.Background(), time.Millisecond, nil},
		{"a cancelled context ends a long wait", cancelled, time.Hour, context.Canceled},
		{"a cancelled context with no wait", cancelled, 0, context.Canceled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := Sleep(tc.ctx, tc.d); !errors.Is(err, tc.want) {
				t.Fatalf("Sleep = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	cases := []struct{ configured, def, want int }{{0, 8, 8}, {-1, 8, 0}, {3, 8, 3}}
	for _, tc := range cases {
		if got := Retries(tc.configured, tc.def); got != tc.want {
			t.Errorf("Retries(%d, %d) = %d, want %d", tc.configured, tc.def, got, tc.want)
		}
	}
}
