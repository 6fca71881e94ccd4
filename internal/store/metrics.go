package store

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var messagesStored = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "baton_messages_stored_total",
	Help: "Messages stored, by kind.",
}, []string{"kind"})
