package gigya

// Gigya's password formats (the "gigya" password object of mappings and lazy profiles) live in
// gigyahash, registered with pipeline/hash/legacy when this system is linked in.
import _ "github.com/usher-migrate/usher/sources/gigya/gigyahash"
