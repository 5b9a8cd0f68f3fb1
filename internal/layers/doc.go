// Package layers holds the test that keeps the repository's packages in their layers: internal
// at the bottom, then pipeline, then mappings and sinks, then sources, then the hook and the
// commands on top; no package imports one above it (tests may, to link in what they exercise).
package layers
