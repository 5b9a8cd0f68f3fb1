package mappings

// The built-in mappings these tests load (sources/*/mapping.yaml) name the password formats of
// their systems, which the systems register from their own folders; link them in, as
// sources/all does for the binary.
import (
	_ "github.com/usher-migrate/usher/sources/gigya/gigyahash"
	_ "github.com/usher-migrate/usher/sources/stormpath/stormpathhash"
)
