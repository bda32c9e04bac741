package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/exchange/async"
)

// The async exchange's admin pages, beside the LGSP's: topics, the
// subscriptions their owners decide on, dead letters and their replay. The
// gate is the LGSP pages'; every rule beyond it is the async service's.
type lgspAsyncPages struct {
	lgspPages
	a *async.Service
}

func (s *Server) registerLGSPAsync(mux *http.ServeMux, x *exchange.Service, a *async.Service) {
	p := lgspAsyncPages{lgspPages: lgspPages{s: s, x: x}, a: a}
	mux.HandleFunc("GET /admin/lgsp/topics", p.topics)
	mux.HandleFunc("POST /admin/lgsp/topics", p.createTopic)
	mux.HandleFunc("GET /admin/lgsp/topics/{id}", p.topic)
	mux.HandleFunc("POST /admin/lgsp/topics/{id}/subscriptions/{sub}/{action}", p.decideSubscription)
	mux.HandleFunc("GET /admin/lgsp/topics/{id}/dead", p.deadLetters)
	mux.HandleFunc("POST /admin/lgsp/topics/{id}/replay", p.replay)
}

type lgspTopicsData struct {
	Dir    lgspDirectory
	Topics []async.Topic
	Counts map[string]async.TopicCounts
	// Owners are the systems the official may create topics for; Platform:
	// they may create the platform's own topics too.
	Owners   []exchange.System
	Platform bool
}

func (p lgspAsyncPages) topics(w http.ResponseWriter, r *http.Request) {
	a, ok := p.gate(w, r)
	if !ok {
		return
	}
	p.renderTopics(w, r, a, nil)
}

func (p lgspAsyncPages) renderTopics(w http.ResponseWriter, r *http.Request, a *actor.Actor, formErr error) {
	ctx := r.Context()
	dir, err := p.directory(ctx, a)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	d := lgspTopicsData{Dir: dir, Platform: a.ProvinceAdmin()}
	if d.Topics, err = p.a.Topics(ctx, a); err != nil {
		p.s.fail(w, r, err)
		return
	}
	if d.Counts, err = p.a.TopicCounts(ctx, a); err != nil {
		p.s.fail(w, r, err)
		return
	}
	for _, sys := range dir.sysList {
		if a.CanAdminister(sys.AgencyID) {
			d.Owners = append(d.Owners, sys)
		}
	}
	pg := p.s.page(r, translate(langOf(r), "async.topics"), d)
	if formErr != nil {
		p.s.formError(w, r, "lgsp_async_topics", pg, formErr)
		return
	}
	p.s.render(w, r, http.StatusOK, "lgsp_async_topics", pg)
}

func (p lgspAsyncPages) createTopic(w http.ResponseWriter, r *http.Request) {
	a, ok := p.post(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	in := async.TopicInput{SystemID: f.Get("system_id"), Code: f.Get("code"), Name: f.Get("name"), Description: f.Get("description")}
	fields := apperr.Fields{}
	num := func(name string, dst *int64) {
		v := strings.TrimSpace(f.Get(name))
		if v == "" {
			return
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			fields.Add(name, "Hãy nhập một số nguyên dương.")
			return
		}
		*dst = n
	}
	var attempts, payload int64
	num("max_attempts", &attempts)
	num("max_payload_bytes", &payload)
	num("max_age_seconds", &in.MaxAgeSeconds)
	if err := fields.Err(); err != nil {
		p.renderTopics(w, r, a, err)
		return
	}
	if attempts > 1000 || payload > 1<<30 {
		p.renderTopics(w, r, a, apperr.Field("max_attempts", "Giá trị quá lớn."))
		return
	}
	in.MaxAttempts, in.MaxPayloadBytes = int(attempts), int(payload)
	t, err := p.a.CreateTopic(r.Context(), a, in)
	if err != nil {
		p.renderTopics(w, r, a, err)
		return
	}
	p.s.redirect(w, r, "/admin/lgsp/topics/"+t.ID, translate(langOf(r), "async.topic.created"))
}

// lgspTopicData is a topic's page: its subscriptions with their queues, and
// (on the dead letters' page) what was given up.
type lgspTopicData struct {
	Dir    lgspDirectory
	Topic  async.Topic
	Counts async.TopicCounts
	Manage bool
	// Denied: the official sees the topic in the directory but not who
	// subscribes to it.
	Denied        string
	Subscriptions []async.Subscription
	Depths        map[string]async.QueueDepth
	Dead          []async.Delivery
	DeadPage      bool
}

func (p lgspAsyncPages) loadTopic(w http.ResponseWriter, r *http.Request, a *actor.Actor, dead bool) (lgspTopicData, bool) {
	ctx := r.Context()
	var d lgspTopicData
	var err error
	if d.Topic, err = p.a.Topic(ctx, a, r.PathValue("id")); err != nil {
		p.s.fail(w, r, err)
		return d, false
	}
	if d.Dir, err = p.directory(ctx, a); err != nil {
		p.s.fail(w, r, err)
		return d, false
	}
	counts, err := p.a.TopicCounts(ctx, a)
	if err != nil {
		p.s.fail(w, r, err)
		return d, false
	}
	d.Counts, d.Manage, d.DeadPage = counts[d.Topic.ID], async.MayManage(a, d.Topic), dead
	d.Subscriptions, err = p.a.Subscriptions(ctx, a, d.Topic.ID)
	if apperr.CodeOf(err) == apperr.Forbidden {
		d.Denied = apperr.MessageOf(err)
		return d, true
	}
	if err != nil {
		p.s.fail(w, r, err)
		return d, false
	}
	if d.Depths, err = p.a.QueueDepths(ctx, a, d.Topic.ID); err != nil {
		p.s.fail(w, r, err)
		return d, false
	}
	if dead {
		if d.Dead, err = p.a.DeadLetters(ctx, a, d.Topic.ID, 500); err != nil {
			p.s.fail(w, r, err)
			return d, false
		}
	}
	return d, true
}

// SubscriptionSystem names a subscription's consumer system.
func (d lgspTopicData) SubscriptionSystem(id string) string {
	for _, s := range d.Subscriptions {
		if s.ID == id {
			return d.Dir.SystemCode(s.SystemID)
		}
	}
	return id
}

func (p lgspAsyncPages) topic(w http.ResponseWriter, r *http.Request) {
	a, ok := p.gate(w, r)
	if !ok {
		return
	}
	d, ok := p.loadTopic(w, r, a, false)
	if !ok {
		return
	}
	p.s.render(w, r, http.StatusOK, "lgsp_async_topic", p.s.page(r, d.Topic.Name, d))
}

func (p lgspAsyncPages) deadLetters(w http.ResponseWriter, r *http.Request) {
	a, ok := p.gate(w, r)
	if !ok {
		return
	}
	d, ok := p.loadTopic(w, r, a, true)
	if !ok {
		return
	}
	if d.Denied != "" {
		p.s.fail(w, r, apperr.New(apperr.Forbidden, "%s", d.Denied))
		return
	}
	p.s.render(w, r, http.StatusOK, "lgsp_async_topic", p.s.page(r, translate(langOf(r), "async.dead")+" — "+d.Topic.Code, d))
}

func (p lgspAsyncPages) decideSubscription(w http.ResponseWriter, r *http.Request) {
	a, ok := p.post(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	action := r.PathValue("action")
	if action != "approve" && action != "refuse" && action != "revoke" {
		p.s.notFound(w, r)
		return
	}
	topicID, subID := r.PathValue("id"), r.PathValue("sub")
	// The subscription must be the topic's, as the address says.
	subs, err := p.a.Subscriptions(ctx, a, topicID)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	found := false
	for _, s := range subs {
		found = found || s.ID == subID
	}
	if !found {
		p.s.fail(w, r, apperr.New(apperr.NotFound, "Không tìm thấy đăng ký."))
		return
	}
	if _, err := p.a.Decide(ctx, a, subID, action, strings.TrimSpace(r.PostForm.Get("note"))); err != nil {
		p.s.fail(w, r, err)
		return
	}
	p.s.redirect(w, r, "/admin/lgsp/topics/"+topicID, translate(langOf(r), "async.sub."+action+"d"))
}

func (p lgspAsyncPages) replay(w http.ResponseWriter, r *http.Request) {
	a, ok := p.post(w, r)
	if !ok {
		return
	}
	f := async.ReplayFilter{TopicID: r.PathValue("id"), SubscriptionID: r.PostForm.Get("subscription_id")}
	switch r.PostForm.Get("scope") {
	case "all":
		f.SubscriptionID = ""
	case "subscription":
		if f.SubscriptionID == "" {
			p.s.fail(w, r, apperr.Field("subscription_id", "Hãy chọn đăng ký có thư cần gửi lại."))
			return
		}
	case "selected":
		f.SubscriptionID = ""
		f.DeliveryIDs = r.PostForm["delivery_id"]
		if len(f.DeliveryIDs) == 0 {
			p.s.fail(w, r, apperr.Field("delivery_id", "Hãy chọn ít nhất một thư để gửi lại."))
			return
		}
	default:
		p.s.fail(w, r, apperr.Field("scope", "Hãy chọn gửi lại tất cả, theo đăng ký, hoặc các thư đã chọn."))
		return
	}
	n, err := p.a.Replay(r.Context(), a, f)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	p.s.redirect(w, r, "/admin/lgsp/topics/"+f.TopicID+"/dead", fmt.Sprintf(translate(langOf(r), "async.replayed"), n))
}
