package hash

import (
	"fmt"
	"sync"
	"testing"
)

// BenchmarkBcryptScaling measures bcrypt generation throughput (Bcrypt, cost 10) with 1 and 2
// worker goroutines splitting b.N, reporting hashes/s for each:
//
//	go test -run '^$' -bench BcryptScaling -benchtime 40x ./pipeline/hash
func BenchmarkBcryptScaling(b *testing.B) {
	const cost = 10
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			n := b.N
			errs := make(chan error, workers)
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := range workers {
				share := n / workers
				if w < n%workers {
					share++
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range share {
						if _, err := Bcrypt("correct horse battery staple", cost); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			if s := b.Elapsed().Seconds(); s > 0 {
				b.ReportMetric(float64(n)/s, "hashes/s")
			}
		})
	}
}
