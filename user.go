package baton

import (
	"context"
	"time"
)

// Role is a user's role within their account (K1).
type Role string

const (
	RoleOwner Role = "owner"
	RoleAdmin Role = "admin"
	RoleAgent Role = "agent"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleAdmin || r == RoleAgent }

// AtLeast reports whether r carries at least the rights of min (owner > admin > agent).
func (r Role) AtLeast(min Role) bool { return roleRank(r) >= roleRank(min) }

func roleRank(r Role) int {
	switch r {
	case RoleOwner:
		return 3
	case RoleAdmin:
		return 2
	case RoleAgent:
		return 1
	}
	return 0
}

// Availability is an agent's presence (Q2).
type Availability string

const (
	AvailabilityOnline  Availability = "online"
	AvailabilityBusy    Availability = "busy"
	AvailabilityAway    Availability = "away"
	AvailabilityOffline Availability = "offline"
)

// Valid reports whether a is a known availability.
func (a Availability) Valid() bool {
	switch a {
	case AvailabilityOnline, AvailabilityBusy, AvailabilityAway, AvailabilityOffline:
		return true
	}
	return false
}

// Account is a tenant. Nothing crosses accounts.
type Account struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// NotificationSettings are a user's per-channel notification preferences (A9).
type NotificationSettings struct {
	Desktop bool `json:"desktop"`
	Sound   bool `json:"sound"`
}

// User is a member of an account's team.
type User struct {
	ID            string               `json:"id"`
	AccountID     string               `json:"account_id"`
	Email         string               `json:"email"`
	FirstName     string               `json:"first_name"`
	LastName      string               `json:"last_name"`
	Role          Role                 `json:"role"`
	Availability  Availability         `json:"availability"`
	Capacity      int                  `json:"capacity"`
	Notifications NotificationSettings `json:"notification_settings"`
	CreatedAt     time.Time            `json:"created_at"`
	// DeactivatedAt is set while the user is deactivated: they cannot sign in, and their
	// sessions, tokens and sockets stop working.
	DeactivatedAt *time.Time `json:"deactivated_at"`
}

// Active reports whether the user may sign in.
func (u *User) Active() bool { return u.DeactivatedAt == nil }

// DisplayName is the name agents and visitors see: first name, else email (R3).
func (u *User) DisplayName() string {
	if u.FirstName != "" {
		return u.FirstName
	}
	return u.Email
}

// UserCreate is what creates a user.
type UserCreate struct {
	AccountID string
	Email     string
	Password  string
	FirstName string
	LastName  string
	Role      Role
	Capacity  int
}

// UserUpdate changes a user; nil fields are left alone.
type UserUpdate struct {
	FirstName     *string
	LastName      *string
	Role          *Role
	Availability  *Availability
	Capacity      *int
	Notifications *NotificationSettings
	Password      *string
	Email         *string
}

// Session is a signed-in user's session; its token is shown once and stored hashed.
type Session struct {
	Token     string    `json:"token"`
	User      *User     `json:"user"`
	ExpiresAt time.Time `json:"expires_at"`
}

// UserService manages users and their sessions.
type UserService interface {
	// CreateUser returns EINVALID for a bad email, password or role and ECONFLICT when the
	// email is taken.
	CreateUser(ctx context.Context, c UserCreate) (*User, error)
	// FindUser returns ENOTFOUND unless the user belongs to accountID.
	FindUser(ctx context.Context, accountID, id string) (*User, error)
	ListUsers(ctx context.Context, accountID string) ([]*User, error)
	// UpdateUser returns ENOTFOUND for a user of another account and EINVALID for bad values.
	UpdateUser(ctx context.Context, accountID, id string, u UserUpdate) (*User, error)
	// Login returns EUNAUTHORIZED for a wrong email or password (the same error for both).
	Login(ctx context.Context, email, password string) (*Session, error)
	// Authenticate resolves a session token or an integration token; EUNAUTHORIZED if it
	// is unknown, expired or revoked.
	Authenticate(ctx context.Context, token string) (*Actor, error)
	Logout(ctx context.Context, token string) error
}
