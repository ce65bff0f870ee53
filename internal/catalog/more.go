package catalog

// moreTypes are the v1 CSV types beyond the foundation's three.
var moreTypes = []Type{}
