package web

// portalMessages holds the words of the portal pages, in Vietnamese and English.
var portalMessages = map[string][2]string{}
