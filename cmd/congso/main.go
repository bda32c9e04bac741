// Command congso runs the province's digital-government platform.
package main

import (
	"os"

	"github.com/congso/congso/internal/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
