package baton

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
)

// Scope is what an integration token may do.
type Scope string

const (
	ScopeRead     Scope = "read"
	ScopeWrite    Scope = "write"
	ScopeHandover Scope = "handover"
)

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return s == ScopeRead || s == ScopeWrite || s == ScopeHandover }

// Actor is whoever makes a request: a signed-in user, an integration token, or a visitor.
type Actor struct {
	AccountID string
	// User is set for a signed-in user; for an integration token it is the token's creator.
	User *User
	// TokenID is set when the request carries an integration token, with its scopes.
	TokenID string
	Scopes  []Scope
	// SessionToken is the raw session token of a signed-in user (for logout).
	SessionToken string
}

// Role is the actor's role; integration tokens act with their creator's role.
func (a *Actor) Role() Role {
	if a == nil || a.User == nil {
		return ""
	}
	return a.User.Role
}

// UserID is the acting user's id, or "".
func (a *Actor) UserID() string {
	if a == nil || a.User == nil {
		return ""
	}
	return a.User.ID
}

// Can reports whether the actor may use scope. Session users may do everything their role
// allows; integration tokens only what their scopes name.
func (a *Actor) Can(s Scope) bool {
	if a == nil {
		return false
	}
	if a.TokenID == "" {
		return a.User != nil
	}
	for _, x := range a.Scopes {
		if x == s {
			return true
		}
	}
	return false
}

type actorKey struct{}

// NewContextWithActor returns ctx carrying a.
func NewContextWithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the actor of ctx, or nil.
func ActorFromContext(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// Revocation names credentials that stopped working — a sign-out, a revoked token, a
// changed password or role, a deactivated user — so that the live sockets using them are
// closed at once, on every node.
type Revocation struct {
	AccountID string `json:"account_id"`
	UserID    string `json:"user_id"`
	// SessionHash, when set, limits the revocation to the sockets of that session
	// (TokenHash of its token); TokenID to those of that integration token. With neither,
	// every socket of the user closes, but those of KeepSessionHash.
	SessionHash     string `json:"session_hash,omitempty"`
	TokenID         string `json:"token_id,omitempty"`
	KeepSessionHash string `json:"keep_session_hash,omitempty"`
}

// Covers reports whether r ends a socket opened by a.
func (r *Revocation) Covers(a *Actor) bool {
	if a == nil || a.AccountID != r.AccountID {
		return false
	}
	switch {
	case r.TokenID != "":
		return a.TokenID == r.TokenID
	case r.SessionHash != "":
		return a.SessionToken != "" && TokenHash(a.SessionToken) == r.SessionHash
	}
	if a.UserID() != r.UserID {
		return false
	}
	return r.KeepSessionHash == "" || a.SessionToken == "" || TokenHash(a.SessionToken) != r.KeepSessionHash
}

// TokenHash is how a bearer token is stored and named once issued: hex SHA-256 (tokens
// carry 256 random bits, so no salt or stretching is needed).
func TokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}
