package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/baton-chat/baton"
)

type auditPage struct {
	Items []struct {
		ID, Action, Target, IP string
		At                     string `json:"at"`
		Actor                  *struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		} `json:"actor"`
		Detail map[string]any `json:"detail"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func (e *env) auditLog(t *testing.T, query string) auditPage {
	t.Helper()
	var p auditPage
	e.do(t, req{Method: "GET", URL: "/api/v1/audit-log" + query, Token: e.OwnerToken}).wantStatus(t, http.StatusOK).decode(t, &p)
	return p
}

func TestAuditLogRecordsAdminChanges(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		var tok struct{ ID string }
		e.do(t, req{Method: "POST", URL: "/api/v1/tokens", Token: e.OwnerToken, Body: map[string]any{"name": "CI", "scopes": []string{"read"}}}).
			wantStatus(t, http.StatusCreated).decode(t, &tok)
		e.do(t, req{Method: "DELETE", URL: "/api/v1/tokens/" + tok.ID, Token: e.OwnerToken}).wantStatus(t, http.StatusNoContent)
		e.do(t, req{Method: "PATCH", URL: "/api/v1/chatbots/demo", Token: e.OwnerToken,
			Body: map[string]any{"greeting": "Hi!", "ai": map[string]any{"api_key": "sk-secret-value"}, "handover_webhook_url": ""}}).
			wantStatus(t, http.StatusOK)

		p := e.auditLog(t, "")
		var got []string
		for _, it := range p.Items {
			if strings.HasPrefix(it.Action, "session.") {
				continue // the lead's sign-in entries
			}
			got = append(got, it.Action+" "+it.Target+fmt.Sprint(it.Detail["fields"]))
			if it.Actor == nil || it.Actor.Email != "owner@acme.test" || it.IP == "" {
				t.Errorf("%s: actor %+v, ip %q; want the owner and the client address", it.Action, it.Actor, it.IP)
			}
		}
		want := []string{
			"webhook.update chatbot:demo[handover_webhook_url]",
			"chatbot.update chatbot:demo[greeting handover_webhook_url ai.api_key]",
			"token.revoke token:" + tok.ID + "<nil>",
			"token.create token:" + tok.ID + "<nil>",
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("audit log = %q, want %q", got, want)
		}
		if body := fmt.Sprint(p); strings.Contains(body, "sk-secret-value") {
			t.Errorf("the audit log holds a secret value: %s", body)
		}

		// Filters and paging.
		if p := e.auditLog(t, "?action=token.&limit=1"); len(p.Items) != 1 || p.Items[0].Action != "token.revoke" || p.NextCursor == "" {
			t.Errorf("?action=token.&limit=1 = %+v, want token.revoke and a cursor", p)
		} else if p2 := e.auditLog(t, "?action=token.&limit=1&cursor="+p.NextCursor); len(p2.Items) != 1 || p2.Items[0].Action != "token.create" {
			t.Errorf("second page = %+v, want token.create", p2)
		}
		if p := e.auditLog(t, "?actor="+e.Owner.ID+"&target=chatbot:demo"); len(p.Items) != 2 {
			t.Errorf("?actor&target=chatbot:demo gave %d entries, want 2", len(p.Items))
		}
		if p := e.auditLog(t, "?to=2000-01-01"); len(p.Items) != 0 {
			t.Errorf("?to=2000-01-01 gave %d entries, want none", len(p.Items))
		}
	})
}

func TestAuditLogRoutesRefuse(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		_, agent := e.newUser(t, e.Account.ID, "agent@acme.test", baton.RoleAgent)
		for _, r := range []req{
			{Method: "GET", URL: "/api/v1/audit-log", Token: agent},
			{Method: "GET", URL: "/api/v1/audit-log/settings", Token: agent},
			{Method: "PUT", URL: "/api/v1/audit-log/settings", Token: agent, Body: map[string]int{"retention_days": 30}},
		} {
			e.do(t, r).wantError(t, http.StatusForbidden, "forbidden", "")
		}
		for _, q := range []string{"?from=yesterday", "?to=2026-13-01", "?limit=0", "?limit=201", "?cursor=%21%21"} {
			e.do(t, req{Method: "GET", URL: "/api/v1/audit-log" + q, Token: e.OwnerToken}).wantError(t, http.StatusBadRequest, "invalid", "")
		}
		for _, body := range []any{map[string]int{"retention_days": 6}, map[string]int{"retention_days": 3651}, map[string]any{}} {
			e.do(t, req{Method: "PUT", URL: "/api/v1/audit-log/settings", Token: e.OwnerToken, Body: body}).wantError(t, http.StatusBadRequest, "invalid", "")
		}
	})
}

func TestAuditLogSettings(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		var s struct {
			RetentionDays int `json:"retention_days"`
		}
		e.do(t, req{Method: "GET", URL: "/api/v1/audit-log/settings", Token: e.OwnerToken}).wantStatus(t, http.StatusOK).decode(t, &s)
		if s.RetentionDays != 365 {
			t.Errorf("default retention = %d, want 365", s.RetentionDays)
		}
		e.do(t, req{Method: "PUT", URL: "/api/v1/audit-log/settings", Token: e.OwnerToken, Body: map[string]int{"retention_days": 90}}).
			wantStatus(t, http.StatusOK).decode(t, &s)
		e.do(t, req{Method: "GET", URL: "/api/v1/audit-log/settings", Token: e.OwnerToken}).wantStatus(t, http.StatusOK).decode(t, &s)
		if s.RetentionDays != 90 {
			t.Errorf("retention after PUT 90 = %d", s.RetentionDays)
		}
		p := e.auditLog(t, "?action=settings.update")
		if len(p.Items) != 1 || p.Items[0].Detail["retention_days"] != float64(90) || p.Items[0].Detail["previous_retention_days"] != float64(365) {
			t.Errorf("settings.update entries = %+v, want one from 365 to 90 days", p.Items)
		}
	})
}
