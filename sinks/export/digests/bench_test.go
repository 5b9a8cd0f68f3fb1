package digests

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// appendID appends the i-th synthetic user_id ("auth0|" and 24 hex digits), in an order
// unrelated to i.
func appendID(buf []byte, i uint64) []byte {
	x := (i + 1) * 0x9e3779b97f4a7c15
	buf = append(buf, "auth0|"...)
	h := strconv.FormatUint(x, 16)
	for n := len(h); n < 24; n++ {
		buf = append(buf, '0')
	}
	return append(buf, h...)
}

// appendDigest appends a 64-hex-digit pseudo-random digest of i.
func appendDigest(buf []byte, i uint64) []byte {
	x := i*0xbf58476d1ce4e5b9 + 0x94d049bb133111eb
	for k := 0; k < 4; k++ {
		x ^= x >> 31
		x *= 0x94d049bb133111eb
		h := strconv.FormatUint(x, 16)
		for n := len(h); n < 16; n++ {
			buf = append(buf, '0')
		}
		buf = append(buf, h...)
	}
	return buf
}

// writeSynthetic writes n digests lines in the order of i (not sorted by id).
func writeSynthetic(t testing.TB, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var id, d, l []byte
	for i := 0; i < n; i++ {
		id, d = appendID(id[:0], uint64(i)), appendDigest(d[:0], uint64(i))
		l = AppendLine(l[:0], id, d)
		w.Write(l)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// peak samples the heap until stopped.
type peak struct {
	stop              chan struct{}
	wg                sync.WaitGroup
	heapInuse, heapSy uint64
}

func startPeak() *peak {
	p := &peak{stop: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			p.heapInuse, p.heapSy = max(p.heapInuse, m.HeapInuse), max(p.heapSy, m.HeapSys)
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

func (p *peak) end() { close(p.stop); p.wg.Wait() }

// vmHWM is the process's peak resident set (/proc/self/status), in bytes; 0 if unknown.
func vmHWM() uint64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestDigestsMemory10M is the --changes-since digest path of an export of 10M users against a
// previous export of 10M (USHER_BIG=1; USHER_BIG_N changes the count): the previous digests file,
// in input order as older exports wrote it, is sorted externally and indexed; every user of the
// new export is looked up (90% found, 10% new), its digest added to the sorter of the new
// digests file, the unseen 10% walked as deletes, and the new file merged. The peak heap and
// the peak RSS of the test process must stay well under the export's 200 MB.
func TestDigestsMemory10M(t *testing.T) {
	if os.Getenv("USHER_BIG") == "" {
		t.Skip("USHER_BIG=1 runs it (10M digests: ~1 GB of temporary files, a few minutes)")
	}
	n := 10_000_000
	if s := os.Getenv("USHER_BIG_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	if s := os.Getenv("USHER_BIG_EVERY"); s != "" { // try another index density
		every, _ := strconv.Atoi(s)
		tune(t, RunBytes, MaxFanIn, MergeBytes, every, IndexBytes, IndexPrefix)
	}
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(128 << 20)) // as cmd/usher sets it
	dir := t.TempDir()
	path := filepath.Join(dir, "prev.csv.digests")
	t0 := time.Now()
	writeSynthetic(t, path, n)
	tWrite := time.Since(t0)
	runtime.GC()
	p := startPeak()
	tmp := NewTempDir(dir, "out.csv.digests")
	defer tmp.Remove()

	t0 = time.Now()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := OpenFile(f, path, tmp, false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tOpen := time.Since(t0)
	if d.Len() != int64(n) {
		t.Fatalf("%d ids, want %d", d.Len(), n)
	}

	t0 = time.Now()
	seen := NewBitset(d.Len())
	s := NewSorter(tmp)
	defer s.Close()
	var id, dg []byte
	found, unchanged := 0, 0
	for i := 0; i < n; i++ {
		k := uint64(i)
		if i%10 == 0 {
			k = uint64(n + i) // a new user; user i is deleted
		}
		id, dg = appendID(id[:0], k), appendDigest(dg[:0], k)
		if i%3 == 0 {
			dg[0] ^= 1 // an updated user
		}
		ord, old, ok, err := d.Lookup(string(id))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			found++
			seen.Set(ord)
			if string(old) == string(dg) {
				unchanged++
			}
		}
		if err := s.AddBytes(id, dg); err != nil {
			t.Fatal(err)
		}
	}
	tLookup := time.Since(t0)
	t0 = time.Now()
	deleted := 0
	if err := d.WalkUnset(seen, func(int64, []byte) error { deleted++; return nil }); err != nil {
		t.Fatal(err)
	}
	tWalk := time.Since(t0)
	t0 = time.Now()
	out, err := os.Create(filepath.Join(dir, "out.csv.digests"))
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(out, 1<<20)
	var l []byte
	written := 0
	if err := s.Finish(func(id, d []byte) error {
		l = AppendLine(l[:0], id, d)
		written++
		_, err := w.Write(l)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	out.Close()
	tFinish := time.Since(t0)
	p.end()

	if found != n-n/10 || deleted != n/10 || written != n {
		t.Fatalf("found %d, deleted %d, written %d", found, deleted, written)
	}
	t.Logf("%d users: write the unsorted file %v; open (external sort + index, %d marks) %v; %d lookups + sorter adds %v (%.2f µs each); delete walk (%d) %v; new digests merged %v",
		n, tWrite.Round(time.Millisecond), len(d.marks), tOpen.Round(time.Millisecond), n, tLookup.Round(time.Millisecond),
		float64(tLookup.Microseconds())/float64(n), deleted, tWalk.Round(time.Millisecond), tFinish.Round(time.Millisecond))
	hwm := vmHWM()
	t.Logf("peak heap in use %.1f MB, peak heap from the OS %.1f MB, peak RSS of the test process %.1f MB (unchanged %d)",
		float64(p.heapInuse)/1e6, float64(p.heapSy)/1e6, float64(hwm)/1e6, unchanged)
	if p.heapSy > 150e6 || hwm > 200e6 {
		t.Fatalf("memory: heap %d, RSS %d", p.heapSy, hwm)
	}
}

// benchFile is a sorted digests file of n synthetic users in dir.
func benchFile(b *testing.B, n int) (*File, *TempDir) {
	dir := b.TempDir()
	path := filepath.Join(dir, "prev.digests")
	writeSynthetic(b, path, n)
	tmp := NewTempDir(dir, "x")
	f, _ := os.Open(path)
	d, err := OpenFile(f, path, tmp, false) // sorted into a temporary file
	if err != nil {
		b.Fatal(err)
	}
	return d, tmp
}

// BenchmarkLookup looks up users of a 200k-user digests file in an order unrelated to theirs.
func BenchmarkLookup(b *testing.B) {
	const n = 200_000
	d, tmp := benchFile(b, n)
	defer tmp.Remove()
	defer d.Close()
	var id []byte
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id = appendID(id[:0], uint64(i%n))
		if _, _, ok, err := d.Lookup(string(id)); !ok || err != nil {
			b.Fatal(string(id), err)
		}
	}
}

// BenchmarkSorter adds b.N synthetic pairs (spilled in runs) and merges them.
func BenchmarkSorter(b *testing.B) {
	tmp := NewTempDir(b.TempDir(), "x")
	defer tmp.Remove()
	s := NewSorter(tmp)
	defer s.Close()
	var id, dg []byte
	for i := 0; i < b.N; i++ {
		id, dg = appendID(id[:0], uint64(i)), appendDigest(dg[:0], uint64(i))
		s.AddBytes(id, dg)
	}
	if err := s.Finish(func(id, d []byte) error { return nil }); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOpenUnsorted opens (sorts externally and indexes) a 200k-user digests file in input
// order.
func BenchmarkOpenUnsorted(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "prev.digests")
	writeSynthetic(b, path, 200_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tmp := NewTempDir(dir, "x")
		f, _ := os.Open(path)
		d, err := OpenFile(f, path, tmp, false)
		if err != nil {
			b.Fatal(err)
		}
		d.Close()
		tmp.Remove()
	}
}
