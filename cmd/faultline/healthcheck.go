package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// healthcheck asks a running serve on LISTEN_ADDR (or the address given)
// whether it is ready: exit 0 when /readyz answers 200, 1 otherwise. The
// image has no curl; its HEALTHCHECK runs this.
func (e environment) healthcheck(ctx context.Context, args []string) error {
	if len(args) > 1 {
		return usageError{"healthcheck takes at most one address"}
	}
	addr := e.getenv("LISTEN_ADDR")
	if len(args) == 1 {
		addr = args[0]
	}
	if addr == "" {
		addr = ":8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError{fmt.Sprintf("%q is not host:port", addr)}
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1" // serve listens on every interface; ask it here
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + "/readyz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not healthy: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s answered %d", url, resp.StatusCode)
	}
	fmt.Fprintln(e.stdout, "ready: "+strings.TrimPrefix(url, "http://"))
	return nil
}
