package web

// adminMessages holds the words of the administration pages, in Vietnamese
// and English.
var adminMessages = map[string][2]string{}
