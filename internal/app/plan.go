package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/indicator"
	"github.com/congso/congso/internal/notify"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/plan"
)

// initPlans builds the digital-transformation plans; in demo mode it loads
// the shipped plans (after the demo agencies, which they map to).
func (a *App) initPlans(ctx context.Context) error {
	cfg, err := planConfig(a.cfg.Env)
	if err != nil {
		return err
	}
	a.Plans = plan.New(plan.Deps{DB: a.DB, Audit: a.Audit, Agencies: planAgencies{a.Org},
		Measurer: newPlanMeasurer(a.Indicators),
		Reminder: planReminder{org: a.Org, notify: a.Notify}, Now: a.cfg.Now, Log: a.log}, cfg)
	if a.cfg.Demo {
		if _, err := a.Plans.LoadShipped(ctx, actor.SystemActor("demo")); err != nil {
			return fmt.Errorf("load the shipped plans: %w", err)
		}
	}
	a.workers = append(a.workers, func(ctx context.Context) { a.Plans.RunReminders(ctx, time.Hour) })
	return nil
}

// planConfig reads CONGSO_PLAN_REMIND_BEFORE and CONGSO_PLAN_REMIND_AFTER
// (days; 0 or unset: the defaults, negative: no reminder).
func planConfig(env Getenv) (plan.Config, error) {
	var cfg plan.Config
	if env == nil {
		return cfg, nil
	}
	for name, dst := range map[string]*int{"CONGSO_PLAN_REMIND_BEFORE": &cfg.RemindBefore, "CONGSO_PLAN_REMIND_AFTER": &cfg.RemindAfter} {
		if s := env(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n > 60 {
				return cfg, fmt.Errorf("%s must be a number of days up to 60", name)
			}
			*dst = n
		}
	}
	return cfg, nil
}

// planMeasurer measures the plans' live indicators with the service
// scorecard's rates, brought up to date with the dossiers first so that a
// change shows at once.
type planMeasurer struct {
	ind *indicator.Service
	mu  *sync.Mutex
}

func newPlanMeasurer(ind *indicator.Service) planMeasurer {
	return planMeasurer{ind: ind, mu: &sync.Mutex{}}
}

var planMetrics = map[plan.Metric]indicator.Metric{
	plan.OnlineRate:        indicator.OnlineRate,
	plan.OnTimeRate:        indicator.OnTimeRate,
	plan.OnlinePaymentRate: indicator.OnlinePaymentRate,
	plan.DigitisedRate:     indicator.DigitisedResult,
	plan.SatisfactionRate:  indicator.SatisfactionRate,
}

func (m planMeasurer) Measure(ctx context.Context, metric plan.Metric, scope string, from, to time.Time) (float64, bool, error) {
	im, ok := planMetrics[metric]
	if !ok {
		return 0, false, apperr.Field("metric", "Chỉ số không được hỗ trợ.")
	}
	m.mu.Lock()
	_, err := m.ind.Refresh(ctx)
	m.mu.Unlock()
	if err != nil {
		return 0, false, err
	}
	sc := indicator.Scope{Kind: indicator.Province}
	if scope != "" {
		sc = indicator.Scope{Kind: indicator.Agency, ID: scope}
	}
	p := indicator.Period{From: calendar.DateOf(from), To: calendar.DateOf(to.Add(-time.Nanosecond))}
	f, err := m.ind.Rate(ctx, im, sc, p)
	if err != nil || f.Den == 0 {
		return 0, false, err
	}
	return 100 * f.Rate(), true, nil
}

// MeasuredAgencies lists the agencies that received dossiers in [from, to).
func (m planMeasurer) MeasuredAgencies(ctx context.Context, from, to time.Time) ([]plan.AgencyRef, error) {
	m.mu.Lock()
	_, err := m.ind.Refresh(ctx)
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	p := indicator.Period{From: calendar.DateOf(from), To: calendar.DateOf(to.Add(-time.Nanosecond))}
	rk, err := m.ind.Rank(ctx, indicator.Agency, p)
	if err != nil {
		return nil, err
	}
	out := []plan.AgencyRef{}
	for _, r := range rk.Rows {
		if r.Received > 0 {
			out = append(out, plan.AgencyRef{ID: r.ID, Name: r.Name})
		}
	}
	return out, nil
}

// planAgencies resolves the agencies plans name.
type planAgencies struct{ org *org.Service }

func (p planAgencies) AgencyByCode(ctx context.Context, code string) (string, string, bool, error) {
	ag, err := p.org.AgencyByCode(ctx, code)
	if apperr.CodeOf(err) == apperr.NotFound {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, err
	}
	return ag.ID, ag.Name, true, nil
}

func (p planAgencies) AgencyName(ctx context.Context, id string) (string, error) {
	ag, err := p.org.Agency(ctx, id)
	return ag.Name, err
}

// planReminder sends the quarterly report reminders to the heads and
// administrators of an agency through the notification outbox.
type planReminder struct {
	org    *org.Service
	notify *notify.Service
}

func (r planReminder) RemindAgency(ctx context.Context, tx *db.Tx, agencyID, ref, subject, body string) (int, error) {
	staff, err := r.org.Staff(ctx, actor.SystemActor("plan"), agencyID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range staff {
		for _, role := range m.Roles {
			if role == actor.Head || role == actor.AgencyAdmin {
				q, err := r.notify.QueueForUser(ctx, tx, m.UserID, ref, subject, body)
				if err != nil {
					return n, err
				}
				n += q
				break
			}
		}
	}
	return n, nil
}

// planCommand is `congso plan import FILE.xlsx` and `congso plan template
// KEY > FILE.xlsx` (a shipped plan as a workbook to start from).
func planCommand(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	const use = "cách dùng: congso plan import [--data DIR] TỆP.xlsx | congso plan template MÃ_KẾ_HOẠCH > TỆP.xlsx"
	if len(args) == 0 {
		return errors.New(use)
	}
	switch args[0] {
	case "template":
		if len(args) != 2 {
			return errors.New(use)
		}
		defs, err := plan.Shipped()
		if err != nil {
			return err
		}
		for _, d := range defs {
			if d.Key == args[1] {
				return plan.WriteDefinitionXLSX(stdout, d)
			}
		}
		return fmt.Errorf("không có kế hoạch mẫu %q", args[1])
	case "import":
		return withApp(ctx, cfg, args[1:], stderr, func(a *App, rest []string) error {
			if len(rest) != 1 {
				return errors.New(use)
			}
			f, err := os.Open(rest[0])
			if err != nil {
				return err
			}
			defer f.Close()
			d, err := plan.ReadDefinitionXLSX(f)
			if err != nil {
				return err
			}
			p, _, err := a.Plans.Load(ctx, actor.SystemActor("import"), d, true)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Đã nạp kế hoạch “%s”: %d chỉ tiêu, %d nhiệm vụ.\n", p.Title, p.Indicators, p.Tasks)
			return nil
		})
	}
	return errors.New(use)
}
