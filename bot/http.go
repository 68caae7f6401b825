package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/faultline/faultline/commands"
)

// MaxBody is the largest request body accepted from Slack. Interaction
// payloads carry the whole message they came from, so this is generous;
// anything larger is refused with 413 before it is read further.
const MaxBody = 1 << 20

// ServerConfig wires an HTTP transport.
type ServerConfig struct {
	Handler       Handler
	API           *WebAPI
	Dedup         Dedup
	SigningSecret string
	Ready         func(ctx context.Context) error // /readyz; the database ping
	Gatherer      prometheus.Gatherer
	Metrics       *Metrics
	Workers       *Workers
	Now           func() time.Time
	Log           *slog.Logger
}

// Server is the HTTP transport: Slack's slash commands, interactions and
// events, plus health, readiness and metrics.
type Server struct {
	cfg ServerConfig
	d   *dispatcher
}

// NewServer returns a Server. Now defaults to time.Now.
func NewServer(cfg ServerConfig) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{cfg: cfg, d: &dispatcher{
		handler: cfg.Handler, api: cfg.API, dedup: cfg.Dedup,
		work: cfg.Workers, now: cfg.Now, log: cfg.Log,
	}}
}

// Routes returns the server's endpoints.
func (s *Server) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", s.slack("commands", s.command))
	mux.Handle("POST /slack/interactions", s.slack("interactions", s.interaction))
	mux.Handle("POST /slack/events", s.slack("events", s.event))
	mux.Handle("GET /healthz", s.counted("healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	}))
	mux.Handle("GET /readyz", s.counted("readyz", s.ready))
	mux.Handle("GET /metrics", s.counted("metrics", promhttp.HandlerFor(s.cfg.Gatherer, promhttp.HandlerOpts{}).ServeHTTP))
	return mux
}

// Run serves on addr until ctx ends, then stops taking requests, lets the
// ones in flight finish and drains the background work they started.
func (s *Server) Run(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on a listener the caller opened.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	s.cfg.Log.InfoContext(ctx, "listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	<-errc
	s.cfg.Workers.Drain(30 * time.Second)
	return err
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (s *Server) counted(endpoint string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h(sw, r)
		s.cfg.Metrics.requests.WithLabelValues(endpoint, strconv.Itoa(sw.code)).Inc()
	})
}

// slack wraps a Slack endpoint: the body is read (bounded) and its
// signature verified before anything parses it; forged, stale or unsigned
// requests get 401 and reach nothing else.
func (s *Server) slack(kind string, h func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return s.counted(kind, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "could not read request", http.StatusBadRequest)
			return
		}
		if err := Verify(r.Header, body, s.cfg.SigningSecret, s.cfg.Now()); err != nil {
			s.cfg.Log.WarnContext(r.Context(), "refused unverified request", "endpoint", kind, "reason", err.Error(), "remote", r.RemoteAddr)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(w, r, body)
		s.cfg.Metrics.handling.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	})
}

func (s *Server) command(w http.ResponseWriter, r *http.Request, _ []byte) {
	cmd, err := slack.SlashCommandParse(r)
	if err != nil || cmd.Command == "" {
		http.Error(w, "not a slash command", http.StatusBadRequest)
		return
	}
	writeJSON(w, s.d.onCommand(r.Context(), cmd))
}

func (s *Server) interaction(w http.ResponseWriter, r *http.Request, _ []byte) {
	ic, err := slack.InteractionCallbackParse(r)
	if err != nil {
		http.Error(w, "not an interaction payload", http.StatusBadRequest)
		return
	}
	writeJSON(w, s.d.onInteraction(r.Context(), ic))
}

func (s *Server) event(w http.ResponseWriter, r *http.Request, body []byte) {
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		// Answering 200 stops Slack retrying something that will never parse.
		s.cfg.Log.WarnContext(r.Context(), "ignored unparseable event", "err", err)
		return
	}
	if ev.Type == slackevents.URLVerification {
		var c slackevents.ChallengeResponse
		if err := json.Unmarshal(body, &c); err != nil {
			http.Error(w, "bad challenge", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, c.Challenge)
		return
	}
	if err := s.d.onEvent(r.Context(), ev); err != nil {
		ref := s.logRef(r.Context(), "record event", err)
		http.Error(w, "temporarily unavailable, ref "+ref, http.StatusServiceUnavailable)
	}
}

func (s *Server) logRef(ctx context.Context, op string, err error) string {
	ref := commands.NewRef()
	s.cfg.Log.ErrorContext(ctx, op, "ref", ref, "err", err)
	return ref
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Ready(ctx); err != nil {
		s.cfg.Log.WarnContext(ctx, "not ready", "err", err)
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ready\n")
}

// writeJSON writes v as the response body, or an empty 200 for nil.
func writeJSON[T any](w http.ResponseWriter, v *T) {
	if v == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
