package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
)

// Page sizes of List.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Filter narrows List. Empty fields match everything.
type Filter struct {
	// Action is an exact action ("user.create") or, ending with a dot, a group
	// ("user." matches every user.* action).
	Action string
	// ActorID is the user who acted.
	ActorID string
	// Target is the exact target ("contact:<id>").
	Target string
	// From and To bound the time: From <= at < To.
	From, To time.Time
}

// Actor is who did what an Item records.
type Actor struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// Item is one entry as the API shows it (API.md, with detail added).
type Item struct {
	ID     string         `json:"id"`
	At     time.Time      `json:"at"`
	Actor  *Actor         `json:"actor"`
	Action string         `json:"action"`
	Target string         `json:"target"`
	IP     string         `json:"ip"`
	Detail map[string]any `json:"detail"`
}

// Page is one page of List, newest first; NextCursor is "" on the last page.
type Page struct {
	Items      []Item `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// List returns the account's entries matching f, newest first, after cursor (from a
// previous page; "" for the first). limit is 1 to MaxLimit (0: DefaultLimit). A bad
// cursor or limit is EINVALID.
func List(ctx context.Context, d *store.DB, accountID string, f Filter, cursor string, limit int) (*Page, error) {
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 1 || limit > MaxLimit {
		return nil, baton.Invalid("limit must be 1 to %d.", MaxLimit)
	}
	if len(f.Action) > 100 || len(f.Target) > 300 || len(f.ActorID) > 100 {
		return nil, baton.Invalid("A filter is too long.")
	}
	args := []any{accountID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := []string{"account_id = $1"}
	switch {
	case f.Action == "":
	case strings.HasSuffix(f.Action, "."):
		// A range, not LIKE: the group's names sort between "user." and "user/".
		where = append(where, "action >= "+arg(f.Action)+" AND action < "+arg(strings.TrimSuffix(f.Action, ".")+"/"))
	default:
		where = append(where, "action = "+arg(f.Action))
	}
	if f.ActorID != "" {
		where = append(where, "actor_id = "+arg(f.ActorID))
	}
	if f.Target != "" {
		where = append(where, "target = "+arg(f.Target))
	}
	if !f.From.IsZero() {
		where = append(where, "at >= "+arg(f.From.UTC()))
	}
	if !f.To.IsZero() {
		where = append(where, "at < "+arg(f.To.UTC()))
	}
	if cursor != "" {
		if len(cursor) > 200 {
			return nil, baton.Invalid("The cursor is not valid.")
		}
		// Ties in time (one transaction's entries, a clock standing still) go by id.
		at, id, err := store.DecodeCursor(cursor)
		if err != nil {
			return nil, err
		}
		pt, pi := arg(at), arg(id)
		where = append(where, "at <= "+pt+" AND (at < "+pt+" OR id < "+pi+")")
	}
	q := "SELECT id, at, actor_id, actor_email, action, target, ip, detail FROM audit_log WHERE " +
		strings.Join(where, " AND ") + " ORDER BY at DESC, id DESC LIMIT " + strconv.Itoa(limit+1)
	rows, err := d.Reader().Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	page := &Page{Items: []Item{}}
	for rows.Next() {
		var (
			it           Item
			actorID      *string
			email, extra string
		)
		if err := rows.Scan(&it.ID, &it.At, &actorID, &email, &it.Action, &it.Target, &it.IP, &extra); err != nil {
			return nil, fmt.Errorf("audit: list: %w", err)
		}
		if actorID != nil {
			it.Actor = &Actor{ID: *actorID, Email: email}
		}
		it.Detail = map[string]any{}
		_ = json.Unmarshal([]byte(extra), &it.Detail) // written by Record: a JSON object
		it.At = it.At.UTC()
		page.Items = append(page.Items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = store.EncodeCursor(last.At, last.ID)
	}
	return page, nil
}
