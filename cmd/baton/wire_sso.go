package main

import (
	"errors"
	"net/url"

	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/sso"
	"github.com/riverqueue/river"
)

func init() { wirers = append(wirers, wireSSO) }

// wireSSO serves "Sign in with SSO" (the OpenID Connect provider of BATON_OIDC_*) and the
// admins' SSO settings. The provider is looked up on the first sign-in, not here, so that
// an identity provider that is down does not stop Baton.
func wireSSO(m *Main, api *httpapi.Server, _ *river.Workers) error {
	c := m.Config
	if c.OIDCIssuer != "" && m.DB.Secrets == nil {
		return errors.New("single sign-on needs the secret key (to seal its sign-in cookie)")
	}
	sso.New(m.DB, m.Logger.With("component", "sso"), sso.Config{Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID,
		ClientSecret: c.OIDCClientSecret, Name: c.OIDCName, BaseURL: m.URL, Sealer: m.DB.Secrets}).Register(api)
	return nil
}

// checkOIDC refuses an SSO configuration that cannot work.
func (c *Config) checkOIDC() error {
	if c.OIDCIssuer == "" {
		return nil
	}
	if u, err := url.Parse(c.OIDCIssuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("BATON_OIDC_ISSUER must be the provider's https:// issuer URL")
	}
	if c.OIDCClientID == "" {
		return errors.New("BATON_OIDC_CLIENT_ID is required with BATON_OIDC_ISSUER")
	}
	if len([]rune(c.OIDCName)) > 40 {
		return errors.New("BATON_OIDC_NAME must be 40 characters at most")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errors.New("BATON_PUBLIC_URL must be an http(s):// URL (the SSO redirect URI is built from it)")
		}
	}
	return nil
}
