package app

import (
	"context"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/adminunit"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/org"
)

// dossierAgencies gives the dossier system what the forms show of an agency:
// its superior body and the province named in the date line.
type dossierAgencies struct {
	org   *org.Service
	units *adminunit.Registry
	// place is the province's name, for agencies without a unit of their own.
	place string
	cache *ttlCache[dossier.Agency]
}

func (a dossierAgencies) AgencyInfo(ctx context.Context, id string) (dossier.Agency, error) {
	return a.cache.get(id, func() (dossier.Agency, error) { return a.load(ctx, id) })
}

func (a dossierAgencies) load(ctx context.Context, id string) (dossier.Agency, error) {
	ag, err := a.org.Agency(ctx, id)
	if err != nil {
		return dossier.Agency{}, err
	}
	out := dossier.Agency{ID: ag.ID, Code: ag.Code, Name: ag.Name, Address: ag.Address, Phone: ag.Phone, Place: a.place}
	if ag.ParentID != "" {
		if p, err := a.org.Agency(ctx, ag.ParentID); err == nil {
			out.ParentName = p.Name
		}
	}
	if uid, err := adminunit.ParseID(ag.UnitID); err == nil {
		if u, err := a.units.Unit(uid); err == nil {
			if p, err := a.units.Unit(adminunit.ID{Code: u.ProvinceCode, Edition: u.Edition}); err == nil {
				out.Place = p.Name
			}
		}
	}
	return out, nil
}

// dossierCatalog gives the dossier system the procedures of the catalogue.
type dossierCatalog struct {
	cat   *catalog.Service
	cache *ttlCache[dossier.Procedure]
}

func (c dossierCatalog) Procedure(ctx context.Context, id string) (dossier.Procedure, error) {
	return c.cache.get(id, func() (dossier.Procedure, error) { return c.load(ctx, id) })
}

func (c dossierCatalog) load(ctx context.Context, id string) (dossier.Procedure, error) {
	p, err := c.cat.Get(ctx, actor.SystemActor("dossier"), id)
	if err != nil {
		return dossier.Procedure{}, err
	}
	out := dossier.Procedure{ID: p.ID, Code: p.Code, Name: p.Name, Field: p.Field, Limit: p.TimeLimit, CutOff: p.CutOffClock(),
		AgencyIDs: p.AgencyIDs, OnlineLevel: string(p.OnlineLevel), Active: p.Active}
	for _, f := range p.Fees {
		out.Fees += f.Amount
	}
	for _, d := range p.Documents {
		out.Documents = append(out.Documents, dossier.Document{Name: d.Name, Originals: d.Originals, Copies: d.Copies})
	}
	for _, s := range p.Steps {
		out.Steps = append(out.Steps, dossier.PlanStep{Name: s.Name, Role: s.Role, Budget: s.Budget})
	}
	form := p.Form
	out.CheckForm = func(values map[string][]string) (map[string]any, error) { return form.Check(values, c.cat.CheckEnv()) }
	return out, nil
}
