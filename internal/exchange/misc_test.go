package exchange_test

import (
	"io"
	"net/http"
	"strings"

	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/exchange/gwdemo"
	"github.com/congso/congso/internal/exchange/txlog"
)

type gwdemoOptions = gwdemo.Options

func auditFilter(action string) audit.Filter { return audit.Filter{Action: action} }

const gwdemoProvider = gwdemo.ProviderCode

func txlogFilter() txlog.Filter { return txlog.Filter{} }

func bufCopy(w *strings.Builder, res *http.Response) (int64, error) {
	defer res.Body.Close()
	return io.Copy(w, res.Body)
}
