package format

import (
	"io"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// keptZstd is arrow-go's Parquet zstd codec with the encoders of the default level kept between
// pages in a free list. arrow-go keeps them in a sync.Pool, which every garbage collection
// empties: under usher's soft memory limit the collector runs every few dozen megabytes, and
// each page then built a new encoder with its 16 MiB window, which made the collector run
// sooner still. The encoders are made with arrow-go's options and EncodeAll does not depend on
// an encoder's history, so the pages are byte for byte the same. Everything else (other
// levels, decoding, streams) is arrow-go's codec.
type keptZstd struct {
	zstdCodec
	free chan *zstd.Encoder
}

// zstdCodec is what arrow-go's zstd codec implements.
type zstdCodec interface {
	compress.Codec
	DecodeWithError(dst, src []byte) ([]byte, error)
	NewReader(r io.Reader) io.ReadCloser
	NewWriter(w io.Writer) io.WriteCloser
	NewWriterLevel(w io.Writer, level int) (io.WriteCloser, error)
}

// keptEncoders bounds the encoders kept: one per encoding goroutine of the machines usher runs
// on; more are made when needed and dropped when returned.
const keptEncoders = 8

func init() {
	orig, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		return
	}
	if c, ok := orig.(zstdCodec); ok {
		compress.RegisterCodec(compress.Codecs.Zstd, &keptZstd{zstdCodec: c, free: make(chan *zstd.Encoder, keptEncoders)})
	}
}

// EncodeLevel implements compress.Codec.
func (k *keptZstd) EncodeLevel(dst, src []byte, level int) []byte {
	if level != compress.DefaultCompressionLevel {
		return k.zstdCodec.EncodeLevel(dst, src, level)
	}
	var enc *zstd.Encoder
	select {
	case enc = <-k.free:
	default:
		// arrow-go's options for its pooled encoders (parquet/compress/zstd.go).
		var err error
		if enc, err = zstd.NewWriter(nil, zstd.WithZeroFrames(true), zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithEncoderConcurrency(1), zstd.WithAllLitEntropyCompression(true)); err != nil {
			return k.zstdCodec.EncodeLevel(dst, src, level)
		}
	}
	out := enc.EncodeAll(src, dst[:0])
	select {
	case k.free <- enc:
	default:
	}
	return out
}
