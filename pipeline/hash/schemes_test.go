package hash

// Some cases below classify the password formats legacy systems register from their own
// folders (Gigya's password object, Stormpath's strings); link them in, as sources/all does for
// the binary.
import (
	_ "github.com/usher-migrate/usher/sources/gigya/gigyahash"
	_ "github.com/usher-migrate/usher/sources/stormpath/stormpathhash"
)
