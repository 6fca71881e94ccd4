package store

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
)

// Token prefixes tell the kinds of bearer token apart.
const (
	SessionTokenPrefix     = "bts_"
	IntegrationTokenPrefix = "bti_"
	VisitorTokenPrefix     = "btv_"
)

// Session lifetimes by default (ASVS 4, V3.3.2 at level 2): a session ends 30 minutes
// after its last request, and 12 hours after sign-in whatever its use. DB.SessionIdle and
// DB.SessionMax change them.
const (
	DefaultSessionIdle = 30 * time.Minute
	DefaultSessionMax  = 12 * time.Hour
)

func (d *DB) sessionIdle() time.Duration {
	if d.SessionIdle > 0 {
		return d.SessionIdle
	}
	return DefaultSessionIdle
}

func (d *DB) sessionMax() time.Duration {
	if d.SessionMax > 0 {
		return d.SessionMax
	}
	return DefaultSessionMax
}

func userFromRow(u db.User) *baton.User {
	return &baton.User{
		ID: u.ID, AccountID: u.AccountID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		Role: baton.Role(u.Role), Availability: baton.Availability(u.Availability), Capacity: int(u.Capacity),
		Notifications: baton.NotificationSettings{Desktop: u.NotifyDesktop, Sound: u.NotifySound},
		CreatedAt:     u.CreatedAt, DeactivatedAt: u.DeactivatedAt,
	}
}

// NormalizeEmail checks an email address and returns it lower-cased.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 254 {
		return "", baton.Invalid("A valid email address is required.")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return "", baton.Invalid("%q is not a valid email address.", s)
	}
	return strings.ToLower(s), nil
}

// CheckName checks a person's name given in a form (EINVALID past 100 characters); field
// names it in the message.
func CheckName(field, s string) error { return checkName(field, s) }

func checkName(field, s string) error {
	if utf8.RuneCountInString(s) > 100 {
		return baton.Invalid("%s is too long (100 characters at most).", field)
	}
	return nil
}

// CreateUser adds a user to an account.
//
// also, when given, runs in the same transaction (an audit entry of the change).
func (d *DB) CreateUser(ctx context.Context, c baton.UserCreate, also ...func(*Tx, *baton.User) error) (*baton.User, error) {
	email, err := NormalizeEmail(c.Email)
	if err != nil {
		return nil, err
	}
	if err := baton.ValidatePassword(c.Password, email); err != nil {
		return nil, err
	}
	if !c.Role.Valid() {
		return nil, baton.Invalid("Role must be owner, admin or agent.")
	}
	if err := checkName("First name", c.FirstName); err != nil {
		return nil, err
	}
	if err := checkName("Last name", c.LastName); err != nil {
		return nil, err
	}
	if c.Capacity == 0 {
		c.Capacity = 5
	}
	if c.Capacity < 0 || c.Capacity > 1000 {
		return nil, baton.Invalid("Capacity must be between 0 and 1000.")
	}
	hash := HashPassword(c.Password)
	var u db.User
	err = d.Write(ctx, func(tx *Tx) error {
		u = db.User{ID: d.NewID(), AccountID: c.AccountID, Email: email, PasswordHash: hash,
			FirstName: strings.TrimSpace(c.FirstName), LastName: strings.TrimSpace(c.LastName), Role: string(c.Role),
			Availability: string(baton.AvailabilityOffline), Capacity: int64(c.Capacity),
			NotifyDesktop: true, NotifySound: true, CreatedAt: tx.Now()}
		if _, err := tx.GetAccount(ctx, c.AccountID); isNoRows(err) {
			return baton.NotFound("Account")
		} else if err != nil {
			return err
		}
		err := tx.CreateUser(ctx, db.CreateUserParams{ID: u.ID, AccountID: u.AccountID, Email: u.Email,
			PasswordHash: u.PasswordHash, FirstName: u.FirstName, LastName: u.LastName, Role: u.Role,
			Availability: u.Availability, Capacity: u.Capacity, NotifyDesktop: true, NotifySound: true, CreatedAt: u.CreatedAt})
		if isUnique(err) {
			return baton.Errorf(baton.ECONFLICT, "A user with the email %s already exists.", email)
		} else if err != nil {
			return err
		}
		return runAlso(tx, userFromRow(u), also)
	})
	if err != nil {
		return nil, err
	}
	return userFromRow(u), nil
}

// FindUser returns a user of the account.
func (d *DB) FindUser(ctx context.Context, accountID, id string) (*baton.User, error) {
	u, err := d.read().GetUser(ctx, db.GetUserParams{ID: id, AccountID: accountID})
	if isNoRows(err) {
		return nil, baton.NotFound("User")
	} else if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return userFromRow(u), nil
}

// FindUserByEmail returns the user with that email, in any account (for the CLI).
func (d *DB) FindUserByEmail(ctx context.Context, email string) (*baton.User, error) {
	u, err := d.read().GetUserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if isNoRows(err) {
		return nil, baton.NotFound("User")
	} else if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return userFromRow(u), nil
}

// ListUsers lists an account's team.
func (d *DB) ListUsers(ctx context.Context, accountID string) ([]*baton.User, error) {
	rows, err := d.read().ListUsers(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := make([]*baton.User, len(rows))
	for i, r := range rows {
		out[i] = userFromRow(r)
	}
	return out, nil
}

// UpdateUser changes a user of the account. A new password or email ends the user's other
// sessions (all of them when keepSession is ""); also runs in the same transaction.
func (d *DB) UpdateUser(ctx context.Context, accountID, id string, up baton.UserUpdate, keepSession string, also ...func(*Tx, *baton.User) error) (*baton.User, error) {
	var out db.User
	err := d.Write(ctx, func(tx *Tx) error {
		u, err := tx.GetUser(ctx, db.GetUserParams{ID: id, AccountID: accountID})
		if isNoRows(err) {
			return baton.NotFound("User")
		} else if err != nil {
			return err
		}
		if up.FirstName != nil {
			if err := checkName("First name", *up.FirstName); err != nil {
				return err
			}
			u.FirstName = strings.TrimSpace(*up.FirstName)
		}
		if up.LastName != nil {
			if err := checkName("Last name", *up.LastName); err != nil {
				return err
			}
			u.LastName = strings.TrimSpace(*up.LastName)
		}
		if up.Role != nil {
			if !up.Role.Valid() {
				return baton.Invalid("Role must be owner, admin or agent.")
			}
			if u.Role == string(baton.RoleOwner) && *up.Role != baton.RoleOwner {
				n, err := tx.CountOwners(ctx, accountID)
				if err != nil {
					return err
				}
				if n <= 1 {
					return baton.Errorf(baton.ECONFLICT, "An account needs at least one owner.")
				}
			}
			u.Role = string(*up.Role)
		}
		if up.Availability != nil {
			if !up.Availability.Valid() {
				return baton.Invalid("Availability must be online, busy, away or offline.")
			}
			u.Availability = string(*up.Availability)
		}
		if up.Capacity != nil {
			if *up.Capacity < 0 || *up.Capacity > 1000 {
				return baton.Invalid("Capacity must be between 0 and 1000.")
			}
			u.Capacity = int64(*up.Capacity)
		}
		if up.Notifications != nil {
			u.NotifyDesktop, u.NotifySound = up.Notifications.Desktop, up.Notifications.Sound
		}
		if up.Email != nil {
			email, err := NormalizeEmail(*up.Email)
			if err != nil {
				return err
			}
			if email != u.Email {
				if err := tx.UpdateUserEmail(ctx, db.UpdateUserEmailParams{ID: u.ID, AccountID: accountID, Email: email}); isUnique(err) {
					return baton.Errorf(baton.ECONFLICT, "A user with the email %s already exists.", email)
				} else if err != nil {
					return err
				}
				u.Email = email
			}
		}
		if up.Password != nil {
			if err := baton.ValidatePassword(*up.Password, u.Email); err != nil {
				return err
			}
			u.PasswordHash = HashPassword(*up.Password)
		}
		if up.Password != nil || up.Email != nil {
			if _, err := tx.DeleteUserSessions(ctx, db.DeleteUserSessionsParams{UserID: u.ID, TokenHash: hashOrNone(keepSession)}); err != nil {
				return err
			}
		}
		out = u
		if err := tx.UpdateUser(ctx, db.UpdateUserParams{ID: u.ID, AccountID: u.AccountID, FirstName: u.FirstName,
			LastName: u.LastName, Role: u.Role, Availability: u.Availability, Capacity: u.Capacity,
			NotifyDesktop: u.NotifyDesktop, NotifySound: u.NotifySound, PasswordHash: u.PasswordHash}); err != nil {
			return err
		}
		return runAlso(tx, userFromRow(u), also)
	})
	if err != nil {
		return nil, err
	}
	if up.Availability != nil || up.Capacity != nil {
		// A seat may have freed: an agent came online or raised their capacity.
		if err := d.RouteWaiting(ctx, accountID); err != nil {
			return nil, err
		}
	}
	return userFromRow(out), nil
}

var errBadLogin = baton.Errorf(baton.EUNAUTHORIZED, "Invalid email or password.")

// Login checks a password and opens a session.
func (d *DB) Login(ctx context.Context, email, password string, also ...func(*Tx, *baton.User) error) (*baton.Session, error) {
	u, err := d.read().GetUserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if isNoRows(err) {
		CheckPassword(dummyHash, password)
		return nil, errBadLogin
	} else if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	if !CheckPassword(u.PasswordHash, password) {
		return nil, errBadLogin
	}
	return d.SignIn(ctx, userFromRow(u), also...)
}

var errDeactivated = baton.Errorf(baton.EFORBIDDEN, "This user is deactivated: ask an admin of your account to reactivate you.")

// SignIn signs u in (after a password or single sign-on check): a new session token,
// shown once and stored hashed.
//
// A deactivated user gets EFORBIDDEN. also runs in the same transaction.
func (d *DB) SignIn(ctx context.Context, u *baton.User, also ...func(*Tx, *baton.User) error) (*baton.Session, error) {
	if !u.Active() {
		return nil, errDeactivated
	}
	token := randomToken(SessionTokenPrefix)
	var expires time.Time
	err := d.Write(ctx, func(tx *Tx) error {
		expires = tx.Now().Add(d.sessionMax())
		if err := tx.DeleteExpiredSessions(ctx, tx.Now()); err != nil {
			return err
		}
		if err := tx.CreateSession(ctx, db.CreateSessionParams{TokenHash: hashToken(token), UserID: u.ID,
			CreatedAt: tx.Now(), ExpiresAt: expires}); err != nil {
			return err
		}
		return runAlso(tx, u, also)
	})
	if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	return &baton.Session{Token: token, User: u, ExpiresAt: expires}, nil
}

// CheckUserPassword reports whether password is the user's (for a change of one's own
// password or email).
func (d *DB) CheckUserPassword(ctx context.Context, userID, password string) bool {
	u, err := d.read().GetUserByID(ctx, userID)
	if err != nil {
		CheckPassword(dummyHash, password)
		return false
	}
	return CheckPassword(u.PasswordHash, password)
}

var errBadToken = baton.Errorf(baton.EUNAUTHORIZED, "Sign in first: the session or token is missing, expired or revoked.")

// Authenticate resolves a session token or an integration token to an actor.
func (d *DB) Authenticate(ctx context.Context, token string) (*baton.Actor, error) {
	q := d.read()
	switch {
	case strings.HasPrefix(token, SessionTokenPrefix):
		s, err := q.GetSession(ctx, hashToken(token))
		if isNoRows(err) {
			return nil, errBadToken
		} else if err != nil {
			return nil, fmt.Errorf("authenticate: %w", err)
		}
		now := d.Now()
		seen := s.CreatedAt
		if s.LastSeenAt != nil {
			seen = *s.LastSeenAt
		}
		if !s.ExpiresAt.After(now) || now.Sub(seen) >= d.sessionIdle() {
			return nil, errBadToken
		}
		u, err := q.GetUserByID(ctx, s.UserID)
		if err != nil || u.DeactivatedAt != nil {
			return nil, errBadToken
		}
		if now.Sub(seen) > time.Minute {
			// Last use is kept to the minute, so that a busy console does not write on every
			// request; the idle timeout is counted from it.
			_ = d.Write(ctx, func(tx *Tx) error {
				return tx.TouchSession(ctx, db.TouchSessionParams{TokenHash: s.TokenHash, LastSeenAt: &now})
			})
		}
		return &baton.Actor{AccountID: u.AccountID, User: userFromRow(u), SessionToken: token}, nil
	case strings.HasPrefix(token, IntegrationTokenPrefix):
		t, err := q.GetAPITokenByHash(ctx, hashToken(token))
		if isNoRows(err) || (err == nil && t.RevokedAt != nil) {
			return nil, errBadToken
		} else if err != nil {
			return nil, fmt.Errorf("authenticate: %w", err)
		}
		u, err := q.GetUser(ctx, db.GetUserParams{ID: t.UserID, AccountID: t.AccountID})
		if err != nil || u.DeactivatedAt != nil {
			// A deactivated user's tokens stop working with them.
			return nil, errBadToken
		}
		now := d.Now()
		if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
			// Last use is kept to the minute so that a busy integration does not write on
			// every request.
			_ = d.Write(ctx, func(tx *Tx) error {
				return tx.TouchAPIToken(ctx, db.TouchAPITokenParams{ID: t.ID, LastUsedAt: &now})
			})
		}
		var scopes []baton.Scope
		for _, s := range strings.Split(t.Scopes, ",") {
			if s != "" {
				scopes = append(scopes, baton.Scope(s))
			}
		}
		return &baton.Actor{AccountID: t.AccountID, User: userFromRow(u), TokenID: t.ID, Scopes: scopes}, nil
	}
	return nil, errBadToken
}

// Logout ends a session; also runs in the same transaction.
func (d *DB) Logout(ctx context.Context, token string, also ...func(*Tx) error) error {
	return d.Write(ctx, func(tx *Tx) error {
		if err := tx.DeleteSession(ctx, hashToken(token)); err != nil {
			return err
		}
		for _, f := range also {
			if err := f(tx); err != nil {
				return err
			}
		}
		return nil
	})
}

// EndSessions ends every session of a user but keep (a raw session token, or "" for
// none) and reports how many ended; also runs in the same transaction.
func (d *DB) EndSessions(ctx context.Context, userID, keep string, also ...func(*Tx) error) (int64, error) {
	var n int64
	err := d.Write(ctx, func(tx *Tx) error {
		var err error
		if n, err = tx.DeleteUserSessions(ctx, db.DeleteUserSessionsParams{UserID: userID, TokenHash: hashOrNone(keep)}); err != nil {
			return err
		}
		for _, f := range also {
			if err := f(tx); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// SetDeactivated deactivates (or reactivates) a user of the account. Deactivation ends
// their sessions and takes them offline; their integration tokens stop working while they
// are deactivated. The last active owner cannot be deactivated. also runs in the same
// transaction.
func (d *DB) SetDeactivated(ctx context.Context, accountID, id string, deactivate bool, also ...func(*Tx, *baton.User) error) (*baton.User, error) {
	var out *baton.User
	err := d.Write(ctx, func(tx *Tx) error {
		u, err := tx.GetUser(ctx, db.GetUserParams{ID: id, AccountID: accountID})
		if isNoRows(err) {
			return baton.NotFound("User")
		} else if err != nil {
			return err
		}
		var at *time.Time
		if deactivate {
			if u.DeactivatedAt != nil {
				at = u.DeactivatedAt
			} else {
				now := tx.Now()
				at = &now
			}
			if u.Role == string(baton.RoleOwner) {
				n, err := tx.CountActiveOwners(ctx, accountID)
				if err != nil {
					return err
				}
				if n <= 1 && u.DeactivatedAt == nil {
					return baton.Errorf(baton.ECONFLICT, "An account needs at least one active owner.")
				}
			}
			if _, err := tx.DeleteUserSessions(ctx, db.DeleteUserSessionsParams{UserID: u.ID, TokenHash: ""}); err != nil {
				return err
			}
			u.Availability = string(baton.AvailabilityOffline)
		}
		if err := tx.SetUserDeactivated(ctx, db.SetUserDeactivatedParams{DeactivatedAt: at, ID: u.ID, AccountID: accountID}); err != nil {
			return err
		}
		u.DeactivatedAt = at
		out = userFromRow(u)
		return runAlso(tx, out, also)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// hashOrNone is the stored hash of a raw session token, or "" (which no stored hash is).
func hashOrNone(token string) string {
	if token == "" {
		return ""
	}
	return hashToken(token)
}

func runAlso(tx *Tx, u *baton.User, also []func(*Tx, *baton.User) error) error {
	for _, f := range also {
		if err := f(tx, u); err != nil {
			return err
		}
	}
	return nil
}
