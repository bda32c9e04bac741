package web

import (
	"context"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/estore"
)

// The filing form offers, for each paper of the procedure, "chọn từ kho dữ
// liệu": an item of the applicant's personal e-data store, reused instead of
// a new upload (dossier.CreateInput.FromStore). The dossier service checks
// the item's owner and validity again through its EStore when it files.

// portalStoreItem is an item of the applicant's e-data store as the filing
// form offers it.
type portalStoreItem struct {
	ID string
	// Name is what the citizen recognises: the paper, its file and dates.
	Name string
	// Document is the kind of paper ("Giấy khai sinh").
	Document string
}

// portalStoreMax bounds the items offered in one form.
const portalStoreMax = 200

// storeItems lists the items of the applicant's e-data store that can be
// reused in a dossier: not expired. Without a store, nothing.
func (p *portal) storeItems(ctx context.Context, a *actor.Actor) ([]portalStoreItem, error) {
	if p.store == nil {
		return nil, nil
	}
	items, err := p.store.List(ctx, a, estore.Filter{Limit: portalStoreMax})
	if err != nil {
		return nil, err
	}
	out := make([]portalStoreItem, 0, len(items))
	for _, it := range items {
		if it.Validity == estore.Expired {
			continue
		}
		name := it.Document
		if name == "" {
			name = it.FileName
		} else if it.FileName != "" {
			name += " — " + it.FileName
		}
		if it.IssuedOn != nil {
			name += " (" + estore.VietDate(*it.IssuedOn) + ")"
		}
		out = append(out, portalStoreItem{ID: it.ID, Name: name, Document: it.Document})
	}
	return out, nil
}
