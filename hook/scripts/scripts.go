// Package scripts generates the Auth0 custom-database scripts login.js and get_user.js that
// send lazy (trickle) migrations to the usher hook (package hook, README.md "Lazy migration").
//
// Each script is one top-level async function, as Auth0 expects: login(userNameOrEmail,
// password, callback) and getUser(email, callback), with every helper declared inside it. The
// scripts read configuration.USHER_URL and configuration.USHER_TOKEN, call POST /v1/login or
// POST /v1/get_user with the global fetch under an AbortController timeout well below Auth0's
// ~20 s script limit, and map the hook's answer onto Auth0's callback contract:
//
//   - 200 {"profile": …}                  → callback(null, profile)
//   - login 401 {"error":"invalid_credentials"} → callback(new WrongUsernameOrPasswordError(userNameOrEmail, …))
//   - get_user 404                         → callback(null)
//   - any other status, a network error, a timeout, a 200 without a profile carrying user_id
//     → callback(new Error(…)), never a wrong-password error for an outage.
//
// Neither the password nor the token is ever logged.
package scripts

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

// DefaultTimeout is the hook call timeout used when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// MaxTimeout is the exclusive upper bound of Options.Timeout: Auth0 recycles a custom-database
// script's container after about 20 seconds.
const MaxTimeout = 20 * time.Second

// MinTimeout is the smallest Options.Timeout accepted.
const MinTimeout = 100 * time.Millisecond

// File names written by Write.
const (
	// LoginFile is the file name of the Login script.
	LoginFile = "login.js"
	// GetUserFile is the file name of the Get User script.
	GetUserFile = "get_user.js"
)

//go:embed templates/*.js.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("scripts").Option("missingkey=error").ParseFS(templateFS, "templates/*.js.tmpl"))

// Options configures the generated scripts.
type Options struct {
	// URL is the hook's public base URL. It is only embedded as a hint in a comment; the
	// scripts always read configuration.USHER_URL. Empty omits the hint. When set it must be an
	// absolute http or https URL.
	URL string
	// Timeout bounds each call to the hook, reading the answer included. Zero means
	// DefaultTimeout; otherwise it must be at least MinTimeout and below MaxTimeout.
	Timeout time.Duration
}

// data is what the templates see.
type data struct {
	URL       string
	TimeoutMS int64
}

func (o Options) data() (data, error) {
	d := data{TimeoutMS: DefaultTimeout.Milliseconds()}
	if o.Timeout != 0 {
		if o.Timeout < MinTimeout || o.Timeout >= MaxTimeout {
			return data{}, fmt.Errorf("scripts: timeout %v out of range [%v, %v)", o.Timeout, MinTimeout, MaxTimeout)
		}
		if o.Timeout%time.Millisecond != 0 {
			return data{}, fmt.Errorf("scripts: timeout %v is not a whole number of milliseconds", o.Timeout)
		}
		d.TimeoutMS = o.Timeout.Milliseconds()
	}
	if o.URL != "" {
		u, err := checkURL(o.URL)
		if err != nil {
			return data{}, err
		}
		d.URL = u
	}
	return d, nil
}

// checkURL accepts an absolute http(s) URL without credentials that can sit on one line of a
// JavaScript comment, and returns it unchanged.
func checkURL(raw string) (string, error) {
	for _, r := range raw {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return "", fmt.Errorf("scripts: URL %q contains a control or line-separator character", raw)
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("scripts: bad URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("scripts: URL %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return "", fmt.Errorf("scripts: URL %q has no host", raw)
	}
	if u.User != nil {
		return "", errors.New("scripts: URL must not carry credentials")
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.Contains(raw, "#") {
		return "", fmt.Errorf("scripts: URL %q must not have a query or fragment", raw)
	}
	return raw, nil
}

func render(name string, o Options) ([]byte, error) {
	d, err := o.data()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, d); err != nil {
		return nil, fmt.Errorf("scripts: rendering %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// Login returns the text of login.js: a single top-level
// async function login(userNameOrEmail, password, callback) calling POST {USHER_URL}/v1/login.
func Login(o Options) ([]byte, error) { return render("login.js.tmpl", o) }

// GetUser returns the text of get_user.js: a single top-level
// async function getUser(email, callback) calling POST {USHER_URL}/v1/get_user.
func GetUser(o Options) ([]byte, error) { return render("get_user.js.tmpl", o) }

// Write renders both scripts and writes them to dir as login.js and get_user.js (mode 0644),
// creating dir if needed. It returns the paths written, login.js first. Nothing is written when
// the options are invalid.
func Write(dir string, o Options) ([]string, error) {
	login, err := Login(o)
	if err != nil {
		return nil, err
	}
	getUser, err := GetUser(o)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("scripts: %w", err)
	}
	var paths []string
	for _, f := range []struct {
		name string
		text []byte
	}{{LoginFile, login}, {GetUserFile, getUser}} {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, f.text, 0o644); err != nil {
			return paths, fmt.Errorf("scripts: %w", err)
		}
		// WriteFile keeps the mode of an existing file; make it 0644 either way.
		if err := os.Chmod(p, 0o644); err != nil {
			return paths, fmt.Errorf("scripts: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}
