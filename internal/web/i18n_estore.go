package web

// estoreMessages holds the words of the estore pages, in Vietnamese and English.
var estoreMessages = map[string][2]string{}
