package exchange

import (
	"context"
	"errors"
	"io"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/exchange/txlog"
)

// Reading the transaction log: province-wide roles see every entry; an
// agency's admins see the entries whose consumer or provider is one of
// their agency's systems.

func (s *Service) logScope(ctx context.Context, by *actor.Actor, f *txlog.Filter) error {
	if mayReadAll(by) {
		return nil
	}
	if by == nil || !by.IsOfficial() || !by.HasAnywhere(actor.AgencyAdmin) {
		return actor.Deny(by, "Chỉ quản trị cơ quan và quản trị, theo dõi toàn tỉnh được xem nhật ký giao dịch LGSP.")
	}
	var ids []string
	for _, agency := range by.AgencyIDs() {
		if !by.Has(actor.AgencyAdmin, agency) {
			continue
		}
		list, err := listSystems(ctx, s.db, SystemFilter{AgencyID: agency, Limit: 10000})
		if err != nil {
			return err
		}
		for _, sys := range list {
			ids = append(ids, sys.ID)
		}
	}
	if ids == nil {
		ids = []string{}
	}
	f.Systems = ids
	return nil
}

// SearchLog returns log entries, newest first.
func (s *Service) SearchLog(ctx context.Context, by *actor.Actor, f txlog.Filter) ([]txlog.Entry, error) {
	if err := s.logScope(ctx, by, &f); err != nil {
		return nil, err
	}
	out, err := txlog.Search(ctx, s.db, f)
	return out, apperr.Wrap(err, "search log")
}

// ExportLog writes the selected entries as CSV, with system and service
// codes instead of IDs.
func (s *Service) ExportLog(ctx context.Context, by *actor.Actor, f txlog.Filter, w io.Writer) error {
	if err := s.logScope(ctx, by, &f); err != nil {
		return err
	}
	names, err := s.names(ctx)
	if err != nil {
		return err
	}
	return apperr.Wrap(txlog.ExportCSV(ctx, s.db, f, names, w), "export log")
}

// names maps system and service IDs to their codes.
func (s *Service) names(ctx context.Context) (txlog.Names, error) {
	m := map[string]string{}
	systems, err := listSystems(ctx, s.db, SystemFilter{Limit: 100000})
	if err != nil {
		return nil, err
	}
	for _, sys := range systems {
		m[sys.ID] = sys.Code
	}
	services, err := listServices(ctx, s.db, ServiceFilter{})
	if err != nil {
		return nil, err
	}
	for _, v := range services {
		m[v.ID] = v.ProviderCode + "/" + v.Code
	}
	return func(id string) string {
		if n, ok := m[id]; ok {
			return n
		}
		return id
	}, nil
}

// LogStat is a row of statistics with codes beside the IDs.
type LogStat struct {
	txlog.Stat
	Service  string `json:"service,omitempty"`
	Consumer string `json:"consumer,omitempty"`
}

// LogStats counts calls grouped by service, consumer and/or day.
func (s *Service) LogStats(ctx context.Context, by *actor.Actor, f txlog.Filter, groups ...txlog.Group) ([]LogStat, error) {
	if err := s.logScope(ctx, by, &f); err != nil {
		return nil, err
	}
	rows, err := txlog.Statistics(ctx, s.db, f, groups...)
	if err != nil {
		return nil, apperr.Wrap(err, "log statistics")
	}
	names, err := s.names(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]LogStat, 0, len(rows))
	for _, r := range rows {
		st := LogStat{Stat: r}
		if r.ServiceID != "" {
			st.Service = names(r.ServiceID)
		}
		if r.ConsumerID != "" {
			st.Consumer = names(r.ConsumerID)
		}
		out = append(out, st)
	}
	return out, nil
}

// LogEntry reads one entry with its bodies where kept. Bodies may hold
// personal data: reading them is audited.
func (s *Service) LogEntry(ctx context.Context, by *actor.Actor, seq int64) (txlog.Entry, *txlog.Bodies, error) {
	f := txlog.Filter{}
	if err := s.logScope(ctx, by, &f); err != nil {
		return txlog.Entry{}, nil, err
	}
	e, b, err := txlog.Get(ctx, s.db, seq)
	if errors.Is(err, txlog.ErrNotFound) {
		return e, nil, apperr.New(apperr.NotFound, "Không có mục nhật ký này.")
	}
	if err != nil {
		return e, nil, apperr.Wrap(err, "read log entry")
	}
	if f.Systems != nil {
		ok := false
		for _, id := range f.Systems {
			ok = ok || id == e.ConsumerID || id == e.ProviderID
		}
		if !ok {
			return txlog.Entry{}, nil, apperr.New(apperr.NotFound, "Không có mục nhật ký này.")
		}
	}
	if b != nil {
		if err := s.audit.Record(ctx, by, audit.Event{Action: audit.ActionReadPersonal, ObjectType: "exchange_txlog",
			ObjectID: e.RequestID, Detail: map[string]any{"seq": e.Seq}}); err != nil {
			return e, nil, err
		}
	}
	return e, b, nil
}

// VerifyLog checks the transaction log's chain (province admins).
func (s *Service) VerifyLog(ctx context.Context, by *actor.Actor) (txlog.Report, error) {
	if !by.ProvinceAdmin() {
		return txlog.Report{}, actor.Deny(by, "Chỉ quản trị toàn tỉnh được kiểm tra toàn bộ nhật ký.")
	}
	rep, err := txlog.Verify(ctx, s.db)
	return rep, apperr.Wrap(err, "verify log")
}
