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
	"golang.org/x/sync/semaphore"

	"github.com/faultline/faultline/commands"
)

// Limits on what is read before a request's signature is checked. Each
// endpoint takes the largest body Slack sends it, with room to spare: a
// slash command is a short form (its text at most a few thousand
// characters), an interaction carries the message or form it came from, an
// event a message of up to 40,000 characters. A body that says it is
// larger is refused with 413 at once, one that turns out larger as soon as
// it does.
//
// Reading is bounded without letting slow senders keep anyone out: Slack
// sends a body at once, so a body must arrive within bodyTimeout; and the
// bytes being read, by all requests together, are at most readBudget, taken
// as they arrive (a slow sender holds only what it sent). When the budget
// is spent the answer is 503. At most maxHandling verified requests are
// handled at once, a newcomer waiting up to handlingWait for its turn.
const (
	MaxCommandBody     = 64 << 10
	MaxInteractionBody = 512 << 10
	MaxEventBody       = 512 << 10
	MaxBody            = MaxInteractionBody // the largest of them

	bodyTimeout  = 3 * time.Second
	readBudget   = 48 << 20
	readChunk    = 16 << 10
	maxHandling  = 64
	handlingWait = time.Second
)

// ServerConfig wires an HTTP transport.
type ServerConfig struct {
	Handler       Handler
	API           *WebAPI
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
	cfg     ServerConfig
	d       *dispatcher
	reading *semaphore.Weighted // bytes of bodies being read
	busy    chan struct{}       // verified requests being handled
}

// NewServer returns a Server. Now defaults to time.Now.
func NewServer(cfg ServerConfig) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{cfg: cfg, reading: semaphore.NewWeighted(readBudget), busy: make(chan struct{}, maxHandling), d: &dispatcher{
		handler: cfg.Handler, api: cfg.API, work: cfg.Workers, now: cfg.Now, log: cfg.Log,
	}}
}

// Routes returns the server's endpoints.
func (s *Server) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", s.slack("commands", MaxCommandBody, s.command))
	mux.Handle("POST /slack/interactions", s.slack("interactions", MaxInteractionBody, s.interaction))
	mux.Handle("POST /slack/events", s.slack("events", MaxEventBody, s.event))
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

// Unwrap lets http.ResponseController reach the connection (for the body's
// read deadline).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) counted(endpoint string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h(sw, r)
		s.cfg.Metrics.requests.WithLabelValues(endpoint, strconv.Itoa(sw.code)).Inc()
	})
}

// slack wraps a Slack endpoint: the body is read (bounded in size, time
// and, with the others, memory) and its signature verified before anything
// parses it; forged, stale or unsigned requests get 401 and reach nothing
// else.
func (s *Server) slack(kind string, limit int64, h func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return s.counted(kind, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if r.ContentLength > limit {
			refuse(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := http.NewResponseController(w).SetReadDeadline(start.Add(bodyTimeout)); err != nil {
			s.cfg.Log.ErrorContext(r.Context(), "cannot bound the body's read time", "err", err)
		}
		body, held, err := s.readBody(w, r, limit)
		defer s.reading.Release(held)
		if err != nil {
			var tooBig *http.MaxBytesError
			switch {
			case errors.As(err, &tooBig):
				refuse(w, "request body too large", http.StatusRequestEntityTooLarge)
			case errors.Is(err, errBudget):
				busy(w)
			default:
				refuse(w, "could not read request", http.StatusBadRequest)
			}
			return
		}
		if err := Verify(r.Header, body, s.cfg.SigningSecret, s.cfg.Now()); err != nil {
			s.cfg.Log.WarnContext(r.Context(), "refused unverified request", "endpoint", kind, "reason", err.Error(), "remote", r.RemoteAddr)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		wait := time.NewTimer(handlingWait)
		defer wait.Stop()
		select {
		case s.busy <- struct{}{}:
			defer func() { <-s.busy }()
		case <-wait.C:
			busy(w)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(w, r, body)
		s.cfg.Metrics.handling.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	})
}

var errBudget = errors.New("the read budget is spent")

// readBody reads at most limit bytes, a chunk at a time, taking each
// chunk's size from the read budget before allocating it. It returns what
// it took, for the caller to give back when the request is done.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, held int64, err error) {
	src := http.MaxBytesReader(w, r.Body, limit)
	var chunks [][]byte
	total := 0
	for {
		n := int64(readChunk)
		if r.ContentLength >= 0 {
			n = min(n, r.ContentLength-int64(total)+1) // +1: to see a body longer than it said
		}
		if !s.reading.TryAcquire(n) {
			return nil, held, errBudget
		}
		held += n
		chunk := make([]byte, n)
		read, err := io.ReadFull(src, chunk)
		chunks, total = append(chunks, chunk[:read]), total+read
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			if r.ContentLength >= 0 && int64(total) != r.ContentLength {
				return nil, held, errors.New("body shorter than its Content-Length")
			}
			return bytes.Join(chunks, nil), held, nil
		case err != nil:
			return nil, held, err
		case r.ContentLength >= 0 && int64(total) > r.ContentLength:
			return nil, held, errors.New("body longer than its Content-Length")
		}
	}
}

func busy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	refuse(w, "busy, try again", http.StatusServiceUnavailable)
}

// refuse answers a request whose body is not read, at once: with
// Connection: close the server does not first read (up to 256 KB of) the
// rest of the body, which a slow sender would make take as long as it
// likes.
func refuse(w http.ResponseWriter, msg string, code int) {
	w.Header().Set("Connection", "close")
	http.Error(w, msg, code)
}

func (s *Server) command(w http.ResponseWriter, r *http.Request, _ []byte) {
	cmd, err := slack.SlashCommandParse(r)
	if err != nil || cmd.Command == "" {
		http.Error(w, "not a slash command", http.StatusBadRequest)
		return
	}
	if !validUser(cmd.UserID) || !validChannel(cmd.ChannelID) {
		http.Error(w, "user_id and channel_id must be Slack IDs", http.StatusBadRequest)
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
	if !validUser(ic.User.ID) || (ic.Container.ChannelID != "" && !validChannel(ic.Container.ChannelID)) {
		http.Error(w, "user and channel must be Slack IDs", http.StatusBadRequest)
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
		// Nothing was recorded: Slack delivers the event again.
		ref := s.logRef(r.Context(), "record event", err)
		http.Error(w, "temporarily unavailable, ref "+ref, http.StatusServiceUnavailable)
	}
}

func (s *Server) logRef(ctx context.Context, op string, err error) string {
	ref := commands.NewRef()
	s.cfg.Log.ErrorContext(ctx, op, "ref", ref, "err", err)
	return ref
}

// ready answers 200 when the database answers and Slack takes the bot's
// token, and otherwise 503 saying which is wrong.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Ready(ctx); err != nil {
		s.cfg.Log.WarnContext(ctx, "not ready", "err", err)
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		return
	}
	if s.cfg.API != nil {
		if err := s.cfg.API.Health(); err != nil {
			http.Error(w, "slack: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
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
