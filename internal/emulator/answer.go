package emulator

import (
	"net/http"
	"strconv"
)

// Write answers status and body with a Content-Length of len(body), after setting the fields
// of h (nil: none) on w's header, replacing fields of the same name.
func Write(w http.ResponseWriter, h http.Header, status int, body []byte) {
	setHeader(w, h, len(body))
	w.WriteHeader(status)
	w.Write(body)
}

// Truncatable reports whether the truncate fault cuts an answer: a 200 whose body has two
// bytes or more (half of it is then something, and not all of it).
func Truncatable(status int, body []byte) bool {
	return status == http.StatusOK && len(body) > 1
}

// WriteTruncated is Write cut short, the truncate fault: the header announces len(body) bytes
// and "Connection: close", only the first half of body is sent (and flushed), and the handler
// is aborted with http.ErrAbortHandler, which net/http recovers by closing the connection. The
// client sees a body shorter than its Content-Length. It does not return.
func WriteTruncated(w http.ResponseWriter, h http.Header, status int, body []byte) {
	setHeader(w, h, len(body))
	w.Header().Set("Connection", "close")
	w.WriteHeader(status)
	w.Write(body[:len(body)/2])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	panic(http.ErrAbortHandler)
}

func setHeader(w http.ResponseWriter, h http.Header, n int) {
	for k, v := range h {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(n))
}
