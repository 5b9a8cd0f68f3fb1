// Copyright 2017 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Package argon2x implements the Argon2 key derivation function (RFC 9106) in all three
// variants (Argon2d, Argon2i, Argon2id) and both published versions (0x10 and 0x13), with the
// optional secret key K and associated data X. It exists to verify legacy stored hashes such as
// "$argon2d$v=19$m=...", or "$argon2i$m=..." (no "v=": version 0x10), which
// golang.org/x/crypto/argon2 cannot compute: that package offers only Argon2i and Argon2id,
// only version 0x13, and no secret or associated data.
//
// # Provenance
//
// The code is derived from golang.org/x/crypto/argon2 at v0.58.0 (Copyright 2017 The Go
// Authors, BSD-3-Clause; the licence is in the LICENSE file of this folder and the copyright
// notice is kept at the top of each copied file). Changes from the original:
//
//   - The API is a single Key function taking the variant and version, returning an error for
//     invalid parameters instead of panicking.
//   - H0 hashes the requested version (0x10 or 0x13) instead of the constant 0x13; it already
//     hashed p, T, m, t, the type y, P, S, K and X as RFC 9106 §3.2 specifies.
//   - Version 0x10 overwrites each block with G(prev, ref) in every pass; version 0x13 XORs it
//     into the block in passes after the first (RFC 9106 §3.2 step 6). Both overwrite in the
//     first pass.
//   - Argon2d, which x/crypto handles internally but does not export, takes J1/J2 from the
//     previous block in every segment (data-dependent indexing).
//   - Only the portable Go compression function (blamka.go) is used; the amd64/loong64
//     assembly of x/crypto is not copied. H' (blake2b.go) is unchanged and uses
//     golang.org/x/crypto/blake2b.
//   - Lanes of a segment run in goroutines only when there is more than one lane.
//
// Key does not bound the cost parameters: memory is allocated up front (memoryKiB KiB) and the
// work grows with time × memory, so callers must bound m and t (and p) before calling it with
// values read from a stored hash.
package argon2x

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"golang.org/x/crypto/blake2b"
)

// Variant is an Argon2 type: the value y hashed into H0 (RFC 9106 §3.2).
type Variant int

// The Argon2 variants, numbered as in RFC 9106 §3.1 (type y).
const (
	// Argon2d uses data-dependent memory access in every segment.
	Argon2d Variant = 0
	// Argon2i uses data-independent memory access in every segment.
	Argon2i Variant = 1
	// Argon2id uses data-independent access for the first half of the first pass and
	// data-dependent access afterwards.
	Argon2id Variant = 2
)

// The Argon2 versions. Version10 is the original PHC submission (PHC strings without "v=");
// Version13 (decimal 19, "v=19") is the version specified by RFC 9106.
const (
	// Version10 is Argon2 version 1.0 (0x10): blocks are overwritten in every pass.
	Version10 = 0x10
	// Version13 is Argon2 version 1.3 (0x13): blocks are XOR-ed in passes after the first.
	Version13 = 0x13
)

// Key derives keyLen bytes from password and salt with the given Argon2 variant and version.
// secret (K) and data (associated data X) may be nil. time is the number of passes t,
// memoryKiB the memory size m in KiB (1 KiB blocks) and threads the parallelism p (lanes).
//
// Key never panics on its parameters: it returns an error when time < 1, threads < 1,
// memoryKiB < 8*threads, keyLen < 4, the variant or version is unknown, an input is longer
// than 2^32-1 bytes, or the memory cannot be addressed on this platform. It does not bound the
// cost: callers bound memoryKiB and time before calling it. Salts shorter than the 8 bytes
// RFC 9106 recommends are accepted so that any stored hash can be verified.
func Key(v Variant, version int, password, salt, secret, data []byte, time, memoryKiB uint32, threads uint8, keyLen uint32) ([]byte, error) {
	switch {
	case v != Argon2d && v != Argon2i && v != Argon2id:
		return nil, fmt.Errorf("argon2x: unknown variant %d", int(v))
	case version != Version10 && version != Version13:
		return nil, fmt.Errorf("argon2x: unknown version %#x", version)
	case time < 1:
		return nil, errors.New("argon2x: time (passes) must be at least 1")
	case threads < 1:
		return nil, errors.New("argon2x: threads (parallelism) must be at least 1")
	case uint64(memoryKiB) < 8*uint64(threads):
		return nil, fmt.Errorf("argon2x: memory %d KiB is less than 8 × %d threads", memoryKiB, threads)
	case keyLen < 4:
		return nil, fmt.Errorf("argon2x: key length %d is less than 4 bytes", keyLen)
	case uint64(memoryKiB) > math.MaxInt/blockLength/8:
		return nil, fmt.Errorf("argon2x: memory %d KiB cannot be addressed on this platform", memoryKiB)
	case uint64(keyLen) > math.MaxInt:
		return nil, fmt.Errorf("argon2x: key length %d cannot be addressed on this platform", keyLen)
	}
	for _, in := range [...][]byte{password, salt, secret, data} {
		if uint64(len(in)) > math.MaxUint32 {
			return nil, errors.New("argon2x: an input is longer than 2^32-1 bytes")
		}
	}
	return deriveKey(int(v), uint32(version), password, salt, secret, data, time, memoryKiB, threads, keyLen), nil
}

const (
	argon2d = iota
	argon2i
	argon2id
)

// deriveKey runs Argon2 on validated parameters.
func deriveKey(mode int, version uint32, password, salt, secret, data []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	h0 := initHash(password, salt, secret, data, time, memory, uint32(threads), keyLen, mode, version)

	memory = memory / (syncPoints * uint32(threads)) * (syncPoints * uint32(threads))
	if memory < 2*syncPoints*uint32(threads) {
		memory = 2 * syncPoints * uint32(threads)
	}
	B := initBlocks(&h0, memory, uint32(threads))
	processBlocks(B, time, memory, uint32(threads), mode, version)
	return extractKey(B, memory, uint32(threads), keyLen)
}

const (
	blockLength = 128
	syncPoints  = 4
)

type block [blockLength]uint64

// initHash computes H0 (RFC 9106 §3.2 step 1) followed by 8 zero bytes that initBlocks fills
// with the block index and the lane.
func initHash(password, salt, key, data []byte, time, memory, threads, keyLen uint32, mode int, version uint32) [blake2b.Size + 8]byte {
	var (
		h0     [blake2b.Size + 8]byte
		params [24]byte
		tmp    [4]byte
	)

	b2, _ := blake2b.New512(nil)
	binary.LittleEndian.PutUint32(params[0:4], threads)
	binary.LittleEndian.PutUint32(params[4:8], keyLen)
	binary.LittleEndian.PutUint32(params[8:12], memory)
	binary.LittleEndian.PutUint32(params[12:16], time)
	binary.LittleEndian.PutUint32(params[16:20], version)
	binary.LittleEndian.PutUint32(params[20:24], uint32(mode))
	b2.Write(params[:])
	binary.LittleEndian.PutUint32(tmp[:], uint32(len(password)))
	b2.Write(tmp[:])
	b2.Write(password)
	binary.LittleEndian.PutUint32(tmp[:], uint32(len(salt)))
	b2.Write(tmp[:])
	b2.Write(salt)
	binary.LittleEndian.PutUint32(tmp[:], uint32(len(key)))
	b2.Write(tmp[:])
	b2.Write(key)
	binary.LittleEndian.PutUint32(tmp[:], uint32(len(data)))
	b2.Write(tmp[:])
	b2.Write(data)
	b2.Sum(h0[:0])
	return h0
}

// initBlocks allocates the memory and computes the first two blocks of every lane.
func initBlocks(h0 *[blake2b.Size + 8]byte, memory, threads uint32) []block {
	var block0 [1024]byte
	B := make([]block, memory)
	for lane := uint32(0); lane < threads; lane++ {
		j := lane * (memory / threads)
		binary.LittleEndian.PutUint32(h0[blake2b.Size+4:], lane)

		binary.LittleEndian.PutUint32(h0[blake2b.Size:], 0)
		blake2bHash(block0[:], h0[:])
		for i := range B[j+0] {
			B[j+0][i] = binary.LittleEndian.Uint64(block0[i*8:])
		}

		binary.LittleEndian.PutUint32(h0[blake2b.Size:], 1)
		blake2bHash(block0[:], h0[:])
		for i := range B[j+1] {
			B[j+1][i] = binary.LittleEndian.Uint64(block0[i*8:])
		}
	}
	return B
}

// processBlocks fills the memory: time passes of syncPoints slices, the lanes of a slice in
// parallel.
func processBlocks(B []block, time, memory, threads uint32, mode int, version uint32) {
	lanes := memory / threads
	segments := lanes / syncPoints

	processSegment := func(n, slice, lane uint32) {
		var addresses, in, zero block
		// Data-independent addressing: Argon2i everywhere, Argon2id in the first half of the
		// first pass. Argon2d is always data-dependent.
		dataIndependent := mode == argon2i || (mode == argon2id && n == 0 && slice < syncPoints/2)
		// Version 0x13 XORs the new block into the old one after the first pass; version 0x10
		// (and every first pass) overwrites it.
		xor := version == Version13 && n > 0
		if dataIndependent {
			in[0] = uint64(n)
			in[1] = uint64(lane)
			in[2] = uint64(slice)
			in[3] = uint64(memory)
			in[4] = uint64(time)
			in[5] = uint64(mode)
		}

		index := uint32(0)
		if n == 0 && slice == 0 {
			index = 2 // we have already generated the first two blocks
			if dataIndependent {
				in[6]++
				processBlock(&addresses, &in, &zero, false)
				processBlock(&addresses, &addresses, &zero, false)
			}
		}

		offset := lane*lanes + slice*segments + index
		var random uint64
		for index < segments {
			prev := offset - 1
			if index == 0 && slice == 0 {
				prev += lanes // last block in lane
			}
			if dataIndependent {
				if index%blockLength == 0 {
					in[6]++
					processBlock(&addresses, &in, &zero, false)
					processBlock(&addresses, &addresses, &zero, false)
				}
				random = addresses[index%blockLength]
			} else {
				random = B[prev][0]
			}
			newOffset := indexAlpha(random, lanes, segments, threads, n, slice, lane, index)
			processBlock(&B[offset], &B[prev], &B[newOffset], xor)
			index, offset = index+1, offset+1
		}
	}

	for n := uint32(0); n < time; n++ {
		for slice := uint32(0); slice < syncPoints; slice++ {
			if threads == 1 {
				processSegment(n, slice, 0)
				continue
			}
			var wg sync.WaitGroup
			for lane := uint32(0); lane < threads; lane++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					processSegment(n, slice, lane)
				}()
			}
			wg.Wait()
		}
	}
}

// extractKey XORs the last block of every lane and hashes it with H' to keyLen bytes.
func extractKey(B []block, memory, threads, keyLen uint32) []byte {
	lanes := memory / threads
	for lane := uint32(0); lane < threads-1; lane++ {
		for i, v := range B[(lane*lanes)+lanes-1] {
			B[memory-1][i] ^= v
		}
	}

	var block [1024]byte
	for i, v := range B[memory-1] {
		binary.LittleEndian.PutUint64(block[i*8:], v)
	}
	key := make([]byte, keyLen)
	blake2bHash(key, block[:])
	return key
}

// indexAlpha maps a pseudo-random value to the index of the reference block (RFC 9106 §3.4).
func indexAlpha(rand uint64, lanes, segments, threads, n, slice, lane, index uint32) uint32 {
	refLane := uint32(rand>>32) % threads
	if n == 0 && slice == 0 {
		refLane = lane
	}
	m, s := 3*segments, ((slice+1)%syncPoints)*segments
	if lane == refLane {
		m += index
	}
	if n == 0 {
		m, s = slice*segments, 0
		if slice == 0 || lane == refLane {
			m += index
		}
	}
	if index == 0 || lane == refLane {
		m--
	}
	return phi(rand, uint64(m), uint64(s), refLane, lanes)
}

func phi(rand, m, s uint64, lane, lanes uint32) uint32 {
	p := rand & 0xFFFFFFFF
	p = (p * p) >> 32
	p = (p * m) >> 32
	return lane*lanes + uint32((s+m-(p+1))%uint64(lanes))
}
