package sso

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/store"
)

// signIn turns a verified identity into a session: the user with that email, or a new
// agent of the account that takes the email's domain. code is the refusal to show when
// there is no session; err is what to log.
func (s *Service) signIn(ctx context.Context, id *identity, r *http.Request) (sess *baton.Session, code string, err error) {
	ip := httpapi.ClientIP(r)
	email, err := store.NormalizeEmail(id.Email)
	if err != nil {
		return nil, ErrUnverified, fmt.Errorf("subject %q has no usable email (%q)", id.Subject, id.Email)
	}
	u, err := s.DB.FindUserByEmail(ctx, email)
	if err != nil && baton.ErrorCode(err) != baton.ENOTFOUND {
		return nil, "", err
	}
	refused := func(accountID, reason string) {
		if accountID == "" {
			return
		}
		if err := audit.Log(ctx, s.DB, audit.Entry{AccountID: accountID, Action: audit.SignInFailed, Target: email, IP: ip,
			Detail: map[string]any{"method": "sso", "reason": reason}}); err != nil {
			s.Logger.Error("audit", "err", err)
		}
	}
	var signupAccount string
	if u == nil {
		if signupAccount, err = AccountOfDomain(ctx, s.DB, domainOf(email)); err != nil {
			return nil, "", err
		}
	}
	if !id.EmailVerified {
		accountID := signupAccount
		if u != nil {
			accountID = u.AccountID
		}
		refused(accountID, ErrUnverified)
		return nil, ErrUnverified, fmt.Errorf("the email %s is not verified by the identity provider", email)
	}
	if u == nil {
		if signupAccount == "" {
			return nil, ErrNoAccount, fmt.Errorf("no user has the email %s and no account takes its domain", email)
		}
		if u, err = s.createAgent(ctx, signupAccount, email, id, ip); err != nil {
			return nil, "", err
		}
	}
	if !u.Active() {
		refused(u.AccountID, ErrDeactivated)
		return nil, ErrDeactivated, fmt.Errorf("the user %s is deactivated", email)
	}
	sess, err = s.DB.SignIn(ctx, u, func(tx *store.Tx, u *baton.User) error {
		return audit.Record(ctx, tx, audit.Entry{AccountID: u.AccountID, ActorID: u.ID, ActorEmail: u.Email,
			Action: audit.SignIn, Target: email, IP: ip, Detail: map[string]any{"method": "sso"}})
	})
	if err != nil {
		return nil, "", err
	}
	return sess, "", nil
}

// createAgent adds the user of a first SSO sign-in to the account that takes their
// domain, as an agent with a password nobody knows (they sign in with SSO, or set one
// through a reset).
func (s *Service) createAgent(ctx context.Context, accountID, email string, id *identity, ip string) (*baton.User, error) {
	first, last := clipName(id.FirstName), clipName(id.LastName)
	if first == "" {
		first, _, _ = strings.Cut(email, "@")
		first = clipName(first)
	}
	u, err := s.DB.CreateUser(ctx, baton.UserCreate{AccountID: accountID, Email: email, Password: unusablePassword(),
		FirstName: first, LastName: last, Role: baton.RoleAgent}, func(tx *store.Tx, u *baton.User) error {
		return audit.Record(ctx, tx, audit.Entry{AccountID: accountID, ActorEmail: email, Action: audit.UserCreate,
			Target: "user:" + u.ID, IP: ip, Detail: map[string]any{"method": "sso", "email": email, "role": string(u.Role)}})
	})
	if baton.ErrorCode(err) == baton.ECONFLICT {
		// Two first sign-ins at once: the other one made the user.
		return s.DB.FindUserByEmail(ctx, email)
	} else if err != nil {
		return nil, fmt.Errorf("create the SSO user %s: %w", email, err)
	}
	s.Logger.Info("sso user created", "account", accountID, "user", u.ID)
	return u, nil
}

// unusablePassword is a long random password that is never shown to anyone.
func unusablePassword() string {
	b := make([]byte, 48)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// clipName keeps a name from the identity provider within the store's 100 characters.
func clipName(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= 100 {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:100]))
}

func domainOf(email string) string {
	_, d, _ := strings.Cut(email, "@")
	return d
}
