package httpapi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/blob"
	"github.com/baton-chat/baton/internal/store"
	"github.com/gabriel-vasile/mimetype"
)

// upload reads a multipart form with one `file` part (and optional `content`, `private`),
// detects the file's type from its bytes, checks it against the limits of channel, and
// streams it to the blob store. A refused file leaves nothing stored.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, channel string) (att store.NewAttachment, caption string, private bool, err error) {
	if s.Blobs == nil {
		return att, "", false, baton.Errorf(baton.ENOTFOUND, "Attachments are not enabled on this server.")
	}
	mt, params, perr := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if perr != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return att, "", false, &baton.Error{Code: baton.EUNSUPPORTED, Message: "Send the file as multipart/form-data with a part named file."}
	}
	body := http.MaxBytesReader(w, r.Body, store.MaxAttachmentSize+64<<10)
	mr := multipart.NewReader(body, params["boundary"])
	got := false
	for {
		part, perr := mr.NextPart()
		if errors.Is(perr, io.EOF) {
			break
		}
		var tooBig *http.MaxBytesError
		if errors.As(perr, &tooBig) {
			return att, "", false, &baton.Error{Code: baton.ETOOLARGE, Message: fmt.Sprintf("Files may be %d MB at most.", store.MaxAttachmentSize>>20)}
		}
		if perr != nil {
			return att, "", false, baton.Invalid("The multipart body could not be read.")
		}
		switch part.FormName() {
		case "content", "private":
			b, rerr := io.ReadAll(io.LimitReader(part, 64<<10))
			if rerr != nil {
				return att, "", false, baton.Invalid("The multipart body could not be read.")
			}
			if part.FormName() == "content" {
				caption = string(b)
			} else {
				private = strings.EqualFold(strings.TrimSpace(string(b)), "true")
			}
		case "file":
			if got {
				return att, "", false, baton.Invalid("Send one file at a time.")
			}
			got = true
			att, err = s.storeFile(r, part, channel)
			if err != nil {
				return att, "", false, err
			}
		default:
			return att, "", false, baton.Invalid("Unknown form field %q: send file, content and private.", part.FormName())
		}
	}
	if !got {
		if att.BlobKey != "" {
			s.Blobs.Delete(r.Context(), att.BlobKey)
		}
		return att, "", false, baton.Invalid("The form has no file part.")
	}
	return att, caption, private, nil
}

func (s *Server) storeFile(r *http.Request, part *multipart.Part, channel string) (store.NewAttachment, error) {
	br := bufio.NewReaderSize(part, 3072)
	head, _ := br.Peek(3072)
	detected := mimetype.Detect(head)
	ct := detected.String()
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	// Office files: mimetype names the OLE and zip containers; trust their own detection.
	if err := store.CheckAttachment(ct, 0, channel); err != nil {
		return store.NewAttachment{}, err
	}
	limit := int64(store.MaxAttachmentSize)
	key, n, err := s.Blobs.Put(r.Context(), io.LimitReader(br, limit+1))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return store.NewAttachment{}, &baton.Error{Code: baton.ETOOLARGE, Message: fmt.Sprintf("Files may be %d MB at most.", store.MaxAttachmentSize>>20)}
	} else if err != nil {
		return store.NewAttachment{}, fmt.Errorf("store upload: %w", err)
	}
	if err := store.CheckAttachment(ct, n, channel); err != nil {
		s.Blobs.Delete(r.Context(), key)
		return store.NewAttachment{}, err
	}
	return store.NewAttachment{BlobKey: key, Name: store.SanitizeFileName(part.FileName()), ContentType: ct, Size: n}, nil
}

func (s *Server) postAttachment(w http.ResponseWriter, r *http.Request) error {
	c, err := s.DB.FindConversation(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	att, caption, private, err := s.upload(w, r, c.Channel)
	if err != nil {
		return err
	}
	m, err := s.DB.ReplyWithAttachments(r.Context(), c.ID, caption, private, []store.NewAttachment{att})
	if err != nil {
		s.Blobs.Delete(r.Context(), att.BlobKey)
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

func (s *Server) postVisitorAttachment(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	att, caption, _, err := s.upload(w, r, "web")
	if err != nil {
		return err
	}
	m, err := s.DB.PostVisitorAttachment(r.Context(), v, caption, []store.NewAttachment{att})
	if err != nil {
		s.Blobs.Delete(r.Context(), att.BlobKey)
		return err
	}
	for i := range m.Attachments {
		m.Attachments[i].URL = "/widget/v1/attachments/" + m.Attachments[i].ID
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"id": m.ID, "conversation_id": m.ConversationID,
		"kind": m.Kind, "content": m.Content, "attachments": m.Attachments, "created_at": m.CreatedAt})
}

func (s *Server) getAttachment(w http.ResponseWriter, r *http.Request) error {
	att, err := s.DB.FindAttachment(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.serveAttachment(w, r, att)
}

func (s *Server) getVisitorAttachment(w http.ResponseWriter, r *http.Request) error {
	token := bearer(r)
	if token == "" {
		token = r.URL.Query().Get("token")
	}
	v, err := s.DB.AuthenticateVisitor(r.Context(), token)
	if err != nil {
		return err
	}
	att, err := s.DB.VisitorAttachment(r.Context(), v, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.serveAttachment(w, r, att)
}

// serveAttachment sends the file with its detected type: images inline, everything else
// as a download; nothing is ever rendered as a page of ours.
func (s *Server) serveAttachment(w http.ResponseWriter, r *http.Request, att *store.StoredAttachment) error {
	f, err := s.Blobs.Open(r.Context(), att.BlobKey)
	if errors.Is(err, blob.ErrNotFound) {
		return baton.NotFound("Attachment")
	} else if err != nil {
		return err
	}
	defer f.Close()
	disposition := "attachment"
	if strings.HasPrefix(att.ContentType, "image/") {
		disposition = "inline"
	}
	h := w.Header()
	h.Set("Content-Type", att.ContentType)
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": att.Name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=3600")
	http.ServeContent(w, r, "", att.CreatedAt, f)
	return nil
}
