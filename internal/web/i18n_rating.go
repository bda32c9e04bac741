package web

// ratingMessages holds the words of the rating pages, in Vietnamese and English.
var ratingMessages = map[string][2]string{}
