package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestStatsReadTheServersMetrics(t *testing.T) {
	body := `# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 1.2e+08
go_memstats_heap_inuse_bytes 4e+07
go_memstats_stack_inuse_bytes 2e+06
go_memstats_sys_bytes 9e+07
go_memstats_heap_released_bytes 3e+07
go_goroutines 48
process_open_fds 10026
process_cpu_seconds_total 12.5
go_gc_duration_seconds{quantile="0"} 1e-05
`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	st, err := stats(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if st.rss != 1.2e8 || st.heapInuse != 4e7 || st.stackInuse != 2e6 || st.goroutines != 48 || st.openFDs != 10026 || st.cpu != 12.5 {
		t.Fatalf("stats = %+v", st)
	}
	if got := st.outsideGo(); got != 1.2e8-6e7 {
		t.Fatalf("outsideGo() = %v, want %v", got, 1.2e8-6e7)
	}
	before := serverStats{rss: 1e8, goSys: 8e7, goReleased: 3e7, heapInuse: 2e7, stackInuse: 2e6, goroutines: 48}
	if got := perSocket(before, st, 1000); !strings.HasPrefix(got, "20.00 KB RSS per socket: 10.00 KB held by Go (heap in use 20.00 KB, stacks 0.00 KB), 10.00 KB outside Go; 0.00 goroutines") {
		t.Fatalf("perSocket = %q", got)
	}

	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer empty.Close()
	if _, err := stats(context.Background(), empty.URL); err == nil {
		t.Fatal("stats of a server without process_resident_memory_bytes: no error")
	}
}

func TestSocketClients(t *testing.T) {
	cs, err := socketClients("")
	if err != nil || len(cs) != 1 || cs[0] != http.DefaultClient {
		t.Fatalf("socketClients(\"\") = %v, %v; want the default client", cs, err)
	}
	if cs, err = socketClients("127.0.0.2, 127.0.0.3"); err != nil || len(cs) != 2 {
		t.Fatalf("socketClients(two addresses) = %d clients, %v", len(cs), err)
	}
	if _, err := socketClients("127.0.0.2,localhost"); err == nil {
		t.Fatal("socketClients(a host name): no error")
	}
	// A client bound to another loopback address reaches a loopback server.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, r.RemoteAddr) }))
	defer srv.Close()
	resp, err := cs[0].Get(srv.URL)
	if err != nil {
		t.Skipf("127.0.0.2 is not usable here: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.HasPrefix(string(b), "127.0.0.2:") {
		t.Fatalf("the server saw %q, want a connection from 127.0.0.2", b)
	}
}
