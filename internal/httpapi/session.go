package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/store"
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if err := s.cop.Check(r); err != nil {
		return baton.Errorf(baton.EFORBIDDEN, "Cross-origin request refused.")
	}
	var req loginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Email == "" || req.Password == "" {
		return baton.Invalid("email and password are required.")
	}
	if len(req.Email) > 254 || len(req.Password) > baton.MaxPasswordLength {
		return baton.Errorf(baton.EUNAUTHORIZED, "Invalid email or password.")
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	ip := clientIP(r)
	if ok, wait := s.throttle.allow(ip, email); !ok {
		return &baton.Error{Code: baton.ERATELIMITED, RetryAfter: int(wait/time.Second) + 1,
			Message: "Too many failed sign-in attempts. Wait a little and try again."}
	}
	sess, err := s.DB.Login(r.Context(), email, req.Password, func(tx *store.Tx, u *baton.User) error {
		return audit.Record(r.Context(), tx, audit.Entry{AccountID: u.AccountID, ActorID: u.ID, ActorEmail: u.Email,
			Action: audit.SignIn, Target: "user:" + u.ID, IP: ip, Detail: map[string]any{"method": "password"}})
	})
	if err != nil {
		if code := baton.ErrorCode(err); code == baton.EUNAUTHORIZED || code == baton.EFORBIDDEN {
			s.throttle.failed(ip, email)
			s.auditFailedSignIn(r.Context(), email, ip, code)
		}
		return err
	}
	s.throttle.succeeded(ip, email)
	SetSessionCookie(w, r, sess)
	return writeJSON(w, http.StatusOK, sess)
}

// auditFailedSignIn records a refused sign-in in the account of the email, when the email
// names a user (an unknown email belongs to no account's log).
func (s *Server) auditFailedSignIn(ctx context.Context, email, ip, code string) {
	u, err := s.DB.FindUserByEmail(ctx, email)
	if err != nil {
		return
	}
	reason := "wrong password"
	if code == baton.EFORBIDDEN {
		reason = "deactivated"
	}
	if err := audit.Log(ctx, s.DB, audit.Entry{AccountID: u.AccountID, Action: audit.SignInFailed, Target: "user:" + u.ID,
		ActorEmail: email, IP: ip, Detail: map[string]any{"reason": reason}}); err != nil {
		s.Logger.Warn("audit: failed sign-in", "err", err)
	}
}

func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: isHTTPS(r)})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	a := baton.ActorFromContext(r.Context())
	if a.SessionToken != "" {
		err := s.DB.Logout(r.Context(), a.SessionToken, func(tx *store.Tx) error {
			return audit.Record(r.Context(), tx, auditEntry(r, audit.SignOut, "user:"+a.UserID()))
		})
		if err != nil {
			return err
		}
		s.revoke(r.Context(), baton.Revocation{AccountID: a.AccountID, UserID: a.UserID(), SessionHash: baton.TokenHash(a.SessionToken)})
	}
	s.clearSessionCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// logoutEverywhere ends every session of the signed-in user, this one included, and
// closes their sockets.
func (s *Server) logoutEverywhere(w http.ResponseWriter, r *http.Request) error {
	a := baton.ActorFromContext(r.Context())
	n, err := s.DB.EndSessions(r.Context(), a.UserID(), "", func(tx *store.Tx) error {
		return audit.Record(r.Context(), tx, auditEntry(r, audit.SignOutAll, "user:"+a.UserID()))
	})
	if err != nil {
		return err
	}
	s.revoke(r.Context(), baton.Revocation{AccountID: a.AccountID, UserID: a.UserID()})
	s.clearSessionCookie(w, r)
	return writeJSON(w, http.StatusOK, map[string]any{"ended": n})
}

// revoke closes the sockets that used credentials which just stopped working.
func (s *Server) revoke(ctx context.Context, r baton.Revocation) {
	if s.OnRevoke != nil {
		s.OnRevoke(ctx, r)
	}
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	a := baton.ActorFromContext(r.Context())
	return writeJSON(w, http.StatusOK, a.User)
}

type userPatch struct {
	FirstName     *string                     `json:"first_name"`
	LastName      *string                     `json:"last_name"`
	Role          *baton.Role                 `json:"role"`
	Availability  *baton.Availability         `json:"availability"`
	Capacity      *int                        `json:"capacity"`
	Notifications *baton.NotificationSettings `json:"notification_settings"`
	Password      *string                     `json:"password"`
	Email         *string                     `json:"email"`
	// CurrentPassword must accompany a change of one's own password or email.
	CurrentPassword string `json:"current_password"`
}

func (p userPatch) update() baton.UserUpdate {
	return baton.UserUpdate{FirstName: p.FirstName, LastName: p.LastName, Role: p.Role, Availability: p.Availability,
		Capacity: p.Capacity, Notifications: p.Notifications, Password: p.Password, Email: p.Email}
}

// updateMe changes the signed-in user's own profile. It takes a session, never an
// integration token (a token must not become a password), and a password or email
// change needs the current password; such a change ends the user's other sessions.
func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) error {
	a := baton.ActorFromContext(r.Context())
	var p userPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	if p.Role != nil && *p.Role != a.Role() {
		return baton.Errorf(baton.EFORBIDDEN, "You cannot change your own role.")
	}
	credentials := p.Password != nil || (p.Email != nil && !strings.EqualFold(strings.TrimSpace(*p.Email), a.User.Email))
	if credentials {
		if p.CurrentPassword == "" {
			return baton.Invalid("current_password is required to change your password or email.")
		}
		if len(p.CurrentPassword) > baton.MaxPasswordLength {
			return baton.Errorf(baton.EFORBIDDEN, "The current password is not correct.")
		}
		ip := clientIP(r)
		if ok, wait := s.throttle.allow(ip, a.User.Email); !ok {
			return &baton.Error{Code: baton.ERATELIMITED, RetryAfter: int(wait/time.Second) + 1,
				Message: "Too many wrong passwords. Wait a little and try again."}
		}
		if !s.DB.CheckUserPassword(r.Context(), a.UserID(), p.CurrentPassword) {
			s.throttle.failed(ip, a.User.Email)
			return baton.Errorf(baton.EFORBIDDEN, "The current password is not correct.")
		}
	}
	u, err := s.DB.UpdateUser(r.Context(), a.AccountID, a.UserID(), p.update(), a.SessionToken, func(tx *store.Tx, u *baton.User) error {
		if p.Password != nil {
			if err := audit.Record(r.Context(), tx, auditEntry(r, audit.PasswordChange, "user:"+u.ID)); err != nil {
				return err
			}
		}
		if p.Email != nil && u.Email != a.User.Email {
			return audit.Record(r.Context(), tx, auditEntry(r, audit.EmailChange, "user:"+u.ID).
				With("from", a.User.Email).With("to", u.Email))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if credentials {
		s.revoke(r.Context(), baton.Revocation{AccountID: a.AccountID, UserID: u.ID, KeepSessionHash: baton.TokenHash(a.SessionToken)})
	}
	if p.Availability != nil && s.OnPresence != nil {
		s.OnPresence(r.Context(), a.AccountID, u.ID, u.Availability)
	}
	return writeJSON(w, http.StatusOK, u)
}
