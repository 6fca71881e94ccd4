// Package labels holds an account's conversation labels (a fixed, coloured set an admin
// manages: create, rename, recolour, delete, list) and lists the free-form tags agents
// have put on conversations, for autocompletion. Putting labels and tags on a
// conversation is part of the conversation update; the default labels come with every
// new account (store.DefaultLabels).
package labels

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/store/db"
)

// Input creates or changes a label.
type Input struct {
	Name  *string
	Color *string
}

var colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// List lists the actor's account's labels.
func List(ctx context.Context, d *store.DB) ([]map[string]string, error) {
	rows, err := db.New(d.Reader()).ListLabels(ctx, baton.ActorFromContext(ctx).AccountID)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	out := make([]map[string]string, len(rows))
	for i, r := range rows {
		out[i] = map[string]string{"id": r.ID, "name": r.Name, "color": r.Color}
	}
	return out, nil
}

// Save creates (id "") or changes a label of the actor's account.
func Save(ctx context.Context, d *store.DB, id string, in Input) (map[string]string, error) {
	a := baton.ActorFromContext(ctx)
	var l db.Label
	err := d.Write(ctx, func(tx *store.Tx) error {
		if id == "" {
			l = db.Label{ID: d.NewID(), AccountID: a.AccountID, Color: "#6b7280"}
		} else {
			var err error
			if l, err = tx.GetLabel(ctx, db.GetLabelParams{ID: id, AccountID: a.AccountID}); store.IsNoRows(err) {
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
		if store.IsUnique(err) {
			return baton.Errorf(baton.ECONFLICT, "A label named %q already exists.", l.Name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"id": l.ID, "name": l.Name, "color": l.Color}, nil
}

// Delete removes a label (and takes it off its conversations).
func Delete(ctx context.Context, d *store.DB, id string) error {
	a := baton.ActorFromContext(ctx)
	return d.Write(ctx, func(tx *store.Tx) error {
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

// Tags lists the actor's account's tags (for autocompletion).
func Tags(ctx context.Context, d *store.DB) ([]string, error) {
	rows, err := db.New(d.Reader()).ListTags(ctx, baton.ActorFromContext(ctx).AccountID)
	if err != nil {
		return nil, fmt.Errorf("tags: %w", err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Name
	}
	return out, nil
}
