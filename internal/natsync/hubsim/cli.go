package hubsim

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Command runs `congso sim national-portal [flags]`: the simulated hub until
// ctx ends.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sim national-portal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8091", "address to listen on")
	token := fs.String("token", "congso-demo-hub-token", "bearer token the platform must present (empty: any)")
	apiKey := fs.String("api-key", "", "X-API-Key the platform must present (empty: none)")
	failure := fs.String("failure", "", "failure to start with: "+failureList())
	platform := fs.String("platform", "", "the platform's address, to file national dossiers into (e.g. http://127.0.0.1:8080)")
	platformToken := fs.String("platform-token", "", "token of the platform's national-portal machine account")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sim national-portal: unexpected argument %q", fs.Arg(0))
	}
	f, err := ParseFailure(*failure)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Cổng Dịch vụ công quốc gia mô phỏng tại http://%s. Cấu hình Cổng số: CONGSO_NATIONAL_PORTAL_URL=http://%s%s", *addr, *addr, Path)
	if *token != "" {
		fmt.Fprintf(stdout, " CONGSO_NATIONAL_PORTAL_TOKEN=%s", *token)
	}
	if *apiKey != "" {
		fmt.Fprintf(stdout, " CONGSO_NATIONAL_PORTAL_API_KEY=%s", *apiKey)
	}
	fmt.Fprintf(stdout, "\nXem bản ghi đã nhận: GET http://%s/_sim/received. Gây lỗi: POST http://%s/_sim/failure {\"mode\":\"%s\"}.\n",
		*addr, *addr, failureList())
	if *platform != "" {
		fmt.Fprintf(stdout, "Nộp hồ sơ quốc gia vào Cổng số: POST http://%s%s (JSON như natsync.InboundDossier).\n", *addr, FilePath)
	}
	return Serve(ctx, *addr, Options{Token: *token, APIKey: *apiKey, Failure: f, PlatformURL: *platform, PlatformToken: *platformToken,
		Log: slog.New(slog.NewTextHandler(stderr, nil))})
}

func failureList() string {
	var out []string
	for _, f := range Failures() {
		out = append(out, string(f))
	}
	return strings.Join(append(out, "none"), "|")
}
