package baton

import (
	"testing"
	"time"
)

func TestWindowFor(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { v := now.Add(-d); return &v }
	tests := []struct {
		name             string
		channel          string
		last             *time.Time
		open             bool
		tag              string
		templateRequired bool
		closesAt         *time.Time
	}{
		{"the widget has no window", ChannelWeb, nil, true, "", false, nil},
		{"email has no window", ChannelEmail, ago(30 * 24 * time.Hour), true, "", false, nil},
		{"Telegram has no window", ChannelTelegram, ago(30 * 24 * time.Hour), true, "", false, nil},
		{"WhatsApp is open within 24 hours", ChannelWhatsApp, ago(23 * time.Hour), true, "", false, ago(-time.Hour)},
		{"WhatsApp needs a template after 24 hours", ChannelWhatsApp, ago(24 * time.Hour), false, "", true, nil},
		{"WhatsApp needs a template when the visitor never wrote", ChannelWhatsApp, nil, false, "", true, nil},
		{"Messenger is open within 24 hours", ChannelMessenger, ago(time.Hour), true, "", false, ago(-23 * time.Hour)},
		{"Messenger tags HUMAN_AGENT after 24 hours", ChannelMessenger, ago(25 * time.Hour), true, TagHumanAgent, false, ago(-(7*24 - 25) * time.Hour)},
		{"Messenger closes after 7 days", ChannelMessenger, ago(7 * 24 * time.Hour), false, "", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := WindowFor(tt.channel, tt.last, now)
			if w.Open != tt.open || w.Tag != tt.tag || w.TemplateRequired != tt.templateRequired || w.Channel != tt.channel {
				t.Errorf("WindowFor(%s, %v) = %+v, want open=%v tag=%q template=%v", tt.channel, tt.last, w, tt.open, tt.tag, tt.templateRequired)
			}
			if (w.ClosesAt == nil) != (tt.closesAt == nil) || (w.ClosesAt != nil && !w.ClosesAt.Equal(*tt.closesAt)) {
				t.Errorf("WindowFor(%s, %v).ClosesAt = %v, want %v", tt.channel, tt.last, w.ClosesAt, tt.closesAt)
			}
		})
	}
}
