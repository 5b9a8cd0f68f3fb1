package format

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// serialParquet writes rows as the Parquet writer did before its row groups were encoded in
// parallel: the same batcher and properties, each batch handed to pqarrow.FileWriter.Write on
// the calling goroutine. It is the reference the parallel writer's bytes must equal.
func serialParquet(t testing.TB, cols []Column, o Options, rows [][]any) []byte {
	t.Helper()
	if o.BatchRows == 0 {
		o.BatchRows = DefaultBatchRows
	}
	codec, ok := parquetCodecs[o.Compression]
	if !ok {
		t.Fatalf("codec %q", o.Compression)
	}
	mem := memory.NewGoAllocator()
	schema := ArrowSchema(cols)
	props := parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCompression(codec),
		parquet.WithMaxRowGroupLength(int64(o.BatchRows)),
		parquet.WithDictionaryDefault(false),
	)
	arrProps := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem))
	var out bytes.Buffer
	buf := newBuffered(&out)
	fw, err := pqarrow.NewFileWriter(schema, buf, props, arrProps)
	if err != nil {
		t.Fatal(err)
	}
	b := newBatcher(schema, cols, o.BatchRows, mem)
	b.emit = fw.Write
	for i, row := range rows {
		if err := b.Write(row); err != nil {
			t.Fatalf("serial row %d: %v", i, err)
		}
	}
	if err := b.finish(fw.Close, buf); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// parallelParquet writes rows with New(Parquet) and encoders column goroutines.
func parallelParquet(t testing.TB, cols []Column, o Options, rows [][]any, encoders int) []byte {
	t.Helper()
	defer setEncoders(encoders)()
	var out bytes.Buffer
	w, err := New(Parquet, &out, cols, o)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		if err := w.Write(row); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func setEncoders(n int) (restore func()) {
	old := parquetEncoders
	parquetEncoders = n
	return func() { parquetEncoders = old }
}

// wideCols adds to userCols a column that is always null, one that is never null, and a big
// text column whose values span several data pages per row group.
var wideCols = append(append([]Column(nil), userCols...),
	Column{Name: "always_null", Type: String},
	Column{Name: "never_null", Type: Int64},
	Column{Name: "big", Type: JSON},
)

func wideRow(i int) []any {
	row := append(append([]any(nil), genRow(i)...), nil, int64(i%1000), nil)
	if i%7 != 3 {
		row[len(row)-1] = fmt.Sprintf(`{"i":%d,"pad":%q}`, i, strings.Repeat(string(rune('a'+i%26)), 100+(i*37)%3000))
	}
	return row
}

func genRows(n int, row func(int) []any) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = row(i)
	}
	return rows
}

// TestParquetParallelMatchesSerial checks that encoding a row group's columns on several
// goroutines writes exactly the bytes of pqarrow's serial writer, whatever the number of
// goroutines, batch size, codec and null pattern.
func TestParquetParallelMatchesSerial(t *testing.T) {
	cases := []struct {
		name string
		cols []Column
		n    int
		o    Options
		row  func(int) []any
	}{
		{"empty", userCols, 0, Options{}, genRow},
		{"one row", userCols, 1, Options{}, genRow},
		{"special rows only", userCols, len(specialRows), Options{BatchRows: 3}, genRow},
		{"one batch", userCols, 5000, Options{}, genRow},
		{"many batches and a partial one", userCols, 10_007, Options{BatchRows: 1000}, genRow},
		{"batches of one row", userCols, 40, Options{BatchRows: 1}, genRow},
		{"multi-page columns", wideCols, 3000, Options{BatchRows: 1200}, wideRow},
		{"snappy", wideCols, 2000, Options{BatchRows: 700, Compression: "snappy"}, wideRow},
		{"gzip", userCols, 2000, Options{BatchRows: 700, Compression: "gzip"}, genRow},
		{"none", wideCols, 2000, Options{BatchRows: 700, Compression: "none"}, wideRow},
	}
	for _, tc := range cases {
		rows := genRows(tc.n, tc.row)
		want := serialParquet(t, tc.cols, tc.o, rows)
		for _, enc := range []int{1, 2, 3, 16} {
			t.Run(fmt.Sprintf("%s/%d encoders", tc.name, enc), func(t *testing.T) {
				got := parallelParquet(t, tc.cols, tc.o, rows, enc)
				if !bytes.Equal(got, want) {
					t.Fatalf("parallel file (%d bytes) differs from the serial one (%d bytes)", len(got), len(want))
				}
			})
		}
	}
}

// TestParquetParallelOrder reads back a file written with more goroutines than cores and
// small row groups: rows and row groups come back in write order.
func TestParquetParallelOrder(t *testing.T) {
	defer setEncoders(8)()
	const n = 9_999
	path := writeFile(t, t.TempDir(), Parquet, wideCols, n, Options{BatchRows: 500}, wideRow)
	rows, groups := readBack(t, Parquet, path, wideCols)
	if groups != (n+499)/500 {
		t.Errorf("%d row groups, want %d", groups, (n+499)/500)
	}
	compareRows(t, rows, n, func(i int) []any { return wantBack(Parquet, wideCols, wideRow(i), false) })
}

// TestParquetColumnErrors fails column encodings mid-file: the first failing column (in
// schema order) is the error of Write, which is sticky; Close returns it, as does a second
// Close; no goroutine is left behind; and nothing after the failure reaches the file.
func TestParquetColumnErrors(t *testing.T) {
	errCol := errors.New("column encoder failed")
	for _, tc := range []struct {
		name    string
		failing map[int]bool // columns that fail in row group 2
		panics  bool
		wantCol int
	}{
		{"one column", map[int]bool{5: true}, false, 5},
		{"several columns, the first reported", map[int]bool{7: true, 1: true, 4: true}, false, 1},
		{"panic", map[int]bool{3: true}, true, 3},
	} {
		for _, enc := range []int{1, 2, 4} {
			t.Run(fmt.Sprintf("%s/%d encoders", tc.name, enc), func(t *testing.T) {
				defer setEncoders(enc)()
				var calls atomic.Int64
				columnHook = func(rg, col int) error {
					calls.Add(1)
					if rg == 2 && tc.failing[col] {
						if tc.panics {
							panic("boom")
						}
						return fmt.Errorf("col %d: %w", col, errCol)
					}
					return nil
				}
				defer func() { columnHook = nil }()
				goroutines := runtime.NumGoroutine()
				var out bytes.Buffer
				w, err := New(Parquet, &out, userCols, Options{BatchRows: 100})
				if err != nil {
					t.Fatal(err)
				}
				var werr error
				at := -1
				for i := range 1000 {
					if werr = w.Write(genRow(i)); werr != nil {
						at = i
						break
					}
				}
				if at != 299 { // the third batch (row group 2) is encoded when its 100th row comes
					t.Fatalf("Write failed at row %d (%v), want row 299", at, werr)
				}
				wantMsg := fmt.Sprintf("col %d: ", tc.wantCol)
				if tc.panics {
					wantMsg = fmt.Sprintf("encoding column %d: boom", tc.wantCol)
				} else if !errors.Is(werr, errCol) {
					t.Errorf("Write error %v does not wrap the column's error", werr)
				}
				if !strings.Contains(werr.Error(), wantMsg) {
					t.Errorf("Write error %q, want the one of column %d", werr, tc.wantCol)
				}
				size := out.Len()
				if err := w.Write(genRow(1)); err != werr {
					t.Errorf("Write after the failure = %v, want the same error", err)
				}
				if err := w.Close(); err != werr {
					t.Errorf("Close = %v, want the Write error", err)
				}
				if err := w.Close(); err != werr {
					t.Errorf("second Close = %v, want the Write error", err)
				}
				if out.Len() != size {
					t.Errorf("%d bytes written after the failure", out.Len()-size)
				}
				if n := calls.Load(); n > int64(3*len(userCols)) {
					t.Errorf("%d column encodings for 3 row groups of %d columns", n, len(userCols))
				}
				waitGoroutines(t, goroutines)
			})
		}
	}
}

// TestParquetParallelIOErrors fails the underlying writer at several points: the error
// surfaces from Write or Close, stays, and no goroutine is left behind.
func TestParquetParallelIOErrors(t *testing.T) {
	defer setEncoders(4)()
	size := len(serialParquet(t, wideCols, Options{BatchRows: 300}, genRows(3000, wideRow)))
	for _, after := range []int{0, 4, 1000, size / 3, size - 10} {
		t.Run(fmt.Sprint(after), func(t *testing.T) {
			goroutines := runtime.NumGoroutine()
			w, err := New(Parquet, &failWriter{after: after}, wideCols, Options{BatchRows: 300})
			if err != nil {
				t.Fatal(err)
			}
			var werr error
			for i := range 3000 {
				if werr = w.Write(wideRow(i)); werr != nil {
					break
				}
			}
			cerr := w.Close()
			if werr != nil && cerr != werr {
				t.Errorf("Close = %v after Write failed with %v", cerr, werr)
			}
			if !errors.Is(cerr, errBoom) {
				t.Errorf("Close = %v, want the io.Writer's error", cerr)
			}
			if err := w.Close(); err != cerr {
				t.Errorf("second Close = %v, want %v", err, cerr)
			}
			waitGoroutines(t, goroutines)
		})
	}
}

// waitGoroutines fails the test if the goroutine count does not come back to n.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before the writer", runtime.NumGoroutine(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestParquetParallelFile writes a file larger than a row group with the default options
// through New and compares it with the serial writer's file on disk, as the export does.
func TestParquetParallelFile(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	const n = 70_000 // more than DefaultBatchRows
	dir := t.TempDir()
	path := writeFile(t, dir, Parquet, wideCols, n, Options{}, wideRow)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := serialParquet(t, wideCols, Options{}, genRows(n, wideRow))
	if !bytes.Equal(got, want) {
		os.WriteFile(filepath.Join(dir, "serial.parquet"), want, 0o600)
		t.Fatalf("file of New (%d bytes) differs from the serial writer's (%d bytes)", len(got), len(want))
	}
}

// TestRecycler checks the batch allocator: a freed big buffer comes back zeroed for a request
// it holds with at most a quarter to spare, small buffers and poor fits are left to the
// garbage collector, and drop forgets what no request took.
func TestRecycler(t *testing.T) {
	r := &recycler{inner: memory.NewGoAllocator()}
	a := r.Allocate(recycleMin * 2)
	for i := range a {
		a[i] = 0xff
	}
	r.Free(a)
	if b := r.Allocate(recycleMin * 4); &b[0] == &a[0] {
		t.Error("a buffer of half the size was reused")
	}
	b := r.Allocate(recycleMin*2 - 100)
	if &b[0] != &a[0] {
		t.Fatal("the freed buffer was not reused")
	}
	for i, c := range b {
		if c != 0 {
			t.Fatalf("byte %d of a reused buffer is %#x, want 0", i, c)
		}
	}
	if len(r.free) != 0 {
		t.Errorf("%d buffers still free after reuse", len(r.free))
	}
	small := r.Allocate(100)
	r.Free(small)
	if len(r.free) != 0 {
		t.Error("a small buffer was kept")
	}
	r.Free(b)
	if c := r.Allocate(recycleMin); len(r.free) != 1 || &c[0] == &b[0] {
		t.Error("a buffer more than a quarter too big was reused")
	}
	r.drop()
	if len(r.free) != 0 {
		t.Error("drop kept buffers")
	}
}
