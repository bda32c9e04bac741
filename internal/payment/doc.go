// Package payment takes the fees and charges of administrative procedures
// (phí, lệ phí) online, through the Vietnamese payment gateways' signed
// redirect-and-callback protocol (VNPAY's, version 2.1.0, HMAC-SHA512).
//
// A citizen or organisation whose dossier waits for payment (state 6) starts
// a payment of what the dossier asks; the browser goes to the gateway's page
// with the signed order. The gateway's server-to-server callback (IPN) is the
// only thing that settles a payment: it is verified (signature in constant
// time, order, amount, state), logged whatever the verdict, idempotent, and a
// success records the payment on the dossier — which restarts its legal clock
// — in the same transaction. The browser's return only shows the result.
//
// The package also keeps the callback log, reconciles payments with the
// gateways (querydr) to show what was paid but not recorded and the reverse,
// prints the electronic receipt as a PDF with the amount in Vietnamese words,
// and runs a sandbox gateway of its own for the demo and the tests.
package payment
