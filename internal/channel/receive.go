package channel

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/gabriel-vasile/mimetype"
)

// Store saves an inbound message once (C6): a message whose key the chatbot stored
// before is a duplicate (and its files are not fetched again). Files are fetched, checked
// by their content against the limits of M2 and kept in the blob store; a file that
// cannot be kept leaves a line in the text saying so, and the message is stored all the
// same.
func (s *Service) Store(ctx context.Context, c *store.ChannelConfig, in *Inbound) (*baton.Message, bool, error) {
	in.ChatbotID = c.ChatbotID
	// Refused before anything is fetched: an id the store cannot keep.
	if err := store.CheckInbound(&in.InboundMessage); err != nil {
		return nil, false, err
	}
	seen, err := s.DB.InboundSeen(ctx, c.ChatbotID, in.Key)
	if err != nil {
		return nil, false, err
	}
	if seen {
		return nil, true, nil
	}
	if in.NameLookup != nil && in.Name == "" {
		known, err := s.DB.ContactKnown(ctx, c.ChatbotID, in.SessionID)
		if err != nil {
			return nil, false, err
		}
		if !known {
			in.Name = in.NameLookup(ctx)
		}
	}
	var notes []string
	in.Attachments = in.Attachments[:0]
	for _, f := range in.Files {
		a, err := s.keep(ctx, c.Kind, f)
		if err != nil {
			notes = append(notes, fmt.Sprintf("[Attachment %s not kept: %s]", store.SanitizeFileName(f.Name), baton.ErrorMessage(err)))
			if baton.ErrorCode(err) == baton.EINTERNAL {
				s.Logger.Warn("inbound attachment", "channel", c.Kind, "chatbot", c.ChatbotID, "err", err)
			}
			continue
		}
		in.Attachments = append(in.Attachments, a)
	}
	if len(notes) > 0 {
		in.Content = strings.TrimSpace(in.Content + "\n" + strings.Join(notes, "\n"))
	}
	m, dup, err := s.DB.ReceiveMessage(ctx, &in.InboundMessage)
	if err != nil || dup {
		for _, a := range in.Attachments {
			if derr := s.Blobs.Delete(context.WithoutCancel(ctx), a.BlobKey); derr != nil {
				s.Logger.Warn("inbound attachment cleanup", "err", derr)
			}
		}
	}
	return m, dup, err
}

// keep fetches one file, checks its type by content and its size, and stores it.
func (s *Service) keep(ctx context.Context, kind string, f File) (store.NewAttachment, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	rc, err := f.Open(ctx)
	if err != nil {
		return store.NewAttachment{}, &baton.Error{Code: baton.EINTERNAL, Message: "it could not be downloaded from the provider."}
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, store.MaxAttachmentSize+1))
	if err != nil {
		return store.NewAttachment{}, fmt.Errorf("download %s: %w", f.Name, err)
	}
	if len(data) > store.MaxAttachmentSize {
		return store.NewAttachment{}, &baton.Error{Code: baton.ETOOLARGE, Message: fmt.Sprintf("it is larger than %d MB.", store.MaxAttachmentSize>>20)}
	}
	ctype, _, _ := strings.Cut(mimetype.Detect(data).String(), ";")
	if err := store.CheckAttachment(ctype, int64(len(data)), kind); err != nil {
		return store.NewAttachment{}, err
	}
	key, size, err := s.Blobs.Put(ctx, bytes.NewReader(data))
	if err != nil {
		return store.NewAttachment{}, fmt.Errorf("store %s: %w", f.Name, err)
	}
	name := store.SanitizeFileName(f.Name)
	return store.NewAttachment{BlobKey: key, Name: name, ContentType: ctype, Size: size}, nil
}

// Download returns a File.Open that GETs url with the client, adding header (an
// Authorization, for instance) when it is not empty.
func Download(client *http.Client, url string, header http.Header) func(ctx context.Context) (io.ReadCloser, error) {
	return func(ctx context.Context) (io.ReadCloser, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("download: %s", resp.Status)
		}
		return resp.Body, nil
	}
}
