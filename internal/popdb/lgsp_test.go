package popdb_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/congso/congso/internal/popdb"
	"github.com/congso/congso/internal/popdb/popsim"
)

// TestClientThroughLGSP: with an LGSP key the client presents the key and
// the end user to the gateway, and not the upstream's own token.
func TestClientThroughLGSP(t *testing.T) {
	sim, err := popsim.New(popsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got http.Header
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		http.StripPrefix("/lgsp/csdl-dan-cu/xac-thuc-cong-dan", sim.Handler()).ServeHTTP(w, r)
	}))
	defer gw.Close()
	cfg, err := popdb.ConfigFromEnv(env{"CONGSO_POPDB_URL": gw.URL + "/lgsp/csdl-dan-cu/xac-thuc-cong-dan",
		"CONGSO_POPDB_TOKEN": "token-of-the-upstream", "CONGSO_POPDB_LGSP_KEY": "lk_1.secret"}.get)
	if err != nil {
		t.Fatal(err)
	}
	c := popdb.NewClient(cfg.Client, nil, nil)
	a, err := c.Verify(context.Background(), popdb.Query{IDNumber: "042090001234", FullName: "Nguyễn Văn An", BirthDate: "1990-05-12", EndUser: "user-7"})
	if err != nil || a.Result != popdb.Match {
		t.Fatalf("verify through the gateway: %+v %v", a, err)
	}
	if got.Get("X-LGSP-Key") != "lk_1.secret" || got.Get("X-LGSP-End-User") != "user-7" || got.Get("Authorization") != "" {
		t.Fatalf("headers sent: %v", got)
	}
}

type env map[string]string

func (e env) get(k string) string { return e[k] }
