package draft_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/draft"
	"github.com/congso/congso/internal/identity"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// accounts opens two citizens and an official and returns their actors.
func accounts(t *testing.T, d *db.DB) (an, binh, official *actor.Actor) {
	t.Helper()
	ctx := context.Background()
	cfg := identity.DefaultConfig()
	cfg.Argon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	ids, err := identity.New(d, audit.New(d, time.Now), nil, time.Now, cfg)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(in identity.NewUser) *actor.Actor {
		by := (*actor.Actor)(nil)
		if in.Kind == actor.Official {
			by = actor.SystemActor("test")
		}
		u, err := ids.Create(ctx, by, in)
		if err != nil {
			t.Fatalf("create %s: %v", in.Username, err)
		}
		return &actor.Actor{UserID: u.ID, Kind: u.Kind, Username: u.Username}
	}
	an = mk(identity.NewUser{Kind: actor.Citizen, Username: "042090001234", DisplayName: "Nguyễn Văn An", CitizenID: "042090001234",
		Password: "matkhau2026"})
	binh = mk(identity.NewUser{Kind: actor.Citizen, Username: "042185003456", DisplayName: "Trần Thị Bình", CitizenID: "042185003456",
		Password: "matkhau2026"})
	official = mk(identity.NewUser{Kind: actor.Official, Username: "tiepnhan", DisplayName: "Lê Thị Tiếp Nhận", Password: "matkhau2026"})
	return an, binh, official
}

func TestDrafts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)}
		svc := draft.New(d, c.Now, draft.Config{MaxPerOwner: 3})
		an, binh, official := accounts(t, d)

		// Saving creates a draft with the values cleaned: NFC, empty values
		// dropped.
		decomposed := "Nguye\u0302\u0303n Minh Khang" // "Nguyễn" typed with combining marks
		saved, err := svc.Save(ctx, an, draft.Draft{ProcedureID: "p1", ProcedureName: "Đăng ký khai sinh", AgencyID: "a1",
			ResultDelivery: "post", Values: map[string][]string{"ho_ten_tre": {decomposed}, "dan_toc": {" "}, "applicant.phone": {"0912345678"}}})
		if err != nil {
			t.Fatal(err)
		}
		if saved.ID == "" || saved.OwnerID != an.UserID || !saved.CreatedAt.Equal(c.Now()) {
			t.Fatalf("saved %+v", saved)
		}
		got, err := svc.Get(ctx, an, saved.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Values["ho_ten_tre"][0] != "Nguyễn Minh Khang" || got.Values["dan_toc"] != nil || got.AgencyID != "a1" ||
			got.ResultDelivery != "post" || got.ProcedureName != "Đăng ký khai sinh" {
			t.Errorf("read back %+v", got)
		}

		// Resaving replaces the values and keeps the creation time.
		c.Add(time.Hour)
		got.Values["dan_toc"] = []string{"Kinh"}
		again, err := svc.Save(ctx, an, got)
		if err != nil {
			t.Fatal(err)
		}
		if !again.CreatedAt.Equal(saved.CreatedAt) || !again.UpdatedAt.Equal(c.Now()) || again.ID != saved.ID {
			t.Errorf("resaved %+v", again)
		}
		if got, _ := svc.Get(ctx, an, saved.ID); got.Values["dan_toc"][0] != "Kinh" {
			t.Errorf("values not replaced: %v", got.Values)
		}

		// Nobody else sees, changes or deletes it: "not found", not "forbidden".
		if _, err := svc.Get(ctx, binh, saved.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another citizen reads the draft: %v", err)
		}
		other := again
		other.Values = map[string][]string{"ho_ten_tre": {"Kẻ lạ"}}
		if _, err := svc.Save(ctx, binh, other); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another citizen overwrites the draft: %v", err)
		}
		if err := svc.Delete(ctx, binh, saved.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another citizen deletes the draft: %v", err)
		}
		if list, _ := svc.List(ctx, binh); len(list) != 0 {
			t.Errorf("another citizen lists %d drafts", len(list))
		}
		// Officials and anonymous callers keep no drafts.
		if _, err := svc.List(ctx, official); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("official: %v", err)
		}
		if _, err := svc.Save(ctx, nil, draft.Draft{ProcedureID: "p1"}); !apperr.Is(err, apperr.Unauthorized) {
			t.Errorf("anonymous: %v", err)
		}

		// Bad input is refused with the field named.
		for name, in := range map[string]draft.Draft{
			"no procedure": {Values: map[string][]string{"a": {"b"}}},
			"bad key":      {ProcedureID: "p1", Values: map[string][]string{"<script>": {"x"}}},
			"long value":   {ProcedureID: "p1", Values: map[string][]string{"a": {strings.Repeat("x", 3001)}}},
			"control char": {ProcedureID: "p1", Values: map[string][]string{"a": {"x\x00y"}}},
		} {
			if _, err := svc.Save(ctx, an, in); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		big := map[string][]string{}
		for i := 0; i < 60; i++ {
			big[strings.Repeat("k", 10)+string(rune('a'+i%26))+string(rune('a'+i/26))] = []string{strings.Repeat("x", 2500)}
		}
		if _, err := svc.Save(ctx, an, draft.Draft{ProcedureID: "p1", Values: big}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("a draft over the size bound: %v", err)
		}

		// The list is newest first, and bounded per owner.
		c.Add(time.Hour)
		second, err := svc.Save(ctx, an, draft.Draft{ProcedureID: "p2", ProcedureName: "Đăng ký kết hôn"})
		if err != nil {
			t.Fatal(err)
		}
		list, err := svc.List(ctx, an)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != second.ID || list[1].ID != saved.ID {
			t.Errorf("list %+v", list)
		}
		if _, err := svc.Save(ctx, an, draft.Draft{ProcedureID: "p3"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Save(ctx, an, draft.Draft{ProcedureID: "p4"}); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("a fourth draft over the bound of 3: %v", err)
		}

		// Deleting removes it; the second delete finds nothing.
		if err := svc.Delete(ctx, an, second.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.Delete(ctx, an, second.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("second delete: %v", err)
		}

		// Purge removes drafts untouched since before the instant.
		if _, err := svc.Save(ctx, binh, draft.Draft{ProcedureID: "p1"}); err != nil {
			t.Fatal(err)
		}
		n, err := svc.Purge(ctx, c.Now().Add(-30*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 { // the first draft, last saved an hour before the others
			t.Errorf("purged %d", n)
		}
		if _, err := svc.Get(ctx, an, saved.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("purged draft still there: %v", err)
		}
		if list, _ := svc.List(ctx, binh); len(list) != 1 {
			t.Errorf("purge took a recent draft")
		}
	})
}
