package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/natsync"
	"github.com/congso/congso/internal/natsync/hubsim"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/popdb"
	"github.com/congso/congso/internal/popdb/popsim"
)

// The demo exchange: the national data-exchange platform (NDXP) as a member
// whose systems provide the population database and the national portal's
// hub (both simulated in-process under /sim/), a department's land-records
// system, the province's one-stop dossier system consuming all three, and
// two more consumers to show a refusal and a quota.
const (
	demoNDXPAgency = "000.00.00.G22"

	demoPopSystem, demoPopService     = "csdl-dan-cu", "xac-thuc-cong-dan"
	demoHubSystem, demoHubService     = "cong-dvc-qg", "dong-bo-ho-so"
	demoLandSystem, demoLandService   = "dat-dai", "thua-dat"
	demoPlatformSystem                = "dvc-tinh"
	demoRefusedSystem                 = "syt-qlhc"
	demoThrottledSystem               = "thanhsen-motcua"
	demoPlatformKeyName               = "Nền tảng một cửa (khóa tạo khi khởi động bản trình diễn)"
	demoSimPrefix                     = "/sim/"
	demoPopSim, demoHubSim, demoLands = "dan-cu", "cong-dvc-qg", "dat-dai"
)

// demoUpstreams are the demo services and where under /sim/ they are served.
var demoUpstreams = []struct{ system, service, sim string }{
	{demoPopSystem, demoPopService, demoPopSim},
	{demoHubSystem, demoHubService, demoHubSim},
	{demoLandSystem, demoLandService, demoLands},
}

// nationalThroughLGSP, in demo mode and unless the population database or
// the national portal is configured otherwise, loads the demo exchange and
// points both connectors at the gateway with a fresh key of the one-stop
// system. It returns the HTTP clients they use (nil: their own).
func (a *App) nationalThroughLGSP(ctx context.Context, pop *popdb.Config, nat *natsync.Config) (popHTTP, natHTTP *http.Client, err error) {
	if !a.cfg.Demo {
		return nil, nil, nil
	}
	if err := a.mountDemoSims(); err != nil {
		return nil, nil, err
	}
	platform, err := a.seedDemoLGSP(ctx)
	if errors.Is(err, errNoDemoAgencies) {
		// A database that was not loaded with the demo province: the
		// connectors stay as configured.
		a.log.Warn("demo exchange not loaded: the demo agencies are missing")
		a.sims = nil
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("demo exchange: %w", err)
	}
	if pop.Client.URL != "" && nat.URL != "" {
		return nil, nil, nil
	}
	key, err := a.rotateDemoKey(ctx, platform)
	if err != nil {
		return nil, nil, fmt.Errorf("demo exchange key: %w", err)
	}
	// The gateway is this very process: the clients dial the address it
	// listens on, known only once it listens.
	self := "http://" + loopback(a.cfg.Addr)
	if pop.Client.URL == "" {
		pop.Client.URL = self + "/lgsp/" + demoPopSystem + "/" + demoPopService
		pop.Client.LGSPKey = key
		popHTTP = a.selfClient(0)
	}
	if nat.URL == "" {
		nat.URL = self + "/lgsp/" + demoHubSystem + "/" + demoHubService + hubsim.Path
		nat.LGSPKey = key
		timeout := nat.Timeout
		if timeout <= 0 {
			timeout = 10 * time.Second
		}
		natHTTP = a.selfClient(timeout)
	}
	return popHTTP, natHTTP, nil
}

// selfClient is an HTTP client whose connections all go to the address the
// platform listens on.
func (a *App) selfClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	var d net.Dialer
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, loopback(a.Addr()))
	}
	tr.MaxIdleConnsPerHost = 32
	return &http.Client{Timeout: timeout, Transport: tr}
}

// loopback turns a listening address into one to dial.
func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// mountDemoSims builds the simulated national platforms and the demo land
// records, served under /sim/.
func (a *App) mountDemoSims() error {
	pop, err := popsim.New(popsim.Options{Log: a.log})
	if err != nil {
		return err
	}
	hub, err := hubsim.New(hubsim.Options{Log: a.log})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(demoSimPrefix+demoPopSim+"/", http.StripPrefix(demoSimPrefix+demoPopSim, pop.Handler()))
	mux.Handle(demoSimPrefix+demoHubSim+"/", http.StripPrefix(demoSimPrefix+demoHubSim, hub.Handler()))
	mux.Handle(demoSimPrefix+demoLands+"/", http.StripPrefix(demoSimPrefix+demoLands, landRecords()))
	a.sims = mux
	return nil
}

// withDemoSims serves the simulators (outside the platform's session
// authentication, like the outside world they stand for).
func (a *App) withDemoSims(next http.Handler) http.Handler {
	if a.sims == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, demoSimPrefix) {
			a.sims.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// pointDemoUpstreams makes the demo services' upstreams this run's address
// (the demo data outlives the port).
func (a *App) pointDemoUpstreams(ctx context.Context) error {
	if a.sims == nil {
		return nil
	}
	sys := actor.SystemActor("demo")
	for _, u := range demoUpstreams {
		v, err := a.Exchange.ServiceByCode(ctx, sys, u.system, u.service)
		if err != nil {
			return err
		}
		want := "http://" + loopback(a.Addr()) + demoSimPrefix + u.sim
		if v.UpstreamURL == want {
			continue
		}
		enabled := v.Enabled
		in := exchange.ServiceInput{Name: v.Name, Description: v.Description, UpstreamURL: want, Enabled: &enabled, KeepBodies: v.KeepBodies,
			PersonalData: v.PersonalData, TimeoutMS: v.TimeoutMS, MaxBodyBytes: v.MaxBodyBytes, LogMode: v.LogModeName,
			DefaultRatePerMinute: v.DefaultRatePerMinute, DefaultBurst: v.DefaultBurst}
		if _, err := a.Exchange.UpdateService(ctx, sys, v.ID, v.Version, in); err != nil {
			return fmt.Errorf("point demo service %s/%s at %s: %w", u.system, u.service, want, err)
		}
	}
	return nil
}

// rotateDemoKey revokes the one-stop system's key of the last run and issues
// a new one: the secret is shown once, and the demo keeps it only in memory.
func (a *App) rotateDemoKey(ctx context.Context, systemID string) (string, error) {
	sys := actor.SystemActor("demo")
	keys, err := a.Exchange.Keys(ctx, sys, systemID)
	if err != nil {
		return "", err
	}
	k, err := a.Exchange.CreateKey(ctx, sys, systemID, demoPlatformKeyName, 0)
	if err != nil {
		return "", err
	}
	for _, old := range keys {
		if old.Name == demoPlatformKeyName && old.RevokedAt == nil {
			if err := a.Exchange.RevokeKey(ctx, sys, old.ID); err != nil {
				return "", err
			}
		}
	}
	return k.Header, nil
}

// seedDemoLGSP registers the demo exchange once; it returns the one-stop
// system's ID.
func (a *App) seedDemoLGSP(ctx context.Context) (string, error) {
	sys := actor.SystemActor("demo")
	if s, err := a.Exchange.SystemByCode(ctx, sys, demoPlatformSystem); err == nil {
		return s.ID, nil
	} else if !apperr.Is(err, apperr.NotFound) {
		return "", err
	}
	agency := func(code string) (string, error) {
		ag, err := a.Org.AgencyByCode(ctx, code)
		if apperr.Is(err, apperr.NotFound) {
			return "", errNoDemoAgencies
		}
		if err != nil {
			return "", fmt.Errorf("agency %s: %w", code, err)
		}
		return ag.ID, nil
	}
	// Every demo agency is there before anything is registered.
	for _, code := range []string{"000.00.08.H25", "000.00.01.H25", "000.00.09.H25", "000.00.21.H25"} {
		if _, err := agency(code); err != nil {
			return "", err
		}
	}
	if _, err := a.Org.AgencyByCode(ctx, demoNDXPAgency); apperr.Is(err, apperr.NotFound) {
		err = a.DB.Tx(ctx, func(tx *db.Tx) error {
			_, err := a.Org.CreateAgencyTx(ctx, tx, sys, org.AgencyInput{Code: demoNDXPAgency, Name: "Trung tâm Dữ liệu quốc gia (Nền tảng NDXP)",
				ShortName: "NDXP", Kind: org.OtherKind, Address: "Hà Nội"})
			return err
		})
		if err != nil {
			return "", fmt.Errorf("NDXP member: %w", err)
		}
	} else if err != nil {
		return "", err
	}
	type sysDef struct{ agency, code, name, desc string }
	systems := []sysDef{
		{demoNDXPAgency, demoPopSystem, "Cơ sở dữ liệu quốc gia về dân cư (qua NDXP)", "Dịch vụ xác thực thông tin công dân của CSDL quốc gia về dân cư, kết nối qua Nền tảng tích hợp, chia sẻ dữ liệu quốc gia."},
		{demoNDXPAgency, demoHubSystem, "Cổng Dịch vụ công quốc gia (qua NDXP)", "Đồng bộ trạng thái hồ sơ thủ tục hành chính lên Cổng Dịch vụ công quốc gia."},
		{"000.00.08.H25", demoLandSystem, "Hệ thống thông tin đất đai tỉnh", "Cơ sở dữ liệu địa chính của Sở Nông nghiệp và Môi trường."},
		{"000.00.01.H25", demoPlatformSystem, "Hệ thống thông tin giải quyết thủ tục hành chính tỉnh", "Hệ thống một cửa điện tử của tỉnh."},
		{"000.00.09.H25", demoRefusedSystem, "Hệ thống quản lý hành chính Sở Y tế", "Hệ thống nội bộ của Sở Y tế."},
		{"000.00.21.H25", demoThrottledSystem, "Phần mềm một cửa phường Thành Sen", "Phần mềm thử nghiệm của phường."},
	}
	ids := map[string]string{}
	for _, d := range systems {
		ag, err := agency(d.agency)
		if err != nil {
			return "", err
		}
		s, err := a.Exchange.CreateSystem(ctx, sys, exchange.SystemInput{AgencyID: ag, Code: d.code, Name: d.name, Description: d.desc,
			ContactName: "Bộ phận kỹ thuật", ContactEmail: "kythuat@example.gov.vn"})
		if err != nil {
			return "", fmt.Errorf("system %s: %w", d.code, err)
		}
		ids[d.code] = s.ID
	}
	self := "http://" + loopback(a.cfg.Addr) + demoSimPrefix
	type svcDef struct {
		system, code, name, desc, sim, spec string
		personal                            bool
	}
	services := []svcDef{
		{demoPopSystem, demoPopService, "Xác thực thông tin công dân", "Đối chiếu số định danh, họ tên, ngày sinh với CSDL quốc gia về dân cư.", demoPopSim, popSpec, true},
		{demoHubSystem, demoHubService, "Đồng bộ hồ sơ lên Cổng DVC quốc gia", "Gửi trạng thái hồ sơ theo Thông tư 04/2025/TT-VPCP.", demoHubSim, hubSpec, false},
		{demoLandSystem, demoLandService, "Tra cứu thông tin thửa đất", "Thông tin thửa đất theo số tờ bản đồ và số thửa.", demoLands, landSpec, false},
	}
	svcIDs := map[string]string{}
	for _, d := range services {
		v, err := a.Exchange.CreateService(ctx, sys, ids[d.system], exchange.ServiceInput{Code: d.code, Name: d.name, Description: d.desc,
			UpstreamURL: self + d.sim, PersonalData: d.personal, TimeoutMS: 10000, LogMode: "strict", DefaultRatePerMinute: 600, DefaultBurst: 60})
		if err != nil {
			return "", fmt.Errorf("service %s: %w", d.code, err)
		}
		if _, err := a.Exchange.UploadSpec(ctx, sys, v.ID, []byte(d.spec)); err != nil {
			return "", fmt.Errorf("OpenAPI document of %s: %w", d.code, err)
		}
		svcIDs[d.code] = v.ID
	}
	grant := func(consumer, service, purpose string, rate, burst int, refuse string) error {
		acc, err := a.Exchange.RequestAccess(ctx, sys, exchange.AccessRequest{ConsumerID: ids[consumer], ServiceID: svcIDs[service], Purpose: purpose})
		if err != nil {
			return fmt.Errorf("access of %s to %s: %w", consumer, service, err)
		}
		if refuse != "" {
			_, err = a.Exchange.RefuseAccess(ctx, sys, acc.ID, exchange.Decision{Note: refuse, Version: acc.Version})
		} else {
			_, err = a.Exchange.ApproveAccess(ctx, sys, acc.ID, exchange.Decision{RatePerMinute: &rate, Burst: &burst, Version: acc.Version})
		}
		return err
	}
	for _, g := range []struct {
		consumer, service, purpose string
		rate, burst                int
		refuse                     string
	}{
		{demoPlatformSystem, demoPopService, "Đối chiếu thông tin người nộp hồ sơ", 600, 60, ""},
		{demoPlatformSystem, demoHubService, "Đồng bộ hồ sơ theo Thông tư 04/2025/TT-VPCP", 6000, 600, ""},
		{demoPlatformSystem, demoLandService, "Giải quyết thủ tục đất đai", 600, 60, ""},
		{demoThrottledSystem, demoLandService, "Thử nghiệm tra cứu thửa đất", 1, 1, ""},
		{demoRefusedSystem, demoLandService, "Tra cứu thửa đất", 0, 0, "Mục đích sử dụng không thuộc chức năng, nhiệm vụ của Sở Y tế."},
	} {
		if err := grant(g.consumer, g.service, g.purpose, g.rate, g.burst, g.refuse); err != nil {
			return "", err
		}
	}
	a.log.Info("demo exchange loaded", "systems", len(systems), "services", len(services))
	return ids[demoPlatformSystem], nil
}

var errNoDemoAgencies = errors.New("demo agencies missing")

// landRecords is the demo land-records system: a parcel by map sheet and
// parcel number.
func landRecords() http.Handler {
	type parcel struct {
		Sheet   int     `json:"so_to"`
		Number  int     `json:"so_thua"`
		Area    float64 `json:"dien_tich_m2"`
		Use     string  `json:"muc_dich_su_dung"`
		Address string  `json:"dia_chi"`
		Term    string  `json:"thoi_han"`
	}
	parcels := map[string]parcel{
		"12/345": {12, 345, 152.4, "Đất ở tại đô thị (ODT)", "Phường Thành Sen, tỉnh Hà Tĩnh", "Lâu dài"},
		"12/346": {12, 346, 98.0, "Đất ở tại đô thị (ODT)", "Phường Thành Sen, tỉnh Hà Tĩnh", "Lâu dài"},
		"7/88":   {7, 88, 2150.0, "Đất trồng lúa (LUC)", "Xã Can Lộc, tỉnh Hà Tĩnh", "Đến 2063"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /thua-dat/{sheet}/{number}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		p, ok := parcels[r.PathValue("sheet")+"/"+r.PathValue("number")]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]string{"ma_loi": "KHONG_TIM_THAY", "thong_bao": "Không tìm thấy thửa đất."})
			return
		}
		_ = json.NewEncoder(w).Encode(p)
	})
	return mux
}

const popSpec = `openapi: 3.0.3
info:
  title: Xác thực thông tin công dân
  version: "1.0"
paths:
  /api/v1/xac-thuc-cong-dan:
    post:
      summary: Đối chiếu số định danh, họ tên và ngày sinh
      responses:
        "200": {description: Kết quả đối chiếu}
`

const hubSpec = `openapi: 3.0.3
info:
  title: Đồng bộ hồ sơ lên Cổng Dịch vụ công quốc gia
  version: "2025.04"
paths:
  /api/hoso/dongbo:
    post:
      summary: Gửi trạng thái một hồ sơ
      responses:
        "200": {description: Đã nhận}
`

const landSpec = `openapi: 3.0.3
info:
  title: Tra cứu thông tin thửa đất
  version: "1.0"
paths:
  /thua-dat/{soTo}/{soThua}:
    get:
      summary: Thông tin một thửa đất
      parameters:
        - {name: soTo, in: path, required: true, schema: {type: integer}}
        - {name: soThua, in: path, required: true, schema: {type: integer}}
      responses:
        "200": {description: Thông tin thửa đất}
        "404": {description: Không có thửa đất này}
`
