package rating

// ParseCriteria exposes the criteria loader to the tests with other data.
var ParseCriteria = parseCriteria
