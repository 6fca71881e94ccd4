package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
)

// ChannelConfig is one external channel of a chatbot (C2–C5) with its secrets opened.
// Settings holds the fields that may be shown; Secrets those that never leave the
// server.
type ChannelConfig struct {
	AccountID   string
	ChatbotID   string
	ChatbotSlug string
	Kind        string
	Settings    map[string]any
	Secrets     map[string]string
	// Status is baton.ChannelConnected or baton.ChannelDisconnected.
	Status string
	// Error is the last problem met talking to the provider (empty when none).
	Error     string
	UpdatedAt time.Time
}

// Setting returns a non-secret setting as text ("" when absent).
func (c *ChannelConfig) Setting(name string) string {
	switch v := c.Settings[name].(type) {
	case string:
		return v
	case float64:
		return fmt.Sprintf("%d", int64(v))
	case int:
		return fmt.Sprintf("%d", v)
	case bool:
		return fmt.Sprintf("%t", v)
	}
	return ""
}

func (d *DB) channelFromRow(r db.GetChannelRow) (*ChannelConfig, error) {
	c := &ChannelConfig{AccountID: r.AccountID, ChatbotID: r.ChatbotID, ChatbotSlug: r.ChatbotSlug, Kind: r.Kind,
		Settings: map[string]any{}, Secrets: map[string]string{}, Status: r.Status, Error: r.Error, UpdatedAt: r.UpdatedAt}
	if err := json.Unmarshal([]byte(r.Settings), &c.Settings); err != nil {
		return nil, fmt.Errorf("channel %s settings: %w", r.Kind, err)
	}
	if r.Secrets != "" {
		plain, err := d.Unseal(r.Secrets)
		if err != nil {
			return nil, fmt.Errorf("channel %s secrets: %w", r.Kind, err)
		}
		if err := json.Unmarshal([]byte(plain), &c.Secrets); err != nil {
			return nil, fmt.Errorf("channel %s secrets: %w", r.Kind, err)
		}
	}
	return c, nil
}

// checkChannelKind refuses the web widget (it has no configuration) and unknown kinds.
func checkChannelKind(kind string) error {
	switch kind {
	case baton.ChannelTelegram, baton.ChannelWhatsApp, baton.ChannelMessenger, baton.ChannelEmail:
		return nil
	}
	return baton.NotFound("Channel kind")
}

// actorChatbot finds a chatbot of the actor's account by id or slug.
func (d *DB) actorChatbot(ctx context.Context, q *db.Queries, ref string) (db.Chatbot, error) {
	b, err := q.GetChatbot(ctx, db.GetChatbotParams{AccountID: baton.ActorFromContext(ctx).AccountID, ID: ref})
	if isNoRows(err) {
		return b, baton.NotFound("Chatbot")
	} else if err != nil {
		return b, fmt.Errorf("find chatbot: %w", err)
	}
	return b, nil
}

// Channels lists the configured channels of a chatbot of the actor's account.
func (d *DB) Channels(ctx context.Context, chatbotRef string) ([]*ChannelConfig, error) {
	b, err := d.actorChatbot(ctx, d.read(), chatbotRef)
	if err != nil {
		return nil, err
	}
	rows, err := d.read().ListChannels(ctx, b.ID)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	out := make([]*ChannelConfig, 0, len(rows))
	for _, r := range rows {
		c, err := d.channelFromRow(db.GetChannelRow(r))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Channel returns one channel of a chatbot of the actor's account; ENOTFOUND for an
// unknown chatbot or kind. A kind never configured comes back with status
// not_configured and no settings.
func (d *DB) Channel(ctx context.Context, chatbotRef, kind string) (*ChannelConfig, error) {
	if err := checkChannelKind(kind); err != nil {
		return nil, err
	}
	b, err := d.actorChatbot(ctx, d.read(), chatbotRef)
	if err != nil {
		return nil, err
	}
	r, err := d.read().GetChannel(ctx, db.GetChannelParams{ChatbotID: b.ID, Kind: kind})
	if isNoRows(err) {
		return &ChannelConfig{AccountID: b.AccountID, ChatbotID: b.ID, ChatbotSlug: b.Slug, Kind: kind,
			Settings: map[string]any{}, Secrets: map[string]string{}, Status: baton.ChannelNotConfigured}, nil
	} else if err != nil {
		return nil, fmt.Errorf("get channel: %w", err)
	}
	return d.channelFromRow(r)
}

// SaveChannel stores the configuration of a chatbot (of the actor's account, by id or
// slug) for a kind, connected, with its secrets sealed.
func (d *DB) SaveChannel(ctx context.Context, chatbotRef, kind string, settings map[string]any, secrets map[string]string) (*ChannelConfig, error) {
	if err := checkChannelKind(kind); err != nil {
		return nil, err
	}
	if settings == nil {
		settings = map[string]any{}
	}
	sealed := d.seal(string(mustJSON(secrets)))
	var out *ChannelConfig
	err := d.Write(ctx, func(tx *Tx) error {
		b, err := d.actorChatbot(ctx, tx.Queries, chatbotRef)
		if err != nil {
			return err
		}
		if err := tx.UpsertChannel(ctx, db.UpsertChannelParams{ChatbotID: b.ID, Kind: kind, AccountID: b.AccountID,
			Settings: string(mustJSON(settings)), Secrets: sealed, Status: baton.ChannelConnected, Error: "", CreatedAt: tx.Now()}); err != nil {
			return fmt.Errorf("save channel: %w", err)
		}
		r, err := tx.GetChannel(ctx, db.GetChannelParams{ChatbotID: b.ID, Kind: kind})
		if err != nil {
			return err
		}
		out, err = d.channelFromRow(r)
		return err
	})
	return out, err
}

// DisconnectChannel turns a chatbot's channel off: its secrets are erased, inbound
// webhooks are refused and outbound delivery stops (C6). The settings stay, to be shown.
func (d *DB) DisconnectChannel(ctx context.Context, chatbotRef, kind string) error {
	if err := checkChannelKind(kind); err != nil {
		return err
	}
	return d.Write(ctx, func(tx *Tx) error {
		b, err := d.actorChatbot(ctx, tx.Queries, chatbotRef)
		if err != nil {
			return err
		}
		r, err := tx.GetChannel(ctx, db.GetChannelParams{ChatbotID: b.ID, Kind: kind})
		if isNoRows(err) {
			return baton.NotFound("Channel")
		} else if err != nil {
			return err
		}
		return tx.UpsertChannel(ctx, db.UpsertChannelParams{ChatbotID: b.ID, Kind: kind, AccountID: b.AccountID,
			Settings: r.Settings, Secrets: "", Status: baton.ChannelDisconnected, Error: "", CreatedAt: tx.Now()})
	})
}

// HookChannel returns the channel an inbound webhook names, by chatbot id or slug, in
// any account: the caller must then check the request against the channel's secret.
// ENOTFOUND unless the channel is connected.
func (d *DB) HookChannel(ctx context.Context, chatbotRef, kind string) (*ChannelConfig, error) {
	r, err := d.read().HookChannel(ctx, db.HookChannelParams{Ref: chatbotRef, Kind: kind})
	if isNoRows(err) {
		return nil, baton.NotFound("Channel")
	} else if err != nil {
		return nil, fmt.Errorf("hook channel: %w", err)
	}
	c, err := d.channelFromRow(db.GetChannelRow(r))
	if err != nil {
		return nil, err
	}
	if c.Status != baton.ChannelConnected {
		return nil, baton.NotFound("Channel")
	}
	return c, nil
}

// ChannelByID returns a chatbot's channel by the chatbot's id (any account), connected
// or not; ENOTFOUND when it was never configured.
func (d *DB) ChannelByID(ctx context.Context, chatbotID, kind string) (*ChannelConfig, error) {
	r, err := d.read().GetChannel(ctx, db.GetChannelParams{ChatbotID: chatbotID, Kind: kind})
	if isNoRows(err) {
		return nil, baton.NotFound("Channel")
	} else if err != nil {
		return nil, fmt.Errorf("get channel: %w", err)
	}
	return d.channelFromRow(r)
}

// ConnectedChannels lists every connected channel of a kind, in all accounts (for the
// mailbox loops).
func (d *DB) ConnectedChannels(ctx context.Context, kind string) ([]*ChannelConfig, error) {
	rows, err := d.read().ChannelsOfKind(ctx, kind)
	if err != nil {
		return nil, fmt.Errorf("channels of kind: %w", err)
	}
	out := make([]*ChannelConfig, 0, len(rows))
	for _, r := range rows {
		c, err := d.channelFromRow(db.GetChannelRow(r))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// SetChannelError records (or, with "", clears) the last problem a channel met.
func (d *DB) SetChannelError(ctx context.Context, chatbotID, kind, problem string) error {
	return d.Write(ctx, func(tx *Tx) error {
		return tx.SetChannelError(ctx, db.SetChannelErrorParams{ChatbotID: chatbotID, Kind: kind, Error: truncate(problem, 500)})
	})
}

// Limits on templates.
const (
	MaxTemplateParameters = 20
	MaxTemplateBody       = 1024
)

func templateFromRow(r db.ChannelTemplate) *baton.ChannelTemplate {
	t := &baton.ChannelTemplate{ID: r.ID, Name: r.Name, Language: r.Language, Body: r.Body, Parameters: []string{}, CreatedAt: r.CreatedAt}
	_ = json.Unmarshal([]byte(r.Parameters), &t.Parameters)
	return t
}

// Templates lists a chatbot's approved WhatsApp templates.
func (d *DB) Templates(ctx context.Context, chatbotRef string) ([]*baton.ChannelTemplate, error) {
	b, err := d.actorChatbot(ctx, d.read(), chatbotRef)
	if err != nil {
		return nil, err
	}
	rows, err := d.read().ListChannelTemplates(ctx, b.ID)
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	out := make([]*baton.ChannelTemplate, len(rows))
	for i, r := range rows {
		out[i] = templateFromRow(r)
	}
	return out, nil
}

// checkTemplate trims and validates a template's fields (EINVALID says what is wrong).
func checkTemplate(t *baton.ChannelTemplate) error {
	t.Name, t.Language = strings.TrimSpace(t.Name), strings.TrimSpace(t.Language)
	if t.Name == "" || len(t.Name) > 512 || strings.ContainsAny(t.Name, " \t\r\n") {
		return baton.Invalid("A template needs its approved name (no spaces, 512 characters at most).")
	}
	if t.Language == "" || len(t.Language) > 15 || strings.ContainsAny(t.Language, " \t\r\n") {
		return baton.Invalid("A template needs its language code, such as en_US.")
	}
	if len(t.Parameters) > MaxTemplateParameters {
		return baton.Invalid("A template has %d parameters at most.", MaxTemplateParameters)
	}
	if t.Parameters == nil {
		t.Parameters = []string{}
	}
	for _, p := range t.Parameters {
		if strings.TrimSpace(p) == "" || utf8.RuneCountInString(p) > 100 {
			return baton.Invalid("Each template parameter needs a name of 1 to 100 characters.")
		}
	}
	if utf8.RuneCountInString(t.Body) > MaxTemplateBody || !utf8.ValidString(t.Body) {
		return baton.Invalid("The template body is %d characters at most.", MaxTemplateBody)
	}
	return nil
}

// CreateTemplate adds an approved template to a chatbot: its name and language exactly
// as approved by Meta, and a name for each parameter. ECONFLICT when the chatbot has it
// already.
func (d *DB) CreateTemplate(ctx context.Context, chatbotRef string, t baton.ChannelTemplate) (*baton.ChannelTemplate, error) {
	if err := checkTemplate(&t); err != nil {
		return nil, err
	}
	var out *baton.ChannelTemplate
	err := d.Write(ctx, func(tx *Tx) error {
		b, err := d.actorChatbot(ctx, tx.Queries, chatbotRef)
		if err != nil {
			return err
		}
		row := db.ChannelTemplate{ID: d.NewID(), AccountID: b.AccountID, ChatbotID: b.ID, Name: t.Name, Language: t.Language,
			Parameters: string(mustJSON(t.Parameters)), Body: t.Body, CreatedAt: tx.Now()}
		err = tx.CreateChannelTemplate(ctx, db.CreateChannelTemplateParams(row))
		if isUnique(err) {
			return templateClash(t)
		} else if err != nil {
			return fmt.Errorf("create template: %w", err)
		}
		out = templateFromRow(row)
		return nil
	})
	return out, err
}

func templateClash(t baton.ChannelTemplate) error {
	return baton.Errorf(baton.ECONFLICT, "This chatbot already has the template %s (%s).", t.Name, t.Language)
}

// TemplateUpdate is a partial change of a template: nil fields stay as they are.
type TemplateUpdate struct {
	Name       *string
	Language   *string
	Parameters *[]string
	Body       *string
}

// UpdateTemplate changes a template of a chatbot of the actor's account, with the checks
// of CreateTemplate on the result. ENOTFOUND for a template of another chatbot or
// account; ECONFLICT when the chatbot has another template of the new name and language.
// Messages already sent with it keep the text they were sent with.
func (d *DB) UpdateTemplate(ctx context.Context, chatbotRef, id string, u TemplateUpdate) (*baton.ChannelTemplate, error) {
	var out *baton.ChannelTemplate
	err := d.Write(ctx, func(tx *Tx) error {
		b, err := d.actorChatbot(ctx, tx.Queries, chatbotRef)
		if err != nil {
			return err
		}
		row, err := tx.GetChannelTemplate(ctx, db.GetChannelTemplateParams{ID: id, ChatbotID: b.ID})
		if isNoRows(err) || (err == nil && row.AccountID != b.AccountID) {
			return baton.NotFound("Template")
		} else if err != nil {
			return fmt.Errorf("find template: %w", err)
		}
		t := *templateFromRow(row)
		if u.Name != nil {
			t.Name = *u.Name
		}
		if u.Language != nil {
			t.Language = *u.Language
		}
		if u.Parameters != nil {
			t.Parameters = *u.Parameters
		}
		if u.Body != nil {
			t.Body = *u.Body
		}
		if err := checkTemplate(&t); err != nil {
			return err
		}
		row, err = tx.UpdateChannelTemplate(ctx, db.UpdateChannelTemplateParams{ID: id, ChatbotID: b.ID, AccountID: b.AccountID,
			Name: t.Name, Language: t.Language, Parameters: string(mustJSON(t.Parameters)), Body: t.Body})
		if isUnique(err) {
			return templateClash(t)
		} else if isNoRows(err) {
			return baton.NotFound("Template")
		} else if err != nil {
			return fmt.Errorf("update template: %w", err)
		}
		out = templateFromRow(row)
		return nil
	})
	return out, err
}

// DeleteTemplate removes a template of a chatbot.
func (d *DB) DeleteTemplate(ctx context.Context, chatbotRef, id string) error {
	return d.Write(ctx, func(tx *Tx) error {
		b, err := d.actorChatbot(ctx, tx.Queries, chatbotRef)
		if err != nil {
			return err
		}
		n, err := tx.DeleteChannelTemplate(ctx, db.DeleteChannelTemplateParams{ID: id, ChatbotID: b.ID})
		if err != nil {
			return fmt.Errorf("delete template: %w", err)
		}
		if n == 0 {
			return baton.NotFound("Template")
		}
		return nil
	})
}
