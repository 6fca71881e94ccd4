package httpapi

import (
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/audit"
)

func (s *Server) auditRoutes() {
	s.handle("GET /api/v1/audit-log", s.admin(s.listAudit))
	s.handle("GET /api/v1/audit-log/settings", s.admin(s.getAuditSettings))
	s.handle("PUT /api/v1/audit-log/settings", s.admin(s.putAuditSettings))
	s.contactRoutes()
}

// AuditEntry starts the audit entry of an action the request does to target: the
// request's actor (or none) and client address. Other packages serving API routes
// (channels, integrations) record with it; this package's handlers use auditEntry.
func AuditEntry(r *http.Request, action, target string) audit.Entry {
	return audit.Entry{Action: action, Target: target, IP: clientIP(r)}.By(baton.ActorFromContext(r.Context()))
}

// auditEntry is AuditEntry, for this package's handlers.
var auditEntry = AuditEntry

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := queryInt(r, "limit", audit.DefaultLimit, 1, audit.MaxLimit)
	if err != nil {
		return err
	}
	f := audit.Filter{Action: q.Get("action"), ActorID: q.Get("actor"), Target: q.Get("target")}
	if f.From, err = queryTime(r, "from"); err != nil {
		return err
	}
	if f.To, err = queryTime(r, "to"); err != nil {
		return err
	}
	a := baton.ActorFromContext(r.Context())
	p, err := audit.List(r.Context(), s.DB, a.AccountID, f, q.Get("cursor"), int(limit))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// queryTime reads a time query parameter: RFC 3339, or a date (its midnight UTC);
// absent, the zero time.
func queryTime(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := parseTimeParam(v)
	if err != nil || len(v) > 40 {
		return time.Time{}, baton.Invalid("%s must be a date (2006-01-02) or an RFC 3339 time.", name)
	}
	return t, nil
}

func (s *Server) getAuditSettings(w http.ResponseWriter, r *http.Request) error {
	st, err := audit.GetSettings(r.Context(), s.DB, baton.ActorFromContext(r.Context()).AccountID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (s *Server) putAuditSettings(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		RetentionDays *int `json:"retention_days"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.RetentionDays == nil {
		return baton.Invalid("retention_days is required.")
	}
	st, err := audit.SetRetention(r.Context(), s.DB, auditEntry(r, audit.SettingsUpdate, "audit_log"), *body.RetentionDays)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// LogAudit records e after the change it describes committed in a transaction of the
// store's own (for changes whose store method commits by itself). A failure is logged,
// not answered: the change stands.
func (s *Server) LogAudit(r *http.Request, e audit.Entry) {
	if err := audit.Log(r.Context(), s.DB, e); err != nil {
		s.Logger.ErrorContext(r.Context(), "audit log", "action", e.Action, "err", err)
	}
}

// setFields names the fields a PATCH body set: the JSON names of patch's non-nil pointer
// fields, and inside a set struct of pointers, its set fields as "outer.inner". Names
// only: an entry never holds a value (some are secrets).
func setFields(patch any) []string {
	var names []string
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		t := v.Type()
		for i := range t.NumField() {
			f := v.Field(i)
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if f.Kind() != reflect.Pointer || f.IsNil() || name == "" || name == "-" {
				continue
			}
			if e := f.Elem(); e.Kind() == reflect.Struct && allPointers(e.Type()) {
				walk(e, prefix+name+".")
				continue
			}
			names = append(names, prefix+name)
		}
	}
	walk(reflect.Indirect(reflect.ValueOf(patch)), "")
	return names
}

func allPointers(t reflect.Type) bool {
	for i := range t.NumField() {
		if t.Field(i).Type.Kind() != reflect.Pointer {
			return false
		}
	}
	return true
}

// auditChatbot records a chatbot PATCH: the fields it set, and a webhook.update too when
// it set a webhook URL.
func (s *Server) auditChatbot(r *http.Request, slug string, p *chatbotPatch) {
	fields := setFields(p)
	if len(fields) == 0 {
		return
	}
	s.LogAudit(r, auditEntry(r, audit.ChatbotUpdate, "chatbot:"+slug).With("fields", fields))
	var hooks []string
	for _, f := range fields {
		if strings.HasSuffix(f, "webhook_url") {
			hooks = append(hooks, f)
		}
	}
	if len(hooks) > 0 {
		s.LogAudit(r, auditEntry(r, audit.WebhookUpdate, "chatbot:"+slug).With("fields", hooks))
	}
}

// Audited records action, on the target named by target(r), after h succeeds (with the
// request's method and route in the detail): for other packages' routes whose store
// methods commit by themselves.
func (s *Server) Audited(action string, target func(r *http.Request) string, h HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := h(w, r); err != nil {
			return err
		}
		s.LogAudit(r, AuditEntry(r, action, target(r)).With("route", r.Pattern))
		return nil
	}
}
