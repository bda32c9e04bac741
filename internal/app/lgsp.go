package app

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/exchange/txlog"
	"github.com/congso/congso/internal/org"
)

// initExchange builds the integration platform (LGSP): registry, credentials,
// gateway and its transaction log.
func (a *App) initExchange(ctx context.Context) error {
	key, err := secret(a.cfg.Env, "CONGSO_LGSP_END_USER_KEY")
	if err != nil {
		return err
	}
	var endUserKey []byte
	if key != "" {
		endUserKey = []byte(key)
	}
	log := txlog.New(a.DB, txlog.Options{Logger: a.log})
	if a.Exchange, err = exchange.New(ctx, exchange.Deps{DB: a.DB, Audit: a.Audit, Agencies: exchangeAgencies{a.Org}, Log: log, Now: a.cfg.Now, Logger: a.log},
		exchange.Config{EndUserKey: endUserKey}); err != nil {
		return err
	}
	a.gateway = a.Exchange.Gateway(exchange.GatewayOptions{Logger: a.log})
	a.workers = append(a.workers, a.Exchange.Run)
	return nil
}

// withGateway sends /lgsp/ to the gateway, which authenticates its own
// consumers (API keys, tokens, certificates), so the session middleware must
// not see those requests.
func (a *App) withGateway(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/lgsp/") {
			a.gateway.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// exchangeAgencies gives the exchange the agencies that own systems.
type exchangeAgencies struct{ org *org.Service }

func (e exchangeAgencies) Member(ctx context.Context, id string) (exchange.Member, error) {
	ag, err := e.org.Agency(ctx, id)
	if err != nil {
		return exchange.Member{}, err
	}
	return exchange.Member{ID: ag.ID, Code: ag.Code, Name: ag.Name, Retired: ag.Retired()}, nil
}

// exchangeCommand is `congso exchange verify-log [--data DIR] [--json]
// [--checkpoint SEQ:HASH]…`.
func exchangeCommand(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "replay" || args[0] == "dead-letters") {
		return asyncCommand(ctx, cfg, args[0], args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "verify-log" {
		return errors.New("cách dùng: congso exchange verify-log [--json] [--checkpoint SỐ_THỨ_TỰ:MÃ_BĂM]…")
	}
	rest := args[1:]
	var passOn []string
	for i := 0; i < len(rest); i++ {
		switch {
		case (rest[i] == "--data" || rest[i] == "-data") && i+1 < len(rest):
			cfg.DataDir = rest[i+1]
			i++
		case strings.HasPrefix(rest[i], "--data="):
			cfg.DataDir = strings.TrimPrefix(rest[i], "--data=")
		default:
			passOn = append(passOn, rest[i])
		}
	}
	return withApp(ctx, cfg, []string{"--data", cfg.DataDir}, stderr, func(a *App, _ []string) error {
		if err := txlog.RunVerifyCLI(ctx, a.DB, passOn, stdout); errors.Is(err, txlog.ErrBroken) {
			return exitError(1)
		} else {
			return err
		}
	})
}
