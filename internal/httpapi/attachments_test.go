package httpapi_test

import (
	"bytes"
	"image"
	"image/png"
	"io/fs"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-chat/baton/internal/blob"
	"github.com/baton-chat/baton/internal/store"
)

func pngBytes(t *testing.T, pad int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	// Bytes after IEND are ignored by decoders but count against the size limit.
	return append(b.Bytes(), make([]byte, pad)...)
}

var (
	pdfBytes = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	exeBytes = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0}, 200)...)
	mp4Bytes = append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), bytes.Repeat([]byte{0}, 100)...)
)

// multipartBody builds a form with a file part and optional fields.
func multipartBody(t *testing.T, name string, data []byte, fields map[string]string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if data != nil {
		f, _ := w.CreateFormFile("file", name)
		f.Write(data)
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

func countBlobs(t *testing.T, root string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// visitorFile has the visitor of token upload a PDF and returns the attachment's id.
func (e *env) visitorFile(t *testing.T, token string) string {
	t.Helper()
	body, ct := multipartBody(t, "file.pdf", pdfBytes, nil)
	r := e.do(t, req{Method: "POST", URL: "/widget/v1/attachments", Token: token, Body: body, Headers: map[string]string{"Content-Type": ct}})
	r.wantStatus(t, http.StatusCreated)
	return r.jsonMap(t)["attachments"].([]any)[0].(map[string]any)["id"].(string)
}

func TestAttachments(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		root := e.API.Blobs.(blob.Dir).Root
		v := e.openVisitor(t, "demo", "Vera", "Hello")
		conv := "/api/v1/conversations/" + v.ConversationID
		upload := func(path, token, name string, data []byte, fields map[string]string) resp {
			body, ct := multipartBody(t, name, data, fields)
			return e.do(t, req{Method: "POST", URL: path, Token: token, Body: body, Headers: map[string]string{"Content-Type": ct}})
		}

		t.Run("a reply with a file before the handoff is refused and nothing is kept", func(t *testing.T) {
			upload(conv+"/attachments", e.OwnerToken, "a.png", pngBytes(t, 0), nil).
				wantError(t, http.StatusConflict, "conflict", store.ErrNotHandedOff.Message)
			if n := countBlobs(t, root); n != 0 {
				t.Fatalf("%d blobs left after a refused upload", n)
			}
		})
		t.Run("a note may carry a PDF in any status", func(t *testing.T) {
			r := upload(conv+"/attachments", e.OwnerToken, "invoice.pdf", pdfBytes, map[string]string{"private": "true", "content": "the invoice"})
			r.wantStatus(t, http.StatusCreated)
			m := r.jsonMap(t)
			atts := m["attachments"].([]any)
			if m["kind"] != "note" || len(atts) != 1 || atts[0].(map[string]any)["content_type"] != "application/pdf" {
				t.Fatalf("note = %v", m)
			}
			url := atts[0].(map[string]any)["url"].(string)
			got := e.do(t, req{Method: "GET", URL: url, Token: e.OwnerToken})
			got.wantStatus(t, http.StatusOK)
			if !bytes.Equal(got.Body, pdfBytes) || !strings.HasPrefix(got.Header.Get("Content-Disposition"), "attachment;") {
				t.Fatalf("download: %q, disposition %q", got.Body, got.Header.Get("Content-Disposition"))
			}
			// The note's file is the team's: the visitor of the conversation cannot fetch it.
			id := atts[0].(map[string]any)["id"].(string)
			e.do(t, req{Method: "GET", URL: "/widget/v1/attachments/" + id, Token: v.Token}).wantStatus(t, http.StatusNotFound)
		})

		e.handOff(t, e.OwnerToken, v.ConversationID)
		before := countBlobs(t, root)
		t.Run("an .exe named .png is refused with 415 and nothing is stored", func(t *testing.T) {
			upload(conv+"/attachments", e.OwnerToken, "photo.png", exeBytes, nil).wantStatus(t, http.StatusUnsupportedMediaType)
		})
		t.Run("an image over 5 MB is refused with 413 and nothing is stored", func(t *testing.T) {
			upload(conv+"/attachments", e.OwnerToken, "big.png", pngBytes(t, 5<<20), nil).wantStatus(t, http.StatusRequestEntityTooLarge)
		})
		t.Run("an MP4 is refused on the web channel", func(t *testing.T) {
			upload(conv+"/attachments", e.OwnerToken, "clip.mp4", mp4Bytes, nil).wantStatus(t, http.StatusUnsupportedMediaType)
		})
		t.Run("a form without a file or of another type is refused", func(t *testing.T) {
			upload(conv+"/attachments", e.OwnerToken, "", nil, map[string]string{"content": "hi"}).wantStatus(t, http.StatusBadRequest)
			e.do(t, req{Method: "POST", URL: conv + "/attachments", Token: e.OwnerToken, Body: `{"content":"x"}`}).
				wantStatus(t, http.StatusUnsupportedMediaType)
		})
		if n := countBlobs(t, root); n != before {
			t.Fatalf("refused uploads left %d blobs", n-before)
		}

		var imageURL string
		t.Run("a reply with an image reaches the visitor, who can fetch it", func(t *testing.T) {
			r := upload(conv+"/attachments", e.OwnerToken, "screen shot.png", pngBytes(t, 0), map[string]string{"content": "see this"})
			r.wantStatus(t, http.StatusCreated)
			att := r.jsonMap(t)["attachments"].([]any)[0].(map[string]any)
			imageURL = att["url"].(string)
			got := e.do(t, req{Method: "GET", URL: imageURL, Token: e.OwnerToken})
			got.wantStatus(t, http.StatusOK)
			if got.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(got.Header.Get("Content-Disposition"), "inline;") {
				t.Fatalf("headers = %v", got.Header)
			}
			hist := e.do(t, req{Method: "GET", URL: "/widget/v1/messages?after_seq=0", Token: v.Token})
			if !bytes.Contains(hist.Body, []byte("/widget/v1/attachments/"+att["id"].(string))) {
				t.Fatalf("the visitor's history lacks the file: %s", hist.Body)
			}
			e.do(t, req{Method: "GET", URL: "/widget/v1/attachments/" + att["id"].(string) + "?token=" + v.Token}).wantStatus(t, http.StatusOK)
		})

		t.Run("a visitor uploads a file; other visitors and accounts cannot fetch it", func(t *testing.T) {
			r := upload("/widget/v1/attachments", v.Token, "receipt.pdf", pdfBytes, map[string]string{"content": "my receipt"})
			r.wantStatus(t, http.StatusCreated)
			id := r.jsonMap(t)["attachments"].([]any)[0].(map[string]any)["id"].(string)
			other := e.openVisitor(t, "demo", "Otto", "Hi")
			e.do(t, req{Method: "GET", URL: "/widget/v1/attachments/" + id, Token: other.Token}).wantStatus(t, http.StatusNotFound)
			e.do(t, req{Method: "GET", URL: "/widget/v1/attachments/" + id, Token: v.Token}).wantStatus(t, http.StatusOK)
			e.do(t, req{Method: "GET", URL: "/api/v1/attachments/" + id, Token: e.OwnerToken}).wantStatus(t, http.StatusOK)
			acc2, _, err := e.DB.CreateAccount(t.Context(), "Other", "other-"+v.ConversationID[len(v.ConversationID)-6:], "Other Bot")
			if err != nil {
				t.Fatal(err)
			}
			_, stranger := e.newUser(t, acc2.ID, "stranger@other.test", "owner")
			e.do(t, req{Method: "GET", URL: "/api/v1/attachments/" + id, Token: stranger}).wantStatus(t, http.StatusNotFound)
		})
	})
}
