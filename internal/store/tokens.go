package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
)

// APIToken is an integration token as listed (the secret is shown only on creation).
type APIToken struct {
	ID         string        `json:"id"`
	Name       string        `json:"name"`
	Scopes     []baton.Scope `json:"scopes"`
	Token      string        `json:"token,omitempty"`
	CreatedBy  string        `json:"created_by"`
	CreatedAt  time.Time     `json:"created_at"`
	LastUsedAt *time.Time    `json:"last_used_at"`
	RevokedAt  *time.Time    `json:"revoked_at"`
}

func tokenFromRow(t db.ApiToken) *APIToken {
	out := &APIToken{ID: t.ID, Name: t.Name, CreatedBy: t.UserID, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt, Scopes: []baton.Scope{}}
	for _, s := range strings.Split(t.Scopes, ",") {
		if s != "" {
			out.Scopes = append(out.Scopes, baton.Scope(s))
		}
	}
	return out
}

// CreateToken makes an integration token for the actor's account; the secret is returned
// once and stored hashed.
func (d *DB) CreateToken(ctx context.Context, name string, scopes []baton.Scope) (*APIToken, error) {
	a := baton.ActorFromContext(ctx)
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return nil, baton.Invalid("A token needs a name of 1 to 100 characters.")
	}
	if len(scopes) == 0 {
		return nil, baton.Invalid("A token needs at least one scope: read, write or handover.")
	}
	seen := map[baton.Scope]bool{}
	var names []string
	for _, s := range scopes {
		if !s.Valid() {
			return nil, baton.Invalid("Unknown scope %q: use read, write or handover.", s)
		}
		if !seen[s] {
			seen[s] = true
			names = append(names, string(s))
		}
	}
	secret := randomToken(IntegrationTokenPrefix)
	var row db.ApiToken
	err := d.Write(ctx, func(tx *Tx) error {
		row = db.ApiToken{ID: d.NewID(), AccountID: a.AccountID, UserID: a.UserID(), Name: name,
			TokenHash: hashToken(secret), Scopes: strings.Join(names, ","), CreatedAt: tx.Now()}
		return tx.CreateAPIToken(ctx, db.CreateAPITokenParams{ID: row.ID, AccountID: row.AccountID, UserID: row.UserID,
			Name: row.Name, TokenHash: row.TokenHash, Scopes: row.Scopes, CreatedAt: row.CreatedAt})
	})
	if err != nil {
		return nil, fmt.Errorf("create token: %w", err)
	}
	t := tokenFromRow(row)
	t.Token = secret
	return t, nil
}

// ListTokens lists the account's integration tokens (without secrets).
func (d *DB) ListTokens(ctx context.Context) ([]*APIToken, error) {
	rows, err := d.read().ListAPITokens(ctx, baton.ActorFromContext(ctx).AccountID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out := make([]*APIToken, len(rows))
	for i, r := range rows {
		out[i] = tokenFromRow(r)
	}
	return out, nil
}

// RevokeToken revokes a token of the actor's account.
func (d *DB) RevokeToken(ctx context.Context, id string) error {
	return d.Write(ctx, func(tx *Tx) error {
		now := tx.Now()
		n, err := tx.RevokeAPIToken(ctx, db.RevokeAPITokenParams{ID: id, AccountID: baton.ActorFromContext(ctx).AccountID, RevokedAt: &now})
		if err != nil {
			return err
		}
		if n == 0 {
			return baton.NotFound("Token")
		}
		return nil
	})
}
