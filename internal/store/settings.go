package store

import (
	"encoding/json"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/baton-chat/baton"
)

// chatbotSettings is the settings column of chatbots. Keys are sealed with the server's
// secret key (never stored or returned in clear).
type chatbotSettings struct {
	AI struct {
		baton.AISettings
		APIKey        string `json:"api_key,omitempty"`
		WebhookSecret string `json:"webhook_secret,omitempty"`
	} `json:"ai"`
	Timers *baton.TimerSettings `json:"timers,omitempty"`
}

func parseSettings(s string) chatbotSettings {
	var cs chatbotSettings
	cs.AI.AISettings = baton.DefaultAISettings
	_ = json.Unmarshal([]byte(s), &cs)
	if cs.AI.Responder == "" {
		cs.AI.Responder = baton.ResponderFAQ
	}
	if cs.Timers == nil {
		t := baton.DefaultTimerSettings
		cs.Timers = &t
	}
	cs.AI.APIKeySet = cs.AI.APIKey != ""
	cs.AI.WebhookSecretSet = cs.AI.WebhookSecret != ""
	return cs
}

func (cs chatbotSettings) encode() string { return string(mustJSON(cs)) }

// CheckHTTPURL validates a URL field a user sets: empty, or http(s) with a host, at most
// 2,048 characters (EINVALID names the field).
func CheckHTTPURL(field, s string) error { return checkHTTPURL(field, s) }

func checkHTTPURL(field, s string) error {
	if s == "" {
		return nil
	}
	if len(s) > 2048 {
		return baton.Invalid("%s is too long (2048 characters at most).", field)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return baton.Invalid("%s must be an http or https URL.", field)
	}
	return nil
}

// applyAI applies an AI update, sealing keys with seal.
func (cs *chatbotSettings) applyAI(u *baton.AIUpdate, seal func(string) string) error {
	ai := &cs.AI
	if u.Responder != nil {
		switch *u.Responder {
		case baton.ResponderFAQ, baton.ResponderOpenAI, baton.ResponderWebhook:
			ai.Responder = *u.Responder
		default:
			return baton.Invalid("responder must be faq, openai or webhook.")
		}
	}
	if u.BaseURL != nil {
		if err := checkHTTPURL("base_url", *u.BaseURL); err != nil {
			return err
		}
		ai.BaseURL = strings.TrimRight(*u.BaseURL, "/")
	}
	if u.Model != nil {
		if utf8.RuneCountInString(*u.Model) > 100 {
			return baton.Invalid("model is too long (100 characters at most).")
		}
		ai.Model = strings.TrimSpace(*u.Model)
	}
	if u.SystemPrompt != nil {
		if utf8.RuneCountInString(*u.SystemPrompt) > 8000 {
			return baton.Invalid("system_prompt is too long (8000 characters at most).")
		}
		ai.SystemPrompt = *u.SystemPrompt
	}
	if u.APIKey != nil {
		if len(*u.APIKey) > 500 {
			return baton.Invalid("api_key is too long.")
		}
		ai.APIKey = seal(strings.TrimSpace(*u.APIKey))
	}
	if u.WebhookURL != nil {
		if err := checkHTTPURL("webhook_url", *u.WebhookURL); err != nil {
			return err
		}
		ai.WebhookURL = *u.WebhookURL
	}
	if u.WebhookSecret != nil {
		if len(*u.WebhookSecret) > 500 {
			return baton.Invalid("webhook_secret is too long.")
		}
		ai.WebhookSecret = seal(*u.WebhookSecret)
	}
	if u.MaxUnanswered != nil {
		if *u.MaxUnanswered < 0 || *u.MaxUnanswered > 20 {
			return baton.Invalid("max_unanswered must be between 0 and 20.")
		}
		ai.MaxUnanswered = *u.MaxUnanswered
	}
	if u.HandoffOnNegative != nil {
		ai.HandoffOnNegative = *u.HandoffOnNegative
	}
	switch ai.Responder {
	case baton.ResponderOpenAI:
		if ai.BaseURL == "" || ai.Model == "" {
			return baton.Invalid("The openai responder needs base_url and model.")
		}
	case baton.ResponderWebhook:
		if ai.WebhookURL == "" {
			return baton.Invalid("The webhook responder needs webhook_url.")
		}
	}
	return nil
}

func checkTimers(t *baton.TimerSettings) error {
	if t.AutoResolveHours < 0 || t.AutoResolveHours > 24*90 {
		return baton.Invalid("auto_resolve_hours must be between 0 and 2160.")
	}
	if t.AbandonMinutes < 0 || t.AbandonMinutes > 24*60 {
		return baton.Invalid("abandon_minutes must be between 0 and 1440.")
	}
	return nil
}
