package main

import (
	"time"

	"github.com/baton-chat/baton/internal/analysis"
	"github.com/baton-chat/baton/internal/handover"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/webhooks"
	"github.com/riverqueue/river"
)

func init() { wirers = append(wirers, wireIntegrations) }

// wireIntegrations connects the external handover API, outgoing webhooks and post-chat
// analysis: their transaction hook (which queues their jobs with the changes that cause
// them), their workers and their routes.
func wireIntegrations(m *Main, api *httpapi.Server, workers *river.Workers) error {
	guard := api.Outbound // every outbound request passes it (set in serve.go)
	hooks := webhooks.Options{}
	m.DB.AddTxHook(webhooks.Hook(m.DB, hooks))
	m.DB.AnalysisClosed = webhooks.ClosedWebhook(m.DB, hooks)
	river.AddWorker(workers, &webhooks.Deliverer{DB: m.DB, Client: guard.Client(15 * time.Second), Logger: m.Logger})
	river.AddWorker(workers, &analysis.Worker{DB: m.DB, Client: guard.Client(90 * time.Second), Logger: m.Logger})
	(&handover.API{DB: m.DB}).Register(api)
	(&webhooks.API{DB: m.DB, Guard: guard}).Register(api)
	(&analysis.API{DB: m.DB}).Register(api)
	return nil
}
