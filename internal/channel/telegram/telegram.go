// Package telegram is the Telegram Bot API channel (C2): a webhook per chatbot whose
// X-Telegram-Bot-Api-Secret-Token header is checked, setWebhook when the channel is
// configured, and text, photos and documents both ways with github.com/go-telegram/bot.
// A visitor's session id is tg:<chat_id>.
package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/channel"
	"github.com/baton-chat/baton/internal/store"
	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// SecretHeader carries the webhook secret on every update Telegram posts.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// Telegram's limits on text.
const (
	maxText    = 4096
	maxCaption = 1024
)

// Adapter speaks the Bot API at APIURL (https://api.telegram.org, or
// BATON_TELEGRAM_API_URL).
type Adapter struct {
	APIURL string
	// Client makes the calls (nil: a client with a 60 s timeout).
	Client *http.Client
	Logger *slog.Logger
}

var _ channel.Adapter = (*Adapter)(nil)

// Kind is baton.ChannelTelegram.
func (a *Adapter) Kind() string { return baton.ChannelTelegram }

// Fields are those of API.md: the bot token from @BotFather and the webhook secret
// (generated when left empty).
func (a *Adapter) Fields() []channel.Field {
	return []channel.Field{
		{Name: "bot_token", Type: "string", Secret: true, Required: true},
		{Name: "webhook_secret", Type: "string", Secret: true, Generated: true},
	}
}

func (a *Adapter) client() *http.Client {
	if a.Client != nil {
		return a.Client
	}
	return &http.Client{Timeout: 60 * time.Second}
}

func (a *Adapter) bot(token string) (*bot.Bot, error) {
	c := a.client()
	return bot.New(token, bot.WithServerURL(strings.TrimRight(a.APIURL, "/")), bot.WithSkipGetMe(),
		bot.WithHTTPClient(c.Timeout, c), bot.WithErrorsHandler(func(err error) {
			if a.Logger != nil {
				a.Logger.Warn("telegram client", "err", redact(err.Error(), token))
			}
		}))
}

var secretRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// Connect checks the bot token (getMe) and points the bot's webhook at hookURL with the
// secret (setWebhook).
func (a *Adapter) Connect(ctx context.Context, c *store.ChannelConfig, hookURL string) error {
	token, secret := c.Secrets["bot_token"], c.Secrets["webhook_secret"]
	if !secretRe.MatchString(secret) {
		return baton.Invalid("webhook_secret may hold only letters, digits, _ and - (256 at most).")
	}
	b, err := a.bot(token)
	if err != nil {
		return baton.Invalid("The bot token is not valid.")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := b.GetMe(ctx); err != nil {
		return baton.Invalid("Telegram refused the bot token: %s", redact(err.Error(), token))
	}
	if _, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: hookURL, SecretToken: secret,
		AllowedUpdates: []string{"message"}}); err != nil {
		return baton.Invalid("Telegram refused the webhook %s: %s", hookURL, redact(err.Error(), token))
	}
	return nil
}

// Receive checks the secret header and parses one Update. Only messages are kept (the
// webhook asks for nothing else); each is keyed by its update_id (C6).
func (a *Adapter) Receive(ctx context.Context, c *store.ChannelConfig, r *http.Request, body []byte) (*channel.Batch, error) {
	got := r.Header.Get(SecretHeader)
	if got == "" {
		return nil, baton.Errorf(baton.EUNAUTHORIZED, "The %s header is missing.", SecretHeader)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(c.Secrets["webhook_secret"])) != 1 {
		return nil, baton.Errorf(baton.EFORBIDDEN, "The %s header does not match this channel's secret.", SecretHeader)
	}
	var u models.Update
	if err := json.Unmarshal(body, &u); err != nil || u.ID == 0 {
		return nil, baton.Invalid("The body is not a Telegram Update.")
	}
	batch := &channel.Batch{}
	m := u.Message
	if m == nil || m.Chat.ID == 0 {
		return batch, nil
	}
	in := &channel.Inbound{InboundMessage: store.InboundMessage{
		SessionID:  "tg:" + strconv.FormatInt(m.Chat.ID, 10),
		Key:        "update:" + strconv.FormatInt(u.ID, 10),
		ExternalID: strconv.Itoa(m.ID),
		Name:       senderName(m),
		Content:    m.Text,
	}}
	if m.Caption != "" {
		in.Content = m.Caption
	}
	token := c.Secrets["bot_token"]
	switch {
	case len(m.Photo) > 0:
		largest := m.Photo[0]
		for _, p := range m.Photo {
			if p.Width*p.Height > largest.Width*largest.Height {
				largest = p
			}
		}
		in.Files = append(in.Files, channel.File{Name: "photo.jpg", Open: a.fetch(token, largest.FileID)})
	case m.Document != nil:
		name := m.Document.FileName
		if name == "" {
			name = "document"
		}
		in.Files = append(in.Files, channel.File{Name: name, Open: a.fetch(token, m.Document.FileID)})
	case m.Sticker != nil:
		in.Content = strings.TrimSpace("[Sticker] " + m.Sticker.Emoji)
	case m.Voice != nil:
		in.Content = "[Voice message]"
	case m.Audio != nil:
		in.Content = "[Audio]"
	case m.Video != nil || m.VideoNote != nil || m.Animation != nil:
		in.Content = strings.TrimSpace("[Video] " + m.Caption)
	case m.Location != nil:
		in.Content = fmt.Sprintf("[Location] %.6f, %.6f", m.Location.Latitude, m.Location.Longitude)
	case m.Contact != nil:
		in.Content = strings.TrimSpace(fmt.Sprintf("[Contact] %s %s %s", m.Contact.FirstName, m.Contact.LastName, m.Contact.PhoneNumber))
	}
	if in.Content == "" && len(in.Files) == 0 {
		in.Content = "[Unsupported message]"
	}
	batch.Messages = append(batch.Messages, in)
	return batch, nil
}

// senderName is the visitor's name: the sender's, else the chat's title.
func senderName(m *models.Message) string {
	if m.From != nil {
		if n := strings.TrimSpace(m.From.FirstName + " " + m.From.LastName); n != "" {
			return n
		}
		if m.From.Username != "" {
			return "@" + m.From.Username
		}
	}
	if m.Chat.Title != "" {
		return m.Chat.Title
	}
	return strings.TrimSpace(m.Chat.FirstName + " " + m.Chat.LastName)
}

// fetch downloads a file by id: getFile, then the file path under /file/bot<token>/.
func (a *Adapter) fetch(token, fileID string) func(ctx context.Context) (io.ReadCloser, error) {
	return func(ctx context.Context) (io.ReadCloser, error) {
		b, err := a.bot(token)
		if err != nil {
			return nil, err
		}
		f, err := b.GetFile(ctx, &bot.GetFileParams{FileID: fileID})
		if err != nil {
			return nil, errors.New(redact(err.Error(), token))
		}
		rc, err := channel.Download(a.client(), b.FileDownloadLink(f), nil)(ctx)
		if err != nil {
			return nil, errors.New(redact(err.Error(), token))
		}
		return rc, nil
	}
}

// Send delivers a message to chat <chat_id> of the session: its text (in parts of 4096
// characters), then each attachment as a photo (JPG, PNG) or a document, the text as the
// first one's caption when it fits.
func (a *Adapter) Send(ctx context.Context, c *store.ChannelConfig, m *channel.Outbound) (string, error) {
	chatID, ok := strings.CutPrefix(m.SessionID, "tg:")
	if !ok || chatID == "" {
		return "", channel.Permanent("The visitor has no Telegram chat (session %q).", m.SessionID)
	}
	token := c.Secrets["bot_token"]
	b, err := a.bot(token)
	if err != nil {
		return "", channel.Permanent("The Telegram bot token is not valid.")
	}
	text, caption := m.Message.Content, ""
	if len(m.Files) > 0 && utf8.RuneCountInString(text) <= maxCaption {
		text, caption = "", text
	}
	first := ""
	note := func(msg *models.Message) {
		if first == "" && msg != nil {
			first = strconv.Itoa(msg.ID)
		}
	}
	for _, part := range split(text, maxText) {
		msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: chatID, Text: part})
		if err != nil {
			return "", sendError(err, token)
		}
		note(msg)
	}
	for i, f := range m.Files {
		rc, err := m.Open(ctx, f)
		if err != nil {
			return "", channel.Temporary("The attachment %s could not be read.", f.Name)
		}
		upload := &models.InputFileUpload{Filename: f.Name, Data: rc}
		cap := ""
		if i == 0 {
			cap = caption
		}
		var msg *models.Message
		if f.ContentType == "image/jpeg" || f.ContentType == "image/png" {
			msg, err = b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: chatID, Photo: upload, Caption: cap})
		} else {
			msg, err = b.SendDocument(ctx, &bot.SendDocumentParams{ChatID: chatID, Document: upload, Caption: cap})
		}
		rc.Close()
		if err != nil {
			return "", sendError(err, token)
		}
		note(msg)
	}
	if first == "" {
		return "", channel.Permanent("The message has neither text nor attachments.")
	}
	return first, nil
}

// sendError sorts the Bot API's answers: 429 waits retry_after, 400/401/403/404 are
// final (the user blocked the bot, the chat is gone, the token was revoked), the rest is
// retried.
func sendError(err error, token string) error {
	reason := "Telegram: " + redact(err.Error(), token)
	var tm *bot.TooManyRequestsError
	if errors.As(err, &tm) {
		return channel.RateLimited(time.Duration(tm.RetryAfter)*time.Second, "%s", reason)
	}
	if errors.Is(err, bot.ErrorForbidden) || errors.Is(err, bot.ErrorBadRequest) || errors.Is(err, bot.ErrorUnauthorized) ||
		errors.Is(err, bot.ErrorNotFound) || bot.IsMigrateError(err) {
		return channel.Permanent("%s", reason)
	}
	return channel.Temporary("%s", reason)
}

// redact removes the bot token from a text (URLs carry it).
func redact(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "***")
}

// split cuts text into parts of at most n characters, at line breaks where it can.
func split(text string, n int) []string {
	var out []string
	for text != "" {
		r := []rune(text)
		if len(r) <= n {
			out = append(out, text)
			break
		}
		cut := n
		if i := strings.LastIndex(string(r[:n]), "\n"); i > 0 {
			cut = utf8.RuneCountInString(string(r[:n])[:i]) + 1
		}
		out = append(out, string(r[:cut]))
		text = string(r[cut:])
	}
	return out
}
