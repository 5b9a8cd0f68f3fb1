package emulator

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Log records what an emulator's handlers were asked, in order (the login of every sign-in,
// never a password), for tests to read back. Its zero value is empty and ready; it is safe for
// concurrent use.
type Log struct {
	mu      sync.Mutex
	entries []string
}

// Add appends s.
func (l *Log) Add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, s)
}

// Entries returns a copy of what Add recorded, in order (nil when nothing was).
func (l *Log) Entries() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.entries...)
}

// BearerToken returns the token of r's "Authorization: Bearer <token>" header, or "" when r has
// no such header.
func BearerToken(r *http.Request) string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return tok
}

// Tokens are the access tokens an emulator issued, each with its expiry and what it stands for
// (V: a session, or struct{}). Its zero value holds none and is ready; it is safe for
// concurrent use.
type Tokens[V any] struct {
	mu     sync.Mutex
	issued map[string]issued[V]
}

type issued[V any] struct {
	v       V
	expires time.Time
}

// Issue records token as standing for v until expires.
func (t *Tokens[V]) Issue(token string, v V, expires time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.issued == nil {
		t.issued = map[string]issued[V]{}
	}
	t.issued[token] = issued[V]{v: v, expires: expires}
}

// Check returns what token stands for, and true, when it was issued, is not revoked and now
// is before its expiry; else the zero V and false. The empty token is never valid.
func (t *Tokens[V]) Check(token string, now time.Time) (V, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	it, ok := t.issued[token]
	if !ok || token == "" || !now.Before(it.expires) {
		var zero V
		return zero, false
	}
	return it.v, true
}

// Revoke forgets token: Check refuses it from now on.
func (t *Tokens[V]) Revoke(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.issued, token)
}

// RevokeAll forgets every token issued so far.
func (t *Tokens[V]) RevokeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.issued)
}

// ExpireAll makes every token issued so far expired, whatever the clock says (what a client sees
// when its token outlives the server's lifespan); tokens issued later are not affected.
func (t *Tokens[V]) ExpireAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, it := range t.issued {
		it.expires = time.Time{}
		t.issued[k] = it
	}
}
