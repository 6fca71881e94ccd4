package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/blob"
)

// contactExport is the part of GET /api/v1/contacts/{id}/export the tests read.
type contactExport struct {
	Contact struct {
		ID, Name, Email string
		Identities      []struct {
			Channel   string `json:"channel"`
			SessionID string `json:"session_id"`
		} `json:"identities"`
		ErasedAt *string `json:"erased_at"`
	} `json:"contact"`
	Conversations []struct {
		ID       string `json:"id"`
		Messages []struct {
			Kind, Content string
			SenderName    string `json:"sender_name"`
			Attachments   []any  `json:"attachments"`
		} `json:"messages"`
	} `json:"conversations"`
	Attachments []struct{ ID, Name string } `json:"attachments"`
}

// contactOf returns the contact id of a conversation, read with token.
func (e *env) contactOf(t *testing.T, token, convID string) string {
	t.Helper()
	var c struct {
		Contact struct{ ID string } `json:"contact"`
	}
	e.do(t, req{Method: "GET", URL: "/api/v1/conversations/" + convID, Token: token}).wantStatus(t, http.StatusOK).decode(t, &c)
	if c.Contact.ID == "" {
		t.Fatalf("conversation %s has no contact", convID)
	}
	return c.Contact.ID
}

func (e *env) export(t *testing.T, contactID string) contactExport {
	t.Helper()
	r := e.do(t, req{Method: "GET", URL: "/api/v1/contacts/" + contactID + "/export", Token: e.OwnerToken}).wantStatus(t, http.StatusOK)
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="contact-`+contactID+`.json"` {
		t.Errorf("export Content-Disposition = %q, want an attachment named contact-<id>.json", cd)
	}
	var x contactExport
	r.decode(t, &x)
	return x
}

// searchFinds reports whether the owner's conversation search for q lists convID.
func (e *env) searchFinds(t *testing.T, q, convID string) bool {
	t.Helper()
	var p struct {
		Conversations []struct{ ID string } `json:"conversations"`
	}
	e.do(t, req{Method: "GET", URL: "/api/v1/conversations?q=" + q, Token: e.OwnerToken}).wantStatus(t, http.StatusOK).decode(t, &p)
	for _, c := range p.Conversations {
		if c.ID == convID {
			return true
		}
	}
	return false
}

func TestContactExportAndErasure(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		// Zelda says a rare word and sends a file; Link, another visitor, says the same word.
		zelda := e.openVisitor(t, "demo", "Zelda", "my locker code is xylophone")
		e.visitorFile(t, zelda.Token)
		link := e.openVisitor(t, "demo", "Link", "xylophone lessons please")
		e.handOff(t, e.OwnerToken, zelda.ConversationID)
		e.do(t, req{Method: "POST", URL: "/api/v1/conversations/" + zelda.ConversationID + "/messages", Token: e.OwnerToken,
			Body: map[string]any{"content": "Noted your xylophone code"}}).wantStatus(t, http.StatusCreated)
		contact := e.contactOf(t, e.OwnerToken, zelda.ConversationID)
		root := e.API.Blobs.(blob.Dir).Root
		if n := countBlobs(t, root); n != 1 {
			t.Fatalf("blobs before erasure = %d, want 1", n)
		}

		x := e.export(t, contact)
		if x.Contact.ID != contact || x.Contact.Name != "Zelda" || len(x.Contact.Identities) != 1 || x.Contact.Identities[0].SessionID != zelda.SessionID {
			t.Errorf("export contact = %+v, want Zelda with her session as identity", x.Contact)
		}
		var said []string
		for _, c := range x.Conversations {
			for _, m := range c.Messages {
				said = append(said, m.Kind+": "+m.Content)
			}
		}
		if all := strings.Join(said, "\n"); !strings.Contains(all, "visitor: my locker code is xylophone") || !strings.Contains(all, "agent: Noted your xylophone code") {
			t.Errorf("export messages = %q, want the visitor's and the agent's words", said)
		}
		if len(x.Attachments) != 1 || x.Attachments[0].Name != "file.pdf" {
			t.Errorf("export attachments = %+v, want file.pdf", x.Attachments)
		}
		if !e.searchFinds(t, "xylophone", zelda.ConversationID) {
			t.Fatalf("search for xylophone before erasure does not find Zelda's conversation")
		}

		// Who may not erase: an agent, and another account's owner (who cannot see it).
		_, agentToken := e.newUser(t, e.Account.ID, "agent@acme.test", baton.RoleAgent)
		e.do(t, req{Method: "DELETE", URL: "/api/v1/contacts/" + contact, Token: agentToken}).wantError(t, http.StatusForbidden, "forbidden", "")
		e.do(t, req{Method: "GET", URL: "/api/v1/contacts/" + contact + "/export", Token: agentToken}).wantError(t, http.StatusForbidden, "forbidden", "")
		other, _, err := e.DB.CreateAccount(ctx, "Other", "other", "Other Bot")
		if err != nil {
			t.Fatalf("CreateAccount: %v", err)
		}
		_, otherToken := e.newUser(t, other.ID, "boss@other.test", baton.RoleOwner)
		e.do(t, req{Method: "DELETE", URL: "/api/v1/contacts/" + contact, Token: otherToken}).wantError(t, http.StatusNotFound, "not_found", "")
		e.do(t, req{Method: "GET", URL: "/api/v1/contacts/" + contact + "/export", Token: otherToken}).wantError(t, http.StatusNotFound, "not_found", "")

		e.do(t, req{Method: "DELETE", URL: "/api/v1/contacts/" + contact, Token: e.OwnerToken}).wantStatus(t, http.StatusNoContent)

		x = e.export(t, contact)
		if x.Contact.Name != "" || x.Contact.Email != "" || len(x.Contact.Identities) != 0 || x.Contact.ErasedAt == nil {
			t.Errorf("export after erasure: contact = %+v, want nothing personal and erased_at set", x.Contact)
		}
		for _, c := range x.Conversations {
			for _, m := range c.Messages {
				if m.Content != "" || len(m.Attachments) != 0 || (m.Kind == "visitor" && m.SenderName != "") {
					t.Errorf("export after erasure: %s message %q (sender %q, %d files), want it emptied", m.Kind, m.Content, m.SenderName, len(m.Attachments))
				}
			}
		}
		if len(x.Attachments) != 0 {
			t.Errorf("export after erasure lists attachments %+v, want none", x.Attachments)
		}
		if n := countBlobs(t, root); n != 0 {
			t.Errorf("blobs after erasure = %d, want 0", n)
		}
		var thread struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		e.do(t, req{Method: "GET", URL: "/api/v1/conversations/" + zelda.ConversationID + "/messages", Token: e.OwnerToken}).
			wantStatus(t, http.StatusOK).decode(t, &thread)
		for _, m := range thread.Messages {
			if strings.Contains(m.Content, "xylophone") {
				t.Errorf("thread after erasure still says %q", m.Content)
			}
		}
		if e.searchFinds(t, "xylophone", zelda.ConversationID) {
			t.Errorf("search for a word Zelda wrote still finds her conversation after erasure")
		}
		if e.searchFinds(t, "zelda", zelda.ConversationID) {
			t.Errorf("search for Zelda's name still finds her conversation after erasure")
		}
		if !e.searchFinds(t, "xylophone", link.ConversationID) {
			t.Errorf("search no longer finds Link's conversation: erasure touched another contact")
		}
		// The person cannot resume: the widget token is gone.
		e.do(t, req{Method: "GET", URL: "/widget/v1/messages", Token: zelda.Token}).wantError(t, http.StatusUnauthorized, "unauthorized", "")
		// Erasing again is allowed.
		e.do(t, req{Method: "DELETE", URL: "/api/v1/contacts/" + contact, Token: e.OwnerToken}).wantStatus(t, http.StatusNoContent)

		var log struct {
			Items []struct {
				Action, Target string
				Actor          *struct{ ID string } `json:"actor"`
				Detail         map[string]any       `json:"detail"`
			} `json:"items"`
		}
		e.do(t, req{Method: "GET", URL: "/api/v1/audit-log?action=contact.", Token: e.OwnerToken}).wantStatus(t, http.StatusOK).decode(t, &log)
		var got []string
		for _, it := range log.Items {
			got = append(got, it.Action+" "+it.Target)
			if it.Actor == nil || it.Actor.ID != e.Owner.ID {
				t.Errorf("audit %s actor = %+v, want the owner", it.Action, it.Actor)
			}
		}
		// Newest first: the second export and erasure, then the first.
		want := []string{"contact.erase contact:" + contact, "contact.export contact:" + contact, "contact.erase contact:" + contact, "contact.export contact:" + contact}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("audit log = %v, want %v", got, want)
		}
		if len(log.Items) == 4 && log.Items[2].Detail["attachments"] != float64(1) {
			t.Errorf("first erasure detail = %v, want 1 attachment counted", log.Items[2].Detail)
		}
	})
}
