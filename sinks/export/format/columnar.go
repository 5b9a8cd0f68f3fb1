package format

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
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
	mem      *recycler // the builders' allocator
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
	// sized is set once the string buffers are sized from measured bytes per row: the first
	// sampleRows rows, then each batch from the previous one.
	sized bool
	emit  func(arrow.RecordBatch) error
}

func newBatcher(schema *arrow.Schema, cols []Column, batchRows int, mem memory.Allocator) *batcher {
	b := &batcher{
		cols:      cols,
		mem:       &recycler{inner: mem},
		strs:      make([]*array.StringBuilder, len(cols)),
		bools:     make([]*array.BooleanBuilder, len(cols)),
		ints:      make([]*array.Int64Builder, len(cols)),
		colBytes:  make([]int, len(cols)),
		lastBytes: make([]float64, len(cols)),
		batchRows: batchRows,
	}
	b.rb = array.NewRecordBuilder(b.mem, schema)
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
	if b.rows == sampleRows && !b.sized {
		b.reserveFromSample()
	}
	if b.rows >= b.batchRows {
		return b.flush(false)
	}
	return nil
}

// sampleRows is the number of rows of the first batch after which the string buffers are sized
// for the whole batch from the bytes per row so far, rather than grown by doubling.
const sampleRows = 1024

// reserveFromSample sizes the first batch's string buffers from its first rows.
func (b *batcher) reserveFromSample() {
	b.sized = true
	rows := min(b.batchRows, reserveRows)
	for i, sb := range b.strs {
		if sb != nil && b.colBytes[i] > 0 {
			want := min(float64(b.colBytes[i])/float64(b.rows)*float64(rows)*1.1, float64(maxColumnBytes))
			if extra := int(want) - b.colBytes[i]; extra > 0 {
				sb.ReserveData(extra)
			}
		}
	}
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
	b.sized = true
	clear(b.colBytes)
	err := b.emit(rec)
	rec.Release()
	if err != nil {
		return b.fail(err)
	}
	if !last {
		b.reserve() // only now, so two batches are never held at once
	}
	b.mem.drop()
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

// recycleMin is the smallest buffer recycler keeps.
const recycleMin = 64 << 10

// recycler is the allocator of a batcher's builders: inner's memory, except that the big
// buffers a released batch frees are handed out again (zeroed) when the builders reserve the
// next batch, instead of being left to the garbage collector while the heap grows by as much.
// A freed buffer is reused for a request it can hold with at most a quarter to spare; drop
// forgets the ones left over. Buffers are freed only when their last reference is released
// (memory.Buffer counts references), after the batch is written.
type recycler struct {
	inner memory.Allocator
	mu    sync.Mutex
	free  [][]byte
}

func (r *recycler) Allocate(size int) []byte {
	if size >= recycleMin {
		r.mu.Lock()
		best := -1
		for i, b := range r.free {
			if c := cap(b); c >= size && c-size <= size/4 && (best < 0 || c < cap(r.free[best])) {
				best = i
			}
		}
		if best >= 0 {
			b := r.free[best][:size]
			r.free[best] = r.free[len(r.free)-1]
			r.free = r.free[:len(r.free)-1]
			r.mu.Unlock()
			clear(b)
			return b
		}
		r.mu.Unlock()
	}
	return r.inner.Allocate(size)
}

func (r *recycler) Reallocate(size int, b []byte) []byte {
	if cap(b) >= size {
		return b[:size]
	}
	nb := r.Allocate(size)
	copy(nb, b)
	return nb
}

func (r *recycler) Free(b []byte) {
	if cap(b) >= recycleMin {
		r.mu.Lock()
		r.free = append(r.free, b[:0])
		r.mu.Unlock()
	}
}

// drop forgets the freed buffers no request took.
func (r *recycler) drop() {
	r.mu.Lock()
	clear(r.free)
	r.free = r.free[:0]
	r.mu.Unlock()
}

// parquetWriter writes Parquet: one row group per record batch, its columns encoded (pages
// built and compressed) in parallel. The file holds the same bytes pqarrow.FileWriter.Write
// would write for the same batches: the same schema and metadata (ARROW:schema), row groups,
// pages, encodings and compression; only the work is spread over goroutines (see
// writeRowGroup).
type parquetWriter struct {
	*batcher
	buf *bufio.Writer
	wr  *file.Writer
	// encoders are the per-goroutine states of writeRowGroup, reused from batch to batch.
	encoders  []*columnEncoder
	order     []int // the order in which the goroutines take the columns (see writeRowGroup)
	rowGroups int   // row groups begun
	closed    bool  // wr is closed
}

// columnEncoder is one goroutine's state: its pqarrow write context (buffers that cannot be
// shared) and its definition levels.
type columnEncoder struct {
	ctx       context.Context
	defLevels []int16
}

var parquetCodecs = map[string]compress.Compression{
	"":       compress.Codecs.Zstd,
	"zstd":   compress.Codecs.Zstd,
	"snappy": compress.Codecs.Snappy,
	"gzip":   compress.Codecs.Gzip,
	"none":   compress.Codecs.Uncompressed,
}

// parquetEncoders is the number of goroutines that encode a row group's columns; 0 means
// GOMAXPROCS. A variable so tests can compare against a serial write.
var parquetEncoders = 0

// parallelMinLimit is the smallest soft memory limit (debug.SetMemoryLimit) under which the
// Parquet writer encodes columns in parallel by default.
const parallelMinLimit = 128 << 20

// columnHook, when set (by tests), runs before column col of row group rg is encoded, on the
// goroutine that encodes it; an error fails the column.
var columnHook func(rg, col int) error

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
	wr, err := newParquetFile(schema, buf, props, arrProps)
	if err != nil {
		return nil, fmt.Errorf("format: parquet: %w", err)
	}
	n := parquetEncoders
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
		// Each encoding goroutine holds its own zstd state (a 16 MiB window) and pages, some
		// 25 MiB at the default batch size: under a tighter soft memory limit the garbage
		// collector's extra work outweighs the parallel encoding (measured with 200k users: 96
		// MiB, 3.4 s with 2 goroutines against 3.2 s with 1; 128 MiB, 2.5 s against 2.9 s).
		if debug.SetMemoryLimit(-1) < parallelMinLimit {
			n = 1
		}
	}
	n = max(1, min(n, len(cols)))
	p := &parquetWriter{batcher: newBatcher(schema, cols, o.BatchRows, mem), buf: buf, wr: wr}
	for range n {
		p.encoders = append(p.encoders, &columnEncoder{ctx: pqarrow.NewArrowWriteContext(context.Background(), &arrProps)})
	}
	p.order = make([]int, 0, len(cols))
	p.emit = p.writeRowGroup
	return p, nil
}

// newParquetFile starts the Parquet file as pqarrow.NewFileWriter does for a schema of flat
// columns: the Parquet schema from pqarrow.ToParquet and the Arrow schema stored base64 under
// the key-value metadata "ARROW:schema".
func newParquetFile(schema *arrow.Schema, w io.Writer, props *parquet.WriterProperties, arrProps pqarrow.ArrowWriterProperties) (*file.Writer, error) {
	pqschema, err := pqarrow.ToParquet(schema, props, arrProps)
	if err != nil {
		return nil, err
	}
	// pqarrow stores the schema rebuilt field by field (normalizeSchemaForParquet, the identity
	// for flat fields) with the schema's metadata.
	smeta := schema.Metadata()
	meta := make(metadata.KeyValueMetadata, 0)
	for i := range smeta.Len() {
		meta.Append(smeta.Keys()[i], smeta.Values()[i])
	}
	stored := arrow.NewSchema(slices.Clone(schema.Fields()), &smeta)
	meta.Append("ARROW:schema", base64.StdEncoding.EncodeToString(flight.SerializeSchema(stored, props.Allocator())))
	return file.NewParquetWriterWithError(w, pqschema.Root(), file.WithWriterProps(props), file.WithWriteMetadata(meta))
}

// writeRowGroup writes rec as one row group. The row group is buffered: every column has its own
// column writer and page buffer, so the columns are encoded by the goroutines of p.encoders at
// once, each column whole by one goroutine (its pages in order), and each column is copied to
// the file once it and all the columns before it are encoded: the file gets the columns in
// schema order, at the offsets a serial writer gives them. Each column is written as
// pqarrow.FileWriter writes a flat column (pqarrow.WriteArrowToColumn with the same definition
// levels), so the pages are the same. writeRowGroup returns once the row group is written (or
// failed): nothing runs in the background between calls.
func (p *parquetWriter) writeRowGroup(rec arrow.RecordBatch) error {
	rgw, err := p.wr.AppendBufferedRowGroupChecked()
	if err != nil {
		return err
	}
	rg := p.rowGroups
	p.rowGroups++
	ncols := int(rec.NumCols())
	// The biggest column (by this batch's bytes) goes first, on a goroutine of its own; the
	// others follow in schema order, so that each can be closed (written out and its buffers
	// dropped) as soon as it is encoded.
	p.order = p.order[:0]
	big := 0
	for i, n := range p.lastBytes {
		if n > p.lastBytes[big] {
			big = i
		}
	}
	p.order = append(p.order, big)
	for i := range ncols {
		if i != big {
			p.order = append(p.order, i)
		}
	}
	errs := make([]error, ncols)
	var (
		next   atomic.Int64
		failed atomic.Bool // stop taking columns once one failed: the batch is lost anyway
		// A column is closed (its pages and metadata copied to the file) as soon as it and
		// every column before it are encoded, by whichever goroutine gets there: the file
		// gets the columns in schema order, as the row group's Close would write them, and
		// their buffers are dropped early. mu serializes the closes (the writes to the file).
		mu        sync.Mutex
		encoded   = make([]bool, ncols)
		nextClose int
		closeErr  error
	)
	closeReady := func(i int) {
		mu.Lock()
		defer mu.Unlock()
		encoded[i] = true
		for nextClose < ncols && encoded[nextClose] && closeErr == nil && !failed.Load() {
			if closeErr = closeColumn(rgw, nextClose); closeErr != nil {
				failed.Store(true)
				return
			}
			nextClose++
		}
	}
	work := func(enc *columnEncoder) {
		for !failed.Load() {
			k := int(next.Add(1)) - 1
			if k >= len(p.order) {
				return
			}
			i := p.order[k]
			if errs[i] = enc.safeWriteColumn(rgw, rg, i, rec.Column(i)); errs[i] != nil {
				failed.Store(true)
				return
			}
			closeReady(i)
		}
	}
	if len(p.encoders) == 1 {
		work(p.encoders[0])
	} else {
		var wg sync.WaitGroup
		for _, enc := range p.encoders[1:] {
			wg.Go(func() { work(enc) })
		}
		work(p.encoders[0])
		wg.Wait()
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if closeErr != nil {
		return closeErr
	}
	// Every column is closed; this finishes the row group's metadata.
	return rgw.Close()
}

// closeColumn closes column i of a buffered row group: its last page, then its pages and
// column chunk metadata go to the file. The row group's Close skips closed columns.
func closeColumn(rgw file.BufferedRowGroupWriter, i int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("format: parquet: writing column %d: %v", i, r)
		}
	}()
	cw, err := rgw.Column(i)
	if err != nil {
		return err
	}
	return cw.Close()
}

// pageFlusher is implemented by the column writers of package file: FlushBufferedDataPages
// writes the column's last, partial page.
type pageFlusher interface{ FlushBufferedDataPages() error }

// safeWriteColumn is writeColumn with the test hook, and with a panic of the encoder (which
// would otherwise end the process from this goroutine) turned into the column's error.
func (enc *columnEncoder) safeWriteColumn(rgw file.BufferedRowGroupWriter, rg, i int, arr arrow.Array) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("format: parquet: encoding column %d: %v", i, r)
		}
	}()
	if columnHook != nil {
		if err := columnHook(rg, i); err != nil {
			return err
		}
	}
	return enc.writeColumn(rgw, i, arr)
}

// writeColumn writes column i of a buffered row group.
func (enc *columnEncoder) writeColumn(rgw file.BufferedRowGroupWriter, i int, arr arrow.Array) error {
	cw, err := rgw.Column(i)
	if err != nil {
		return err
	}
	// The definition levels of a flat nullable column, as pqarrow's path builder makes them: 1
	// for a value, 0 for a null; the leaf counts as nullable unless it has no nulls.
	n := arr.Len()
	if cap(enc.defLevels) < n {
		enc.defLevels = make([]int16, n)
	}
	def := enc.defLevels[:n]
	nulls := arr.NullN()
	switch {
	case nulls == 0:
		for j := range def {
			def[j] = 1
		}
	case nulls == n:
		clear(def)
	default:
		bits, off := arr.NullBitmapBytes(), arr.Data().Offset()
		for j := range def {
			if bitutil.BitIsSet(bits, off+j) {
				def[j] = 1
			} else {
				def[j] = 0
			}
		}
	}
	if err := pqarrow.WriteArrowToColumn(enc.ctx, cw, arr, def, nil, nulls != 0); err != nil {
		return err
	}
	// Build and compress the last page here too, not in the row group's serial Close: without
	// a dictionary, Close would do exactly this first (and a dictionary column, whose pages wait
	// for the dictionary page, is left to Close).
	if f, ok := cw.(pageFlusher); ok && !cw.Properties().DictionaryEnabledFor(cw.Descr().Path()) {
		return f.FlushBufferedDataPages()
	}
	return nil
}

// Close implements Writer.
func (p *parquetWriter) Close() error { return p.finish(p.closeFile, p.buf) }

func (p *parquetWriter) closeFile() error {
	if p.closed {
		return nil
	}
	p.closed = true
	return p.wr.Close()
}

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
