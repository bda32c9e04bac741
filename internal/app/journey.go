package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/congso/congso/internal/bench"
)

// benchPortal runs `congso bench portal [flags]`: the public pages under
// concurrent load next to /healthz.
func benchPortal(ctx context.Context, exe string, args []string, stdout, stderr io.Writer) error {
	o := bench.PortalOptions{Binary: exe}
	fs := flag.NewFlagSet("bench portal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Engine, "engine", "sqlite", "database engine: sqlite or postgres")
	fs.StringVar(&o.PostgresURL, "postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server where the bench may create a database")
	fs.IntVar(&o.Concurrency, "concurrency", 64, "concurrent clients")
	fs.DurationVar(&o.Duration, "duration", 5*time.Second, "length of each load phase")
	fs.IntVar(&o.Rounds, "rounds", 2, "rounds of the interleaved phases")
	fs.BoolVar(&o.Uncached, "uncached", true, "also measure the pages on a platform with the public page cache off")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Concurrency < 1 || o.Duration <= 0 || o.Rounds < 1 {
		return errors.New("--concurrency, --duration and --rounds must be positive")
	}
	if o.Engine != "sqlite" && o.Engine != "postgres" {
		return errors.New("--engine is sqlite or postgres")
	}
	return bench.Portal(ctx, o, stdout)
}

// publicCacheTTL is how long the public catalogue and status pages served to
// visitors who are not signed in are kept (a status page is dropped at once
// when its dossier changes): CONGSO_PUBLIC_CACHE_TTL, 2s by default, 0 to
// turn the cache off.
func publicCacheTTL(getenv Getenv) (time.Duration, error) {
	v := ""
	if getenv != nil {
		v = strings.TrimSpace(getenv("CONGSO_PUBLIC_CACHE_TTL"))
	}
	if v == "" {
		return 2 * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > time.Minute {
		return 0, fmt.Errorf("CONGSO_PUBLIC_CACHE_TTL=%q: a duration between 0s and 1m", v)
	}
	return d, nil
}
