// Package all registers every source kind; import it for its side effect.
package all

import (
	_ "github.com/usher-migrate/usher/sources/csvfile"  // csv
	_ "github.com/usher-migrate/usher/sources/jsonfile" // json
)
