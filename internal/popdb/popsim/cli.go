package popsim

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Command runs `congso sim population [flags]`: the fake population
// database until ctx ends.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sim population", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8092", "address to listen on")
	token := fs.String("token", "congso-demo-popdb-token", "bearer token the platform must present (empty: any)")
	failure := fs.String("failure", "", "failure to start with: "+failureList())
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sim population: unexpected argument %q", fs.Arg(0))
	}
	f, err := ParseFailure(*failure)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "CSDL quốc gia về dân cư mô phỏng tại http://%s (%d công dân mẫu). Cấu hình Cổng số: CONGSO_POPDB_URL=http://%s",
		*addr, len(DemoCitizens()), *addr)
	if *token != "" {
		fmt.Fprintf(stdout, " CONGSO_POPDB_TOKEN=%s", *token)
	}
	fmt.Fprintf(stdout, "\nGây lỗi: POST http://%s/_sim/failure {\"mode\":\"%s\"}.\n", *addr, failureList())
	return Serve(ctx, *addr, Options{Token: *token, Failure: f, Log: slog.New(slog.NewTextHandler(stderr, nil))})
}

func failureList() string {
	var out []string
	for _, f := range Failures() {
		out = append(out, string(f))
	}
	return strings.Join(append(out, "none"), "|")
}
