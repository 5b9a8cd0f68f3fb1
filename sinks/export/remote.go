package export

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/usher-migrate/usher/internal/objstore"
	"github.com/usher-migrate/usher/sinks/export/digests"
)

// An export to object storage (--output s3://bucket/exports/users-{date}.parquet, gs://…,
// azblob://…) writes each output as one upload straight to its final key: a blob.Writer
// commits on Close only, so the key shows nothing until the upload is complete, and an error,
// a cancelled Config.Context or a killed process before Close leaves no object under it (the
// previous export stays whole). S3 multipart uploads, Azure uncommitted blocks and GCS
// resumable uploads that a killed process leaves are invisible and expire by the bucket's
// lifecycle rules (S3: AbortIncompleteMultipartUpload; Azure drops uncommitted blocks after a
// week). The lock PATH.lock is an object created with a conditional write (IfNotExist: S3
// If-None-Match "*", Azure If-None-Match "*", GCS DoesNotExist).

// uploadPartBytes is the part size of an upload: memory stays bounded whatever the export's
// size (S3 keeps a few parts in flight).
const uploadPartBytes = 8 << 20

// remote is the bucket of an object-storage --output, and the lock the export holds there.
type remote struct {
	ctx   context.Context
	loc   objstore.Location // the export's own key
	b     *blob.Bucket
	token string // this run's lock content, once locked
}

// openRemote opens the bucket of output (a URL, query already stripped or not).
func openRemote(ctx context.Context, output string) (*remote, error) {
	loc, err := objstore.Parse(output)
	if err != nil {
		return nil, err
	}
	b, err := objstore.OpenBucket(ctx, loc)
	if err != nil {
		return nil, err
	}
	return &remote{ctx: ctx, loc: loc, b: b}, nil
}

func (r *remote) close() { r.b.Close() }

// key is the object key of path, an output URL beside the export (PATH + suffix).
func (r *remote) key(path string) (objstore.Location, error) {
	loc, err := objstore.Parse(path)
	if err != nil {
		return loc, err
	}
	if loc.Scheme != r.loc.Scheme || loc.Bucket != r.loc.Bucket {
		return loc, fmt.Errorf("%s: not in the export's bucket", loc)
	}
	return loc, nil
}

// create starts the upload of path; nothing appears at its key before publish.
func (r *remote) create(path string) (output, error) {
	loc, err := r.key(path)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(r.ctx)
	w, err := r.b.NewWriter(ctx, loc.Key, &blob.WriterOptions{BufferSize: uploadPartBytes, ContentType: contentType(loc.Key)})
	if err != nil {
		cancel()
		return nil, loc.Err(err)
	}
	return &remoteOutput{w: w, cancel: cancel, loc: loc}, nil
}

func contentType(key string) string {
	switch {
	case strings.HasSuffix(key, ".html"):
		return "text/html; charset=utf-8"
	case strings.HasSuffix(key, ".json"), strings.HasSuffix(key, ".ndjson"), strings.HasSuffix(key, DigestsSuffix):
		return "application/json"
	case strings.HasSuffix(key, ".csv"):
		return "text/csv; charset=utf-8"
	}
	return "application/octet-stream"
}

// remoteOutput is one upload.
type remoteOutput struct {
	w      *blob.Writer
	cancel context.CancelFunc
	loc    objstore.Location
}

func (o *remoteOutput) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	if err != nil {
		err = o.loc.Err(err)
	}
	return n, err
}

func (o *remoteOutput) finish() error { return nil }

// publish commits the upload: the object appears whole under its key, or not at all.
func (o *remoteOutput) publish() error {
	defer o.cancel()
	if err := o.w.Close(); err != nil {
		return o.loc.Err(err)
	}
	return nil
}

// discard aborts the upload: cancelling its context before Close leaves no object.
func (o *remoteOutput) discard() {
	o.cancel()
	o.w.Close()
}

// lockHolder is what a lock object holds: who took it.
type lockHolder struct {
	host  string
	pid   int
	token string
}

func (h lockHolder) String() string { return "process " + strconv.Itoa(h.pid) + " on " + h.host }

func parseHolder(b []byte) (lockHolder, bool) {
	var h lockHolder
	for _, f := range strings.Fields(string(b)) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "host":
			h.host = v
		case "pid":
			h.pid, _ = strconv.Atoi(v)
		case "token":
			h.token = v
		}
	}
	return h, h.host != "" && h.pid > 0 && h.token != ""
}

// lock creates PATH.lock if no object has that key (a conditional create). A lock left by a
// process of this host that is gone is taken over; one of another host is never judged stale
// (its process cannot be seen from here): the error says to delete it. A store that ignores
// the precondition (some S3-compatible servers) is still checked before the write and read
// back after it, which leaves only a narrow race between two runs starting together.
func (r *remote) lock() error {
	loc := r.loc.With(r.loc.Key + LockSuffix)
	host, _ := os.Hostname()
	var tok [12]byte
	rand.Read(tok[:])
	me := lockHolder{host: host, pid: os.Getpid(), token: hex.EncodeToString(tok[:])}
	content := fmt.Sprintf("host=%s pid=%d token=%s started=%s\n", me.host, me.pid, me.token, time.Now().UTC().Format(time.RFC3339))
	for attempt := 0; attempt < 2; attempt++ {
		held, err := r.b.ReadAll(r.ctx, loc.Key)
		if err == nil {
			if r.stale(held, me.host) {
				if err := r.b.Delete(r.ctx, loc.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
					return loc.Err(err)
				}
				continue
			}
			return r.heldErr(loc, held)
		}
		if gcerrors.Code(err) != gcerrors.NotFound {
			return fmt.Errorf("taking the lock: %w", loc.Err(err))
		}
		err = r.b.WriteAll(r.ctx, loc.Key, []byte(content), &blob.WriterOptions{IfNotExist: true, ContentType: "text/plain"})
		if gcerrors.Code(err) == gcerrors.FailedPrecondition {
			continue // created meanwhile by another run: judged on the next pass
		}
		if err != nil {
			return fmt.Errorf("taking the lock: %w", loc.Err(err))
		}
		back, err := r.b.ReadAll(r.ctx, loc.Key)
		if err != nil {
			return fmt.Errorf("taking the lock: %w", loc.Err(err))
		}
		if h, _ := parseHolder(back); h.token != me.token {
			return r.heldErr(loc, back)
		}
		r.token = me.token
		return nil
	}
	return fmt.Errorf("cannot take the lock %s", loc)
}

// stale tells whether the lock content held was left by a process of this host that is gone.
func (r *remote) stale(held []byte, host string) bool {
	h, ok := parseHolder(held)
	return ok && h.host == host && h.pid != os.Getpid() && errors.Is(syscall.Kill(h.pid, 0), syscall.ESRCH)
}

func (r *remote) heldErr(loc objstore.Location, held []byte) error {
	who := "another export"
	if h, ok := parseHolder(held); ok {
		who = "another export (" + h.String() + ")"
	}
	return fmt.Errorf("%s is writing %s; delete %s if that is wrong", who, r.loc, loc)
}

// unlock deletes the lock if it is still this run's.
func (r *remote) unlock() {
	if r.token == "" {
		return
	}
	loc := r.loc.With(r.loc.Key + LockSuffix)
	// Not the export's context: a cancelled run still releases its lock.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 30*time.Second)
	defer cancel()
	if held, err := r.b.ReadAll(ctx, loc.Key); err == nil {
		if h, _ := parseHolder(held); h.token == r.token {
			r.b.Delete(ctx, loc.Key)
		}
	}
	r.token = ""
}

// readRemoteDigests downloads PREV.digests of an earlier export in object storage into a
// temporary file of tmp (streamed: memory stays bounded) and opens it as readDigests does.
func readRemoteDigests(ctx context.Context, prev string, tmp *digests.TempDir) (*digests.File, error) {
	loc, err := objstore.Parse(prev)
	if err != nil {
		return nil, err
	}
	loc.Key += DigestsSuffix
	r, err := objstore.NewReader(ctx, loc)
	if err != nil {
		if objstore.NotFound(err) {
			return nil, fmt.Errorf("%s: no such object (an export writes PATH%s beside PATH)", loc, DigestsSuffix)
		}
		return nil, err
	}
	defer r.Close()
	f, err := tmp.Create("download-*.digests")
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, loc.Err(err)
	}
	return digests.OpenFile(f, loc.String(), tmp, true) // errors: "URL:N: not a digest line"
}

// displayAll is paths with the query of each URL left out (for the report); nil stays nil.
func displayAll(paths []string) []string {
	if paths == nil {
		return nil
	}
	out := make([]string, len(paths))
	for i, p := range paths {
		if out[i] = p; objstore.IsURL(p) {
			out[i] = objstore.Display(p)
		}
	}
	return out
}

// checkRemoteOutput refuses an object-storage --output that names no object (a bucket, a key
// ending in '/') or that is an input of the run (the same object, or under an input prefix).
func checkRemoteOutput(output string, inputs []string) error {
	loc, err := objstore.Parse(output)
	if err != nil {
		return &OutputError{Path: objstore.Display(output), Reason: strings.TrimPrefix(err.Error(), objstore.Display(output)+": ")}
	}
	shown := loc.String()
	if loc.Key == "" || strings.HasSuffix(loc.Key, "/") {
		return &OutputError{Path: shown, Reason: "names no object: give an object key, such as " + strings.TrimSuffix(shown, "/") + "/users.csv"}
	}
	outs := []string{loc.Key, loc.Key + RejectsSuffix, loc.Key + ReportSuffix, loc.Key + DigestsSuffix, loc.Key + HTMLSuffix}
	for _, in := range inputs {
		if !objstore.IsURL(in) {
			continue
		}
		il, err := objstore.Parse(in)
		if err != nil || il.Scheme != loc.Scheme || il.Bucket != loc.Bucket {
			continue
		}
		prefix := il.Key
		if prefix != "" && !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		for _, o := range outs {
			if o == il.Key || strings.HasPrefix(o, prefix) {
				return &OutputError{Path: shown, Reason: fmt.Sprintf("%s is (under) the input %s: the export would overwrite what it reads", loc.With(o), il)}
			}
		}
	}
	return nil
}

var _ io.Writer = (*remoteOutput)(nil)
