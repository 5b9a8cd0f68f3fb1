package format

import (
	"bufio"
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// TypeMetadataKey is the Arrow field-metadata key that marks a utf8 field of the Parquet and
// Arrow files as holding JSON text: JSON columns carry {TypeMetadataKey: JSONTypeValue}. The
// Parquet file stores the Arrow schema (key "ARROW:schema" of its key-value metadata), so
// Arrow-aware Parquet readers see the marker too.
const TypeMetadataKey = "usher.type"

// JSONTypeValue is the value of TypeMetadataKey on JSON columns.
const JSONTypeValue = "json"

// ArrowSchema returns the Arrow schema the Parquet and Arrow writers use for cols: String →
// utf8, JSON → utf8 with metadata {TypeMetadataKey: JSONTypeValue}, Bool → bool, Int64 →
// int64; every field nullable, in schema order, with the column name as field name. The
// schema itself has no metadata.
func ArrowSchema(cols []Column) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		f := arrow.Field{Name: c.Name, Nullable: true}
		switch c.Type {
		case String:
			f.Type = arrow.BinaryTypes.String
		case JSON:
			f.Type = arrow.BinaryTypes.String
			f.Metadata = arrow.NewMetadata([]string{TypeMetadataKey}, []string{JSONTypeValue})
		case Bool:
			f.Type = arrow.FixedWidthTypes.Boolean
		case Int64:
			f.Type = arrow.PrimitiveTypes.Int64
		}
		fields[i] = f
	}
	return arrow.NewSchema(fields, nil)
}

// maxColumnBytes bounds the string bytes of one column in one batch: Arrow's utf8 arrays use
// int32 offsets. A variable so tests can exercise the early cut.
var maxColumnBytes = math.MaxInt32

// batcher accumulates rows into Arrow record batches of at most batchRows rows and hands each
// full batch to emit.
type batcher struct {
	state
	cols     []Column
	rb       *array.RecordBuilder
	strs     []*array.StringBuilder // per column; nil unless String or JSON
	bools    []*array.BooleanBuilder
	ints     []*array.Int64Builder
	colBytes []int // string bytes per column in the current batch
	// lastBytes is the string bytes per row per column of the previous batch, used to size the
	// next batch's buffers up front instead of growing them by doubling.
	lastBytes []float64
	rows      int // rows in the current batch
	batchRows int
	emit      func(arrow.RecordBatch) error
}

func newBatcher(schema *arrow.Schema, cols []Column, batchRows int, mem memory.Allocator) *batcher {
	b := &batcher{
		cols:      cols,
		rb:        array.NewRecordBuilder(mem, schema),
		strs:      make([]*array.StringBuilder, len(cols)),
		bools:     make([]*array.BooleanBuilder, len(cols)),
		ints:      make([]*array.Int64Builder, len(cols)),
		colBytes:  make([]int, len(cols)),
		lastBytes: make([]float64, len(cols)),
		batchRows: batchRows,
	}
	for i, c := range cols {
		switch c.Type {
		case String, JSON:
			b.strs[i] = b.rb.Field(i).(*array.StringBuilder)
		case Bool:
			b.bools[i] = b.rb.Field(i).(*array.BooleanBuilder)
		case Int64:
			b.ints[i] = b.rb.Field(i).(*array.Int64Builder)
		}
	}
	b.reserve()
	return b
}

// reserveRows caps the rows reserved up front, so a huge BatchRows with few rows written does
// not allocate for rows that never come.
const reserveRows = 1 << 16

// reserve sizes the builders for a new batch: row slots, and string data as the previous
// batch's bytes per row times the batch's rows.
func (b *batcher) reserve() {
	rows := min(b.batchRows, reserveRows)
	b.rb.Reserve(rows)
	for i, sb := range b.strs {
		if sb != nil && b.lastBytes[i] > 0 {
			sb.ReserveData(int(min(b.lastBytes[i]*float64(rows)*1.1, float64(maxColumnBytes))))
		}
	}
}

// Write implements Writer.
func (b *batcher) Write(row []any) error {
	if err := b.checkWrite(); err != nil {
		return err
	}
	if err := checkRow(b.cols, row, false); err != nil {
		return err
	}
	// Cut the batch early if a string column would overflow its int32 offsets.
	for i, v := range row {
		if s, ok := v.(string); ok {
			if len(s) > maxColumnBytes {
				return &ValueError{Column: b.cols[i].Name, Reason: fmt.Sprintf("value of %d bytes is longer than the %d bytes an Arrow utf8 array can hold", len(s), maxColumnBytes)}
			}
			if b.colBytes[i]+len(s) > maxColumnBytes {
				if err := b.flush(false); err != nil {
					return err
				}
				break
			}
		}
	}
	for i, v := range row {
		switch v := v.(type) {
		case nil:
			b.rb.Field(i).AppendNull()
		case string:
			b.strs[i].Append(v)
			b.colBytes[i] += len(v)
		case bool:
			b.bools[i].Append(v)
		case int64:
			b.ints[i].Append(v)
		}
	}
	b.rows++
	if b.rows >= b.batchRows {
		return b.flush(false)
	}
	return nil
}

// flush emits the current batch, if it has rows, and prepares the builders for the next
// one unless last.
func (b *batcher) flush(last bool) error {
	if b.rows == 0 {
		return nil
	}
	rec := b.rb.NewRecordBatch()
	for i, n := range b.colBytes {
		b.lastBytes[i] = float64(n) / float64(b.rows)
	}
	b.rows = 0
	clear(b.colBytes)
	err := b.emit(rec)
	rec.Release()
	if err != nil {
		return b.fail(err)
	}
	if !last {
		b.reserve() // only now, so two batches are never held at once
	}
	return nil
}

// finish flushes the last batch, then runs closeFn (footer) and flushes buf. It implements
// Close for both columnar writers.
func (b *batcher) finish(closeFn func() error, buf *bufio.Writer) error {
	if b.closed {
		return b.err
	}
	b.closed = true
	defer b.rb.Release()
	if b.err != nil {
		return b.err
	}
	if err := b.flush(true); err != nil {
		return err
	}
	if err := closeFn(); err != nil {
		return b.fail(err)
	}
	if err := buf.Flush(); err != nil {
		return b.fail(err)
	}
	return nil
}

// parquetWriter writes Parquet through pqarrow: one row group per record batch.
type parquetWriter struct {
	*batcher
	buf *bufio.Writer
	fw  *pqarrow.FileWriter
}

var parquetCodecs = map[string]compress.Compression{
	"":       compress.Codecs.Zstd,
	"zstd":   compress.Codecs.Zstd,
	"snappy": compress.Codecs.Snappy,
	"gzip":   compress.Codecs.Gzip,
	"none":   compress.Codecs.Uncompressed,
}

func newParquet(w io.Writer, cols []Column, o Options) (*parquetWriter, error) {
	codec, ok := parquetCodecs[o.Compression]
	if !ok {
		return nil, fmt.Errorf("format: parquet does not support compression %q (want zstd, snappy, gzip or none)", o.Compression)
	}
	mem := memory.NewGoAllocator()
	schema := ArrowSchema(cols)
	props := parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCompression(codec),
		parquet.WithMaxRowGroupLength(int64(o.BatchRows)),
		// Most user columns (ids, emails, metadata) are unique per row, where dictionary
		// pages only cost time before the writer falls back to plain encoding.
		parquet.WithDictionaryDefault(false),
	)
	arrProps := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem))
	buf := newBuffered(w)
	fw, err := pqarrow.NewFileWriter(schema, buf, props, arrProps)
	if err != nil {
		return nil, fmt.Errorf("format: parquet: %w", err)
	}
	p := &parquetWriter{batcher: newBatcher(schema, cols, o.BatchRows, mem), buf: buf, fw: fw}
	p.emit = fw.Write
	return p, nil
}

// Close implements Writer.
func (p *parquetWriter) Close() error { return p.finish(p.fw.Close, p.buf) }

// arrowWriter writes the Arrow IPC file format (magic, schema, record batches, footer).
type arrowWriter struct {
	*batcher
	buf *bufio.Writer
	fw  *ipc.FileWriter
}

func newArrow(w io.Writer, cols []Column, o Options) (*arrowWriter, error) {
	mem := memory.NewGoAllocator()
	schema := ArrowSchema(cols)
	opts := []ipc.Option{ipc.WithSchema(schema), ipc.WithAllocator(mem)}
	switch o.Compression {
	case "", "none":
	case "zstd":
		opts = append(opts, ipc.WithZstd())
	case "lz4":
		opts = append(opts, ipc.WithLZ4())
	default:
		return nil, fmt.Errorf("format: arrow does not support compression %q (want none, zstd or lz4)", o.Compression)
	}
	buf := newBuffered(w)
	fw, err := ipc.NewFileWriter(buf, opts...)
	if err != nil {
		return nil, fmt.Errorf("format: arrow: %w", err)
	}
	a := &arrowWriter{batcher: newBatcher(schema, cols, o.BatchRows, mem), buf: buf, fw: fw}
	a.emit = fw.Write
	return a, nil
}

// Close implements Writer.
func (a *arrowWriter) Close() error { return a.finish(a.fw.Close, a.buf) }
