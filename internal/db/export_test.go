package db

// RebindDollarForTest exposes the placeholder rewriter to the external tests.
var RebindDollarForTest = rebindDollar
