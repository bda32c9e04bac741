package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/exchange/async"
	"github.com/congso/congso/internal/httpx"
)

// DossierStatusTopic is the platform's feed of dossier status changes.
const DossierStatusTopic = "dossier.status"

// asyncParts is the LGSP async exchange: its service and the queue that
// delivers.
type asyncParts struct {
	svc   *async.Service
	queue async.Queue
}

// initAsync builds the async exchange on the LGSP's systems and credentials:
// the queue in the database, or on NATS JetStream when CONGSO_NATS_URL is set;
// its delivery workers run with the platform's background work; the
// platform's feed of dossier status changes; /lgsp/topics/ in front of the
// gateway.
func (a *App) initAsync(ctx context.Context) error {
	svc := async.New(async.Deps{DB: a.DB, Audit: a.Audit, Exchange: a.Exchange, Now: a.cfg.Now, Logger: a.log})
	natsURL := ""
	if a.cfg.Env != nil {
		var err error
		if natsURL, err = secret(a.cfg.Env, "CONGSO_NATS_URL"); err != nil {
			return err
		}
	}
	opts := async.Options{Logger: a.log}
	var q async.Queue
	if natsURL != "" {
		q = async.NewNATSQueue(a.DB, opts, async.NATSOptions{URL: natsURL, Stream: a.cfg.Env("CONGSO_NATS_STREAM")})
	} else {
		q = async.NewDBQueue(a.DB, opts)
	}
	svc.Attach(q)
	a.async = &asyncParts{svc: svc, queue: q}
	a.workers = append(a.workers, func(ctx context.Context) {
		for {
			err := q.Run(ctx)
			if ctx.Err() != nil {
				return
			}
			a.log.Error("LGSP async delivery stopped; restarting", "queue", q.Name(), "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Second):
			}
		}
	})
	a.workers = append(a.workers, func(ctx context.Context) {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := svc.Purge(ctx, 30*24*time.Hour); err != nil && ctx.Err() == nil {
					a.log.Error("LGSP async: purge delivered messages", "err", err)
				}
			}
		}
	})
	if _, err := svc.EnsureTopic(ctx, async.TopicInput{Code: DossierStatusTopic, Name: "Trạng thái hồ sơ thủ tục hành chính",
		Description: "Mỗi lần một hồ sơ đổi trạng thái: mã hồ sơ, trạng thái mới và cũ, cơ quan, thủ tục, thời điểm, hạn xử lý. Không có dữ liệu cá nhân."}); err != nil {
		return fmt.Errorf("the dossier status topic: %w", err)
	}
	a.Dossiers.Listen(dossierFeed{svc})
	gw := async.Gateway{Svc: svc, Log: a.log}
	next := a.gateway
	a.gateway = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, async.Prefix) {
			gw.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
	return nil
}

func (a *App) registerAsyncAPI(r *httpx.Router) {
	async.API{Svc: a.async.svc, Log: a.log}.Register(r)
}

// dossierFeed publishes every status change of a dossier to the
// dossier.status topic, in the transaction that makes the change.
type dossierFeed struct{ svc *async.Service }

// DossierStatus is a message of the dossier.status topic: no personal data.
type DossierStatus struct {
	DossierCode    string         `json:"dossier_code"`
	Seq            int            `json:"seq"`
	Status         dossier.Status `json:"status"`
	PreviousStatus dossier.Status `json:"previous_status"`
	Action         string         `json:"action"`
	AgencyID       string         `json:"agency_id"`
	ProcedureCode  string         `json:"procedure_code"`
	Channel        string         `json:"channel"`
	ChangedAt      time.Time      `json:"changed_at"`
	DueAt          *time.Time     `json:"due_at,omitempty"`
}

func (f dossierFeed) DossierChanged(ctx context.Context, tx *db.Tx, d *dossier.Dossier, e dossier.Event) error {
	if e.FromStatus == e.ToStatus {
		return nil
	}
	b, err := json.Marshal(DossierStatus{DossierCode: d.Code, Seq: e.Seq, Status: e.ToStatus, PreviousStatus: e.FromStatus, Action: string(e.Action),
		AgencyID: d.AgencyID, ProcedureCode: d.ProcedureCode, Channel: string(d.Channel), ChangedAt: e.At.UTC(), DueAt: d.DueAt})
	if err != nil {
		return fmt.Errorf("encode dossier status message: %w", err)
	}
	_, err = f.svc.PublishTx(ctx, tx, DossierStatusTopic, async.PlatformPublisher, async.KeyOf(d.Code, strconv.Itoa(e.Seq)), b)
	return err
}

// asyncCommand is `congso exchange dead-letters|replay --topic CODE …`.
func asyncCommand(ctx context.Context, cfg Config, sub string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("exchange "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "folder of the embedded database")
	topic := fs.String("topic", "", "topic code")
	subscription := fs.String("subscription", "", "only this subscription (ID)")
	var ids roleFlag
	fs.Var(&ids, "delivery", "only this dead letter (ID; repeatable)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *topic == "" {
		return errors.New("cách dùng: congso exchange " + sub + " --topic MÃ_CHỦ_ĐỀ [--subscription ID] [--delivery ID]… [--json]")
	}
	return withApp(ctx, cfg, []string{"--data", cfg.DataDir}, stderr, func(a *App, _ []string) error {
		by := actor.SystemActor("cli")
		t, err := a.async.svc.TopicByCode(ctx, *topic)
		if err != nil {
			return err
		}
		if sub == "dead-letters" {
			list, err := a.async.svc.DeadLetters(ctx, by, t.ID, 1000)
			if err != nil {
				return err
			}
			if *asJSON {
				if list == nil {
					list = []async.Delivery{}
				}
				return json.NewEncoder(stdout).Encode(map[string]any{"items": list})
			}
			tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "THƯ\tĐĂNG KÝ\tKHÓA\tSỐ LẦN\tLỖI CUỐI")
			for _, d := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d %s\n", d.ID, d.SubscriptionID, d.IdempotencyKey, d.Attempts, d.LastStatus, d.LastError)
			}
			return tw.Flush()
		}
		n, err := a.async.svc.Replay(ctx, by, async.ReplayFilter{TopicID: t.ID, SubscriptionID: *subscription, DeliveryIDs: ids})
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(map[string]int{"replayed": n})
		}
		fmt.Fprintf(stdout, "Đã đưa %d thư chết của chủ đề %s trở lại hàng đợi.\n", n, t.Code)
		return nil
	})
}

// asyncService is the async exchange's service for the admin pages (nil
// before initAsync).
func (a *App) asyncService() *async.Service {
	if a.async == nil {
		return nil
	}
	return a.async.svc
}
