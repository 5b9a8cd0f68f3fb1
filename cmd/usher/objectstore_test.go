package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/usher-migrate/usher/internal/objstore"
	"github.com/usher-migrate/usher/internal/objstore/objstoretest"
	"github.com/usher-migrate/usher/internal/synth"
	"github.com/usher-migrate/usher/sinks/export"
	"github.com/usher-migrate/usher/sinks/importfiles"
)

// gigyaCopy is the Gigya sample with one file gzip-compressed, in a folder and in the bucket
// under gigya/ (with an object of another extension the prefix listing must leave out).
func gigyaCopy(t testing.TB, b *blob.Bucket) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "gigya")
	os.Mkdir(dir, 0o700)
	ctx := context.Background()
	for _, name := range []string{"more-accounts.ndjson", "search-page.json"} {
		data, err := os.ReadFile(filepath.Join("../../testdata/samples/gigya", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "search-page.json" {
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write(data)
			zw.Close()
			data, name = gz.Bytes(), name+".gz"
		}
		os.WriteFile(filepath.Join(dir, name), data, 0o600)
		if err := b.WriteAll(ctx, "gigya/"+name, data, nil); err != nil {
			t.Fatal(err)
		}
	}
	b.WriteAll(ctx, "gigya/README.txt", []byte("not an export"), nil)
	return dir
}

// TestMigrateFromBucket: usher migrate reading a bucket prefix writes the same import files,
// lazy and rejects files as from a local copy (positions naming the objects' URLs).
func TestMigrateFromBucket(t *testing.T) {
	for _, st := range objstoretest.Emulators {
		t.Run(st.Scheme, func(t *testing.T) {
			q := st.Start(t, "bkt")
			b := objstoretest.OpenBucket(t, st.Scheme, q)
			dir := gigyaCopy(t, b)
			local, remote := filepath.Join(t.TempDir(), "local"), filepath.Join(t.TempDir(), "remote")
			if code, msg := usher(t, "migrate", "--source", "gigya", "--input", dir, "--out", local, "--progress", "never"); code != exitRejected {
				t.Fatalf("local: exit %d: %s", code, msg)
			}
			code, msg := usher(t, "migrate", "--source", "gigya", "--input", st.Scheme+"://bkt/gigya?"+q, "--out", remote, "--progress", "never")
			if code != exitRejected {
				t.Fatalf("bucket: exit %d: %s", code, msg)
			}
			if strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "endpoint=") {
				t.Errorf("output shows the URL's options: %s", msg)
			}
			lr, rr := readReport(t, local), readReport(t, remote)
			if lr.Counts != rr.Counts || rr.Counts.Read != 16 {
				t.Fatalf("counts %+v, local %+v", rr.Counts, lr.Counts)
			}
			names := []string{importfiles.LazyFile, importfiles.RejectsFile}
			entries, _ := os.ReadDir(filepath.Join(local, importfiles.ImportDir))
			if len(entries) == 0 {
				t.Fatal("no import files")
			}
			for _, e := range entries {
				names = append(names, filepath.Join(importfiles.ImportDir, e.Name()))
			}
			for _, n := range names {
				x, err1 := os.ReadFile(filepath.Join(local, n))
				y, err2 := os.ReadFile(filepath.Join(remote, n))
				if err1 != nil || err2 != nil {
					t.Fatalf("%s: %v %v", n, err1, err2)
				}
				x = bytes.ReplaceAll(x, []byte(dir+"/"), []byte(st.Scheme+"://bkt/gigya/"))
				if !bytes.Equal(x, y) {
					t.Errorf("%s differs from the local run:\n%s\n%s", n, x, y)
				}
			}
			rej, _ := os.ReadFile(filepath.Join(remote, importfiles.RejectsFile))
			if !bytes.Contains(rej, []byte(st.Scheme+"://bkt/gigya/")) {
				t.Errorf("rejects name no object position:\n%s", rej)
			}
		})
	}
}

// TestScheduledExportToBucket: an export with {date} and its --changes-since successor written to
// a bucket (the successor reading the first one's digests there) equal the same two exports
// written to a folder; the side files are beside each, and no lock is left.
func TestScheduledExportToBucket(t *testing.T) {
	date := time.Now().UTC().Format("2006-01-02")
	for _, st := range objstoretest.Emulators {
		t.Run(st.Scheme, func(t *testing.T) {
			q := st.Start(t, "bkt")
			b := objstoretest.OpenBucket(t, st.Scheme, q)
			ctx := context.Background()
			dir := gigyaCopy(t, b)
			out := t.TempDir()
			first := func(output string) []string {
				return []string{"export", "--source", "gigya", "--input", dir, "--format", "parquet", "--output", output, "--progress", "never"}
			}
			second := func(output, since string) []string {
				return []string{"export", "--source", "gigya", "--input", filepath.Join(dir, "more-accounts.ndjson"), "--format", "csv",
					"--output", output, "--changes-since", since, "--progress", "never"}
			}
			for _, args := range [][]string{
				first(filepath.Join(out, "users-{date}.parquet")),
				first(st.Scheme + "://bkt/exports/users-{date}.parquet?" + q),
				second(filepath.Join(out, "delta.csv"), filepath.Join(out, "users-"+date+".parquet")),
				second(st.Scheme+"://bkt/exports/delta.csv?"+q, st.Scheme+"://bkt/exports/users-"+date+".parquet?"+q),
			} {
				code, msg := usher(t, args...)
				if code != exitRejected && code != exitOK {
					t.Fatalf("%v: exit %d: %s", args, code, msg)
				}
				if strings.Contains(msg, "127.0.0.1") {
					t.Errorf("output shows the URL's options: %s", msg)
				}
				if o := args[8]; objstore.IsURL(o) && !strings.Contains(msg, "to "+st.Scheme+"://bkt/exports/") {
					t.Errorf("%s", msg)
				}
			}
			for _, name := range []string{"users-" + date + ".parquet", "delta.csv"} {
				for _, suffix := range []string{"", export.DigestsSuffix} {
					x, err := os.ReadFile(filepath.Join(out, name+suffix))
					if err != nil {
						t.Fatal(err)
					}
					y, err := b.ReadAll(ctx, "exports/"+name+suffix)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(x, y) {
						t.Errorf("%s%s differs from the local export (%d vs %d bytes)", name, suffix, len(y), len(x))
					}
				}
				for _, suffix := range []string{export.RejectsSuffix, export.ReportSuffix, export.HTMLSuffix} {
					if ok, _ := b.Exists(ctx, "exports/"+name+suffix); !ok {
						t.Errorf("%s%s missing", name, suffix)
					}
				}
				if ok, _ := b.Exists(ctx, "exports/"+name+export.LockSuffix); ok {
					t.Errorf("%s: lock left", name)
				}
			}
			var lrep, rrep export.Report
			lb, _ := os.ReadFile(filepath.Join(out, "delta.csv"+export.ReportSuffix))
			rb, _ := b.ReadAll(ctx, "exports/delta.csv"+export.ReportSuffix)
			json.Unmarshal(lb, &lrep)
			json.Unmarshal(rb, &rrep)
			if rrep.Changes == nil || lrep.Changes == nil || rrep.Counts != lrep.Counts || rrep.Changes.Deleted != lrep.Changes.Deleted ||
				rrep.Changes.Unchanged != lrep.Changes.Unchanged || rrep.Changes.Deleted == 0 {
				t.Errorf("changes %+v %+v, local %+v %+v", rrep.Counts, rrep.Changes, lrep.Counts, lrep.Changes)
			}
		})
	}
}

// TestExportKilledDuringUpload kills a real usher export (SIGKILL) while it uploads: the final
// key never appears, the previous export stays; the next run takes the dead process's lock over.
func TestExportKilledDuringUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := binary(t)
	in, _ := corpus(t, synth.Config{N: 60000, Seed: 5, Style: synth.StyleExport})
	for _, st := range objstoretest.Emulators {
		t.Run(st.Scheme, func(t *testing.T) {
			q := st.Start(t, "bkt")
			b := objstoretest.OpenBucket(t, st.Scheme, q)
			ctx := context.Background()
			b.WriteAll(ctx, "users.ndjson", []byte("previous export\n"), nil)
			args := []string{"export", "--source", "json", "--input", in, "--format", "ndjson", "--output", st.Scheme + "://bkt/users.ndjson?" + q,
				"--progress", "never", "--workers", "1"}
			cmd := exec.Command(bin, args...)
			var outb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &outb, &outb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Killed once it holds the lock and has read part of its input.
			deadline := time.Now().Add(time.Minute)
			for {
				if ok, _ := b.Exists(ctx, "users.ndjson.lock"); ok {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("no lock within a minute: %s", outb.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond) // into the upload (the export streams as it reads)
			cmd.Process.Signal(syscall.SIGKILL)
			err := cmd.Wait()
			if code := exitCode(err); code == exitOK || code == exitRejected {
				t.Skipf("the export finished before it was killed (exit %d)", code)
			}
			if got, _ := b.ReadAll(ctx, "users.ndjson"); string(got) != "previous export\n" {
				t.Fatalf("after the kill the key holds %d bytes", len(got))
			}
			for _, s := range []string{export.DigestsSuffix, export.RejectsSuffix, export.ReportSuffix, export.HTMLSuffix} {
				if ok, _ := b.Exists(ctx, "users.ndjson"+s); ok {
					t.Errorf("users.ndjson%s appeared", s)
				}
			}
			if ok, _ := b.Exists(ctx, "users.ndjson.lock"); !ok {
				t.Fatal("the killed run's lock is gone")
			}
			out, err := exec.Command(bin, args...).CombinedOutput()
			if code := exitCode(err); code != exitOK && code != exitRejected {
				t.Fatalf("rerun: exit %d: %s", code, out)
			}
			if a, err := b.Attributes(ctx, "users.ndjson"); err != nil || a.Size < 1<<20 {
				t.Fatalf("rerun's export: %v %v", a, err)
			}
		})
	}
}

// TestObjectStoreURLUsage: credentials in an --input or --output URL are a usage error that
// does not repeat them.
func TestObjectStoreURLUsage(t *testing.T) {
	for _, args := range [][]string{
		{"validate", "--source", "json", "--input", "s3://AKIAX:hunter2secret@bkt/in.ndjson"},
		{"export", "--source", "json", "--input", "in.ndjson", "--format", "csv", "--output", "gs://u:hunter2secret@bkt/out.csv"},
		{"export", "--source", "json", "--input", "in.ndjson", "--format", "csv", "--output", "s3://bkt/exports/"},
	} {
		code, msg := usher(t, args...)
		if code != exitUsage || strings.Contains(msg, "hunter2secret") {
			t.Errorf("%v: exit %d: %s", args, code, msg)
		}
	}
}

// TestJobFileKeepsURLs: a job file's relative paths are resolved from its folder, its bucket
// URLs are kept as they are.
func TestJobFileKeepsURLs(t *testing.T) {
	job, err := parseJob([]byte("command: export\nsource: json\ninput: [s3://bkt/users/, local.ndjson]\nformat: csv\noutput: azblob://c/out/users-{date}.csv\nchanges-since: gs://b/prev.csv\n"), "/jobs")
	if err != nil {
		t.Fatal(err)
	}
	if job.Inputs[0] != "s3://bkt/users/" || job.Inputs[1] != "/jobs/local.ndjson" ||
		job.Output != "azblob://c/out/users-{date}.csv" || job.ChangesSince != "gs://b/prev.csv" {
		t.Fatalf("job %+v", job)
	}
}
