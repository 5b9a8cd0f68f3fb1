package oldcrypt

// This file is a small DES core with the crypt(3) salt perturbation, written from the FIPS 46-3
// tables. Bits are numbered as in the standard: bit 1 is the most significant bit of a block.
// Only the salted variant needs to exist here (crypto/des cannot perturb the E expansion); with
// salt 0 and one iteration it is plain DES, which the tests check against crypto/des.

// Initial permutation IP (FIPS 46-3); the final permutation is its inverse, built in init.
var desIP = [64]uint8{
	58, 50, 42, 34, 26, 18, 10, 2,
	60, 52, 44, 36, 28, 20, 12, 4,
	62, 54, 46, 38, 30, 22, 14, 6,
	64, 56, 48, 40, 32, 24, 16, 8,
	57, 49, 41, 33, 25, 17, 9, 1,
	59, 51, 43, 35, 27, 19, 11, 3,
	61, 53, 45, 37, 29, 21, 13, 5,
	63, 55, 47, 39, 31, 23, 15, 7,
}

// Permuted choice 1: 64-bit key -> 56 bits (C then D).
var desPC1 = [56]uint8{
	57, 49, 41, 33, 25, 17, 9,
	1, 58, 50, 42, 34, 26, 18,
	10, 2, 59, 51, 43, 35, 27,
	19, 11, 3, 60, 52, 44, 36,
	63, 55, 47, 39, 31, 23, 15,
	7, 62, 54, 46, 38, 30, 22,
	14, 6, 61, 53, 45, 37, 29,
	21, 13, 5, 28, 20, 12, 4,
}

// Permuted choice 2: 56-bit C||D -> 48-bit round key.
var desPC2 = [48]uint8{
	14, 17, 11, 24, 1, 5,
	3, 28, 15, 6, 21, 10,
	23, 19, 12, 4, 26, 8,
	16, 7, 27, 20, 13, 2,
	41, 52, 31, 37, 47, 55,
	30, 40, 51, 45, 33, 48,
	44, 49, 39, 56, 34, 53,
	46, 42, 50, 36, 29, 32,
}

// Left rotations of C and D before each of the 16 rounds.
var desShifts = [16]uint8{1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1}

// Permutation P applied to the S-box outputs.
var desP = [32]uint8{
	16, 7, 20, 21, 29, 12, 28, 17,
	1, 15, 23, 26, 5, 18, 31, 10,
	2, 8, 24, 14, 32, 27, 3, 9,
	19, 13, 30, 6, 22, 11, 4, 25,
}

// S-boxes, each 4 rows of 16 columns; row = outer input bits, column = inner four bits.
var desS = [8][64]uint8{
	{14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
		0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
		4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
		15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13},
	{15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
		3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
		0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
		13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9},
	{10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
		13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
		13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
		1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12},
	{7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
		13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
		10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
		3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14},
	{2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
		14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
		4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
		11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3},
	{12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
		10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
		9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
		4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13},
	{4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
		13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
		1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
		6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12},
	{13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
		1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
		7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
		2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11},
}

var (
	desFP [64]uint8     // inverse of desIP
	desSP [8][64]uint32 // S-box i on a 6-bit input, already permuted by P
)

func init() {
	for i, p := range desIP {
		desFP[p-1] = uint8(i + 1)
	}
	for s := range desS {
		for v := range 64 {
			row := (v>>4)&2 | v&1
			col := (v >> 1) & 0xf
			out := uint64(desS[s][row*16+col]) << (28 - 4*s)
			desSP[s][v] = uint32(permute(out, 32, desP[:]))
		}
	}
}

// permute returns the bits of in (a width-bit value) picked by table: output bit i (counting
// from the most significant) is input bit table[i], numbered 1..width from the most significant.
func permute(in uint64, width int, table []uint8) uint64 {
	var out uint64
	for _, p := range table {
		out = out<<1 | (in>>(width-int(p)))&1
	}
	return out
}

// desSchedule is the 16 round keys of one DES key, each split into its two 24-bit halves
// (round key bits 1..24 and 25..48) to match the split E expansion in encrypt.
type desSchedule [16][2]uint32

// newSchedule expands a 64-bit DES key (parity bits, the low bit of each byte, are ignored).
func newSchedule(key uint64) *desSchedule {
	var ks desSchedule
	cd := permute(key, 64, desPC1[:])
	c, d := uint32(cd>>28), uint32(cd&0xfffffff)
	for i, n := range desShifts {
		c = (c<<n | c>>(28-n)) & 0xfffffff
		d = (d<<n | d>>(28-n)) & 0xfffffff
		k := permute(uint64(c)<<28|uint64(d), 56, desPC2[:])
		ks[i] = [2]uint32{uint32(k >> 24), uint32(k & 0xffffff)}
	}
	return &ks
}

// saltBits turns a 24-bit crypt salt into the swap mask for the two 24-bit halves of the E
// expansion: salt bit i (from the least significant) set swaps E bits i+1 and i+25, exactly as
// crypt-des.c's setup_salt (saltbit 1<<i maps to obit 0x800000>>i).
func saltBits(salt uint32) uint32 {
	var m uint32
	for i := range 24 {
		if salt>>i&1 != 0 {
			m |= 0x800000 >> i
		}
	}
	return m
}

// encrypt encrypts block count times in a row with the salted DES (count 1, salt mask 0 is
// standard DES). IP and FP are applied once: between iterations they cancel.
func (ks *desSchedule) encrypt(block uint64, saltMask uint32, count int) uint64 {
	x := permute(block, 64, desIP[:])
	l, r := uint32(x>>32), uint32(x)
	sp := &desSP
	for ; count > 0; count-- {
		for i := range ks {
			// f(R, K): E expansion into two 24-bit halves (E bits 1..24 and 25..48; group i of
			// six bits is R bits 4i..4i+5, bit 0 meaning bit 32, as in crypt-des.c's do_des),
			// the salt swap between the halves, the round key, then S-boxes and P.
			el := (r&0x00000001)<<23 | (r&0xf8000000)>>9 | (r&0x1f800000)>>11 |
				(r&0x01f80000)>>13 | (r&0x001f8000)>>15
			er := (r&0x0001f800)<<7 | (r&0x00001f80)<<5 | (r&0x000001f8)<<3 |
				(r&0x0000001f)<<1 | (r&0x80000000)>>31
			t := (el ^ er) & saltMask
			el ^= t ^ ks[i][0]
			er ^= t ^ ks[i][1]
			f := sp[0][el>>18&0x3f] | sp[1][el>>12&0x3f] | sp[2][el>>6&0x3f] | sp[3][el&0x3f] |
				sp[4][er>>18&0x3f] | sp[5][er>>12&0x3f] | sp[6][er>>6&0x3f] | sp[7][er&0x3f]
			l, r = r, l^f
		}
		l, r = r, l
	}
	return permute(uint64(l)<<32|uint64(r), 64, desFP[:])
}
