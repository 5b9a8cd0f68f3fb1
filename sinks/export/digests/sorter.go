package digests

import (
	"bufio"
	"bytes"
	"cmp"
	"container/heap"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"slices"
)

// Tunables; tests lower them to make runs spill and merges take several passes.
var (
	// RunBytes bounds a Sorter's in-memory run (ids, digests and 16 bytes per entry); a full
	// run is sorted and written to a run file.
	RunBytes = 8 << 20
	// MergeBytes bounds the memory of one merge pass (a read buffer and the longest record of
	// each run merged), MaxFanIn the number of runs it merges; more runs take more passes.
	MergeBytes = 32 << 20
	MaxFanIn   = 128
)

const runBufSize = 32 << 10

// Sorter sorts (id, digest) pairs by id (byte order) in bounded memory. Of pairs with the same
// id only the last added is kept.
type Sorter struct {
	tmp   *TempDir
	arena []byte
	ents  []sortEnt
	runs  []*runFile
	err   error
}

// sortEnt is an in-memory pair: arena[off:off+idLen] is the id, the digest follows. off grows
// with the order of Add, which breaks ties between equal ids.
type sortEnt struct {
	off         int
	idLen, dLen uint32
}

// runFile is a sorted run on disk: records uvarint(len id) uvarint(len digest) id digest, ids
// increasing and unique.
type runFile struct {
	path   string
	maxRec int // the longest id+digest
}

// NewSorter is a sorter spilling its runs into tmp.
func NewSorter(tmp *TempDir) *Sorter { return &Sorter{tmp: tmp} }

// Add adds a pair; a full run is written to disk first.
func (s *Sorter) Add(id, digest string) error { return add(s, id, digest) }

// AddBytes is Add with slices (copied).
func (s *Sorter) AddBytes(id, digest []byte) error { return add(s, id, digest) }

func add[T string | []byte](s *Sorter, id, digest T) error {
	if s.err != nil {
		return s.err
	}
	need := len(id) + len(digest)
	if len(s.ents) > 0 && len(s.arena)+need+16*(len(s.ents)+1) > RunBytes {
		if s.err = s.spill(); s.err != nil {
			return s.err
		}
	}
	if len(s.arena)+need > cap(s.arena) {
		c := max(2*cap(s.arena), len(s.arena)+need, 4096)
		if len(s.arena)+need <= RunBytes {
			c = min(c, RunBytes)
		}
		a := make([]byte, len(s.arena), c)
		copy(a, s.arena)
		s.arena = a
	}
	off := len(s.arena)
	s.arena = append(append(s.arena, id...), digest...)
	s.ents = append(s.ents, sortEnt{off: off, idLen: uint32(len(id)), dLen: uint32(len(digest))})
	return nil
}

func (s *Sorter) id(e sortEnt) []byte { return s.arena[e.off : e.off+int(e.idLen)] }

func (s *Sorter) digest(e sortEnt) []byte {
	i := e.off + int(e.idLen)
	return s.arena[i : i+int(e.dLen)]
}

// sortRun sorts the in-memory run and drops all but the last pair of each id.
func (s *Sorter) sortRun() {
	slices.SortFunc(s.ents, func(a, b sortEnt) int {
		if c := bytes.Compare(s.id(a), s.id(b)); c != 0 {
			return c
		}
		return cmp.Compare(a.off, b.off)
	})
	out := s.ents[:0]
	for i, e := range s.ents {
		if i+1 < len(s.ents) && bytes.Equal(s.id(e), s.id(s.ents[i+1])) {
			continue // a later pair of the same id follows
		}
		out = append(out, e)
	}
	s.ents = out
}

// spill writes the in-memory run to a run file.
func (s *Sorter) spill() error {
	s.sortRun()
	f, err := s.tmp.Create("run-*")
	if err != nil {
		return err
	}
	r := &runFile{path: f.Name()}
	s.runs = append(s.runs, r) // removed by Close whatever happens
	w := bufio.NewWriterSize(f, runBufSize)
	var hdr [2 * binary.MaxVarintLen64]byte
	for _, e := range s.ents {
		n := binary.PutUvarint(hdr[:], uint64(e.idLen))
		n += binary.PutUvarint(hdr[n:], uint64(e.dLen))
		w.Write(hdr[:n])
		w.Write(s.id(e))
		w.Write(s.digest(e))
		r.maxRec = max(r.maxRec, int(e.idLen+e.dLen))
	}
	err = errors.Join(w.Flush(), f.Close())
	s.arena, s.ents = s.arena[:0], s.ents[:0]
	return err
}

// Finish calls emit with every id and its digest (the last added), in id order; the slices are
// valid during the call only. The sorter is spent afterwards (Close still removes its files).
func (s *Sorter) Finish(emit func(id, digest []byte) error) error {
	if s.err != nil {
		return s.err
	}
	if len(s.runs) == 0 { // it all fitted in memory
		s.sortRun()
		for _, e := range s.ents {
			if err := emit(s.id(e), s.digest(e)); err != nil {
				return err
			}
		}
		s.arena, s.ents = nil, nil
		return nil
	}
	if len(s.ents) > 0 {
		if err := s.spill(); err != nil {
			return err
		}
	}
	s.arena, s.ents = nil, nil // the merge's memory is its own
	for {
		k := s.fanIn()
		if k == len(s.runs) {
			return merge(s.runs, emit)
		}
		// Merge the first k runs into one that takes their place: the runs stay in the order
		// they were written, so the last pair of an id is still the one of the latest run.
		f, err := s.tmp.Create("run-*")
		if err != nil {
			return err
		}
		out := &runFile{path: f.Name()}
		w := bufio.NewWriterSize(f, runBufSize)
		var hdr [2 * binary.MaxVarintLen64]byte
		err = merge(s.runs[:k], func(id, d []byte) error {
			n := binary.PutUvarint(hdr[:], uint64(len(id)))
			n += binary.PutUvarint(hdr[n:], uint64(len(d)))
			w.Write(hdr[:n])
			w.Write(id)
			_, err := w.Write(d)
			out.maxRec = max(out.maxRec, len(id)+len(d))
			return err
		})
		err = errors.Join(err, w.Flush(), f.Close())
		for _, r := range s.runs[:k] {
			os.Remove(r.path)
		}
		s.runs = append([]*runFile{out}, s.runs[k:]...)
		if err != nil {
			return err
		}
	}
}

// fanIn is how many of the first runs one merge pass takes: at least two, at most MaxFanIn,
// within MergeBytes.
func (s *Sorter) fanIn() int {
	k, mem := 0, 0
	for _, r := range s.runs {
		cost := runBufSize + r.maxRec
		if k >= 2 && (k >= MaxFanIn || mem+cost > MergeBytes) {
			break
		}
		k, mem = k+1, mem+cost
	}
	return k
}

// Close removes the run files.
func (s *Sorter) Close() {
	for _, r := range s.runs {
		os.Remove(r.path)
	}
	s.runs, s.arena, s.ents = nil, nil, nil
}

// runReader reads a run file's records in order.
type runReader struct {
	f     *os.File
	r     *bufio.Reader
	idx   int // the run's position: the later run wins a tie
	buf   []byte
	id, d []byte
}

func (r *runReader) next() (bool, error) {
	il, err := binary.ReadUvarint(r.r)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	dl, err := binary.ReadUvarint(r.r)
	if err != nil {
		return false, noEOF(err)
	}
	n := int(il + dl)
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	r.buf = r.buf[:n]
	if _, err := io.ReadFull(r.r, r.buf); err != nil {
		return false, noEOF(err)
	}
	r.id, r.d = r.buf[:il], r.buf[il:]
	return true, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// runHeap orders the readers by their current id, then by run.
type runHeap []*runReader

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if c := bytes.Compare(h[i].id, h[j].id); c != 0 {
		return c < 0
	}
	return h[i].idx < h[j].idx
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// merge merges sorted runs (each with unique ids) into emit; of equal ids, the latest run's.
func merge(runs []*runFile, emit func(id, d []byte) error) error {
	var h runHeap
	var readers []*runReader
	defer func() {
		for _, r := range readers {
			r.f.Close()
		}
	}()
	for i, rf := range runs {
		f, err := os.Open(rf.path)
		if err != nil {
			return err
		}
		r := &runReader{f: f, r: bufio.NewReaderSize(f, runBufSize), idx: i}
		readers = append(readers, r)
		ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, r)
		}
	}
	heap.Init(&h)
	var group []*runReader
	for h.Len() > 0 {
		group = append(group[:0], heap.Pop(&h).(*runReader))
		for h.Len() > 0 && bytes.Equal(h[0].id, group[0].id) {
			group = append(group, heap.Pop(&h).(*runReader))
		}
		last := group[len(group)-1]
		if err := emit(last.id, last.d); err != nil {
			return err
		}
		for _, r := range group {
			ok, err := r.next()
			if err != nil {
				return err
			}
			if ok {
				heap.Push(&h, r)
			}
		}
	}
	return nil
}
