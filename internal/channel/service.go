package channel

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/blob"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/store"
)

// Service serves the channels: their configuration API, the inbound webhooks, and the
// storing of inbound messages.
type Service struct {
	DB       *store.DB
	Blobs    blob.Store
	Logger   *slog.Logger
	Adapters map[string]Adapter
	// BaseURL is the server's public URL, for the webhook URLs given to providers.
	BaseURL func() string
	// OnChange, when set, is told after a chatbot's channel configuration changed (the
	// mailbox loops pick it up).
	OnChange func()
	// Client downloads media from providers (nil: a client with a 60 s timeout).
	Client *http.Client
}

// Limits of the inbound webhooks.
const (
	MaxWebhookBody = 1 << 20
	MaxMailBody    = 25 << 20
)

// Register adds the channel routes to the API server.
func (s *Service) Register(api *httpapi.Server) {
	api.HandleFunc("GET /api/v1/chatbots/{chatbot}/channels", api.Authed(baton.ScopeRead, "", s.listChannels))
	api.HandleFunc("GET /api/v1/chatbots/{chatbot}/channels/{kind}", api.Authed(baton.ScopeRead, "", s.getChannel))
	api.HandleFunc("PUT /api/v1/chatbots/{chatbot}/channels/{kind}", api.Authed(baton.ScopeWrite, baton.RoleAdmin,
		api.Audited(audit.ChannelUpdate, channelTarget, s.putChannel)))
	api.HandleFunc("DELETE /api/v1/chatbots/{chatbot}/channels/{kind}", api.Authed(baton.ScopeWrite, baton.RoleAdmin,
		api.Audited(audit.ChannelDelete, channelTarget, s.deleteChannel)))
	api.HandleFunc("GET /api/v1/chatbots/{chatbot}/templates", api.Authed(baton.ScopeRead, "", s.listTemplates))
	api.HandleFunc("POST /api/v1/chatbots/{chatbot}/templates", api.Authed(baton.ScopeWrite, baton.RoleAdmin, s.createTemplate))
	api.HandleFunc("PATCH /api/v1/chatbots/{chatbot}/templates/{id}", api.Authed(baton.ScopeWrite, baton.RoleAdmin, s.updateTemplate))
	api.HandleFunc("DELETE /api/v1/chatbots/{chatbot}/templates/{id}", api.Authed(baton.ScopeWrite, baton.RoleAdmin, s.deleteTemplate))
	api.HandleFunc("GET /api/v1/conversations/{id}/window", api.Authed(baton.ScopeRead, "", s.getWindow))
	api.HandleFunc("POST /api/v1/conversations/{id}/template", api.Authed(baton.ScopeWrite, "", s.sendTemplate))
	for kind, a := range s.Adapters {
		api.HandleFunc("POST /hooks/"+kind+"/{chatbot}", s.hook(kind))
		if _, ok := a.(Verifier); ok {
			api.HandleFunc("GET /hooks/"+kind+"/{chatbot}", s.verify(kind))
		}
	}
}

// channelView is a channel as the API shows it: never a secret, only which are set.
type channelView struct {
	Kind       string         `json:"kind"`
	Status     string         `json:"status"`
	Error      string         `json:"error"`
	WebhookURL string         `json:"webhook_url"`
	Settings   map[string]any `json:"settings"`
	SecretsSet []string       `json:"secrets_set"`
	Fields     []Field        `json:"fields"`
	UpdatedAt  *time.Time     `json:"updated_at"`
	// InboundSecret is shown once, in the answer to the PUT that generated it (email).
	InboundSecret string `json:"inbound_secret,omitempty"`
}

func (s *Service) view(c *store.ChannelConfig) channelView {
	v := channelView{Kind: c.Kind, Status: c.Status, Error: c.Error, Settings: c.Settings, SecretsSet: []string{},
		Fields: []Field{}}
	if a := s.Adapters[c.Kind]; a != nil {
		v.Fields = a.Fields()
		v.WebhookURL = s.hookURL(c.Kind, c.ChatbotSlug)
	}
	for k, val := range c.Secrets {
		if val != "" {
			v.SecretsSet = append(v.SecretsSet, k)
		}
	}
	sort.Strings(v.SecretsSet)
	if !c.UpdatedAt.IsZero() {
		t := c.UpdatedAt
		v.UpdatedAt = &t
	}
	return v
}

func (s *Service) hookURL(kind, slug string) string {
	base := ""
	if s.BaseURL != nil {
		base = strings.TrimRight(s.BaseURL(), "/")
	}
	return base + "/hooks/" + kind + "/" + slug
}

func (s *Service) listChannels(w http.ResponseWriter, r *http.Request) error {
	ref := r.PathValue("chatbot")
	if _, err := s.DB.Channels(r.Context(), ref); err != nil {
		return err // the chatbot is not the actor's
	}
	kinds := make([]string, 0, len(s.Adapters))
	for k := range s.Adapters {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	out := []channelView{}
	for _, k := range kinds {
		c, err := s.DB.Channel(r.Context(), ref, k)
		if err != nil {
			return err
		}
		out = append(out, s.view(c))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"channels": out})
}

func (s *Service) adapter(kind string) (Adapter, error) {
	a := s.Adapters[kind]
	if a == nil {
		return nil, baton.NotFound("Channel kind")
	}
	return a, nil
}

func (s *Service) getChannel(w http.ResponseWriter, r *http.Request) error {
	c, err := s.DB.Channel(r.Context(), r.PathValue("chatbot"), r.PathValue("kind"))
	if err != nil {
		return err
	}
	if _, err := s.adapter(c.Kind); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, s.view(c))
}

// putChannel configures a channel: the fields of API.md for its kind. A secret left out
// or empty keeps the stored one, so the console can save a form without asking for every
// secret again.
// channelTarget names the channel a configuration route changes, for the audit log.
func channelTarget(r *http.Request) string {
	return "chatbot:" + r.PathValue("chatbot") + "/channel:" + r.PathValue("kind")
}

func (s *Service) putChannel(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var body map[string]json.RawMessage
	if err := httpapi.Decode(w, r, &body); err != nil {
		return err
	}
	old, err := s.DB.Channel(ctx, r.PathValue("chatbot"), r.PathValue("kind"))
	if err != nil {
		return err
	}
	a, err := s.adapter(old.Kind)
	if err != nil {
		return err
	}
	settings, secrets, generated, err := parseFields(a.Fields(), body, old)
	if err != nil {
		return err
	}
	c := &store.ChannelConfig{AccountID: old.AccountID, ChatbotID: old.ChatbotID, ChatbotSlug: old.ChatbotSlug, Kind: old.Kind,
		Settings: settings, Secrets: secrets, Status: baton.ChannelConnected}
	if err := a.Connect(ctx, c, s.hookURL(c.Kind, c.ChatbotSlug)); err != nil {
		return err
	}
	saved, err := s.DB.SaveChannel(ctx, c.ChatbotID, c.Kind, settings, secrets)
	if err != nil {
		return err
	}
	if s.OnChange != nil {
		s.OnChange()
	}
	v := s.view(saved)
	if slices.Contains(generated, "inbound_secret") {
		v.InboundSecret = secrets["inbound_secret"]
	}
	return httpapi.WriteJSON(w, http.StatusOK, v)
}

// parseFields checks a configuration body against a kind's fields, keeping stored
// secrets the body leaves out and generating the generated ones still missing.
func parseFields(fields []Field, body map[string]json.RawMessage, old *store.ChannelConfig) (map[string]any, map[string]string, []string, error) {
	known := map[string]Field{}
	for _, f := range fields {
		known[f.Name] = f
	}
	for k := range body {
		if _, ok := known[k]; !ok {
			return nil, nil, nil, baton.Invalid("Unknown field %q for a %s channel.", k, old.Kind)
		}
	}
	settings, secrets := map[string]any{}, map[string]string{}
	var generated []string
	for _, f := range fields {
		raw, present := body[f.Name]
		if present && string(raw) == "null" {
			present = false
		}
		switch f.Type {
		case "int":
			var n int
			if present {
				if err := json.Unmarshal(raw, &n); err != nil || n < 0 || n > 65535 {
					return nil, nil, nil, baton.Invalid("%s must be a whole number from 0 to 65535.", f.Name)
				}
			} else if v, ok := old.Settings[f.Name].(float64); ok {
				n = int(v)
			}
			if n == 0 && f.Required {
				return nil, nil, nil, baton.Invalid("%s is required for a %s channel.", f.Name, old.Kind)
			}
			settings[f.Name] = n
		case "bool":
			var b bool
			if present {
				if err := json.Unmarshal(raw, &b); err != nil {
					return nil, nil, nil, baton.Invalid("%s must be true or false.", f.Name)
				}
			} else if v, ok := old.Settings[f.Name].(bool); ok {
				b = v
			}
			settings[f.Name] = b
		default:
			var v string
			if present {
				if err := json.Unmarshal(raw, &v); err != nil {
					return nil, nil, nil, baton.Invalid("%s must be a string.", f.Name)
				}
			}
			v = strings.TrimSpace(v)
			if utf8.RuneCountInString(v) > 1000 {
				return nil, nil, nil, baton.Invalid("%s is too long (1000 characters at most).", f.Name)
			}
			if f.Secret {
				if v == "" {
					v = old.Secrets[f.Name]
				}
				if v == "" && f.Generated {
					v, generated = randomSecret(), append(generated, f.Name)
				}
			} else if !present {
				v = old.Setting(f.Name)
			}
			if v == "" && f.Required {
				return nil, nil, nil, baton.Invalid("%s is required for a %s channel.", f.Name, old.Kind)
			}
			if f.Secret {
				secrets[f.Name] = v
			} else {
				settings[f.Name] = v
			}
		}
	}
	return settings, secrets, generated, nil
}

// randomSecret makes a secret of 256 bits in the characters every provider accepts
// (Telegram's secret_token: A-Z, a-z, 0-9, _ and -).
func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Service) deleteChannel(w http.ResponseWriter, r *http.Request) error {
	kind := r.PathValue("kind")
	if err := s.DB.DisconnectChannel(r.Context(), r.PathValue("chatbot"), kind); err != nil {
		return err
	}
	if s.OnChange != nil {
		s.OnChange()
	}
	c, err := s.DB.Channel(r.Context(), r.PathValue("chatbot"), kind)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, s.view(c))
}

func (s *Service) listTemplates(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.DB.Templates(r.Context(), r.PathValue("chatbot"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"templates": ts})
}

type templateRequest struct {
	Name       string   `json:"name"`
	Language   string   `json:"language"`
	Parameters []string `json:"parameters"`
	Body       string   `json:"body"`
}

func (s *Service) createTemplate(w http.ResponseWriter, r *http.Request) error {
	var req templateRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		return err
	}
	t, err := s.DB.CreateTemplate(r.Context(), r.PathValue("chatbot"), baton.ChannelTemplate{Name: req.Name,
		Language: req.Language, Parameters: req.Parameters, Body: req.Body})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, t)
}

// templatePatch is a partial templateRequest: absent fields stay as they are.
type templatePatch struct {
	Name       *string   `json:"name"`
	Language   *string   `json:"language"`
	Parameters *[]string `json:"parameters"`
	Body       *string   `json:"body"`
}

func (s *Service) updateTemplate(w http.ResponseWriter, r *http.Request) error {
	var req templatePatch
	if err := httpapi.Decode(w, r, &req); err != nil {
		return err
	}
	t, err := s.DB.UpdateTemplate(r.Context(), r.PathValue("chatbot"), r.PathValue("id"), store.TemplateUpdate{Name: req.Name,
		Language: req.Language, Parameters: req.Parameters, Body: req.Body})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, t)
}

func (s *Service) deleteTemplate(w http.ResponseWriter, r *http.Request) error {
	if err := s.DB.DeleteTemplate(r.Context(), r.PathValue("chatbot"), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) getWindow(w http.ResponseWriter, r *http.Request) error {
	win, err := s.DB.ChannelWindow(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, win)
}

type sendTemplateRequest struct {
	TemplateID string   `json:"template_id"`
	Parameters []string `json:"parameters"`
}

func (s *Service) sendTemplate(w http.ResponseWriter, r *http.Request) error {
	var req sendTemplateRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		return err
	}
	if req.TemplateID == "" {
		return baton.Invalid("template_id is required.")
	}
	m, err := s.DB.SendTemplate(r.Context(), r.PathValue("id"), req.TemplateID, req.Parameters)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, m)
}

// hook serves a provider's inbound webhook (C2–C5). Everything it stores is durable
// before it answers 200; a duplicate is a success (C6); a failure to store answers 500
// so that the provider retries.
func (s *Service) hook(kind string) httpapi.HandlerFunc {
	limit := int64(MaxWebhookBody)
	if kind == baton.ChannelEmail {
		limit = MaxMailBody
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		c, err := s.DB.HookChannel(ctx, r.PathValue("chatbot"), kind)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &baton.Error{Code: baton.ETOOLARGE, Message: fmt.Sprintf("The body is larger than %d bytes.", limit)}
		} else if err != nil {
			return baton.Invalid("The body could not be read.")
		}
		batch, err := s.Adapters[kind].Receive(ctx, c, r, body)
		if err != nil {
			return err
		}
		stored, dups := 0, 0
		for _, in := range batch.Messages {
			_, dup, err := s.Store(ctx, c, in)
			if err != nil {
				return err
			}
			if dup {
				dups++
			} else {
				stored++
			}
		}
		for _, st := range batch.Statuses {
			if err := s.DB.UpdateDeliveryByExternalID(ctx, c.ChatbotID, st.ExternalID, st.Status, st.Reason); err != nil {
				return err
			}
		}
		for _, rd := range batch.Reads {
			if err := s.DB.MarkReadUntil(ctx, c.ChatbotID, rd.SessionID, rd.Until); err != nil {
				return err
			}
		}
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"stored": stored, "duplicates": dups})
	}
}

// verify answers a provider's check of the webhook URL.
func (s *Service) verify(kind string) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.DB.HookChannel(r.Context(), r.PathValue("chatbot"), kind)
		if err != nil {
			return err
		}
		challenge, err := s.Adapters[kind].(Verifier).Verify(c, r)
		if err != nil {
			return err
		}
		// The challenge is the caller's text echoed back: never let a browser read it as HTML.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		_, err = io.WriteString(w, challenge)
		return err
	}
}
