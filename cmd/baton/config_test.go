package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConfigChannelDelivery(t *testing.T) {
	for _, c := range []struct {
		name    string
		env     map[string]string
		timeout time.Duration
		waits   []time.Duration // the backoff after attempts 1, 2, 3
		err     string
	}{
		{name: "the defaults wait 10 s then 40 s, and give a provider 60 s",
			timeout: 60 * time.Second, waits: []time.Duration{10 * time.Second, 40 * time.Second, 40 * time.Second}},
		{name: "a schedule and a timeout are read from the environment",
			env:     map[string]string{"BATON_CHANNEL_TIMEOUT": "1s", "BATON_CHANNEL_RETRY_BACKOFF": "500ms,2s"},
			timeout: time.Second, waits: []time.Duration{500 * time.Millisecond, 2 * time.Second, 2 * time.Second}},
		{name: "one wait serves every retry",
			env:     map[string]string{"BATON_CHANNEL_RETRY_BACKOFF": "3s"},
			timeout: 60 * time.Second, waits: []time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second}},
		{name: "a zero timeout is refused", env: map[string]string{"BATON_CHANNEL_TIMEOUT": "0s"}, err: "BATON_CHANNEL_TIMEOUT"},
		{name: "a negative wait is refused", env: map[string]string{"BATON_CHANNEL_RETRY_BACKOFF": "1s,-1s"}, err: "BATON_CHANNEL_RETRY_BACKOFF"},
		{name: "a wait that is not a duration is refused", env: map[string]string{"BATON_CHANNEL_RETRY_BACKOFF": "soon"}, err: `"soon"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			cfg, _, err := parseConfig("serve", nil, io.Discard, nil)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("parseConfig = %v, want an error saying %s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseConfig: %v", err)
			}
			if cfg.ChannelTimeout != c.timeout {
				t.Errorf("ChannelTimeout = %v, want %v", cfg.ChannelTimeout, c.timeout)
			}
			var got []time.Duration
			for attempt := 1; attempt <= 3; attempt++ {
				got = append(got, cfg.channelBackoff(attempt))
			}
			if !slices.Equal(got, c.waits) {
				t.Errorf("channelBackoff(1…3) = %v, want %v", got, c.waits)
			}
		})
	}
}
