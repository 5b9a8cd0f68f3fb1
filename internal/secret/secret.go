// Package secret reads credentials for live sources from a file or an environment variable,
// never from a command-line value (which `ps` shows to every user of the machine).
package secret

import (
	"fmt"
	"os"
	"strings"

	"github.com/usher-migrate/usher/internal/smallfile"
)

// Read returns the secret held in file (trimmed of surrounding whitespace) when file is set,
// else the value of the environment variable env. what names the secret in errors; the value
// itself never appears in one.
func Read(what, file, env string) (string, error) {
	if file != "" {
		b, err := smallfile.Read(file)
		if err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", fmt.Errorf("%s: %s is empty", what, file)
		}
		return s, nil
	}
	if s := strings.TrimSpace(os.Getenv(env)); s != "" {
		return s, nil
	}
	return "", fmt.Errorf("%s: give a file holding it or set %s", what, env)
}
