package store_test

import (
	"context"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/store/db"
)

// labelsOf lists the labels of ctx's account as the table holds them, in the shape the
// labels package lists them (the store makes the default labels with every account; the
// rules of labels live in internal/labels, which the store's tests do not import).
func labelsOf(ctx context.Context, d *store.DB) ([]map[string]string, error) {
	rows, err := db.New(d.Reader()).ListLabels(ctx, baton.ActorFromContext(ctx).AccountID)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]string, len(rows))
	for i, r := range rows {
		out[i] = map[string]string{"id": r.ID, "name": r.Name, "color": r.Color}
	}
	return out, nil
}
