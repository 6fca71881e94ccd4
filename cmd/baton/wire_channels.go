package main

import (
	"net/http"

	"github.com/baton-chat/baton/internal/channel"
	"github.com/baton-chat/baton/internal/channel/email"
	"github.com/baton-chat/baton/internal/channel/meta"
	"github.com/baton-chat/baton/internal/channel/telegram"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/riverqueue/river"
)

func init() { wirers = append(wirers, wireChannels) }

// wireChannels connects the external channels (SPEC §4): their configuration API and
// webhooks, the delivery worker, the transaction hook that enqueues delivery, and the
// IMAP mailbox loops.
func wireChannels(m *Main, api *httpapi.Server, workers *river.Workers) error {
	client := &http.Client{Timeout: m.Config.ChannelTimeout}
	graph := &meta.Graph{BaseURL: m.Config.GraphAPIURL, Client: client}
	adapters := map[string]channel.Adapter{}
	// The mail servers are user input: they pass the outbound guard. The providers' API
	// URLs are operator settings and do not.
	mail := &email.Adapter{Logger: m.Logger, Guard: api.Outbound}
	for _, a := range []channel.Adapter{
		&telegram.Adapter{APIURL: m.Config.TelegramAPIURL, Client: client, Logger: m.Logger},
		&meta.WhatsApp{Graph: graph},
		&meta.Messenger{Graph: graph},
		mail,
	} {
		adapters[a.Kind()] = a
	}
	logger := m.Logger.With("component", "channels")
	svc := &channel.Service{DB: m.DB, Blobs: m.Blobs, Logger: logger, Adapters: adapters, BaseURL: m.URL, Client: client}
	poller := &email.Poller{DB: m.DB, Service: svc, Adapter: mail, Logger: logger}
	svc.OnChange = poller.Reload
	svc.Register(api)
	river.AddWorker(workers, &channel.Deliverer{DB: m.DB, Blobs: m.Blobs, Logger: logger, Adapters: adapters,
		Backoff: m.Config.channelBackoff})
	m.DB.AddTxHook(m.DB.ChannelDeliveryHook)
	// The mailbox loops stop when the server closes, before the database.
	m.closers = append(m.closers, poller.Start())
	return nil
}
