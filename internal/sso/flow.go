package sso

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Refusals, sent to the console as /app/?sso_error=<code>. The sign-in page shows a
// message for each; what went wrong in detail is only logged.
const (
	ErrDisabled    = "disabled"         // SSO is not configured
	ErrUnavailable = "unavailable"      // the identity provider cannot be reached
	ErrState       = "state"            // missing, forged or expired state
	ErrDenied      = "denied"           // the identity provider answered with an error
	ErrFailed      = "failed"           // the code exchange or the ID token failed
	ErrUnverified  = "email_unverified" // no email, or not verified
	ErrNoAccount   = "no_account"       // unknown email, no account takes its domain
	ErrDeactivated = "deactivated"      // the user is deactivated
)

const (
	// consoleSignIn is where a sign-in ends, signed in or with ?sso_error=.
	consoleSignIn = "/app/"
	// exchangeDeadline bounds the code exchange and the userinfo call together.
	exchangeDeadline = 20 * time.Second
)

// refuse sends the browser back to the sign-in page with code; err (if any) is logged.
func (s *Service) refuse(w http.ResponseWriter, r *http.Request, code string, err error) {
	if err != nil {
		s.Logger.Warn("sso sign-in refused", "reason", code, "err", err)
	} else {
		s.Logger.Info("sso sign-in refused", "reason", code)
	}
	http.Redirect(w, r, consoleSignIn+"?sso_error="+url.QueryEscape(code), http.StatusFound)
}

// login starts a sign-in: a new state, nonce and PKCE verifier in the flow cookie, then
// off to the identity provider.
func (s *Service) login(w http.ResponseWriter, r *http.Request) {
	if !s.Enabled() {
		s.refuse(w, r, ErrDisabled, errDisabled)
		return
	}
	p, err := s.discover()
	if err != nil {
		s.refuse(w, r, ErrUnavailable, err)
		return
	}
	f := flow{Purpose: flowPurpose, State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(),
		Expires: time.Now().Add(stateTTL).Unix()}
	if err := s.setFlow(w, r, f); err != nil {
		s.refuse(w, r, ErrFailed, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.oauth(p).AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)),
		http.StatusFound)
}

// callback finishes a sign-in: it checks the state, exchanges the code, verifies the ID
// token and signs the user in.
func (s *Service) callback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !s.Enabled() {
		s.refuse(w, r, ErrDisabled, errDisabled)
		return
	}
	f, ok := s.takeFlow(w, r, time.Now())
	if !ok {
		s.refuse(w, r, ErrState, nil)
		return
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		s.refuse(w, r, ErrDenied, fmt.Errorf("identity provider: %.100q: %.300q", e, q.Get("error_description")))
		return
	}
	p, err := s.discover()
	if err != nil {
		s.refuse(w, r, ErrUnavailable, err)
		return
	}
	id, err := s.identify(r.Context(), p, q.Get("code"), f)
	if err != nil {
		s.refuse(w, r, ErrFailed, err)
		return
	}
	sess, code, err := s.signIn(r.Context(), id, r)
	if code != "" || err != nil {
		if code == "" {
			code = ErrFailed
		}
		s.refuse(w, r, code, err)
		return
	}
	httpapi.SetSessionCookie(w, r, sess)
	http.Redirect(w, r, consoleSignIn, http.StatusFound)
}

// identity is who the identity provider says signed in.
type identity struct {
	Subject       string
	Email         string
	EmailVerified bool
	FirstName     string
	LastName      string
}

// claims are the ID token's or the userinfo's claims that Baton reads. email_verified is
// a boolean, though some providers send the string "true".
type claims struct {
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"`
	GivenName     string `json:"given_name"`
	FamilyName    string `json:"family_name"`
}

func (c claims) verified() bool {
	return c.EmailVerified == true || c.EmailVerified == "true"
}

// identify exchanges the code (with the PKCE verifier) and verifies the ID token: its
// signature, issuer, audience, expiry and nonce. The email comes from the ID token, or
// from the userinfo endpoint for the same subject when the token leaves it out.
func (s *Service) identify(ctx context.Context, p *oidc.Provider, code string, f flow) (*identity, error) {
	if code == "" || len(code) > 4096 {
		return nil, errors.New("the callback has no authorization code")
	}
	ctx, cancel := context.WithTimeout(s.clientContext(ctx), exchangeDeadline)
	defer cancel()
	tok, err := s.oauth(p).Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return nil, fmt.Errorf("exchange the code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, errors.New("the token response has no id_token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: s.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("verify the ID token: %w", err)
	}
	if idt.Nonce != f.Nonce {
		return nil, errors.New("the ID token's nonce does not match the sign-in's")
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		return nil, fmt.Errorf("read the ID token's claims: %w", err)
	}
	if c.Email == "" {
		ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, fmt.Errorf("userinfo: %w", err)
		}
		if ui.Subject != idt.Subject {
			return nil, errors.New("the userinfo subject differs from the ID token's")
		}
		if err := ui.Claims(&c); err != nil {
			return nil, fmt.Errorf("read the userinfo claims: %w", err)
		}
		c.Email, c.EmailVerified = ui.Email, ui.EmailVerified
	}
	return &identity{Subject: idt.Subject, Email: c.Email, EmailVerified: c.verified(),
		FirstName: c.GivenName, LastName: c.FamilyName}, nil
}
