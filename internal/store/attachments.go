package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
)

// Attachment limits by type (M2). Types are detected from the content, never the name.
var attachmentLimits = map[string]int64{
	"image/jpeg":               5 << 20,
	"image/png":                5 << 20,
	"image/gif":                5 << 20,
	"application/pdf":          10 << 20,
	"application/msword":       10 << 20,
	"application/vnd.ms-excel": 10 << 20,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": 10 << 20,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":       10 << 20,
	"video/mp4": 16 << 20, // WhatsApp only
}

// MaxAttachmentSize is the largest attachment of any type.
const MaxAttachmentSize = 16 << 20

// CheckAttachment validates a detected content type and size for a conversation's channel:
// EUNSUPPORTED for a type Baton does not take, ETOOLARGE over the type's limit.
func CheckAttachment(contentType string, size int64, channel string) error {
	limit, ok := attachmentLimits[contentType]
	if !ok || (contentType == "video/mp4" && channel != "" && channel != baton.ChannelWhatsApp) {
		what := "JPG, PNG or GIF images, PDF, DOC or XLS documents"
		if channel == baton.ChannelWhatsApp {
			what += ", or MP4 videos"
		}
		return &baton.Error{Code: baton.EUNSUPPORTED, Message: fmt.Sprintf("Files of type %s cannot be attached: send %s.", contentType, what)}
	}
	if size > limit {
		return &baton.Error{Code: baton.ETOOLARGE, Message: fmt.Sprintf("The file is %.1f MB; %s files may be %d MB at most.", float64(size)/(1<<20), contentType, limit>>20)}
	}
	return nil
}

// SanitizeFileName keeps a file name safe to show and to send in Content-Disposition.
func SanitizeFileName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '/' {
			return -1
		}
		return r
	}, name)
	if name == "" || name == "." || name == ".." {
		name = "file"
	}
	if utf8.RuneCountInString(name) > 200 {
		name = string([]rune(name)[:200])
	}
	return name
}

// NewAttachment is an uploaded file already in the blob store.
type NewAttachment struct {
	BlobKey     string
	Name        string
	ContentType string
	Size        int64
}

// AttachmentURL is where agents fetch an attachment (visitors use the widget's URL).
func AttachmentURL(id string) string { return "/api/v1/attachments/" + id }

func (ct *convTx) attach(files []NewAttachment) ([]baton.Attachment, error) {
	out := make([]baton.Attachment, 0, len(files))
	for _, f := range files {
		if err := CheckAttachment(f.ContentType, f.Size, ct.c.Channel); err != nil {
			return nil, err
		}
		id := ct.d.NewID()
		if err := ct.CreateAttachment(ct.ctx, db.CreateAttachmentParams{ID: id, AccountID: ct.c.AccountID, ConversationID: ct.c.ID,
			Name: SanitizeFileName(f.Name), ContentType: f.ContentType, Size: f.Size, BlobKey: f.BlobKey, CreatedAt: ct.Now()}); err != nil {
			return nil, fmt.Errorf("attachment: %w", err)
		}
		out = append(out, baton.Attachment{ID: id, Name: SanitizeFileName(f.Name), ContentType: f.ContentType, Size: f.Size, URL: AttachmentURL(id)})
	}
	return out, nil
}

// linkAttachments records which message carries the files (visitors may fetch only the
// files of messages they can see).
func (ct *convTx) linkAttachments(atts []baton.Attachment, messageID string) error {
	for _, a := range atts {
		if err := ct.SetAttachmentMessage(ct.ctx, db.SetAttachmentMessageParams{ID: a.ID, MessageID: &messageID}); err != nil {
			return fmt.Errorf("attachment: %w", err)
		}
	}
	return nil
}

// ReplyWithAttachments posts an agent reply or a note carrying files (M2); the rules of
// Reply apply (status human for replies, the rate limit). The caption may be empty.
func (d *DB) ReplyWithAttachments(ctx context.Context, id, caption string, private bool, files []NewAttachment) (*baton.Message, error) {
	a := baton.ActorFromContext(ctx)
	if strings.TrimSpace(caption) != "" {
		var err error
		if caption, err = CheckContent(caption); err != nil {
			return nil, err
		}
	}
	var m *baton.Message
	err := d.Write(ctx, func(tx *Tx) error {
		ct, err := d.lockConversation(ctx, tx, a.AccountID, id)
		if err != nil {
			return err
		}
		who := actorSender(a)
		kind, delivery := baton.KindNote, ""
		if !private {
			if baton.Status(ct.c.Status) != baton.StatusHuman {
				return ErrNotHandedOff
			}
			if err := ct.rateLimit(who.id); err != nil {
				return err
			}
			kind, delivery = baton.KindAgent, baton.DeliverySent
			if ct.c.Channel != baton.ChannelWeb {
				delivery = baton.DeliveryQueued
			}
		}
		atts, err := ct.attach(files)
		if err != nil {
			return err
		}
		if m, err = ct.addMessageWith(kind, who, caption, delivery, msgOpts{Attachments: atts}); err != nil {
			return err
		}
		if err := ct.linkAttachments(atts, m.ID); err != nil {
			return err
		}
		return ct.save()
	})
	return m, err
}

// PostVisitorAttachment stores a visitor's file as a message (after resolve, in a new
// linked conversation, as PostVisitorMessage).
func (d *DB) PostVisitorAttachment(ctx context.Context, v *baton.Visitor, caption string, files []NewAttachment) (*baton.Message, error) {
	if strings.TrimSpace(caption) != "" {
		var err error
		if caption, err = CheckContent(caption); err != nil {
			return nil, err
		}
	}
	var m *baton.Message
	err := d.Write(ctx, func(tx *Tx) error {
		ct, err := d.visitorConversation(ctx, tx, v)
		if err != nil {
			return err
		}
		atts, err := ct.attach(files)
		if err != nil {
			return err
		}
		if m, err = ct.addMessageWith(baton.KindVisitor, sender{name: "Visitor"}, caption, "", msgOpts{Attachments: atts}); err != nil {
			return err
		}
		if err := ct.linkAttachments(atts, m.ID); err != nil {
			return err
		}
		if caption != "" {
			// The bot reads text only: a file alone waits for a person or the next question.
			if err := ct.enqueueBotReply(m); err != nil {
				return err
			}
		}
		return ct.save()
	})
	return m, err
}

// StoredAttachment is an attachment's row, for serving it.
type StoredAttachment struct {
	ID             string
	MessageID      string
	ConversationID string
	Name           string
	ContentType    string
	Size           int64
	BlobKey        string
	CreatedAt      time.Time
}

// FindAttachment returns an attachment of the actor's account.
func (d *DB) FindAttachment(ctx context.Context, id string) (*StoredAttachment, error) {
	return d.findAttachment(ctx, baton.ActorFromContext(ctx).AccountID, id)
}

func (d *DB) findAttachment(ctx context.Context, accountID, id string) (*StoredAttachment, error) {
	r, err := d.read().GetAttachment(ctx, db.GetAttachmentParams{ID: id, AccountID: accountID})
	if isNoRows(err) {
		return nil, baton.NotFound("Attachment")
	} else if err != nil {
		return nil, fmt.Errorf("attachment: %w", err)
	}
	return &StoredAttachment{MessageID: deref(r.MessageID), ID: r.ID, ConversationID: r.ConversationID, Name: r.Name, ContentType: r.ContentType, Size: r.Size, BlobKey: r.BlobKey, CreatedAt: r.CreatedAt}, nil
}

// VisitorAttachment returns an attachment of one of the visitor's conversations.
func (d *DB) VisitorAttachment(ctx context.Context, v *baton.Visitor, id string) (*StoredAttachment, error) {
	att, err := d.findAttachment(ctx, v.AccountID, id)
	if err != nil {
		return nil, err
	}
	c, err := d.read().GetConversation(ctx, db.GetConversationParams{ID: att.ConversationID, AccountID: v.AccountID})
	if err != nil || c.ContactID != v.ContactID || att.MessageID == "" {
		return nil, baton.NotFound("Attachment")
	}
	// Files of internal notes are the team's only (M1).
	kind, err := d.read().MessageKind(ctx, db.MessageKindParams{ID: att.MessageID, AccountID: v.AccountID})
	if err != nil || !baton.MessageKind(kind).VisitorVisible() {
		return nil, baton.NotFound("Attachment")
	}
	return att, nil
}
