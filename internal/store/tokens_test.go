package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

func TestIntegrationTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()

		tok, err := db.CreateToken(e.ctx, " Desk ", []baton.Scope{baton.ScopeRead, baton.ScopeHandover, baton.ScopeRead})
		if err != nil {
			t.Fatalf("CreateToken = %v", err)
		}
		if tok.ID == "" || !strings.HasPrefix(tok.Token, store.IntegrationTokenPrefix) || tok.Name != "Desk" || tok.CreatedBy != e.owner.ID {
			t.Errorf("CreateToken = %+v, want an id, a %s secret, name Desk, created by the owner", tok, store.IntegrationTokenPrefix)
		}
		if want := []baton.Scope{baton.ScopeRead, baton.ScopeHandover}; !slices.Equal(tok.Scopes, want) {
			t.Errorf("CreateToken scopes = %v, want %v (duplicates dropped)", tok.Scopes, want)
		}

		// The secret is shown once: the list never carries it.
		list, err := db.ListTokens(e.ctx)
		if err != nil || len(list) != 1 || list[0].ID != tok.ID || list[0].Token != "" {
			t.Errorf("ListTokens = %+v, %v; want the one token without its secret", list, err)
		}

		a, err := db.Authenticate(ctx, tok.Token)
		if err != nil {
			t.Fatalf("Authenticate(integration token) = %v", err)
		}
		if a.TokenID != tok.ID || a.AccountID != e.account.ID || a.UserID() != e.owner.ID || a.SessionToken != "" {
			t.Errorf("Authenticate(integration token) = %+v, want token %s of the owner", a, tok.ID)
		}
		if !slices.Equal(a.Scopes, tok.Scopes) || !a.Can(baton.ScopeRead) || !a.Can(baton.ScopeHandover) || a.Can(baton.ScopeWrite) {
			t.Errorf("Authenticate(integration token) scopes = %v, want read and handover only", a.Scopes)
		}

		for name, tc := range map[string]struct {
			name   string
			scopes []baton.Scope
		}{
			"no name":          {" ", []baton.Scope{baton.ScopeRead}},
			"a long name":      {strings.Repeat("n", 101), []baton.Scope{baton.ScopeRead}},
			"no scope":         {"CRM", nil},
			"an unknown scope": {"CRM", []baton.Scope{baton.ScopeRead, "admin"}},
		} {
			_, err := db.CreateToken(e.ctx, tc.name, tc.scopes)
			wantCode(t, err, baton.EINVALID, "CreateToken with %s", name)
		}

		// Another account can neither see nor revoke the token.
		b := e.otherAccount(t)
		err = db.RevokeToken(b.ctx, tok.ID)
		wantCode(t, err, baton.ENOTFOUND, "RevokeToken(another account's token)")
		if list, _ := db.ListTokens(b.ctx); len(list) != 0 {
			t.Errorf("ListTokens of another account = %d tokens, want 0", len(list))
		}
		if _, err := db.Authenticate(ctx, tok.Token); err != nil {
			t.Errorf("Authenticate after another account's revoke = %v, want the token still valid", err)
		}

		if err := db.RevokeToken(e.ctx, tok.ID); err != nil {
			t.Fatalf("RevokeToken = %v", err)
		}
		_, err = db.Authenticate(ctx, tok.Token)
		wantCode(t, err, baton.EUNAUTHORIZED, "Authenticate(revoked token)")
		err = db.RevokeToken(e.ctx, tok.ID)
		wantCode(t, err, baton.ENOTFOUND, "RevokeToken(already revoked)")
		err = db.RevokeToken(e.ctx, "no-such-token")
		wantCode(t, err, baton.ENOTFOUND, "RevokeToken(unknown id)")
		if list, _ := db.ListTokens(e.ctx); len(list) != 1 || list[0].RevokedAt == nil {
			t.Errorf("ListTokens after revoke = %+v, want the token marked revoked", list)
		}
		_, err = db.Authenticate(ctx, store.IntegrationTokenPrefix+"made-up")
		wantCode(t, err, baton.EUNAUTHORIZED, "Authenticate(unknown integration token)")
	})
}
