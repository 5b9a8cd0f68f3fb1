// Package htmltest loads a page in a real browser for the tests: Debian's headless Chromium,
// driven over the DevTools protocol on a pipe (--remote-debugging-pipe: no port, no WebSocket,
// nothing but the standard library), with JavaScript disabled. It returns the DOM the browser
// built (as a tree, so tests read elements and their text as the browser parsed them), every
// console and log message of level error or warning, every request the page made, and a
// screenshot of the whole page.
//
// Tests call Load; it skips the test when no Chromium is installed, unless
// USHER_REQUIRE_ORACLES=1 (CI), which fails it instead. USHER_CHROMIUM names the browser's
// binary when it is not chromium (or chromium-browser) on PATH.
package htmltest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Environment variables read by the package.
const (
	// RequireEnv set to 1 turns a missing browser into a failure (as for the other oracles).
	RequireEnv = "USHER_REQUIRE_ORACLES"
	// ChromiumEnv names the browser binary.
	ChromiumEnv = "USHER_CHROMIUM"
	// ScreenshotDirEnv names a folder where Check keeps its screenshots (else the test's
	// artifact directory: go test -artifacts keeps it).
	ScreenshotDirEnv = "USHER_SCREENSHOT_DIR"
)

// Page is what the browser made of a file.
type Page struct {
	// Root is the document's DOM tree.
	Root *Node
	// Console holds the messages of level error or warning: console calls, exceptions, and the
	// browser's own log entries (a resource that failed to load, a Content-Security-Policy
	// violation, …), each as "level: text (url)".
	Console []string
	// Errors is the subset of Console of level error.
	Errors []string
	// Requests are the URLs the page requested, the page itself included.
	Requests []string
	// Screenshot is a PNG of the whole page.
	Screenshot []byte
	// ScriptsRan reports whether a script of the page ran (it must not: scripts are disabled).
	ScriptsRan bool
}

// Node is a DOM node (DevTools' DOM.Node, trimmed).
type Node struct {
	NodeType   int      `json:"nodeType"`
	NodeName   string   `json:"nodeName"`
	LocalName  string   `json:"localName"`
	NodeValue  string   `json:"nodeValue"`
	Attributes []string `json:"attributes"` // name, value, name, value, …
	Children   []*Node  `json:"children"`
}

// Attr returns the value of an attribute and whether the element has it.
func (n *Node) Attr(name string) (string, bool) {
	for i := 0; i+1 < len(n.Attributes); i += 2 {
		if n.Attributes[i] == name {
			return n.Attributes[i+1], true
		}
	}
	return "", false
}

// Text is the node's text content: its text nodes' values, concatenated in document order.
func (n *Node) Text() string {
	var b strings.Builder
	n.walk(func(c *Node) bool {
		if c.NodeType == 3 {
			b.WriteString(c.NodeValue)
		}
		return true
	})
	return b.String()
}

// All returns the elements (in document order) for which match is true.
func (n *Node) All(match func(*Node) bool) []*Node {
	var out []*Node
	n.walk(func(c *Node) bool {
		if c.NodeType == 1 && match(c) {
			out = append(out, c)
		}
		return true
	})
	return out
}

// ByID returns the element with that id, or nil.
func (n *Node) ByID(id string) *Node {
	all := n.All(func(c *Node) bool { v, ok := c.Attr("id"); return ok && v == id })
	if len(all) == 0 {
		return nil
	}
	return all[0]
}

// Tag returns the elements of that local name ("script", "table", …).
func (n *Node) Tag(name string) []*Node {
	return n.All(func(c *Node) bool { return strings.EqualFold(c.LocalName, name) })
}

func (n *Node) walk(f func(*Node) bool) {
	if !f(n) {
		return
	}
	for _, c := range n.Children {
		c.walk(f)
	}
}

// Chromium returns the browser's path, or skips t (fails it under USHER_REQUIRE_ORACLES=1)
// when there is none.
func Chromium(t testing.TB) string {
	t.Helper()
	if p, err := Find(); err == nil {
		return p
	} else if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%v (%s=1 requires it; install Debian's chromium: apt-get install chromium)", err, RequireEnv)
	} else {
		t.Skipf("skipping the browser check: %v (apt-get install chromium)", err)
	}
	return ""
}

// Find looks for the browser: $USHER_CHROMIUM, else chromium or chromium-browser on PATH.
func Find() (string, error) {
	if p := os.Getenv(ChromiumEnv); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on PATH")
}

// Check loads the HTML file at path in Chromium with JavaScript disabled (skipping t when there
// is no browser), fails t when the page logged an error, requested anything but itself or ran
// a script, saves its screenshot as name (in $USHER_SCREENSHOT_DIR, else t.ArtifactDir()) and
// logs where. It returns the page.
func Check(t *testing.T, path, name string) *Page {
	t.Helper()
	bin := Chromium(t)
	p, err := Load(t.Context(), bin, path, 1280, 2000)
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dir := os.Getenv(ScreenshotDirEnv)
	if dir == "" {
		dir = t.ArtifactDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, name)
	if err := os.WriteFile(shot, p.Screenshot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of %s: %s (%d bytes)", path, shot, len(p.Screenshot))
	for _, m := range p.Console {
		t.Logf("console: %s", m)
	}
	if len(p.Errors) > 0 {
		t.Errorf("the page logged %d errors:\n%s", len(p.Errors), strings.Join(p.Errors, "\n"))
	}
	self := fileURL(path)
	for _, r := range p.Requests {
		if r != self && !strings.HasPrefix(r, "data:") {
			t.Errorf("the page requested %s (it must load nothing but itself)", r)
		}
	}
	if p.ScriptsRan {
		t.Error("a script ran in the page")
	}
	if len(p.Screenshot) < 8 || !bytes.HasPrefix(p.Screenshot, []byte("\x89PNG")) {
		t.Errorf("no PNG screenshot (%d bytes)", len(p.Screenshot))
	}
	return p
}

// Metrics returns the page's marked numbers: data-metric → data-value, and the element's text.
func (p *Page) Metrics() (values, texts map[string]string) {
	values, texts = map[string]string{}, map[string]string{}
	for _, n := range p.Root.All(func(n *Node) bool { _, ok := n.Attr("data-metric"); return ok }) {
		k, _ := n.Attr("data-metric")
		values[k], _ = n.Attr("data-value")
		texts[k] = strings.TrimSpace(n.Text())
	}
	return values, texts
}

func fileURL(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return (&url.URL{Scheme: "file", Path: abs}).String()
}

// Load opens the file at path in a new headless Chromium (bin) with a width×height viewport and
// JavaScript disabled, waits for the load event, and returns the page.
func Load(ctx context.Context, bin, path string, width, height int) (*Page, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	profile, err := os.MkdirTemp("", "usher-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	// The browser reads commands from fd 3 and writes answers to fd 4, NUL-terminated JSON.
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		cmdR.Close()
		cmdW.Close()
		return nil, err
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
		"--user-data-dir="+profile, "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
		"--disable-quic", "--mute-audio", "--hide-scrollbars", "--blink-settings=scriptEnabled=false",
		fmt.Sprintf("--window-size=%d,%d", width, height), "about:blank")
	cmd.ExtraFiles = []*os.File{cmdR, outW}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cmdR.Close()
		cmdW.Close()
		outR.Close()
		outW.Close()
		return nil, err
	}
	cmdR.Close()
	outW.Close()
	c := &conn{w: cmdW, msgs: make(chan message, 256)}
	go c.read(outR)
	defer func() {
		closeCtx, cancelClose := context.WithTimeout(context.Background(), 5*time.Second)
		c.call(closeCtx, "", "Browser.close", nil, nil)
		cancelClose()
		cmdW.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		outR.Close()
	}()
	p, err := c.load(ctx, fileURL(path), width, height)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, tail(stderr.String(), 2000))
	}
	return p, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

type message struct {
	ID        int                       `json:"id"`
	Method    string                    `json:"method"`
	Params    json.RawMessage           `json:"params"`
	Result    json.RawMessage           `json:"result"`
	Error     *struct{ Message string } `json:"error"`
	SessionID string                    `json:"sessionId"`
}

// conn is the DevTools connection: one command at a time, answers matched by id, events kept.
type conn struct {
	w      io.Writer
	next   int
	msgs   chan message
	events []message
}

func (c *conn) read(r io.Reader) {
	defer close(c.msgs)
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		b, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m message
		if json.Unmarshal(b[:len(b)-1], &m) == nil {
			c.msgs <- m
		}
	}
}

// call sends a command and waits for its answer, keeping the events that come meanwhile.
func (c *conn) call(ctx context.Context, session, method string, params, result any) error {
	c.next++
	id := c.next
	req := map[string]any{"id": id, "method": method}
	if params != nil {
		req["params"] = params
	}
	if session != "" {
		req["sessionId"] = session
	}
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := c.w.Write(append(b, 0)); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", method, ctx.Err())
		case m, ok := <-c.msgs:
			if !ok {
				return fmt.Errorf("%s: the browser closed the pipe", method)
			}
			if m.ID != id {
				if m.Method != "" {
					c.events = append(c.events, m)
				}
				continue
			}
			if m.Error != nil {
				return fmt.Errorf("%s: %s", method, m.Error.Message)
			}
			if result != nil {
				return json.Unmarshal(m.Result, result)
			}
			return nil
		}
	}
}

// waitEvent waits for an event of the session (keeping the others).
func (c *conn) waitEvent(ctx context.Context, session, method string) error {
	for _, e := range c.events {
		if e.Method == method && e.SessionID == session {
			return nil
		}
	}
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", method, ctx.Err())
		case m, ok := <-c.msgs:
			if !ok {
				return fmt.Errorf("waiting for %s: the browser closed the pipe", method)
			}
			if m.Method != "" {
				c.events = append(c.events, m)
			}
			if m.Method == method && m.SessionID == session {
				return nil
			}
		}
	}
}

func (c *conn) load(ctx context.Context, pageURL string, width, height int) (*Page, error) {
	var target struct{ TargetID string }
	if err := c.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		return nil, err
	}
	var att struct{ SessionID string }
	if err := c.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		return nil, err
	}
	s := att.SessionID
	for _, step := range []struct {
		method string
		params any
	}{
		{"Page.enable", nil},
		{"Runtime.enable", nil},
		{"Log.enable", nil},
		{"Network.enable", nil},
		{"Emulation.setScriptExecutionDisabled", map[string]any{"value": true}},
		{"Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}},
	} {
		if err := c.call(ctx, s, step.method, step.params, nil); err != nil {
			return nil, err
		}
	}
	var nav struct{ ErrorText string }
	if err := c.call(ctx, s, "Page.navigate", map[string]any{"url": pageURL}, &nav); err != nil {
		return nil, err
	}
	if nav.ErrorText != "" {
		return nil, fmt.Errorf("navigating to %s: %s", pageURL, nav.ErrorText)
	}
	if err := c.waitEvent(ctx, s, "Page.loadEventFired"); err != nil {
		return nil, err
	}
	p := &Page{}
	var doc struct{ Root *Node }
	if err := c.call(ctx, s, "DOM.getDocument", map[string]any{"depth": -1}, &doc); err != nil {
		return nil, err
	}
	p.Root = doc.Root
	var metrics struct {
		CSSContentSize struct{ Width, Height float64 } `json:"cssContentSize"`
	}
	if err := c.call(ctx, s, "Page.getLayoutMetrics", nil, &metrics); err != nil {
		return nil, err
	}
	h := min(max(metrics.CSSContentSize.Height, float64(height)), 16384)
	var shot struct{ Data string }
	if err := c.call(ctx, s, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": width, "height": h, "scale": 1}}, &shot); err != nil {
		return nil, err
	}
	var err error
	if p.Screenshot, err = base64.StdEncoding.DecodeString(shot.Data); err != nil {
		return nil, err
	}
	// Messages logged while loading have arrived with the answers above; take them.
	for _, e := range c.events {
		if e.SessionID != s {
			continue
		}
		p.note(e)
	}
	return p, nil
}

// note records what an event says about the page.
func (p *Page) note(e message) {
	add := func(level, text, where string) {
		msg := level + ": " + text
		if where != "" {
			msg += " (" + where + ")"
		}
		switch level {
		case "error":
			p.Console = append(p.Console, msg)
			p.Errors = append(p.Errors, msg)
		case "warning":
			p.Console = append(p.Console, msg)
		}
	}
	switch e.Method {
	case "Log.entryAdded":
		var v struct {
			Entry struct{ Source, Level, Text, URL string }
		}
		json.Unmarshal(e.Params, &v)
		add(v.Entry.Level, v.Entry.Source+": "+v.Entry.Text, v.Entry.URL)
	case "Runtime.consoleAPICalled":
		p.ScriptsRan = true
		var v struct {
			Type string
			Args []struct {
				Value       any
				Description string
			}
		}
		json.Unmarshal(e.Params, &v)
		var parts []string
		for _, a := range v.Args {
			if a.Value != nil {
				parts = append(parts, fmt.Sprint(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		level := v.Type
		if level == "warn" {
			level = "warning"
		}
		if level == "assert" {
			level = "error"
		}
		add(level, "console."+v.Type+": "+strings.Join(parts, " "), "")
	case "Runtime.exceptionThrown":
		p.ScriptsRan = true
		var v struct {
			ExceptionDetails struct {
				Text      string
				URL       string
				Exception struct{ Description string }
			}
		}
		json.Unmarshal(e.Params, &v)
		add("error", "exception: "+v.ExceptionDetails.Text+" "+v.ExceptionDetails.Exception.Description, v.ExceptionDetails.URL)
	case "Network.requestWillBeSent":
		var v struct {
			Request struct{ URL string }
		}
		json.Unmarshal(e.Params, &v)
		p.Requests = append(p.Requests, v.Request.URL)
	case "Network.loadingFailed":
		var v struct {
			ErrorText     string
			BlockedReason string
		}
		json.Unmarshal(e.Params, &v)
		add("error", "loading failed: "+v.ErrorText+" "+v.BlockedReason, "")
	}
}
