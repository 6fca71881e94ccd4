package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
)

// Canned is a canned response (M6).
type Canned struct {
	ID        string    `json:"id"`
	Shortcut  string    `json:"shortcut"`
	Title     string    `json:"title"`
	Content   string    `json:"content"`
	Category  string    `json:"category"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CannedInput creates or changes a canned response.
type CannedInput struct {
	Shortcut *string
	Title    *string
	Content  *string
	Category *string
}

var shortcutRe = regexp.MustCompile(`^[\p{L}\p{N}_-]{1,50}$`)

func cannedFromRow(c db.CannedResponse) *Canned {
	return &Canned{ID: c.ID, Shortcut: c.Shortcut, Title: c.Title, Content: c.Content, Category: c.Category, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func applyCanned(c *db.CannedResponse, in CannedInput) error {
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

// CreateCanned adds a canned response to the account.
func (d *DB) CreateCanned(ctx context.Context, in CannedInput) (*Canned, error) {
	a := baton.ActorFromContext(ctx)
	if in.Shortcut == nil {
		return nil, baton.Invalid("A canned response needs a shortcut.")
	}
	var c db.CannedResponse
	err := d.Write(ctx, func(tx *Tx) error {
		c = db.CannedResponse{ID: d.NewID(), AccountID: a.AccountID, CreatedAt: tx.Now(), UpdatedAt: tx.Now()}
		if err := applyCanned(&c, in); err != nil {
			return err
		}
		var by *string
		if a.UserID() != "" {
			by = ptr(a.UserID())
		}
		err := tx.CreateCanned(ctx, db.CreateCannedParams{ID: c.ID, AccountID: c.AccountID, Shortcut: c.Shortcut, Title: c.Title,
			Content: c.Content, Category: c.Category, CreatedBy: by, CreatedAt: c.CreatedAt})
		if isUnique(err) {
			return baton.Errorf(baton.ECONFLICT, "The shortcut /%s is taken.", c.Shortcut)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return cannedFromRow(c), nil
}

// UpdateCanned changes a canned response.
func (d *DB) UpdateCanned(ctx context.Context, id string, in CannedInput) (*Canned, error) {
	a := baton.ActorFromContext(ctx)
	var c db.CannedResponse
	err := d.Write(ctx, func(tx *Tx) error {
		var err error
		c, err = tx.GetCanned(ctx, db.GetCannedParams{ID: id, AccountID: a.AccountID})
		if isNoRows(err) {
			return baton.NotFound("Canned response")
		} else if err != nil {
			return err
		}
		if err := applyCanned(&c, in); err != nil {
			return err
		}
		c.UpdatedAt = tx.Now()
		err = tx.UpdateCanned(ctx, db.UpdateCannedParams{ID: id, AccountID: a.AccountID, Shortcut: c.Shortcut, Title: c.Title,
			Content: c.Content, Category: c.Category, UpdatedAt: c.UpdatedAt})
		if isUnique(err) {
			return baton.Errorf(baton.ECONFLICT, "The shortcut /%s is taken.", c.Shortcut)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return cannedFromRow(c), nil
}

// DeleteCanned removes a canned response.
func (d *DB) DeleteCanned(ctx context.Context, id string) error {
	a := baton.ActorFromContext(ctx)
	return d.Write(ctx, func(tx *Tx) error {
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

// ListCanned lists canned responses, filtered by a search over shortcut, title and text,
// and by category; shortcut prefix matches come first.
func (d *DB) ListCanned(ctx context.Context, query, category string) ([]*Canned, error) {
	a := baton.ActorFromContext(ctx)
	rows, err := d.read().ListCanned(ctx, a.AccountID)
	if err != nil {
		return nil, fmt.Errorf("canned responses: %w", err)
	}
	q := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(query), "/"))
	var first, rest []*Canned
	for _, r := range rows {
		if category != "" && !strings.EqualFold(r.Category, category) {
			continue
		}
		c := cannedFromRow(r)
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
		out = []*Canned{}
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

// RenderCanned renders a canned response for a conversation: {{first_name}},
// {{last_name}}, {{name}}, {{email}}, {{phone}}, {{agent_name}}, {{chatbot_name}} and the
// contact's custom attributes ({{plan}} or {{contact.plan}}).
func (d *DB) RenderCanned(ctx context.Context, id, conversationID string) (string, error) {
	a := baton.ActorFromContext(ctx)
	c, err := d.read().GetCanned(ctx, db.GetCannedParams{ID: id, AccountID: a.AccountID})
	if isNoRows(err) {
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

// LabelInput creates or changes a label.
type LabelInput struct {
	Name  *string
	Color *string
}

var colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// SaveLabel creates (id "") or changes a label of the account.
func (d *DB) SaveLabel(ctx context.Context, id string, in LabelInput) (map[string]string, error) {
	a := baton.ActorFromContext(ctx)
	var l db.Label
	err := d.Write(ctx, func(tx *Tx) error {
		if id == "" {
			l = db.Label{ID: d.NewID(), AccountID: a.AccountID, Color: "#6b7280"}
		} else {
			var err error
			if l, err = tx.GetLabel(ctx, db.GetLabelParams{ID: id, AccountID: a.AccountID}); isNoRows(err) {
				return baton.NotFound("Label")
			} else if err != nil {
				return err
			}
		}
		if in.Name != nil {
			l.Name = strings.TrimSpace(*in.Name)
		}
		if l.Name == "" || utf8.RuneCountInString(l.Name) > 50 {
			return baton.Invalid("A label needs a name of 1 to 50 characters.")
		}
		if in.Color != nil {
			if !colorRe.MatchString(*in.Color) {
				return baton.Invalid("color must look like #1a2b3c.")
			}
			l.Color = *in.Color
		}
		var err error
		if id == "" {
			err = tx.CreateLabelFull(ctx, db.CreateLabelFullParams{ID: l.ID, AccountID: l.AccountID, Name: l.Name, Color: l.Color})
		} else {
			err = tx.UpdateLabel(ctx, db.UpdateLabelParams{ID: l.ID, AccountID: l.AccountID, Name: l.Name, Color: l.Color})
		}
		if isUnique(err) {
			return baton.Errorf(baton.ECONFLICT, "A label named %q already exists.", l.Name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"id": l.ID, "name": l.Name, "color": l.Color}, nil
}

// DeleteLabel removes a label (and takes it off its conversations).
func (d *DB) DeleteLabel(ctx context.Context, id string) error {
	a := baton.ActorFromContext(ctx)
	return d.Write(ctx, func(tx *Tx) error {
		n, err := tx.DeleteLabel(ctx, db.DeleteLabelParams{ID: id, AccountID: a.AccountID})
		if err != nil {
			return err
		}
		if n == 0 {
			return baton.NotFound("Label")
		}
		return nil
	})
}

// Tags lists the account's tags (for autocompletion).
func (d *DB) Tags(ctx context.Context) ([]string, error) {
	rows, err := d.read().ListTags(ctx, baton.ActorFromContext(ctx).AccountID)
	if err != nil {
		return nil, fmt.Errorf("tags: %w", err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Name
	}
	return out, nil
}
