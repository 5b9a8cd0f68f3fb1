// Package dedup answers "has this email / user_id / username been claimed by an earlier record?"
// for inputs of any size in bounded memory. Claims are kept as 64-bit fingerprints: a fixed-size
// Bloom filter answers the common case (never seen) in memory; fingerprints live in an in-memory
// table that is flushed to sorted run files on disk; a fingerprint match is confirmed against the
// real value through a caller-supplied lookup, so a fingerprint collision never turns a distinct
// user into a duplicate.
package dedup

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"slices"
	"sort"
)

// Namespace separates the identities that must be unique.
type Namespace byte

// Namespaces.
const (
	Email    Namespace = 'e'
	UserID   Namespace = 'i'
	Username Namespace = 'u'
)

// Lookup returns the value that record seq claimed in namespace ns. It is called only to confirm a
// fingerprint match.
type Lookup func(seq int64, ns Namespace) (string, error)

const (
	memMax     = 1 << 17 // fingerprints held in memory before a flush
	blockSize  = 256     // entries per on-disk block (sparse index granularity)
	entryBytes = 16
	bloomBits  = 1 << 27 // 16 MiB, fixed: memory does not grow with the input
	bloomK     = 6
)

type entry struct {
	fp  uint64
	seq int64
}

type run struct {
	f      *os.File
	n      int
	sparse []uint64 // first fingerprint of each block
}

// Index is a claim index. It is not safe for concurrent use.
type Index struct {
	dir    string
	seed   maphash.Seed
	bloom  []uint64
	mem    map[uint64]int64
	runs   []*run
	exact  map[claim]int64 // values whose fingerprint collided with another value's
	lookup Lookup
	block  []byte
	// fingerprint and memMax are fields so tests can force collisions and flushes.
	fingerprint func(ns Namespace, value string) uint64
	memMax      int
}

// Open creates an index whose run files live in dir (created if needed, removed by Close).
func Open(dir string, lookup Lookup) (*Index, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("dedup: %w", err)
	}
	x := &Index{
		dir:    dir,
		seed:   maphash.MakeSeed(),
		bloom:  make([]uint64, bloomBits/64),
		mem:    make(map[uint64]int64, 1024),
		exact:  map[claim]int64{},
		lookup: lookup,
		block:  make([]byte, blockSize*entryBytes),
		memMax: memMax,
	}
	x.fingerprint = func(ns Namespace, value string) uint64 {
		var h maphash.Hash
		h.SetSeed(x.seed)
		h.WriteByte(byte(ns))
		h.WriteString(value)
		return h.Sum64()
	}
	return x, nil
}

type claim struct {
	ns    Namespace
	value string
}

// Probe is the result of Find, to be passed to Add: it saves hashing and searching twice.
type Probe struct {
	ns    Namespace
	value string
	fp    uint64
	// taken is set when the fingerprint is already used by another value (a collision).
	taken bool
}

// Find returns the seq of the record that claimed value in namespace ns, or 0 when none did, and
// a Probe for Add. Empty values are never claimed.
func (x *Index) Find(ns Namespace, value string) (int64, Probe, error) {
	p := Probe{ns: ns, value: value}
	if value == "" {
		return 0, p, nil
	}
	if len(x.exact) > 0 {
		if prev, ok := x.exact[claim{ns, value}]; ok {
			return prev, p, nil
		}
	}
	p.fp = x.fingerprint(ns, value)
	if !x.bloomTest(p.fp) {
		return 0, p, nil
	}
	prev, found, err := x.find(p.fp)
	if err != nil || !found {
		return 0, p, err
	}
	v, err := x.lookup(prev, ns)
	if err != nil {
		return 0, p, fmt.Errorf("dedup: confirm record %d: %w", prev, err)
	}
	if v == value {
		return prev, p, nil
	}
	p.taken = true // fingerprint collision with a different value
	return 0, p, nil
}

// Add records that record seq claims the value Find probed (call it only when Find returned 0).
func (x *Index) Add(p Probe, seq int64) error {
	if p.value == "" {
		return nil
	}
	if p.taken {
		x.exact[claim{p.ns, p.value}] = seq // keep this value exactly: its fingerprint is taken
		return nil
	}
	x.bloomAdd(p.fp)
	return x.add(p.fp, seq)
}

// Claim is Find followed by Add: it claims value for seq unless an earlier record holds it, whose
// seq it then returns.
func (x *Index) Claim(ns Namespace, value string, seq int64) (int64, error) {
	prev, p, err := x.Find(ns, value)
	if err != nil || prev != 0 {
		return prev, err
	}
	return 0, x.Add(p, seq)
}

// The Bloom filter is blocked: the k bits of a fingerprint all fall in one 512-bit block (one
// cache line), so a test or an insert costs one cache miss instead of k.
const blockWords = 8 // 8 × 64 bits = 512 bits

func (x *Index) bloomBlock(fp uint64) []uint64 {
	b := (fp >> 32) % uint64(len(x.bloom)/blockWords) * blockWords
	return x.bloom[b : b+blockWords : b+blockWords]
}

func (x *Index) bloomTest(fp uint64) bool {
	blk := x.bloomBlock(fp)
	h := fp
	for i := 0; i < bloomK; i++ {
		bit := h & 511
		if blk[bit/64]&(1<<(bit%64)) == 0 {
			return false
		}
		h = h>>9 | h<<55
	}
	return true
}

func (x *Index) bloomAdd(fp uint64) {
	blk := x.bloomBlock(fp)
	h := fp
	for i := 0; i < bloomK; i++ {
		bit := h & 511
		blk[bit/64] |= 1 << (bit % 64)
		h = h>>9 | h<<55
	}
}

func (x *Index) add(fp uint64, seq int64) error {
	x.mem[fp] = seq
	if len(x.mem) >= x.memMax {
		return x.flush()
	}
	return nil
}

func (x *Index) flush() error {
	entries := make([]entry, 0, len(x.mem))
	for fp, seq := range x.mem {
		entries = append(entries, entry{fp, seq})
	}
	slices.SortFunc(entries, func(a, b entry) int {
		switch {
		case a.fp < b.fp:
			return -1
		case a.fp > b.fp:
			return 1
		}
		return 0
	})
	name := filepath.Join(x.dir, fmt.Sprintf("run-%05d", len(x.runs)+1))
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("dedup: %w", err)
	}
	buf := make([]byte, 0, len(entries)*entryBytes)
	r := &run{f: f, n: len(entries)}
	for i, e := range entries {
		if i%blockSize == 0 {
			r.sparse = append(r.sparse, e.fp)
		}
		buf = binary.LittleEndian.AppendUint64(buf, e.fp)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(e.seq))
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return fmt.Errorf("dedup: %w", err)
	}
	x.runs = append(x.runs, r)
	clear(x.mem)
	return nil
}

// find returns the seq stored for fp, searching memory then every run.
func (x *Index) find(fp uint64) (int64, bool, error) {
	if seq, ok := x.mem[fp]; ok {
		return seq, true, nil
	}
	for _, r := range x.runs {
		// last block whose first fingerprint is <= fp
		b := sort.Search(len(r.sparse), func(i int) bool { return r.sparse[i] > fp }) - 1
		if b < 0 {
			continue
		}
		n := min(blockSize, r.n-b*blockSize)
		buf := x.block[:n*entryBytes]
		if _, err := r.f.ReadAt(buf, int64(b*blockSize*entryBytes)); err != nil {
			return 0, false, fmt.Errorf("dedup: read run: %w", err)
		}
		i := sort.Search(n, func(i int) bool { return binary.LittleEndian.Uint64(buf[i*entryBytes:]) >= fp })
		if i < n && binary.LittleEndian.Uint64(buf[i*entryBytes:]) == fp {
			return int64(binary.LittleEndian.Uint64(buf[i*entryBytes+8:])), true, nil
		}
	}
	return 0, false, nil
}

// Close releases the run files and removes the index folder.
func (x *Index) Close() error {
	var errs []error
	for _, r := range x.runs {
		errs = append(errs, r.f.Close())
	}
	errs = append(errs, os.RemoveAll(x.dir))
	return errors.Join(errs...)
}
