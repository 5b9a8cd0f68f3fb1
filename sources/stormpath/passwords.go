package stormpath

// Stormpath's password strings ($stormpath1$, $stormpath2$) live in stormpathhash, registered
// with pipeline/hash/legacy when this system is linked in.
import _ "github.com/usher-migrate/usher/sources/stormpath/stormpathhash"
