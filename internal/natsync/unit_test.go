package natsync_test

import (
	"testing"
	"time"

	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/natsync"
)

func TestWhichEventsSync(t *testing.T) {
	for _, c := range []struct {
		e    dossier.Event
		want bool
	}{
		{dossier.Event{Action: dossier.ActReceive, FromStatus: 0, ToStatus: dossier.Accepted}, true},
		{dossier.Event{Action: dossier.ActForward, FromStatus: dossier.Accepted, ToStatus: dossier.Processing}, true},
		{dossier.Event{Action: dossier.ActSubmit, FromStatus: dossier.Processing, ToStatus: dossier.Processing}, false},
		{dossier.Event{Action: dossier.ActAssign, FromStatus: dossier.Processing, ToStatus: dossier.Processing}, false},
		// An apology moves the promised date: the national portal must know.
		{dossier.Event{Action: dossier.ActApologise, FromStatus: dossier.Processing, ToStatus: dossier.Processing}, true},
	} {
		if got := natsync.Syncs(c.e); got != c.want {
			t.Errorf("%s %d→%d: %v, want %v", c.e.Action, c.e.FromStatus, c.e.ToStatus, got, c.want)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"CONGSO_NATIONAL_PORTAL_URL": "https://hub.example/api/hoso/dongbo", "CONGSO_NATIONAL_PORTAL_TOKEN": "t",
		"CONGSO_NATIONAL_PORTAL_TIMEOUT": "3s", "CONGSO_NATIONAL_PORTAL_MAX_ATTEMPTS": "5", "CONGSO_NATIONAL_PORTAL_WORKERS": "3",
		"CONGSO_NATIONAL_PORTAL_SEND_APPLICANT_ID": "true", "CONGSO_NATIONAL_PORTAL_LGSP_KEY": "lk_1.bimat"}
	c, err := natsync.ConfigFromEnv(func(k string) string { return env[k] }, "https://dvc.example")
	if err != nil || c.URL != env["CONGSO_NATIONAL_PORTAL_URL"] || c.Token != "t" || c.Timeout != 3*time.Second || c.MaxAttempts != 5 ||
		c.Workers != 3 || !c.SendApplicantID || c.BaseURL != "https://dvc.example" || c.LGSPKey != "lk_1.bimat" {
		t.Errorf("config %+v %v", c, err)
	}
	env["CONGSO_NATIONAL_PORTAL_URL"] = "hub.example"
	env["CONGSO_NATIONAL_PORTAL_WORKERS"] = "0"
	env["CONGSO_NATIONAL_PORTAL_TIMEOUT"] = "soon"
	if _, err := natsync.ConfigFromEnv(func(k string) string { return env[k] }, ""); err == nil {
		t.Error("bad settings accepted")
	}
}
