package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/baton-chat/baton"
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
	if len(req.Email) > 254 || len(req.Password) > 1024 {
		return baton.Errorf(baton.EUNAUTHORIZED, "Invalid email or password.")
	}
	if ok, wait := s.throttle.allow("ip:"+clientIP(r), "email:"+strings.ToLower(strings.TrimSpace(req.Email))); !ok {
		return &baton.Error{Code: baton.ERATELIMITED, RetryAfter: int(wait/time.Second) + 1,
			Message: "Too many sign-in attempts. Wait a little and try again."}
	}
	sess, err := s.DB.Login(r.Context(), req.Email, req.Password)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isHTTPS(r)})
	return writeJSON(w, http.StatusOK, sess)
}

func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	a := baton.ActorFromContext(r.Context())
	if a.SessionToken != "" {
		if err := s.DB.Logout(r.Context(), a.SessionToken); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: isHTTPS(r)})
	w.WriteHeader(http.StatusNoContent)
	return nil
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
}

func (p userPatch) update() baton.UserUpdate {
	return baton.UserUpdate{FirstName: p.FirstName, LastName: p.LastName, Role: p.Role, Availability: p.Availability,
		Capacity: p.Capacity, Notifications: p.Notifications, Password: p.Password}
}

func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) error {
	a := baton.ActorFromContext(r.Context())
	var p userPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	if p.Role != nil && *p.Role != a.Role() {
		return baton.Errorf(baton.EFORBIDDEN, "You cannot change your own role.")
	}
	u, err := s.DB.UpdateUser(r.Context(), a.AccountID, a.UserID(), p.update())
	if err != nil {
		return err
	}
	if p.Availability != nil && s.OnPresence != nil {
		s.OnPresence(r.Context(), a.AccountID, u.ID, u.Availability)
	}
	return writeJSON(w, http.StatusOK, u)
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
		FirstName: req.FirstName, LastName: req.LastName, Role: req.Role, Capacity: req.Capacity})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, u)
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	a := baton.ActorFromContext(r.Context())
	var p userPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	target, err := s.DB.FindUser(r.Context(), a.AccountID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if a.Role() != baton.RoleOwner && (target.Role == baton.RoleOwner || (p.Role != nil && *p.Role == baton.RoleOwner)) {
		return baton.Errorf(baton.EFORBIDDEN, "Only the owner can change an owner.")
	}
	u, err := s.DB.UpdateUser(r.Context(), a.AccountID, target.ID, p.update())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}
