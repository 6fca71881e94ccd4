package labels_test

import (
	"context"
	"slices"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/labels"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

func ptr[T any](v T) *T { return &v }

// account makes an account and returns a context acting as its owner.
func account(t *testing.T, d *store.DB, name, slug string) context.Context {
	return storetest.NewTenant(t, d, name, slug).Ctx
}

func names(t *testing.T, ctx context.Context, d *store.DB) []string {
	t.Helper()
	list, err := labels.List(ctx, d)
	if err != nil {
		t.Fatalf("List = %v", err)
	}
	var out []string
	for _, l := range list {
		out = append(out, l["name"]+" "+l["color"])
	}
	slices.Sort(out)
	return out
}

func TestLabelsAreSavedListedAndDeletedPerAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := account(t, db, "Acme", "acme")
		other := account(t, db, "Globex", "globex")
		before := names(t, other, db)

		l, err := labels.Save(ctx, db, "", labels.Input{Name: ptr(" Refunds ")})
		if err != nil {
			t.Fatalf("Save(new) = %v", err)
		}
		if l["name"] != "Refunds" || l["color"] != "#6b7280" {
			t.Errorf("Save(new) = %v, want Refunds in the default grey", l)
		}
		if l, err = labels.Save(ctx, db, l["id"], labels.Input{Color: ptr("#1A2b3c")}); err != nil || l["name"] != "Refunds" || l["color"] != "#1A2b3c" {
			t.Errorf("Save(recolour) = %v, %v", l, err)
		}
		if !slices.Contains(names(t, ctx, db), "Refunds #1A2b3c") {
			t.Errorf("List = %v, want Refunds #1A2b3c in it", names(t, ctx, db))
		}
		if got := names(t, other, db); !slices.Equal(got, before) {
			t.Errorf("List as another account = %v, want %v", got, before)
		}

		for _, c := range []struct {
			name string
			id   string
			in   labels.Input
			want string
		}{
			{"a taken name is a conflict", "", labels.Input{Name: ptr("Refunds")}, baton.ECONFLICT},
			{"an empty name is invalid", "", labels.Input{Name: ptr("  ")}, baton.EINVALID},
			{"a bad colour is invalid", l["id"], labels.Input{Color: ptr("red")}, baton.EINVALID},
			{"an unknown id is not found", "nope", labels.Input{Name: ptr("X")}, baton.ENOTFOUND},
		} {
			if _, err := labels.Save(ctx, db, c.id, c.in); baton.ErrorCode(err) != c.want {
				t.Errorf("%s: Save = %v, want %s", c.name, err, c.want)
			}
		}
		if _, err := labels.Save(other, db, l["id"], labels.Input{Name: ptr("Mine")}); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Errorf("Save of another account's label = %v, want not_found", err)
		}
		if err := labels.Delete(other, db, l["id"]); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Errorf("Delete of another account's label = %v, want not_found", err)
		}
		if err := labels.Delete(ctx, db, l["id"]); err != nil {
			t.Fatalf("Delete = %v", err)
		}
		if err := labels.Delete(ctx, db, l["id"]); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Errorf("Delete twice = %v, want not_found", err)
		}
		if tags, err := labels.Tags(ctx, db); err != nil || len(tags) != 0 {
			t.Errorf("Tags of a new account = %v, %v, want none", tags, err)
		}
	})
}
