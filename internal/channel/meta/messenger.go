package meta

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/channel"
	"github.com/baton-chat/baton/internal/store"
)

// Messenger is the Facebook Messenger channel (C4): the Send API with the 24-hour
// window, then the HUMAN_AGENT tag for 7 days. A visitor's session id is fb:<psid>.
type Messenger struct {
	Graph *Graph
}

var (
	_ channel.Adapter  = (*Messenger)(nil)
	_ channel.Verifier = (*Messenger)(nil)
)

// Kind is baton.ChannelMessenger.
func (a *Messenger) Kind() string { return baton.ChannelMessenger }

// Fields are those of API.md.
func (a *Messenger) Fields() []channel.Field {
	return []channel.Field{
		{Name: "page_id", Type: "string", Required: true},
		{Name: "page_access_token", Type: "string", Secret: true, Required: true},
		{Name: "app_secret", Type: "string", Secret: true, Required: true},
		{Name: "verify_token", Type: "string", Secret: true, Required: true},
	}
}

// Connect checks the page access token and subscribes the app to the page's messages,
// deliveries and reads.
func (a *Messenger) Connect(ctx context.Context, c *store.ChannelConfig, hookURL string) error {
	page, token := c.Setting("page_id"), c.Secrets["page_access_token"]
	if strings.ContainsAny(page, "/?#&") {
		return baton.Invalid("page_id is not a page id.")
	}
	var p struct {
		Name string `json:"name"`
	}
	if err := a.Graph.getJSON(ctx, page+"?fields=name", token, &p); err != nil {
		return connectError("Messenger", err)
	}
	fields := url.Values{"subscribed_fields": {"messages,message_deliveries,message_reads"}}
	if err := a.Graph.postValues(ctx, page+"/subscribed_apps", token, fields, nil); err != nil {
		return connectError("Messenger", err)
	}
	return nil
}

// Verify answers the webhook verification challenge.
func (a *Messenger) Verify(c *store.ChannelConfig, r *http.Request) (string, error) {
	return verify(c, r)
}

type fbNotification struct {
	Object string `json:"object"`
	Entry  []struct {
		ID        string    `json:"id"`
		Time      int64     `json:"time"`
		Messaging []fbEvent `json:"messaging"`
	} `json:"entry"`
}

type fbEvent struct {
	Sender struct {
		ID string `json:"id"`
	} `json:"sender"`
	Recipient struct {
		ID string `json:"id"`
	} `json:"recipient"`
	Timestamp int64 `json:"timestamp"`
	Message   *struct {
		MID         string `json:"mid"`
		Text        string `json:"text"`
		IsEcho      bool   `json:"is_echo"`
		Attachments []struct {
			Type    string `json:"type"`
			Payload struct {
				URL string `json:"url"`
			} `json:"payload"`
		} `json:"attachments"`
	} `json:"message"`
	Delivery *struct {
		MIDs      []string `json:"mids"`
		Watermark int64    `json:"watermark"`
	} `json:"delivery"`
	Read *struct {
		Watermark int64 `json:"watermark"`
	} `json:"read"`
}

// Receive checks the signature and reads the page's messages (keyed by their mid),
// deliveries and reads. Echoes of the page's own messages are skipped.
func (a *Messenger) Receive(ctx context.Context, c *store.ChannelConfig, r *http.Request, body []byte) (*channel.Batch, error) {
	if err := CheckSignature(r, body, c.Secrets["app_secret"]); err != nil {
		return nil, err
	}
	var n fbNotification
	if err := json.Unmarshal(body, &n); err != nil || n.Object != "page" {
		return nil, baton.Invalid("The body is not a Messenger page notification.")
	}
	page, token := c.Setting("page_id"), c.Secrets["page_access_token"]
	batch := &channel.Batch{}
	for _, e := range n.Entry {
		if e.ID != page {
			continue
		}
		for _, ev := range e.Messaging {
			psid := ev.Sender.ID
			if psid == "" || psid == page {
				continue
			}
			switch {
			case ev.Message != nil && !ev.Message.IsEcho && ev.Message.MID != "":
				in := &channel.Inbound{InboundMessage: store.InboundMessage{SessionID: "fb:" + psid, Key: ev.Message.MID,
					ExternalID: ev.Message.MID, Content: ev.Message.Text, SentAt: unixNumber(ev.Timestamp)}, NameLookup: a.profile(psid, token)}
				for i, at := range ev.Message.Attachments {
					switch at.Type {
					case "image", "file", "video":
						if at.Payload.URL == "" {
							continue
						}
						in.Files = append(in.Files, channel.File{Name: fileName(at.Type, at.Payload.URL, i),
							Open: channel.Download(a.Graph.client(), at.Payload.URL, nil)})
					default:
						in.Content = strings.TrimSpace(in.Content + "\n[" + attachmentLabel(at.Type) + "]")
					}
				}
				if in.Content == "" && len(in.Files) == 0 {
					in.Content = "[Unsupported message]"
				}
				batch.Messages = append(batch.Messages, in)
			case ev.Delivery != nil:
				for _, mid := range ev.Delivery.MIDs {
					if mid == "" {
						continue
					}
					batch.Statuses = append(batch.Statuses, channel.Status{ExternalID: mid, Status: baton.DeliveryDelivered})
				}
			case ev.Read != nil && ev.Read.Watermark > 0:
				batch.Reads = append(batch.Reads, channel.Read{SessionID: "fb:" + psid, Until: unixTime(strconv.FormatInt(ev.Read.Watermark, 10))})
			}
		}
	}
	return batch, nil
}

// attachmentLabel names an attachment Baton does not keep ("audio" → "Audio"); one without
// a type is an "Attachment".
func attachmentLabel(typ string) string {
	r, n := utf8.DecodeRuneInString(typ)
	if n == 0 {
		return "Attachment"
	}
	return string(unicode.ToUpper(r)) + typ[n:]
}

// fileName makes a name for an attachment from its URL's last path segment.
func fileName(typ, raw string, i int) string {
	if u, err := url.Parse(raw); err == nil {
		if seg := u.Path[strings.LastIndex(u.Path, "/")+1:]; seg != "" {
			return seg
		}
	}
	return typ + "-" + strconv.Itoa(i+1)
}

// profile asks the User Profile API for a visitor's name.
func (a *Messenger) profile(psid, token string) func(ctx context.Context) string {
	return func(ctx context.Context) string {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		var p struct {
			FirstName string `json:"first_name"`
			LastName  string `json:"last_name"`
		}
		if err := a.Graph.getJSON(ctx, url.PathEscape(psid)+"?fields=first_name,last_name", token, &p); err != nil {
			return ""
		}
		return strings.TrimSpace(p.FirstName + " " + p.LastName)
	}
}

// Send delivers a message to fb:<psid> with the Send API: a RESPONSE within 24 hours of
// the visitor's last message, else a MESSAGE_TAG with the job's tag; the text in parts
// of 2000 characters, then each attachment uploaded with the message.
func (a *Messenger) Send(ctx context.Context, c *store.ChannelConfig, m *channel.Outbound) (string, error) {
	psid, ok := strings.CutPrefix(m.SessionID, "fb:")
	if !ok || psid == "" {
		return "", channel.Permanent("The visitor has no Messenger id (session %q).", m.SessionID)
	}
	if m.Template != nil {
		return "", channel.Permanent("Templates are for WhatsApp.")
	}
	page, token := c.Setting("page_id"), c.Secrets["page_access_token"]
	recipient, _ := json.Marshal(map[string]string{"id": psid})
	mtype := "RESPONSE"
	if m.Tag != "" {
		mtype = "MESSAGE_TAG"
	}
	first := ""
	note := func(ans fbSendAnswer) {
		if first == "" {
			first = ans.MessageID
		}
	}
	for _, part := range splitText(m.Message.Content, 2000) {
		body := map[string]any{"recipient": map[string]string{"id": psid}, "messaging_type": mtype,
			"message": map[string]string{"text": part}}
		if m.Tag != "" {
			body["tag"] = m.Tag
		}
		var ans fbSendAnswer
		if err := a.Graph.postJSON(ctx, page+"/messages", token, body, &ans); err != nil {
			return "", sendError("Messenger", err)
		}
		note(ans)
	}
	for _, f := range m.Files {
		typ := "file"
		switch {
		case strings.HasPrefix(f.ContentType, "image/"):
			typ = "image"
		case strings.HasPrefix(f.ContentType, "video/"):
			typ = "video"
		}
		msg, _ := json.Marshal(map[string]any{"attachment": map[string]any{"type": typ, "payload": map[string]bool{"is_reusable": false}}})
		fields := [][2]string{{"recipient", string(recipient)}, {"messaging_type", mtype}, {"message", string(msg)}}
		if m.Tag != "" {
			fields = append(fields, [2]string{"tag", m.Tag})
		}
		rc, err := m.Open(ctx, f)
		if err != nil {
			return "", channel.Temporary("The attachment %s could not be read.", f.Name)
		}
		var ans fbSendAnswer
		err = a.Graph.postForm(ctx, page+"/messages", token, fields, "filedata", f.Name, f.ContentType, rc, &ans)
		rc.Close()
		if err != nil {
			return "", sendError("Messenger", err)
		}
		note(ans)
	}
	if first == "" {
		return "", channel.Permanent("The message has neither text nor attachments.")
	}
	return first, nil
}

type fbSendAnswer struct {
	RecipientID string `json:"recipient_id"`
	MessageID   string `json:"message_id"`
}
