package sso

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/baton-chat/baton/internal/httpapi"
)

// stateCookie carries a sign-in in progress from the login step to the callback.
const stateCookie = "baton_oidc"

// stateTTL bounds how long a sign-in at the identity provider may take.
const stateTTL = 10 * time.Minute

// flow is what the browser keeps, sealed, while it is away at the identity provider: the
// state the callback must bring back, the nonce the ID token must carry and the PKCE
// verifier of the code.
type flow struct {
	Purpose  string `json:"p"`
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Expires  int64  `json:"e"`
}

const flowPurpose = "oidc-login"

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// setFlow stores f in the flow cookie, sealed so that it can be neither read nor forged.
func (s *Service) setFlow(w http.ResponseWriter, r *http.Request, f flow) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: s.cfg.Sealer.Seal(string(b)), Path: "/auth/oidc/",
		MaxAge: int(stateTTL / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: httpapi.IsHTTPS(r)})
	return nil
}

// takeFlow reads the flow cookie and deletes it (a state is good for one callback): ok is
// false when it is missing, forged, expired, or does not match the state the identity
// provider sent back.
func (s *Service) takeFlow(w http.ResponseWriter, r *http.Request, now time.Time) (flow, bool) {
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: "/auth/oidc/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: httpapi.IsHTTPS(r)})
	c, err := r.Cookie(stateCookie)
	if err != nil || len(c.Value) > 4096 {
		return flow{}, false
	}
	plain, err := s.cfg.Sealer.Open(c.Value)
	if err != nil {
		return flow{}, false
	}
	var f flow
	if json.Unmarshal([]byte(plain), &f) != nil || f.Purpose != flowPurpose || f.State == "" || f.Nonce == "" ||
		f.Verifier == "" || now.Unix() > f.Expires {
		return flow{}, false
	}
	got := r.URL.Query().Get("state")
	if subtle.ConstantTimeCompare([]byte(got), []byte(f.State)) != 1 {
		return flow{}, false
	}
	return f, true
}
