package store

import (
	"net/url"
	"regexp"
	"strings"
)

var (
	userinfoPassword = regexp.MustCompile(`://[^/@?#]*?:([^@/?#]*)@`)
	queryPassword    = regexp.MustCompile(`(?i)[?&]password=([^&#]*)`)
)

// secrets returns the password forms a DSN may carry (userinfo or ?password=), raw and decoded.
func secrets(dsn string) []string {
	var out []string
	add := func(s string) {
		if s == "" {
			return
		}
		out = append(out, s)
		if d, err := url.PathUnescape(s); err == nil && d != s {
			out = append(out, d)
		}
		if d, err := url.QueryUnescape(s); err == nil && d != s {
			out = append(out, d)
		}
	}
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			add(p)
			add(url.QueryEscape(p))
		}
	}
	for _, m := range userinfoPassword.FindAllStringSubmatch(dsn, -1) {
		add(m[1])
	}
	for _, m := range queryPassword.FindAllStringSubmatch(dsn, -1) {
		add(m[1])
	}
	return out
}

// redactedError hides a DSN's password from an error's text while keeping errors.Is/As working.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact returns err with every form of dsn's password replaced by "xxxxx" in its text.
func redact(dsn string, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, s := range secrets(dsn) {
		if strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return &redactedError{msg: msg, err: err}
}
