package format

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"
)

// csvWriter writes RFC 4180 CSV through encoding/csv: a header row of column names, then one
// record per row; null is an empty cell (so, in CSV, null and "" read back the same).
type csvWriter struct {
	state
	cols   []Column
	buf    *bufio.Writer
	cw     *csv.Writer
	rec    []string
	escape bool
}

func newCSV(w io.Writer, cols []Column, o Options) (*csvWriter, error) {
	buf := newBuffered(w)
	// csv.NewWriter reuses buf as is: it is a *bufio.Writer larger than its default size, so
	// bytes written to buf directly stay in order with the csv.Writer's.
	cw := csv.NewWriter(buf)
	c := &csvWriter{cols: cols, buf: buf, cw: cw, rec: make([]string, len(cols)), escape: o.CSVEscapeFormulas}
	for i, col := range cols {
		c.rec[i] = col.Name
	}
	if err := c.writeRecord(); err != nil {
		return nil, err
	}
	return c, nil
}

// Write implements Writer.
func (c *csvWriter) Write(row []any) error {
	if err := c.checkWrite(); err != nil {
		return err
	}
	if err := checkRow(c.cols, row, false); err != nil {
		return err
	}
	for i, v := range row {
		switch v := v.(type) {
		case nil:
			c.rec[i] = ""
		case string:
			if c.escape && needsFormulaEscape(v) {
				v = "'" + v
			}
			c.rec[i] = v
		case bool:
			c.rec[i] = strconv.FormatBool(v)
		case int64:
			c.rec[i] = strconv.FormatInt(v, 10)
		}
	}
	if err := c.writeRecord(); err != nil {
		return c.fail(err)
	}
	return nil
}

func (c *csvWriter) writeRecord() error {
	if len(c.rec) == 1 && c.rec[0] == "" {
		// encoding/csv writes a lone empty field as an empty line, which CSV readers skip:
		// write it quoted so the row is not lost.
		_, err := c.buf.WriteString("\"\"\n")
		return err
	}
	return c.cw.Write(c.rec)
}

// needsFormulaEscape reports whether s starts with a character a spreadsheet may take as the
// start of a formula (OWASP CSV injection list).
func needsFormulaEscape(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// Close implements Writer.
func (c *csvWriter) Close() error {
	if c.closed {
		return c.err
	}
	c.closed = true
	if c.err != nil {
		return c.err
	}
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return c.fail(err)
	}
	if err := c.buf.Flush(); err != nil {
		return c.fail(err)
	}
	return nil
}
