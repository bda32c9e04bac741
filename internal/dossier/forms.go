package dossier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/forms"
)

// Forms lists the forms that can be printed for a dossier, by number.
func Forms() []string { return []string{"01", "02", "03", "04", "05", "06"} }

// FormTitle is a form's name in Vietnamese.
func FormTitle(n string) string {
	switch n {
	case "01":
		return "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
	case "02":
		return "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"
	case "03":
		return "Phiếu từ chối tiếp nhận giải quyết hồ sơ"
	case "04":
		return "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
	case "05":
		return "Thông báo dừng giải quyết hồ sơ"
	case "06":
		return "Phiếu kiểm soát quá trình giải quyết hồ sơ"
	}
	return ""
}

// StatusURL is the public status page of a dossier, printed as a QR code.
func (s *Service) StatusURL(code string) string {
	return strings.TrimRight(s.cfg.BaseURL, "/") + "/tra-cuu/" + code
}

// lastEvent finds the latest event of one of the actions.
func lastEvent(evs []Event, actions ...Action) (Event, bool) {
	for i := len(evs) - 1; i >= 0; i-- {
		for _, a := range actions {
			if evs[i].Action == a {
				return evs[i], true
			}
		}
	}
	return Event{}, false
}

func (s *Service) formAgency(ctx context.Context, id string) (forms.Agency, error) {
	a, err := s.agencies.AgencyInfo(ctx, id)
	if err != nil {
		return forms.Agency{}, err
	}
	return forms.Agency{Name: a.Name, Parent: strings.ToUpper(a.ParentName), Address: a.Address, Phone: a.Phone, Place: a.Place}, nil
}

// Form writes one of the forms 01–06 of the dossier as PDF. A form that the
// dossier's history does not call for (form 04 of a dossier nobody apologised
// for) is refused.
func (s *Service) Form(ctx context.Context, by *actor.Actor, code, n string, w io.Writer) error {
	if FormTitle(n) == "" {
		return apperr.New(apperr.NotFound, "Không có mẫu %q (các mẫu: 01–06).", n)
	}
	v, err := s.Get(ctx, by, code)
	if err != nil {
		return err
	}
	d := v.Dossier
	if d.ReceivedAt == nil && n != "02" && n != "03" {
		return apperr.New(apperr.Conflict, "Hồ sơ %s chưa được tiếp nhận; chưa có %s.", d.Code, strings.ToLower(FormTitle(n)))
	}
	ids := []string{}
	for _, e := range v.Events {
		ids = append(ids, e.ActorID)
	}
	for _, st := range v.Steps {
		ids = append(ids, st.FinishedBy, st.AssigneeID)
	}
	names, err := s.people.DisplayNames(ctx, ids)
	if err != nil {
		return apperr.Wrap(err, "read names")
	}
	fd, err := s.formDossier(ctx, &d, v.Events, names)
	if err != nil {
		return err
	}
	missing := func() error {
		return apperr.New(apperr.Conflict, "Hồ sơ %s không có %s.", d.Code, strings.ToLower(FormTitle(n)))
	}
	switch n {
	case "01":
		err = forms.Form01(w, fd)
	case "02":
		e, ok := lastEvent(v.Events, ActRequestSupplement)
		if !ok {
			return missing()
		}
		req := forms.SupplementRequest{Contact: names[e.ActorID], IssuedAt: e.At}
		docs, _ := e.Detail["documents"].([]any)
		for _, doc := range docs {
			if name, ok := doc.(string); ok {
				req.Items = append(req.Items, forms.SupplementItem{Document: name, Reason: e.Note})
			}
		}
		if len(req.Items) == 0 {
			req.Items = []forms.SupplementItem{{Document: e.Note}}
		}
		err = forms.Form02(w, fd, req)
	case "03":
		e, ok := lastEvent(v.Events, ActRefuse)
		if !ok {
			return missing()
		}
		err = forms.Form03(w, fd, forms.Refusal{Reason: e.Note, IssuedAt: e.At})
	case "04":
		e, ok := lastEvent(v.Events, ActApologise)
		if !ok {
			return missing()
		}
		oldDue, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(e.Detail["old_due"]))
		newDue, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(e.Detail["new_due"]))
		issuer, err := s.formAgency(ctx, d.AgencyID)
		if err != nil {
			return err
		}
		err = forms.Form04(w, fd, forms.Apology{Reason: e.Note, OldDue: oldDue, NewDue: newDue, IssuedAt: e.At, Issuer: issuer,
			Signer: forms.Signer{Title: "THỦ TRƯỞNG CƠ QUAN", Name: names[e.ActorID]}})
		if err != nil {
			return apperr.Wrap(err, "form 04")
		}
		return nil
	case "05":
		e, ok := lastEvent(v.Events, ActStop, ActWithdraw)
		if !ok {
			return missing()
		}
		issuer, err := s.formAgency(ctx, d.AgencyID)
		if err != nil {
			return err
		}
		notice := forms.StopNotice{Kind: forms.StopByAgency, Reason: e.Note, IssuedAt: e.At, Issuer: issuer,
			Signer: forms.Signer{Title: "THỦ TRƯỞNG CƠ QUAN", Name: names[e.ActorID]}}
		if e.Action == ActWithdraw {
			notice.Kind = forms.StopByApplicant
			if notice.Reason == "" {
				if req, ok := lastEvent(v.Events, ActRequestWithdrawal); ok {
					notice.Reason = req.Note
				}
			}
			if notice.Reason == "" {
				notice.Reason = "Người nộp hồ sơ xin rút hồ sơ."
			}
		}
		err = forms.Form05(w, fd, notice)
	case "06":
		err = forms.Form06(w, fd, s.processControl(ctx, &d, v.Steps, names))
	}
	if err != nil {
		var ie *forms.InputError
		if errors.As(err, &ie) {
			return apperr.New(apperr.Conflict, "Chưa in được %s: thiếu thông tin (%s).", strings.ToLower(FormTitle(n)), ie.Field)
		}
		return apperr.Wrap(err, "print form "+n)
	}
	return nil
}

func (s *Service) formDossier(ctx context.Context, d *Dossier, evs []Event, names map[string]string) (*forms.Dossier, error) {
	agency, err := s.formAgency(ctx, d.ReceivingAgencyID)
	if err != nil {
		return nil, err
	}
	fd := &forms.Dossier{Code: d.Code, ProcedureName: d.ProcedureName, Agency: agency,
		Applicant: forms.Person{Name: d.Applicant.Name, CitizenID: d.Applicant.IDNumber, Phone: d.Applicant.Phone, Email: d.Applicant.Email,
			Address: d.Applicant.Address},
		ProcessingTime: d.Limit.String(), Fees: d.FeeTotal, StatusURL: s.StatusURL(d.Code), ResultMode: forms.ResultAtCounter}
	if d.Applicant.Kind == string(actor.Organisation) {
		fd.Applicant.CitizenID = ""
	}
	if d.ResultDelivery == "post" {
		fd.ResultMode = forms.ResultByPost
	}
	fd.ReceivedAt = d.FiledAt
	if d.ReceivedAt != nil {
		fd.ReceivedAt = *d.ReceivedAt
	}
	fd.DueAt = fd.ReceivedAt
	if d.DueAt != nil {
		fd.DueAt = *d.DueAt
	}
	if e, ok := lastEvent(evs, ActReceive, ActAccept); ok {
		fd.Receiver = names[e.ActorID]
	}
	if p, err := s.catalog.Procedure(ctx, d.ProcedureID); err == nil {
		fd.Field = p.Field
		for _, doc := range p.Documents {
			fd.Documents = append(fd.Documents, forms.DocumentLine{Name: doc.Name, Originals: doc.Originals, Copies: doc.Copies})
		}
	}
	return fd, nil
}

func (s *Service) processControl(ctx context.Context, d *Dossier, steps []Step, names map[string]string) forms.ProcessControl {
	pc := forms.ProcessControl{IssuedAt: s.now()}
	agencyName := map[string]string{}
	for _, st := range steps {
		if _, ok := agencyName[st.AgencyID]; !ok {
			if a, err := s.agencies.AgencyInfo(ctx, st.AgencyID); err == nil {
				agencyName[st.AgencyID] = a.Name
			}
		}
		who := names[st.FinishedBy]
		if who == "" {
			who = names[st.AssigneeID]
		}
		row := forms.Step{Agency: agencyName[st.AgencyID], Actor: who, Role: st.Role.Label(), Action: st.Name, Received: st.StartedAt,
			Due: st.DueAt, Outcome: st.Outcome.Label()}
		if st.FinishedAt != nil {
			row.Done = *st.FinishedAt
		}
		pc.History = append(pc.History, row)
	}
	if d.ProcessedAt != nil {
		pc.Completed = *d.ProcessedAt
		pc.Outcome = d.Outcome.Label()
	}
	return pc
}

// Register writes the dossier register (form 07) of the dossiers the filter
// selects as a spreadsheet.
func (s *Service) Register(ctx context.Context, by *actor.Actor, f Filter, w io.Writer) error {
	const max = 20000
	f.Limit = 500
	var all []Dossier
	for {
		page, err := s.List(ctx, by, f)
		if err != nil {
			return err
		}
		all = append(all, page...)
		if len(page) < f.Limit || len(all) >= max {
			break
		}
		f.After = Cursor(page[len(page)-1])
	}
	reg := &forms.Register{From: f.From, Created: s.now()}
	if !f.To.IsZero() {
		reg.To = f.To.Add(-time.Nanosecond)
	}
	if f.AgencyID != "" {
		a, err := s.formAgency(ctx, f.AgencyID)
		if err != nil {
			return err
		}
		reg.Agency = a
	} else if id := by.PrimaryAgency(); id != "" {
		if a, err := s.formAgency(ctx, id); err == nil {
			reg.Agency = a
		}
	}
	names := map[string]string{}
	for i := len(all) - 1; i >= 0; i-- {
		d := all[i]
		if _, ok := names[d.AgencyID]; !ok {
			if a, err := s.agencies.AgencyInfo(ctx, d.AgencyID); err == nil {
				names[d.AgencyID] = a.Name
			}
		}
		row := forms.RegisterRow{Code: d.Code, Procedure: d.ProcedureName, Applicant: d.Applicant.Name, Address: d.Applicant.Address,
			Phone: d.Applicant.Phone, Received: d.FiledAt, Agency: names[d.AgencyID], Status: d.Status.Label(), Outcome: d.Outcome.Label()}
		if d.ReceivedAt != nil {
			row.Received = *d.ReceivedAt
		}
		if d.DueAt != nil {
			row.Due = *d.DueAt
		}
		if d.ProcessedAt != nil {
			row.Done = *d.ProcessedAt
		}
		if d.ReturnedAt != nil {
			row.Returned = *d.ReturnedAt
		}
		if d.Extended {
			row.Note = "Đã xin lỗi, hẹn lại"
		}
		reg.Rows = append(reg.Rows, row)
	}
	if err := forms.Register07(w, reg); err != nil {
		return apperr.Wrap(err, "write register")
	}
	return nil
}
