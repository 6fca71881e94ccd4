package baton

import "time"

// EventMessageUpdated tells the team that a message changed after it was created: its
// delivery status on an external channel moved on (M4), or delivery failed with a reason.
// The payload is the Message.
const EventMessageUpdated = "message_updated"

// Channel configuration statuses (C6: delivery happens only on a connected channel).
const (
	ChannelNotConfigured = "not_configured"
	ChannelConnected     = "connected"
	ChannelDisconnected  = "disconnected"
)

// Customer-service windows of the Meta channels (C3, C4).
const (
	// WindowStandard is how long after the visitor's last message free text may be sent.
	WindowStandard = 24 * time.Hour
	// WindowHumanAgent is how long Messenger accepts a human agent's reply sent with the
	// HUMAN_AGENT message tag.
	WindowHumanAgent = 7 * 24 * time.Hour
	// TagHumanAgent is Messenger's message tag for a human agent's late reply.
	TagHumanAgent = "HUMAN_AGENT"
)

// ChannelWindow says what an agent may send now in a conversation on an external channel.
type ChannelWindow struct {
	Channel string `json:"channel"`
	// Open is true while free text may be sent.
	Open bool `json:"open"`
	// ClosesAt is when free text stops being accepted (nil: never, or closed already).
	ClosesAt *time.Time `json:"closes_at"`
	// Tag is the message tag free text goes out with after the standard window
	// (Messenger: HUMAN_AGENT).
	Tag string `json:"tag,omitempty"`
	// TemplateRequired is true when only an approved template may be sent (WhatsApp).
	TemplateRequired bool `json:"template_required"`
}

// WindowFor computes a conversation's window from the time of the visitor's last message
// (nil when the visitor never wrote). Channels without a window are always open.
func WindowFor(channel string, lastVisitor *time.Time, now time.Time) ChannelWindow {
	w := ChannelWindow{Channel: channel, Open: true}
	if channel != ChannelWhatsApp && channel != ChannelMessenger {
		return w
	}
	if lastVisitor == nil {
		w.Open, w.TemplateRequired = false, channel == ChannelWhatsApp
		return w
	}
	standard := lastVisitor.Add(WindowStandard)
	if now.Before(standard) {
		w.ClosesAt = &standard
		return w
	}
	if channel == ChannelMessenger {
		tagged := lastVisitor.Add(WindowHumanAgent)
		if now.Before(tagged) {
			w.ClosesAt, w.Tag = &tagged, TagHumanAgent
			return w
		}
		w.Open = false
		return w
	}
	w.Open, w.TemplateRequired = false, true
	return w
}

// ChannelTemplate is a pre-approved WhatsApp message template of a chatbot (C3). Body is
// its text with {{1}}, {{2}}… where the parameters go, for the agent to read.
type ChannelTemplate struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Language   string    `json:"language"`
	Parameters []string  `json:"parameters"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
}
