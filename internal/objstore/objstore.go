// Package objstore is usher's object-storage plumbing: --input and export --output accept
// s3://, gs:// and azblob:// URLs, opened with gocloud.dev/blob's URL openers and each
// provider's standard credentials chain (environment, shared files, instance or workload
// identity). URLs never carry credentials: one with user info is refused, and errors name an
// object by its URL without the query (endpoint options only, but kept out of positions and
// messages all the same).
package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob://container (AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY or the default Azure credential)
	_ "gocloud.dev/blob/gcsblob"   // gs://bucket (Application Default Credentials)
	_ "gocloud.dev/blob/s3blob"    // s3://bucket (the AWS SDK's default chain)
	"gocloud.dev/gcerrors"
)

// Schemes are the URL schemes usher opens as object storage.
var Schemes = []string{"s3", "gs", "azblob"}

// IsURL tells whether s names an object-storage location (s3://, gs:// or azblob://).
func IsURL(s string) bool {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || rest == "" {
		return false
	}
	for _, sc := range Schemes {
		if strings.EqualFold(scheme, sc) {
			return true
		}
	}
	return false
}

// Location is a parsed object-storage URL: scheme://bucket/key?query. Key may be empty (the
// whole bucket) or end in '/' (a prefix).
type Location struct {
	Scheme string
	Bucket string
	Key    string
	Query  string // the opener's options (endpoint, region, …), encoded; never shown
}

// queries remembers the options given with a bucket, so that a later reference to an object
// by its displayed name (scheme://bucket/key, as sources pass positions and names around)
// opens the bucket the same way.
var queries sync.Map // "scheme://bucket" → encoded query

// Parse parses an object-storage URL. User info (s3://key:secret@bucket) is refused:
// credentials come from the provider's chain, never from the URL.
func Parse(s string) (Location, error) {
	if !IsURL(s) {
		return Location{}, fmt.Errorf("%s: not an s3://, gs:// or azblob:// URL", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Error repeats the URL; say only what is wrong with it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Location{}, fmt.Errorf("%s: %v", Display(s), err)
	}
	if u.User != nil {
		return Location{}, fmt.Errorf("%s://%s: credentials do not belong in the URL; the %s credentials chain reads them from the environment or its files",
			u.Scheme, u.Host, strings.ToUpper(u.Scheme))
	}
	if u.Host == "" {
		return Location{}, fmt.Errorf("%s: names no bucket", Display(s))
	}
	if u.Fragment != "" || u.Opaque != "" {
		return Location{}, fmt.Errorf("%s: unexpected URL form", Display(s))
	}
	loc := Location{Scheme: strings.ToLower(u.Scheme), Bucket: u.Host, Key: strings.TrimPrefix(u.Path, "/"), Query: u.RawQuery}
	id := loc.Scheme + "://" + loc.Bucket
	if loc.Query != "" {
		queries.Store(id, loc.Query)
	} else if q, ok := queries.Load(id); ok {
		loc.Query = q.(string)
	}
	return loc, nil
}

// Display is s without its query and without any user info: what positions, reports and
// errors show.
func Display(s string) string {
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s = s[:i]
	}
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		host, path, _ := strings.Cut(rest, "/")
		if i := strings.LastIndexByte(host, '@'); i >= 0 {
			s = scheme + "://" + host[i+1:] + "/" + path
		}
	}
	return s
}

// String is the location's displayed URL (no query).
func (l Location) String() string { return l.Scheme + "://" + l.Bucket + "/" + l.Key }

// With returns the location of key in the same bucket.
func (l Location) With(key string) Location { l.Key = key; return l }

// bucketURL is the URL blob.OpenBucket is given.
func (l Location) bucketURL() string {
	u := l.Scheme + "://" + l.Bucket
	if l.Query != "" {
		u += "?" + l.Query
	}
	return u
}

// OpenBucket opens the location's bucket with the provider's URL opener.
func OpenBucket(ctx context.Context, l Location) (*blob.Bucket, error) {
	b, err := blob.OpenBucket(ctx, l.bucketURL())
	if err != nil {
		return nil, fmt.Errorf("%s://%s: %s", l.Scheme, l.Bucket, l.redact(err))
	}
	return b, nil
}

// redact is err's text without the bucket URL's query (gocloud's messages repeat the URL).
func (l Location) redact(err error) string {
	msg := err.Error()
	if l.Query != "" {
		msg = strings.ReplaceAll(msg, "?"+l.Query, "")
	}
	return msg
}

// Err names the object at l in err (without the query), keeping err's gcerrors code
// reachable with errors.Is/As.
func (l Location) Err(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Loc: l.String(), msg: l.redact(err), err: err}
}

// Error is an object-storage error naming the object.
type Error struct {
	Loc string
	msg string
	err error
}

// Error implements error.
func (e *Error) Error() string { return e.Loc + ": " + e.msg }

// Unwrap gives the underlying error (gcerrors.Code reads it).
func (e *Error) Unwrap() error { return e.err }

// Object is one object found under a location.
type Object struct {
	Loc  Location
	Size int64
}

// Expand resolves l into objects: the object named by l's key when it exists, else every
// object under the prefix key + "/" (or key itself when it is empty or ends in '/'), in lexical
// order of their keys, keeping those for which keep (given the key) is true. A location naming
// nothing is an error.
func Expand(ctx context.Context, l Location, keep func(key string) bool) ([]Object, error) {
	b, err := OpenBucket(ctx, l)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if l.Key != "" && !strings.HasSuffix(l.Key, "/") {
		attrs, err := b.Attributes(ctx, l.Key)
		if err == nil {
			return []Object{{Loc: l, Size: attrs.Size}}, nil
		}
		if gcerrors.Code(err) != gcerrors.NotFound {
			return nil, l.Err(err)
		}
	}
	prefix := l.Key
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	var out []Object
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, l.Err(err)
		}
		if o.IsDir || strings.HasSuffix(o.Key, "/") || (keep != nil && !keep(o.Key)) {
			continue
		}
		out = append(out, Object{Loc: l.With(o.Key), Size: o.Size})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Loc.Key < out[j].Loc.Key })
	if len(out) == 0 {
		return nil, l.Err(errNotFound)
	}
	return out, nil
}

var errNotFound = errors.New("no such object, and no objects under it as a prefix")

// Reader streams one object; Close closes the object and its bucket.
type Reader struct {
	r *blob.Reader
	b *blob.Bucket
	l Location
}

// NewReader opens the object at l for streaming (never read whole).
func NewReader(ctx context.Context, l Location) (*Reader, error) {
	b, err := OpenBucket(ctx, l)
	if err != nil {
		return nil, err
	}
	r, err := b.NewReader(ctx, l.Key, nil)
	if err != nil {
		b.Close()
		return nil, l.Err(err)
	}
	return &Reader{r: r, b: b, l: l}, nil
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = r.l.Err(err)
	}
	return n, err
}

// Size is the object's size.
func (r *Reader) Size() int64 { return r.r.Size() }

// Close implements io.Closer.
func (r *Reader) Close() error { return errors.Join(r.r.Close(), r.b.Close()) }

// NotFound tells whether err says an object does not exist.
func NotFound(err error) bool {
	return gcerrors.Code(err) == gcerrors.NotFound || errors.Is(err, errNotFound)
}
