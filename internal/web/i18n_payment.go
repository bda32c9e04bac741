package web

// paymentMessages holds the words of the payment pages, in Vietnamese and English.
var paymentMessages = map[string][2]string{}
