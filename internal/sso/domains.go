package sso

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/store"
	"github.com/jackc/pgx/v5"
)

// MaxSignupDomains is how many sign-up domains an account may list.
const MaxSignupDomains = 50

// NormalizeDomain checks an email domain ("example.com") and returns it lower-cased.
func NormalizeDomain(s string) (string, error) {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	d = strings.TrimPrefix(d, "@")
	if d == "" || len(d) > 253 {
		return "", baton.Invalid("%q is not an email domain (like example.com).", clip(s))
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", baton.Invalid("%q is not an email domain (like example.com).", clip(s))
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", baton.Invalid("%q is not an email domain (like example.com).", clip(s))
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", baton.Invalid("%q is not an email domain (like example.com); write international names in their xn-- form.", clip(s))
			}
		}
	}
	return d, nil
}

func clip(s string) string {
	if len(s) > 60 {
		return strings.ToValidUTF8(s[:60], "") + "…"
	}
	return s
}

// SignupDomains lists the account's sign-up domains, sorted.
func SignupDomains(ctx context.Context, d *store.DB, accountID string) ([]string, error) {
	rows, err := d.Reader().Query(ctx, `SELECT domain FROM sso_signup_domains WHERE account_id = $1 ORDER BY domain`, accountID)
	if err != nil {
		return nil, fmt.Errorf("sign-up domains: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("sign-up domains: %w", err)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// SetSignupDomains replaces the account's sign-up domains with domains (checked,
// lower-cased, without repeats) and returns them sorted. A domain another account has
// is ECONFLICT. also runs in the same transaction (the audit entry).
func SetSignupDomains(ctx context.Context, d *store.DB, accountID string, domains []string, also func(tx *store.Tx, domains []string) error) ([]string, error) {
	if len(domains) > MaxSignupDomains {
		return nil, baton.Invalid("An account can list %d sign-up domains at most.", MaxSignupDomains)
	}
	clean := make([]string, 0, len(domains))
	for _, s := range domains {
		dom, err := NormalizeDomain(s)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(clean, dom) {
			clean = append(clean, dom)
		}
	}
	slices.Sort(clean)
	err := d.Write(ctx, func(tx *store.Tx) error {
		c := tx.Conn()
		if _, err := c.Exec(ctx, `DELETE FROM sso_signup_domains WHERE account_id = $1`, accountID); err != nil {
			return err
		}
		for _, dom := range clean {
			tag, err := c.Exec(ctx, `INSERT INTO sso_signup_domains (domain, account_id, created_at) VALUES ($1, $2, $3)
				ON CONFLICT (domain) DO NOTHING`, dom, accountID, tx.Now())
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return baton.Errorf(baton.ECONFLICT, "The domain %s is already a sign-up domain of another account.", dom)
			}
		}
		if also != nil {
			return also(tx, clean)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return clean, nil
}

// AccountOfDomain returns the account that takes new SSO users of the email domain, or ""
// when none does.
func AccountOfDomain(ctx context.Context, d *store.DB, domain string) (string, error) {
	var id string
	err := d.Reader().QueryRow(ctx, `SELECT account_id FROM sso_signup_domains WHERE domain = $1`, strings.ToLower(domain)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("account of domain: %w", err)
	}
	return id, nil
}

// settings is the body of GET and PUT /api/v1/sso/settings.
type settings struct {
	SignupDomains []string `json:"signup_domains"`
}

func (s *Service) getSettings(w http.ResponseWriter, r *http.Request) error {
	a := baton.ActorFromContext(r.Context())
	domains, err := SignupDomains(r.Context(), s.DB, a.AccountID)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, settings{SignupDomains: domains})
}

func (s *Service) putSettings(w http.ResponseWriter, r *http.Request) error {
	a := baton.ActorFromContext(r.Context())
	var req settings
	if err := httpapi.Decode(w, r, &req); err != nil {
		return err
	}
	if req.SignupDomains == nil {
		return baton.Invalid("signup_domains is required (a list, empty to take no one in).")
	}
	domains, err := SetSignupDomains(r.Context(), s.DB, a.AccountID, req.SignupDomains, func(tx *store.Tx, domains []string) error {
		return audit.Record(r.Context(), tx, audit.Entry{Action: audit.SettingsUpdate, Target: "sso",
			IP: httpapi.ClientIP(r), Detail: map[string]any{"signup_domains": domains}}.By(a))
	})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, settings{SignupDomains: domains})
}
