package export

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/objstore/objstoretest"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sinks/export/format"
)

// writeRows exports rows (user_id, name) through ex, as the runner would.
func writeRows(t testing.TB, ex *Exporter, rows [][]any) error {
	for i, row := range rows {
		enc := &encoded{row: row, id: row[0].(string), digest: Digest(row)}
		r := &pipeline.Result{Seq: int64(i + 1), Outcome: pipeline.Imported, Payload: enc, Pos: pipeline.Position{File: "in.ndjson", Line: i + 1}}
		if err := ex.Write(context.Background(), r); err != nil {
			return err
		}
	}
	return nil
}

// TestRemoteExportMatchesLocal writes a full export and its --changes-since successor to a
// bucket and to a folder: the export, its digests and rejects are byte for byte the same, the
// successor read the first one's digests from the bucket, and the lock is gone afterwards.
func TestRemoteExportMatchesLocal(t *testing.T) {
	schema, err := NewSchema(SchemaConfig{Fields: []string{"user_id", "name"}})
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC) }
	day1 := [][]any{{"u1", "Ann"}, {"u2", "Bob"}, {"u3", "Cy"}}
	day2 := [][]any{{"u1", "Ann"}, {"u2", "Robert"}, {"u4", "Dee"}}
	for _, em := range objstoretest.Emulators {
		t.Run(em.Scheme, func(t *testing.T) {
			q := em.Start(t, "bkt")
			b := objstoretest.OpenBucket(t, em.Scheme, q)
			dir := t.TempDir()
			for _, f := range []string{format.CSV, format.Parquet} {
				run := func(out, since string, rows [][]any) *Report {
					ex, err := Open(Config{Output: out, Format: f, Schema: schema, ChangesSince: since, Source: "json", Now: now})
					if err != nil {
						t.Fatal(err)
					}
					if err := writeRows(t, ex, rows); err != nil {
						t.Fatal(err)
					}
					rep, err := ex.Close()
					if err != nil {
						t.Fatal(err)
					}
					return rep
				}
				url := func(name string) string { return em.Scheme + "://bkt/exports/" + name + "?" + q }
				run(filepath.Join(dir, "d1."+f), "", day1)
				run(url("d1."+f), "", day1)
				run(filepath.Join(dir, "d2."+f), filepath.Join(dir, "d1."+f), day2)
				rep := run(url("d2."+f), url("d1."+f), day2)
				if c := rep.Changes; c == nil || c.Inserted != 1 || c.Updated != 1 || c.Deleted != 1 || c.Unchanged != 1 ||
					c.Since != em.Scheme+"://bkt/exports/d1."+f || rep.Output != em.Scheme+"://bkt/exports/d2."+f {
					t.Fatalf("report %+v changes %+v", rep, rep.Changes)
				}
				for _, name := range []string{"d1." + f, "d2." + f} {
					for _, suffix := range []string{"", DigestsSuffix, RejectsSuffix} {
						local, err := os.ReadFile(filepath.Join(dir, name+suffix))
						if err != nil {
							t.Fatal(err)
						}
						remote, err := b.ReadAll(context.Background(), "exports/"+name+suffix)
						if err != nil {
							t.Fatal(err)
						}
						if string(local) != string(remote) {
							t.Errorf("%s%s differs from the local export (%d vs %d bytes)", name, suffix, len(remote), len(local))
						}
					}
					for _, suffix := range []string{ReportSuffix, HTMLSuffix} {
						if ok, _ := b.Exists(context.Background(), "exports/"+name+suffix); !ok {
							t.Errorf("%s%s missing", name, suffix)
						}
					}
					if ok, _ := b.Exists(context.Background(), "exports/"+name+LockSuffix); ok {
						t.Errorf("%s: lock left behind", name)
					}
				}
				rep1, _ := b.ReadAll(context.Background(), "exports/d2."+f+ReportSuffix)
				if strings.Contains(string(rep1), "endpoint=") || strings.Contains(string(rep1), "127.0.0.1") {
					t.Errorf("the report shows the URL's options:\n%s", rep1)
				}
			}
		})
	}
}

// TestRemoteCancelLeavesNoObject cancels an export's context in the middle of its upload (more
// than one upload part written): Close fails, the previous export and side files are untouched,
// no new side file appears, and the lock is released.
func TestRemoteCancelLeavesNoObject(t *testing.T) {
	schema, err := NewSchema(SchemaConfig{Fields: []string{"user_id", "name"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, em := range objstoretest.Emulators {
		t.Run(em.Scheme, func(t *testing.T) {
			q := em.Start(t, "bkt")
			b := objstoretest.OpenBucket(t, em.Scheme, q)
			ctx := context.Background()
			b.WriteAll(ctx, "users.ndjson", []byte("previous export\n"), nil)
			b.WriteAll(ctx, "users.ndjson"+ReportSuffix, []byte("previous report\n"), nil)
			for _, when := range []string{"while writing", "before Close"} {
				cctx, cancel := context.WithCancel(ctx)
				ex, err := Open(Config{Context: cctx, Output: em.Scheme + "://bkt/users.ndjson?" + q, Format: format.NDJSON, Schema: schema})
				if err != nil {
					t.Fatal(err)
				}
				// About 24 MiB of incompressible names: three upload parts.
				buf := make([]byte, 3000)
				var rows [][]any
				for i := 0; i < 8000; i++ {
					rand.Read(buf)
					rows = append(rows, []any{"u" + strconv.Itoa(i), hex.EncodeToString(buf)[:3000]})
				}
				if when == "while writing" {
					err = writeRows(t, ex, rows[:4000])
					cancel()
					if err == nil {
						err = writeRows(t, ex, rows[4000:])
					}
				} else {
					err = writeRows(t, ex, rows)
					cancel()
				}
				if err == nil {
					_, err = ex.Close()
				} else {
					ex.Abort()
				}
				if err == nil {
					t.Fatalf("%s: the cancelled export succeeded", when)
				}
				if got, _ := b.ReadAll(ctx, "users.ndjson"); string(got) != "previous export\n" {
					t.Fatalf("%s: the export's key holds %d bytes: %.40q", when, len(got), got)
				}
				if got, _ := b.ReadAll(ctx, "users.ndjson"+ReportSuffix); string(got) != "previous report\n" {
					t.Errorf("%s: report changed: %.40q", when, got)
				}
				for _, s := range []string{RejectsSuffix, DigestsSuffix, HTMLSuffix, LockSuffix} {
					if ok, _ := b.Exists(ctx, "users.ndjson"+s); ok {
						t.Errorf("%s: users.ndjson%s exists", when, s)
					}
				}
			}
		})
	}
}

// TestRemoteLock: a lock held by a live process is refused with its holder named; one left on
// this host by a process that is gone is taken over; an export's lock is its own.
func TestRemoteLock(t *testing.T) {
	schema, err := NewSchema(SchemaConfig{Fields: []string{"user_id", "name"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, em := range objstoretest.Emulators {
		t.Run(em.Scheme, func(t *testing.T) {
			q := em.Start(t, "bkt")
			b := objstoretest.OpenBucket(t, em.Scheme, q)
			ctx := context.Background()
			host, _ := os.Hostname()
			out := em.Scheme + "://bkt/users.csv?" + q
			held := fmt.Sprintf("host=%s pid=%d token=someoneelse started=x\n", host, os.Getppid())
			b.WriteAll(ctx, "users.csv.lock", []byte(held), nil)
			_, err := Open(Config{Output: out, Format: format.CSV, Schema: schema})
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("another export (process %d on %s) is writing %s://bkt/users.csv; delete %s://bkt/users.csv.lock", os.Getppid(), host, em.Scheme, em.Scheme)) ||
				strings.Contains(err.Error(), "127.0.0.1") {
				t.Fatalf("held lock: %v", err)
			}
			// A live run's lock refuses a second run.
			first, err := Open(Config{Output: out, Format: format.CSV, Schema: schema})
			if err == nil {
				t.Fatal("opened over a live lock")
			}
			b.WriteAll(ctx, "users.csv.lock", []byte(fmt.Sprintf("host=%s pid=%d token=dead started=x\n", host, deadPID(t))), nil)
			first, err = Open(Config{Output: out, Format: format.CSV, Schema: schema})
			if err != nil {
				t.Fatalf("stale lock not taken over: %v", err)
			}
			if _, err := Open(Config{Output: out, Format: format.CSV, Schema: schema}); err == nil || !strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) {
				t.Fatalf("second run: %v", err)
			}
			if _, err := first.Close(); err != nil {
				t.Fatal(err)
			}
			if ok, _ := b.Exists(ctx, "users.csv.lock"); ok {
				t.Error("lock left behind")
			}
		})
	}
}

// deadPID is the id of a process that has exited.
func deadPID(t testing.TB) int {
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	p.Wait()
	return p.Pid
}

// TestCheckRemoteOutput refuses a bucket or prefix as --output and an output under an input.
func TestCheckRemoteOutput(t *testing.T) {
	for _, tc := range []struct {
		out    string
		inputs []string
		want   string
	}{
		{"s3://bkt", nil, "names no object"},
		{"gs://bkt/exports/", nil, "names no object"},
		{"s3://bkt/in/users.csv", []string{"s3://bkt/in"}, "the export would overwrite what it reads"},
		{"s3://bkt/in.csv", []string{"s3://bkt/in.csv.digests"}, "the export would overwrite what it reads"},
		{"azblob://c/x.csv", []string{"azblob://c/x.csv?domain=d"}, "the export would overwrite what it reads"},
		{"s3://bkt/out.csv", []string{"s3://bkt/in", "s3://other/out.csv", "out.csv"}, ""},
		{"s3://key:secret@bkt/out.csv", nil, "credentials do not belong in the URL"},
	} {
		err := CheckOutput(tc.out, tc.inputs)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) || (err != nil && strings.Contains(err.Error(), "secret")) {
			t.Errorf("%s %v: %v", tc.out, tc.inputs, err)
		}
	}
}
