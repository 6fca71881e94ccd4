package webhooks

import (
	"context"
	"fmt"
	"strings"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/store/db"
)

// The integrations' settings: the account's message webhook (X3) and the secret that
// signs the handover and message webhooks.

// IntegrationSettings returns the account's external-handover settings.
func IntegrationSettings(ctx context.Context, d *store.DB) (*baton.IntegrationSettings, error) {
	s, err := db.New(d.Reader()).GetIntegrationSettings(ctx, baton.ActorFromContext(ctx).AccountID)
	if store.IsNoRows(err) {
		return &baton.IntegrationSettings{}, nil
	} else if err != nil {
		return nil, fmt.Errorf("integration settings: %w", err)
	}
	return &baton.IntegrationSettings{MessageWebhookURL: s.MessageWebhookUrl, SigningSecretSet: s.SigningSecret != ""}, nil
}

// UpdateIntegrationSettings sets the account's message webhook (X3), used for chatbots
// without their own; "" removes it. EINVALID for a URL that is not http(s).
func UpdateIntegrationSettings(ctx context.Context, d *store.DB, messageWebhookURL *string) (*baton.IntegrationSettings, error) {
	accountID := baton.ActorFromContext(ctx).AccountID
	err := d.Write(ctx, func(tx *store.Tx) error {
		s, err := integrationSettings(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if messageWebhookURL != nil {
			u := strings.TrimSpace(*messageWebhookURL)
			if err := store.CheckHTTPURL("message_webhook_url", u); err != nil {
				return err
			}
			s.MessageWebhookUrl = u
		}
		return tx.UpsertIntegrationSettings(ctx, db.UpsertIntegrationSettingsParams{AccountID: accountID,
			MessageWebhookUrl: s.MessageWebhookUrl, SigningSecret: s.SigningSecret, UpdatedAt: tx.Now()})
	})
	if err != nil {
		return nil, err
	}
	return IntegrationSettings(ctx, d)
}

// RotateSigningSecret makes a new secret for the handover and message webhooks and returns
// it this once (it is stored sealed); the old one stops signing at once.
func RotateSigningSecret(ctx context.Context, d *store.DB) (*baton.IntegrationSettings, error) {
	accountID := baton.ActorFromContext(ctx).AccountID
	secret := store.RandomToken(SecretPrefix)
	var out *baton.IntegrationSettings
	err := d.Write(ctx, func(tx *store.Tx) error {
		s, err := integrationSettings(ctx, tx, accountID)
		if err != nil {
			return err
		}
		out = &baton.IntegrationSettings{MessageWebhookURL: s.MessageWebhookUrl, SigningSecretSet: true, SigningSecret: secret}
		return tx.UpsertIntegrationSettings(ctx, db.UpsertIntegrationSettingsParams{AccountID: accountID,
			MessageWebhookUrl: s.MessageWebhookUrl, SigningSecret: d.Seal(secret), UpdatedAt: tx.Now()})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func integrationSettings(ctx context.Context, tx *store.Tx, accountID string) (db.IntegrationSetting, error) {
	s, err := tx.GetIntegrationSettings(ctx, accountID)
	if store.IsNoRows(err) {
		return db.IntegrationSetting{AccountID: accountID}, nil
	} else if err != nil {
		return s, fmt.Errorf("integration settings: %w", err)
	}
	return s, nil
}

// signingSecret returns the account's secret for the handover and message webhooks,
// making one on first use (an admin reveals it by rotating it).
func signingSecret(ctx context.Context, d *store.DB, accountID string) (string, error) {
	s, err := db.New(d.Reader()).GetIntegrationSettings(ctx, accountID)
	if err == nil && s.SigningSecret != "" {
		return d.Unseal(s.SigningSecret)
	} else if err != nil && !store.IsNoRows(err) {
		return "", fmt.Errorf("signing secret: %w", err)
	}
	var sealed string
	err = d.Write(ctx, func(tx *store.Tx) error {
		s, err := integrationSettings(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if s.SigningSecret == "" { // still none now that we write
			s.SigningSecret = d.Seal(store.RandomToken(SecretPrefix))
			if err := tx.UpsertIntegrationSettings(ctx, db.UpsertIntegrationSettingsParams{AccountID: accountID,
				MessageWebhookUrl: s.MessageWebhookUrl, SigningSecret: s.SigningSecret, UpdatedAt: tx.Now()}); err != nil {
				return err
			}
		}
		sealed = s.SigningSecret
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("signing secret: %w", err)
	}
	return d.Unseal(sealed)
}
