package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// listQueries is the query mix of the list/filter/search benchmark (A2, A3).
var listQueries = []struct{ name, query string }{
	{"list, newest first", ""},
	{"status = human", "status=human"},
	{"status = resolved, channel = email", "status=resolved&channel=email"},
	{"priority = urgent", "priority=urgent"},
	{"activity = high", "activity=high"},
	{"last 7 days", "range=7d"},
	{"pending", "status=pending"},
	{"search: contact name", "q=" + url.QueryEscape("Maria Garcia")},
	{"search: first name only", "q=Olivia"},
	{"search: email fragment", "q=" + url.QueryEscape("olivia.brown")},
	{"search: phone digits", "q=5550123"},
	{"search: common word", "q=refund"},
	{"search: word prefix", "q=refu"},
	{"search: two letters", "q=re"},
	{"search: name being typed", "q=" + url.QueryEscape("maria g")},
	{"search: no match", "q=kangaroo"},
	{"search: rare order number", "q=" + url.QueryEscape("#123456")},
	{"search: two words", "q=" + url.QueryEscape("damaged package")},
	{"search + filter", "q=refund&status=resolved"},
}

var listWarmup = flag.Int("warmup", 1, "list mode: unmeasured runs of each query (page 1 and the next) before the measured ones")

// runList measures the conversation list's latency through the HTTP API, page 1 and the
// page after it, iterations times per query, after *listWarmup unmeasured runs.
func runList(ctx context.Context, base, token string, iterations int) error {
	get := func(path string) (time.Duration, string, int, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		resp, err := httpc.Do(req)
		if err != nil {
			return 0, "", 0, err
		}
		defer resp.Body.Close()
		var page struct {
			Conversations []json.RawMessage `json:"conversations"`
			NextCursor    string            `json:"next_cursor"`
		}
		b, _ := io.ReadAll(resp.Body)
		took := time.Since(start)
		if resp.StatusCode != 200 {
			return 0, "", 0, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		json.Unmarshal(b, &page)
		return took, page.NextCursor, len(page.Conversations), nil
	}
	fmt.Printf("%-38s %9s %9s %9s %9s %6s\n", "query (limit 50)", "p50", "p95", "next p50", "next p95", "rows")
	for _, q := range listQueries {
		var first, next []time.Duration
		rows := 0
		for i := -*listWarmup; i < iterations; i++ {
			path := "/api/v1/conversations?limit=50"
			if q.query != "" {
				path += "&" + q.query
			}
			d, cursor, n, err := get(path)
			if err != nil {
				return err
			}
			if i >= 0 {
				first, rows = append(first, d), n
			}
			if cursor != "" {
				d2, _, _, err := get(path + "&cursor=" + url.QueryEscape(cursor))
				if err != nil {
					return err
				}
				if i >= 0 {
					next = append(next, d2)
				}
			}
		}
		fmt.Printf("%-38s %9s %9s %9s %9s %6d\n", q.name, pct(first, .5), pct(first, .95), pct(next, .5), pct(next, .95), rows)
	}
	return nil
}

func pct(d []time.Duration, p float64) string {
	if len(d) == 0 {
		return "-"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return fmt.Sprintf("%.1fms", float64(s[min(len(s)-1, int(p*float64(len(s))))].Microseconds())/1000)
}
