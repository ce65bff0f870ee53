package catalog

// accountingTypes holds the monthly accounting package (a ZIP of 11 CSVs).
var accountingTypes = []Type{}
