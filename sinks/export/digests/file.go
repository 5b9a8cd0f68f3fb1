package digests

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Tunables of the sparse index of a File; tests lower them.
var (
	// IndexEvery and IndexBytes: an index mark every IndexEvery lines, and at the first line
	// IndexBytes or more past the previous mark, so that a lookup reads one block of at most
	// IndexBytes + MaxLine bytes and parses at most IndexEvery lines.
	IndexEvery = 64
	IndexBytes = 64 << 10
	// IndexPrefix is how much of a marked id the index keeps: a long id costs no more, and a
	// lookup that its prefix cannot decide reads the marked line's id from the file.
	IndexPrefix = 48
)

// File is a digests file sorted by id (strictly increasing, so each id once), read with a
// sparse index: memory is the index (about 40 bytes per IndexEvery lines) and one block.
type File struct {
	f     *os.File
	name  string // in errors: the path or URL the file was read from
	owned bool   // f is a temporary file: Close removes it
	size  int64
	n     int64
	marks []mark
	pfx   []byte // the marks' id prefixes
	// common is the prefix all ids share (that of the first and the last); k8, when not nil,
	// holds for each mark the 8 bytes of its id after common (zero-padded, big-endian), which
	// decide most comparisons of the binary search without reading pfx.
	common []byte
	k8     []uint64
	block  []byte // a lookup's block
	key    []byte // a marked line read by keyAt
}

// mark is a line of the index: where it starts, its ordinal, its id's prefix.
type mark struct {
	off    int64
	ord    int64
	pOff   uint32
	pLen   uint16
	full   bool // the prefix is the whole id
	simple bool // every line up to the next mark is {"id":"ID","d":"D"} with nothing to decode
}

// OpenFile reads a digests file of the earlier export; name is its path or URL for errors (the
// map-based reader's: "NAME:N: not a digest line"). The file is checked whole and indexed; when
// its ids are not strictly increasing (an export before the sorted files wrote them in input
// order, a user_id maybe twice), it is sorted into a temporary file of tmp first (of the lines
// of an id the last counts). OpenFile owns f (it is closed by Close, or on error); remove says
// that f is a temporary file to remove then.
func OpenFile(f *os.File, name string, tmp *TempDir, remove bool) (*File, error) {
	d := &File{f: f, name: name, owned: remove}
	sorted, err := d.index()
	if err == nil && !sorted {
		if err = d.sortCopy(tmp); err == nil {
			if sorted, err = d.index(); err == nil && !sorted {
				err = fmt.Errorf("%s: the sorted copy %s is not sorted", name, d.f.Name())
			}
		}
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Len is the number of ids.
func (d *File) Len() int64 { return d.n }

// Close closes the file (and removes it if it is a temporary one).
func (d *File) Close() error {
	if d == nil || d.f == nil {
		return nil
	}
	err := d.f.Close()
	if d.owned {
		os.Remove(d.f.Name())
	}
	d.f = nil
	return err
}

// newScanner reads lines as the map-based reader did: bufio.ScanLines (a CR before the newline
// dropped, a last line without one read), at most MaxLine bytes. adv is set to the bytes each
// line takes in the file.
func newScanner(r io.Reader, adv *int) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		a, tok, err := bufio.ScanLines(data, atEOF)
		*adv = a
		return a, tok, err
	})
	return sc
}

// scanErr is the error of a scanner that stopped at line n.
func (d *File) scanErr(err error, n int64) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s:%d: %w", d.name, n, err)
}

// index checks every line and builds the index; it stops (sorted false) at the first id that
// is not greater than the one before.
func (d *File) index() (sorted bool, err error) {
	d.marks, d.pfx, d.n, d.common, d.k8 = nil, nil, 0, nil, nil
	var adv int
	sc := newScanner(io.NewSectionReader(d.f, 0, 1<<62), &adv)
	var prev, first []byte
	var off int64
	lastOff, lastOrd := int64(0), int64(0)
	n := int64(1)
	for ; sc.Scan(); n++ {
		id, _, simple := parseFast(sc.Bytes())
		if !simple {
			var ok bool
			if id, _, ok = parseLine(sc.Bytes()); !ok {
				return false, lineError(d.name, n)
			}
		}
		ord := n - 1
		if ord > 0 && bytes.Compare(id, prev) <= 0 {
			return false, nil
		}
		if ord == 0 || ord-lastOrd >= int64(IndexEvery) || off-lastOff >= int64(IndexBytes) {
			p := id[:min(len(id), IndexPrefix)]
			d.marks = append(d.marks, mark{off: off, ord: ord, pOff: uint32(len(d.pfx)), pLen: uint16(len(p)), full: len(p) == len(id), simple: true})
			d.pfx = append(d.pfx, p...)
			lastOff, lastOrd = off, ord
		}
		if !simple {
			d.marks[len(d.marks)-1].simple = false
		}
		if ord == 0 {
			first = bytes.Clone(id)
		}
		prev = append(prev[:0], id...)
		off += int64(adv)
	}
	if err := sc.Err(); err != nil {
		return false, d.scanErr(err, n)
	}
	d.n, d.size = n-1, off
	d.marks = d.marks[:len(d.marks):len(d.marks)]
	if d.n > 0 {
		c := 0
		for c < min(len(first), len(prev)) && first[c] == prev[c] {
			c++
		}
		d.common = first[:c:c]
		d.k8 = make([]uint64, len(d.marks))
		for i, m := range d.marks {
			p := d.pfx[m.pOff : m.pOff+uint32(m.pLen)]
			if !m.full && len(p) < c+8 {
				d.k8 = nil // cut within the 8 bytes: compare the prefixes
				break
			}
			d.k8[i] = load8(p[c:])
		}
	}
	return true, nil
}

// load8 is the first 8 bytes of b, zero-padded, big-endian: for two ids that differ as load8,
// the order of the values is that of the ids.
func load8(b []byte) uint64 {
	if len(b) >= 8 {
		return binary.BigEndian.Uint64(b)
	}
	var buf [8]byte
	copy(buf[:], b)
	return binary.BigEndian.Uint64(buf[:])
}

// sortCopy sorts the file's lines into a temporary file of tmp, which replaces it.
func (d *File) sortCopy(tmp *TempDir) error {
	s := NewSorter(tmp)
	defer s.Close()
	var adv int
	sc := newScanner(io.NewSectionReader(d.f, 0, 1<<62), &adv)
	n := int64(1)
	for ; sc.Scan(); n++ {
		id, dg, ok := parseLine(sc.Bytes())
		if !ok {
			return lineError(d.name, n)
		}
		if err := s.AddBytes(id, dg); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return d.scanErr(err, n)
	}
	out, err := tmp.Create("sorted-*.digests")
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(out, 64<<10)
	var line []byte
	err = s.Finish(func(id, dg []byte) error {
		line = AppendLine(line[:0], id, dg)
		_, err := w.Write(line)
		return err
	})
	if err = errors.Join(err, w.Flush()); err != nil {
		out.Close()
		os.Remove(out.Name())
		return err
	}
	d.Close()
	d.f, d.owned = out, true
	return nil
}

// cmpKey compares a string with bytes as bytes.Compare does.
func cmpKey(a string, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// cmpMark compares id with the id of mark i.
func (d *File) cmpMark(id string, i int) (int, error) {
	m := &d.marks[i]
	p := d.pfx[m.pOff : m.pOff+uint32(m.pLen)]
	if m.full {
		return cmpKey(id, p), nil
	}
	if c := cmpKey(id[:min(len(id), len(p))], p); c != 0 {
		return c, nil // decided within the prefix (a shorter id is never equal to it)
	}
	key, err := d.keyAt(m.off)
	if err != nil {
		return 0, err
	}
	return cmpKey(id, key), nil
}

// keyAt reads the id of the line at off.
func (d *File) keyAt(off int64) ([]byte, error) {
	size := 4096
	for {
		if cap(d.key) < size {
			d.key = make([]byte, size)
		}
		buf := d.key[:size]
		n, err := d.f.ReadAt(buf, off)
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		buf = buf[:n]
		if i := bytes.IndexByte(buf, '\n'); i >= 0 || err == io.EOF || size >= MaxLine+2 {
			if i >= 0 {
				buf = buf[:i]
			}
			buf = bytes.TrimSuffix(buf, []byte("\r"))
			id, _, ok := parseLine(buf)
			if !ok {
				return nil, d.changedErr()
			}
			return id, nil
		}
		size = min(4*size, MaxLine+2) // a line, its CR and newline
	}
}

func (d *File) changedErr() error {
	return fmt.Errorf("%s: the digests file changed while it was read", d.name)
}

// Lookup finds id: its ordinal (its line's, from 0) and digest, valid until the next call.
func (d *File) Lookup(id string) (ord int64, digest []byte, ok bool, err error) {
	// The block is that of the last mark whose id is not greater than id.
	if len(d.marks) == 0 || len(id) < len(d.common) || id[:len(d.common)] != string(d.common) {
		return 0, nil, false, nil // every id starts with common
	}
	var k uint64
	if d.k8 != nil {
		var buf [8]byte
		copy(buf[:], id[len(d.common):])
		k = binary.BigEndian.Uint64(buf[:])
	}
	lo, hi := 0, len(d.marks)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		var c int
		switch {
		case d.k8 != nil && k < d.k8[m]:
			c = -1
		case d.k8 != nil && k > d.k8[m]:
			c = 1
		default:
			var err error
			if c, err = d.cmpMark(id, m); err != nil {
				return 0, nil, false, err
			}
		}
		if c >= 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return 0, nil, false, nil
	}
	m := d.marks[lo-1]
	end := d.size
	if lo < len(d.marks) {
		end = d.marks[lo].off
	}
	n := int(end - m.off)
	if cap(d.block) < n {
		d.block = make([]byte, n)
	}
	block := d.block[:n]
	if got, err := d.f.ReadAt(block, m.off); got < n {
		if err == nil || err == io.EOF {
			err = d.changedErr()
		}
		return 0, nil, false, fmt.Errorf("%s: %w", d.name, err)
	}
	if m.simple {
		return d.scanSimple(block, m.ord, id)
	}
	for ord = m.ord; len(block) > 0; ord++ {
		line := block
		if i := bytes.IndexByte(block, '\n'); i >= 0 {
			line, block = block[:i], block[i+1:]
		} else {
			block = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		lid, dg, ok := parseLine(line)
		if !ok {
			return 0, nil, false, d.changedErr()
		}
		switch c := cmpKey(id, lid); {
		case c == 0:
			return ord, dg, true, nil
		case c < 0:
			return 0, nil, false, nil
		}
	}
	return 0, nil, false, nil
}

// scanSimple looks id up in a block of lines {"id":"ID","d":"D"} (checked by index: neither
// string has anything to decode), without parsing them again.
func (d *File) scanSimple(block []byte, ord int64, id string) (int64, []byte, bool, error) {
	for ; len(block) > len(fastHead); ord++ {
		rest := block[len(fastHead):]
		q := bytes.IndexByte(rest, '"')
		if q < 0 {
			break
		}
		switch c := cmpKey(id, rest[:q]); {
		case c == 0:
			dg := rest[min(q+len(fastMid), len(rest)):]
			if e := bytes.IndexByte(dg, '"'); e >= 0 {
				return ord, dg[:e], true, nil
			}
			return 0, nil, false, d.changedErr()
		case c < 0:
			return 0, nil, false, nil
		}
		nl := bytes.IndexByte(rest[q:], '\n')
		if nl < 0 {
			break
		}
		block = rest[q+nl+1:]
	}
	return 0, nil, false, nil
}

// WalkUnset calls fn, in id order, with the ordinal and id of each line whose bit in seen is not
// set (the id is valid during the call only). fn's error stops the walk and is returned.
func (d *File) WalkUnset(seen Bitset, fn func(ord int64, id []byte) error) error {
	var adv int
	sc := newScanner(io.NewSectionReader(d.f, 0, d.size), &adv)
	ord := int64(0)
	for ; sc.Scan(); ord++ {
		if seen.Has(ord) {
			continue
		}
		id, _, ok := parseLine(sc.Bytes())
		if !ok {
			return d.changedErr()
		}
		if err := fn(ord, id); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return d.scanErr(err, ord+1)
	}
	if ord != d.n {
		return d.changedErr()
	}
	return nil
}

// Bitset is a set of ordinals, one bit each.
type Bitset []uint64

// NewBitset holds ordinals 0 to n-1.
func NewBitset(n int64) Bitset { return make(Bitset, (n+63)/64) }

// Set adds i.
func (b Bitset) Set(i int64) { b[i>>6] |= 1 << (uint64(i) & 63) }

// Has tells whether i was added.
func (b Bitset) Has(i int64) bool {
	return i>>6 < int64(len(b)) && b[i>>6]&(1<<(uint64(i)&63)) != 0
}
