package store

// moreSources are the row sources of the v1 CSV types beyond the foundation's three.
var moreSources = map[string]Source{}
