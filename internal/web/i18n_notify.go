package web

// notifyMessages holds the words of the notify pages, in Vietnamese and English.
var notifyMessages = map[string][2]string{}
