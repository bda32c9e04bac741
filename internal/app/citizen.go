package app

import (
	"context"
	"fmt"

	"github.com/congso/congso/internal/estore"
	"github.com/congso/congso/internal/httpx"
	"github.com/congso/congso/internal/natsync"
	"github.com/congso/congso/internal/notify"
	"github.com/congso/congso/internal/payment"
	"github.com/congso/congso/internal/popdb"
	"github.com/congso/congso/internal/rating"
)

// initCitizenChannel builds the parts of the citizen channel around the
// dossiers: notifications (e-mail and SMS when configured), ratings and
// complaints, online payment.
func (a *App) initCitizenChannel(ctx context.Context, agencies dossierAgencies) error {
	settings, err := notify.SettingsFromEnv(a.cfg.Env)
	if err != nil {
		return fmt.Errorf("notification settings: %w", err)
	}
	deps := notify.Deps{DB: a.DB, Audit: a.Audit, Now: a.cfg.Now, Log: a.log}
	// A nil sender switches its channel off; never store a typed nil.
	if settings.SMTP != nil {
		m, err := notify.NewMailer(*settings.SMTP, a.cfg.Now)
		if err != nil {
			return fmt.Errorf("mail: %w", err)
		}
		deps.Mail = m
	}
	if settings.SMS != nil {
		p, err := notify.NewSMSProvider(*settings.SMS)
		if err != nil {
			return fmt.Errorf("SMS: %w", err)
		}
		deps.SMS = p
	}
	cfg := settings.Service
	cfg.BaseURL = a.baseURL()
	if cfg.PayURL == "" {
		cfg.PayURL = "/thanh-toan/{code}"
	}
	a.Notify = notify.New(deps, cfg)
	a.Dossiers.Listen(a.Notify)
	a.workers = append(a.workers, func(ctx context.Context) { a.Notify.Run(ctx) })

	if a.Rating, err = rating.NewService(rating.Deps{DB: a.DB, Audit: a.Audit, Dossiers: rating.DossierSystem{Svc: a.Dossiers},
		Calendars: a.Calendar, Now: a.cfg.Now}, rating.Config{}); err != nil {
		return fmt.Errorf("ratings: %w", err)
	}
	payCfg, err := payment.ConfigFromEnv(a.cfg.Env, a.baseURL(), a.cfg.Demo)
	if err != nil {
		return fmt.Errorf("payment settings: %w", err)
	}
	if a.Payments, err = payment.New(payment.Deps{DB: a.DB, Audit: a.Audit, Dossiers: a.Dossiers, Agencies: agencies, Now: a.cfg.Now,
		Log: a.log}, payCfg); err != nil {
		return fmt.Errorf("payments: %w", err)
	}

	popCfg, err := popdb.ConfigFromEnv(a.cfg.Env)
	if err != nil {
		return fmt.Errorf("population database settings: %w", err)
	}
	natCfg, err := natsync.ConfigFromEnv(a.cfg.Env, a.baseURL())
	if err != nil {
		return fmt.Errorf("national portal settings: %w", err)
	}
	popHTTP, natHTTP, err := a.nationalThroughLGSP(ctx, &popCfg, &natCfg)
	if err != nil {
		return err
	}
	a.Population = popdb.New(popdb.Deps{DB: a.DB, Audit: a.Audit, HTTP: popHTTP, Now: a.cfg.Now, Log: a.log}, popCfg)
	natCfg.BaseURL = a.baseURL()
	// New registers the sync as a listener of every dossier change itself.
	a.NatSync = natsync.New(natsync.Deps{DB: a.DB, Audit: a.Audit, Dossiers: a.Dossiers, Population: a.Population, HTTP: natHTTP,
		Now: a.cfg.Now, Log: a.log}, natCfg)
	a.workers = append(a.workers, func(ctx context.Context) { a.NatSync.Run(ctx) })
	return nil
}

// registerCitizenAPI adds the citizen channel's JSON APIs.
func (a *App) registerCitizenAPI(r *httpx.Router) {
	notify.API{Svc: a.Notify, Log: a.log}.Register(r)
	rating.API{Svc: a.Rating, Log: a.log}.Register(r)
	estore.API{Svc: a.EStore, Log: a.log}.Register(r)
	payment.API{Svc: a.Payments, Log: a.log}.Register(r)
	natsync.API{Svc: a.NatSync, Log: a.log}.Register(r)
	popdb.API{Svc: a.Population, Log: a.log}.Register(r)
}

// citizenOpenAPI lists the citizen channel's API fragments.
func citizenOpenAPI() [][]byte {
	return [][]byte{notify.OpenAPI, rating.OpenAPI, estore.OpenAPI, payment.OpenAPI, natsync.OpenAPI, popdb.OpenAPI}
}
