// Package canned holds an account's canned responses (M6): short reply texts agents insert
// by shortcut, their rules (shortcut, title, category and text limits), the search that
// lists them, and the rendering of their {{variables}} for a conversation.
package canned

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/store/db"
)

// Response is a canned response (M6).
type Response struct {
	ID        string    `json:"id"`
	Shortcut  string    `json:"shortcut"`
	Title     string    `json:"title"`
	Content   string    `json:"content"`
	Category  string    `json:"category"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Input creates or changes a canned response.
type Input struct {
	Shortcut *string
	Title    *string
	Content  *string
	Category *string
}

var shortcutRe = regexp.MustCompile(`^[\p{L}\p{N}_-]{1,50}$`)

func fromRow(c db.CannedResponse) *Response {
	return &Response{ID: c.ID, Shortcut: c.Shortcut, Title: c.Title, Content: c.Content, Category: c.Category, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func apply(c *db.CannedResponse, in Input) error {
	if in.Shortcut != nil {
		s := strings.TrimPrefix(strings.TrimSpace(*in.Shortcut), "/")
		if !shortcutRe.MatchString(s) {
			return baton.Invalid("A shortcut is 1 to 50 letters, digits, - or _ (no spaces).")
		}
		c.Shortcut = s
	}
	if in.Title != nil {
		c.Title = strings.TrimSpace(*in.Title)
	}
	if in.Content != nil {
		c.Content = *in.Content
	}
	if in.Category != nil {
		c.Category = strings.TrimSpace(*in.Category)
	}
	if c.Title == "" {
		c.Title = c.Shortcut
	}
	if utf8.RuneCountInString(c.Title) > 200 || utf8.RuneCountInString(c.Category) > 100 {
		return baton.Invalid("The title is at most 200 characters and the category at most 100.")
	}
	if strings.TrimSpace(c.Content) == "" || utf8.RuneCountInString(c.Content) > baton.MaxMessageLength {
		return baton.Invalid("The text must be 1 to %d characters long.", baton.MaxMessageLength)
	}
	return nil
}

// Create adds a canned response to the actor's account.
func Create(ctx context.Context, d *store.DB, in Input) (*Response, error) {
	a := baton.ActorFromContext(ctx)
	if in.Shortcut == nil {
		return nil, baton.Invalid("A canned response needs a shortcut.")
	}
	var c db.CannedResponse
	err := d.Write(ctx, func(tx *store.Tx) error {
		c = db.CannedResponse{ID: d.NewID(), AccountID: a.AccountID, CreatedAt: tx.Now(), UpdatedAt: tx.Now()}
		if err := apply(&c, in); err != nil {
			return err
		}
		var by *string
		if id := a.UserID(); id != "" {
			by = &id
		}
		err := tx.CreateCanned(ctx, db.CreateCannedParams{ID: c.ID, AccountID: c.AccountID, Shortcut: c.Shortcut, Title: c.Title,
			Content: c.Content, Category: c.Category, CreatedBy: by, CreatedAt: c.CreatedAt})
		if store.IsUnique(err) {
			return baton.Errorf(baton.ECONFLICT, "The shortcut /%s is taken.", c.Shortcut)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return fromRow(c), nil
}

// Update changes a canned response.
func Update(ctx context.Context, d *store.DB, id string, in Input) (*Response, error) {
	a := baton.ActorFromContext(ctx)
	var c db.CannedResponse
	err := d.Write(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.GetCanned(ctx, db.GetCannedParams{ID: id, AccountID: a.AccountID})
		if store.IsNoRows(err) {
			return baton.NotFound("Canned response")
		} else if err != nil {
			return err
		}
		if err := apply(&c, in); err != nil {
			return err
		}
		c.UpdatedAt = tx.Now()
		err = tx.UpdateCanned(ctx, db.UpdateCannedParams{ID: id, AccountID: a.AccountID, Shortcut: c.Shortcut, Title: c.Title,
			Content: c.Content, Category: c.Category, UpdatedAt: c.UpdatedAt})
		if store.IsUnique(err) {
			return baton.Errorf(baton.ECONFLICT, "The shortcut /%s is taken.", c.Shortcut)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return fromRow(c), nil
}

// Delete removes a canned response.
func Delete(ctx context.Context, d *store.DB, id string) error {
	a := baton.ActorFromContext(ctx)
	return d.Write(ctx, func(tx *store.Tx) error {
		n, err := tx.DeleteCanned(ctx, db.DeleteCannedParams{ID: id, AccountID: a.AccountID})
		if err != nil {
			return err
		}
		if n == 0 {
			return baton.NotFound("Canned response")
		}
		return nil
	})
}

// List lists canned responses, filtered by a search over shortcut, title and text, and by
// category; shortcut prefix matches come first.
func List(ctx context.Context, d *store.DB, query, category string) ([]*Response, error) {
	a := baton.ActorFromContext(ctx)
	rows, err := db.New(d.Reader()).ListCanned(ctx, a.AccountID)
	if err != nil {
		return nil, fmt.Errorf("canned responses: %w", err)
	}
	q := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(query), "/"))
	var first, rest []*Response
	for _, r := range rows {
		if category != "" && !strings.EqualFold(r.Category, category) {
			continue
		}
		c := fromRow(r)
		switch {
		case q == "":
			rest = append(rest, c)
		case strings.HasPrefix(strings.ToLower(r.Shortcut), q):
			first = append(first, c)
		case strings.Contains(strings.ToLower(r.Shortcut+" "+r.Title+" "+r.Content), q):
			rest = append(rest, c)
		}
	}
	out := append(first, rest...)
	if out == nil {
		out = []*Response{}
	}
	return out, nil
}

var variableRe = regexp.MustCompile(`\{\{\s*([\w.]+)\s*\}\}`)

// RenderTemplate fills {{variables}} from vars; a variable with no value becomes empty,
// never the raw braces (M6).
func RenderTemplate(text string, vars map[string]string) string {
	return variableRe.ReplaceAllStringFunc(text, func(m string) string {
		name := strings.ToLower(variableRe.FindStringSubmatch(m)[1])
		name = strings.TrimPrefix(name, "contact.")
		return vars[name]
	})
}

// Render renders a canned response for a conversation: {{first_name}}, {{last_name}},
// {{name}}, {{email}}, {{phone}}, {{agent_name}}, {{chatbot_name}} and the contact's
// custom attributes ({{plan}} or {{contact.plan}}).
func Render(ctx context.Context, d *store.DB, id, conversationID string) (string, error) {
	a := baton.ActorFromContext(ctx)
	c, err := db.New(d.Reader()).GetCanned(ctx, db.GetCannedParams{ID: id, AccountID: a.AccountID})
	if store.IsNoRows(err) {
		return "", baton.NotFound("Canned response")
	} else if err != nil {
		return "", err
	}
	vars := map[string]string{}
	if a.User != nil {
		vars["agent_name"] = a.User.DisplayName()
		vars["agent_first_name"] = a.User.FirstName
	}
	if conversationID != "" {
		conv, err := d.FindConversation(ctx, conversationID)
		if err != nil {
			return "", err
		}
		for k, v := range conv.Contact.Attributes {
			vars[strings.ToLower(k)] = v
		}
		first, last, _ := strings.Cut(strings.TrimSpace(conv.Contact.Name), " ")
		vars["name"], vars["first_name"], vars["last_name"] = conv.Contact.Name, first, strings.TrimSpace(last)
		vars["email"], vars["phone"], vars["chatbot_name"] = conv.Contact.Email, conv.Contact.Phone, conv.Chatbot.Name
	}
	return RenderTemplate(c.Content, vars), nil
}
