package httpapi

import (
	"net/http"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/store"
)

// teamAdmin requires an admin or owner signed in with a session: managing people and
// credentials (users, passwords, tokens) is never done with an integration token, so that
// a leaked token cannot mint itself a person or a wider token.
func (s *Server) teamAdmin(h handlerFunc) handlerFunc {
	return s.authWith(h, func(a *baton.Actor) error {
		if a.TokenID != "" {
			return baton.Errorf(baton.EFORBIDDEN, "Sign in as a person to do this: integration tokens cannot manage users or tokens.")
		}
		if !a.Role().AtLeast(baton.RoleAdmin) {
			return baton.Errorf(baton.EFORBIDDEN, "Only an admin or the owner can do this.")
		}
		return nil
	})
}

// session requires a signed-in user with a session (not an integration token).
func (s *Server) session(h handlerFunc) handlerFunc {
	return s.authWith(h, func(a *baton.Actor) error {
		if a.TokenID != "" || a.SessionToken == "" {
			return baton.Errorf(baton.EFORBIDDEN, "Sign in as a person to do this: integration tokens cannot change an account's profile or sessions.")
		}
		return nil
	})
}

type userCreate struct {
	Email     string     `json:"email"`
	Password  string     `json:"password"`
	FirstName string     `json:"first_name"`
	LastName  string     `json:"last_name"`
	Role      baton.Role `json:"role"`
	Capacity  int        `json:"capacity"`
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	users, err := s.DB.ListUsers(r.Context(), baton.ActorFromContext(r.Context()).AccountID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"users": users})
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	a := baton.ActorFromContext(r.Context())
	var req userCreate
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Role == "" {
		req.Role = baton.RoleAgent
	}
	if req.Role == baton.RoleOwner && a.Role() != baton.RoleOwner {
		return baton.Errorf(baton.EFORBIDDEN, "Only the owner can add another owner.")
	}
	u, err := s.DB.CreateUser(r.Context(), baton.UserCreate{AccountID: a.AccountID, Email: req.Email, Password: req.Password,
		FirstName: req.FirstName, LastName: req.LastName, Role: req.Role, Capacity: req.Capacity},
		func(tx *store.Tx, u *baton.User) error {
			return audit.Record(r.Context(), tx, auditEntry(r, audit.UserCreate, "user:"+u.ID).
				With("email", u.Email).With("role", string(u.Role)))
		})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, u)
}

// updateUser changes a teammate. A new role or an admin's password reset ends the
// teammate's sessions and closes their sockets (a reset password must be used to sign in
// again; a role is read when a socket opens).
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	a := baton.ActorFromContext(r.Context())
	var p userPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	target, err := s.owned(r, a)
	if err != nil {
		return err
	}
	if a.Role() != baton.RoleOwner && p.Role != nil && *p.Role == baton.RoleOwner {
		return baton.Errorf(baton.EFORBIDDEN, "Only the owner can change an owner.")
	}
	if target.ID == a.UserID() && (p.Password != nil || p.Email != nil) {
		return baton.Errorf(baton.EFORBIDDEN, "Change your own password or email in your profile, with your current password.")
	}
	roleChanged := p.Role != nil && *p.Role != target.Role
	u, err := s.DB.UpdateUser(r.Context(), a.AccountID, target.ID, p.update(), "", func(tx *store.Tx, u *baton.User) error {
		if roleChanged {
			if err := audit.Record(r.Context(), tx, auditEntry(r, audit.UserRole, "user:"+u.ID).
				With("from", string(target.Role)).With("to", string(u.Role))); err != nil {
				return err
			}
		}
		if p.Password != nil {
			if err := audit.Record(r.Context(), tx, auditEntry(r, audit.PasswordReset, "user:"+u.ID)); err != nil {
				return err
			}
		}
		if p.Email != nil && u.Email != target.Email {
			return audit.Record(r.Context(), tx, auditEntry(r, audit.EmailChange, "user:"+u.ID).
				With("from", target.Email).With("to", u.Email))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if roleChanged || p.Password != nil || p.Email != nil {
		// A role change leaves the sessions (each request reads the role again) but not the
		// sockets, which keep the role they opened with: they reconnect.
		s.revoke(r.Context(), baton.Revocation{AccountID: a.AccountID, UserID: u.ID})
	}
	return writeJSON(w, http.StatusOK, u)
}

// owned finds the user of the path in the actor's account and checks that the actor may
// manage them: only the owner manages an owner.
func (s *Server) owned(r *http.Request, a *baton.Actor) (*baton.User, error) {
	target, err := s.DB.FindUser(r.Context(), a.AccountID, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if a.Role() != baton.RoleOwner && target.Role == baton.RoleOwner {
		return nil, baton.Errorf(baton.EFORBIDDEN, "Only the owner can change an owner.")
	}
	return target, nil
}

func (s *Server) deactivateUser(w http.ResponseWriter, r *http.Request) error {
	return s.setDeactivated(w, r, true)
}

func (s *Server) reactivateUser(w http.ResponseWriter, r *http.Request) error {
	return s.setDeactivated(w, r, false)
}

// setDeactivated deactivates or reactivates a teammate. Deactivation ends their sessions,
// stops their tokens and closes their sockets on every node.
func (s *Server) setDeactivated(w http.ResponseWriter, r *http.Request, deactivate bool) error {
	a := baton.ActorFromContext(r.Context())
	target, err := s.owned(r, a)
	if err != nil {
		return err
	}
	if target.ID == a.UserID() {
		return baton.Errorf(baton.ECONFLICT, "You cannot deactivate yourself: ask another admin.")
	}
	action := audit.UserReactivate
	if deactivate {
		action = audit.UserDeactivate
	}
	u, err := s.DB.SetDeactivated(r.Context(), a.AccountID, target.ID, deactivate, func(tx *store.Tx, u *baton.User) error {
		if (target.DeactivatedAt != nil) == deactivate {
			return nil // already so: nothing to record
		}
		return audit.Record(r.Context(), tx, auditEntry(r, action, "user:"+u.ID).With("email", u.Email))
	})
	if err != nil {
		return err
	}
	if deactivate {
		s.revoke(r.Context(), baton.Revocation{AccountID: a.AccountID, UserID: u.ID})
		if s.OnPresence != nil {
			s.OnPresence(r.Context(), a.AccountID, u.ID, baton.AvailabilityOffline)
		}
	}
	return writeJSON(w, http.StatusOK, u)
}
