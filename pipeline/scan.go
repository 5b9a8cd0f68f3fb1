package pipeline

import "hash/fnv"

// EmailSet answers, for the e-mails of an input, "may this e-mail occur more than once?" in fixed
// memory whatever the input's size: two Bloom filters, one of e-mails seen, one of those seen
// again, sized once from the input's size (from 128 KiB to 16 MiB each). An e-mail that does occur
// twice is always reported; one that occurs once is reported by mistake with a small probability
// (about 1 in 400 when the filters are sized for the input), which only costs its record a detour
// through the merge, never a wrong merge. The filters are deterministic, so a resumed run makes
// the same choices.
type EmailSet struct {
	seen, again []uint64
	bits        uint64
}

const (
	emailSetMinBits = 1 << 20 // 128 KiB per filter
	emailSetMaxBits = 1 << 27 // 16 MiB per filter
	emailSetK       = 4
)

// NewEmailSet returns an empty set sized for about records e-mails (0: the largest size). Each
// filter gets 16 bits per record, so a set holding up to 4 times as many still answers rightly
// most of the time.
func NewEmailSet(records int64) *EmailSet {
	bits := uint64(emailSetMaxBits)
	if records > 0 {
		bits = emailSetMinBits
		for bits < emailSetMaxBits && bits < uint64(records)*16 {
			bits <<= 1
		}
	}
	return &EmailSet{seen: make([]uint64, bits/64), again: make([]uint64, bits/64), bits: bits}
}

func emailBits(email string) (h1, h2 uint64) {
	f := fnv.New64a()
	f.Write([]byte(email))
	h1 = f.Sum64()
	// splitmix64 of h1 gives the second hash of double hashing.
	z := h1 + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return h1, (z ^ (z >> 31)) | 1
}

// Add records one occurrence of email (lower-cased by the caller).
func (e *EmailSet) Add(email string) {
	h1, h2 := emailBits(email)
	present := true
	for i := uint64(0); i < emailSetK; i++ {
		b := (h1 + i*h2) % e.bits
		if e.seen[b/64]&(1<<(b%64)) == 0 {
			present = false
			e.seen[b/64] |= 1 << (b % 64)
		}
	}
	if present {
		for i := uint64(0); i < emailSetK; i++ {
			b := (h1 + i*h2) % e.bits
			e.again[b/64] |= 1 << (b % 64)
		}
	}
}

// Repeated reports whether email may occur more than once (see EmailSet).
func (e *EmailSet) Repeated(email string) bool {
	h1, h2 := emailBits(email)
	for i := uint64(0); i < emailSetK; i++ {
		b := (h1 + i*h2) % e.bits
		if e.again[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}
