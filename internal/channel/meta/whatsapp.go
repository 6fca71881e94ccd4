package meta

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/channel"
	"github.com/baton-chat/baton/internal/store"
)

// WhatsApp is the WhatsApp Cloud API channel (C3). A visitor's session id is
// wa:<wa_id>.
type WhatsApp struct {
	Graph *Graph
}

var (
	_ channel.Adapter  = (*WhatsApp)(nil)
	_ channel.Verifier = (*WhatsApp)(nil)
)

// Kind is baton.ChannelWhatsApp.
func (a *WhatsApp) Kind() string { return baton.ChannelWhatsApp }

// Fields are those of API.md.
func (a *WhatsApp) Fields() []channel.Field {
	return []channel.Field{
		{Name: "phone_number_id", Type: "string", Required: true},
		{Name: "access_token", Type: "string", Secret: true, Required: true},
		{Name: "app_secret", Type: "string", Secret: true, Required: true},
		{Name: "verify_token", Type: "string", Secret: true, Required: true},
	}
}

// Connect checks the access token against the phone number.
func (a *WhatsApp) Connect(ctx context.Context, c *store.ChannelConfig, hookURL string) error {
	id := c.Setting("phone_number_id")
	if strings.ContainsAny(id, "/?#&") {
		return baton.Invalid("phone_number_id is not a phone number id.")
	}
	var out struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
	}
	if err := a.Graph.getJSON(ctx, id+"?fields=display_phone_number,verified_name", c.Secrets["access_token"], &out); err != nil {
		return connectError("WhatsApp", err)
	}
	return nil
}

// Verify answers the webhook verification challenge.
func (a *WhatsApp) Verify(c *store.ChannelConfig, r *http.Request) (string, error) {
	return verify(c, r)
}

// waNotification is the webhook body of the WhatsApp Business Account.
type waNotification struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      string `json:"id"`
		Changes []struct {
			Field string  `json:"field"`
			Value waValue `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type waValue struct {
	MessagingProduct string `json:"messaging_product"`
	Metadata         struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []struct {
		Profile struct {
			Name string `json:"name"`
		} `json:"profile"`
		WaID string `json:"wa_id"`
	} `json:"contacts"`
	Messages []waMessage `json:"messages"`
	Statuses []struct {
		ID          string `json:"id"`
		Status      string `json:"status"`
		Timestamp   string `json:"timestamp"`
		RecipientID string `json:"recipient_id"`
		Errors      []struct {
			Code      int    `json:"code"`
			Title     string `json:"title"`
			Message   string `json:"message"`
			ErrorData struct {
				Details string `json:"details"`
			} `json:"error_data"`
		} `json:"errors"`
	} `json:"statuses"`
}

type waMedia struct {
	ID       string `json:"id"`
	MimeType string `json:"mime_type"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

type waMessage struct {
	From      string `json:"from"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	Text      *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image    *waMedia `json:"image"`
	Document *waMedia `json:"document"`
	Video    *waMedia `json:"video"`
	Audio    *waMedia `json:"audio"`
	Sticker  *waMedia `json:"sticker"`
	Location *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
		Name      string  `json:"name"`
		Address   string  `json:"address"`
	} `json:"location"`
	Button *struct {
		Text string `json:"text"`
	} `json:"button"`
	Interactive *struct {
		ButtonReply *struct {
			Title string `json:"title"`
		} `json:"button_reply"`
		ListReply *struct {
			Title string `json:"title"`
		} `json:"list_reply"`
	} `json:"interactive"`
	Reaction *struct {
		Emoji string `json:"emoji"`
	} `json:"reaction"`
}

// Receive checks the signature and reads messages (keyed by their wamid) and delivery
// statuses of the channel's phone number.
func (a *WhatsApp) Receive(ctx context.Context, c *store.ChannelConfig, r *http.Request, body []byte) (*channel.Batch, error) {
	if err := CheckSignature(r, body, c.Secrets["app_secret"]); err != nil {
		return nil, err
	}
	var n waNotification
	if err := json.Unmarshal(body, &n); err != nil || n.Object != "whatsapp_business_account" {
		return nil, baton.Invalid("The body is not a WhatsApp Business Account notification.")
	}
	token, phoneID := c.Secrets["access_token"], c.Setting("phone_number_id")
	batch := &channel.Batch{}
	for _, e := range n.Entry {
		for _, ch := range e.Changes {
			v := ch.Value
			if ch.Field != "messages" || (v.Metadata.PhoneNumberID != "" && v.Metadata.PhoneNumberID != phoneID) {
				continue
			}
			names := map[string]string{}
			for _, ct := range v.Contacts {
				names[ct.WaID] = ct.Profile.Name
			}
			for _, m := range v.Messages {
				if m.ID == "" || m.From == "" {
					continue
				}
				in := &channel.Inbound{InboundMessage: store.InboundMessage{SessionID: "wa:" + m.From, Key: m.ID,
					ExternalID: m.ID, Name: names[m.From], Phone: "+" + strings.TrimPrefix(m.From, "+"), SentAt: unixTime(m.Timestamp)}}
				a.content(in, &m, token)
				batch.Messages = append(batch.Messages, in)
			}
			for _, s := range v.Statuses {
				st := channel.Status{ExternalID: s.ID}
				switch s.Status {
				case "sent":
					st.Status = baton.DeliverySent
				case "delivered":
					st.Status = baton.DeliveryDelivered
				case "read":
					st.Status = baton.DeliveryRead
				case "failed":
					st.Status, st.Reason = baton.DeliveryFailed, "WhatsApp could not deliver the message."
					if len(s.Errors) > 0 {
						e := s.Errors[0]
						st.Reason = fmt.Sprintf("WhatsApp: (#%d) %s", e.Code, firstOf(e.Title, e.Message))
						if e.ErrorData.Details != "" {
							st.Reason += ": " + e.ErrorData.Details
						}
					}
				default:
					continue
				}
				batch.Statuses = append(batch.Statuses, st)
			}
		}
	}
	return batch, nil
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// content fills an inbound message's text and files from its type.
func (a *WhatsApp) content(in *channel.Inbound, m *waMessage, token string) {
	media := func(md *waMedia, name string) {
		if md == nil || md.ID == "" {
			return
		}
		if md.Filename != "" {
			name = md.Filename
		}
		in.Content = md.Caption
		in.Files = append(in.Files, channel.File{Name: name, Open: a.media(token, md.ID)})
	}
	switch m.Type {
	case "text":
		if m.Text != nil {
			in.Content = m.Text.Body
		}
	case "image":
		media(m.Image, "image.jpg")
	case "document":
		media(m.Document, "document")
	case "video":
		media(m.Video, "video.mp4")
	case "audio":
		in.Content = "[Audio]"
	case "sticker":
		in.Content = "[Sticker]"
	case "location":
		if l := m.Location; l != nil {
			in.Content = strings.TrimSpace(fmt.Sprintf("[Location] %.6f, %.6f %s %s", l.Latitude, l.Longitude, l.Name, l.Address))
		}
	case "button":
		if m.Button != nil {
			in.Content = m.Button.Text
		}
	case "interactive":
		if i := m.Interactive; i != nil && i.ButtonReply != nil {
			in.Content = i.ButtonReply.Title
		} else if i != nil && i.ListReply != nil {
			in.Content = i.ListReply.Title
		}
	case "reaction":
		if m.Reaction != nil {
			in.Content = strings.TrimSpace("[Reaction] " + m.Reaction.Emoji)
		}
	}
	if in.Content == "" && len(in.Files) == 0 {
		in.Content = "[Unsupported message: " + m.Type + "]"
	}
}

// media fetches a media id: its URL from the Graph API, then the bytes with the token.
func (a *WhatsApp) media(token, id string) func(ctx context.Context) (io.ReadCloser, error) {
	return func(ctx context.Context) (io.ReadCloser, error) {
		var info struct {
			URL string `json:"url"`
		}
		if err := a.Graph.getJSON(ctx, id, token, &info); err != nil {
			return nil, err
		}
		if info.URL == "" {
			return nil, fmt.Errorf("whatsapp: media %s has no url", id)
		}
		return a.Graph.download(token, info.URL)(ctx)
	}
}

// waSendAnswer is the answer to a send.
type waSendAnswer struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
}

// Send delivers a message to wa:<wa_id>: a template when one is set, else the text (in
// parts of 4096 characters) and each attachment, uploaded first, the text as the first
// one's caption when it fits.
func (a *WhatsApp) Send(ctx context.Context, c *store.ChannelConfig, m *channel.Outbound) (string, error) {
	to, ok := strings.CutPrefix(m.SessionID, "wa:")
	if !ok || to == "" {
		return "", channel.Permanent("The visitor has no WhatsApp number (session %q).", m.SessionID)
	}
	token, phoneID := c.Secrets["access_token"], c.Setting("phone_number_id")
	first := ""
	send := func(msg map[string]any) error {
		msg["messaging_product"] = "whatsapp"
		msg["recipient_type"] = "individual"
		msg["to"] = to
		var ans waSendAnswer
		if err := a.Graph.postJSON(ctx, phoneID+"/messages", token, msg, &ans); err != nil {
			return sendError("WhatsApp", err)
		}
		if first == "" && len(ans.Messages) > 0 {
			first = ans.Messages[0].ID
		}
		return nil
	}
	if t := m.Template; t != nil {
		tpl := map[string]any{"name": t.Name, "language": map[string]any{"code": t.Language}}
		if len(t.Parameters) > 0 {
			params := make([]map[string]any, len(t.Parameters))
			for i, p := range t.Parameters {
				params[i] = map[string]any{"type": "text", "text": p}
			}
			tpl["components"] = []map[string]any{{"type": "body", "parameters": params}}
		}
		if err := send(map[string]any{"type": "template", "template": tpl}); err != nil {
			return "", err
		}
		return first, nil
	}
	text, caption := m.Message.Content, ""
	if len(m.Files) > 0 && utf8.RuneCountInString(text) <= 1024 {
		text, caption = "", text
	}
	for _, part := range splitText(text, 4096) {
		if err := send(map[string]any{"type": "text", "text": map[string]any{"preview_url": false, "body": part}}); err != nil {
			return "", err
		}
	}
	for i, f := range m.Files {
		rc, err := m.Open(ctx, f)
		if err != nil {
			return "", channel.Temporary("The attachment %s could not be read.", f.Name)
		}
		var up struct {
			ID string `json:"id"`
		}
		err = a.Graph.postForm(ctx, phoneID+"/media", token, [][2]string{{"messaging_product", "whatsapp"}, {"type", f.ContentType}},
			"file", f.Name, f.ContentType, rc, &up)
		rc.Close()
		if err != nil {
			return "", sendError("WhatsApp", err)
		}
		typ := "document"
		switch {
		case strings.HasPrefix(f.ContentType, "image/"):
			typ = "image"
		case f.ContentType == "video/mp4":
			typ = "video"
		}
		media := map[string]any{"id": up.ID}
		if typ == "document" {
			media["filename"] = f.Name
		}
		if i == 0 && caption != "" {
			media["caption"] = caption
		}
		if err := send(map[string]any{"type": typ, typ: media}); err != nil {
			return "", err
		}
	}
	if first == "" {
		return "", channel.Permanent("WhatsApp accepted the message without an id.")
	}
	return first, nil
}

// splitText cuts text into parts of at most n characters.
func splitText(text string, n int) []string {
	var out []string
	r := []rune(text)
	for len(r) > 0 {
		k := min(n, len(r))
		out = append(out, string(r[:k]))
		r = r[k:]
	}
	return out
}
