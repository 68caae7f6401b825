package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/faultline/faultline"
)

// Settings is the part of the configuration the flows read.
type Settings struct {
	Language      faultline.Lang
	Location      *time.Location
	FaultsChannel string
	Sites         []faultline.Site
}

// Service handles commands, presses, submissions and thread replies. Its
// methods are safe for concurrent use.
type Service struct {
	store    Store
	pinger   Pinger
	poster   Poster
	settings Settings
	cat      faultline.Catalog
	now      func() time.Time
	log      *slog.Logger
}

// Deps are a Service's collaborators. Now defaults to time.Now.
type Deps struct {
	Store    Store
	Pinger   Pinger
	Poster   Poster
	Settings Settings
	Now      func() time.Time
	Log      *slog.Logger
}

// New returns a Service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Settings.Location == nil {
		d.Settings.Location = time.UTC
	}
	return &Service{
		store: d.Store, pinger: d.Pinger, poster: d.Poster, settings: d.Settings,
		cat: faultline.NewCatalog(d.Settings.Language), now: d.Now, log: d.Log,
	}
}

// Catalog is the service's message catalog, for transports that need a
// sentence of their own (the console's help, an apology).
func (s *Service) Catalog() faultline.Catalog { return s.cat }

// internal logs an unexpected error under a short reference and returns
// the apology the user sees, which carries the same reference.
func (s *Service) internal(ctx context.Context, op string, err error) Response {
	ref := newRef()
	s.log.ErrorContext(ctx, op, "ref", ref, "err", err)
	return Response{Reply: s.ephemeral(s.cat.T("error.internal", ref))}
}

// Apology is the message for a failure outside the service (a transport's
// own error), logged by the caller under ref.
func (s *Service) Apology(ref string) Message { return *s.ephemeral(s.cat.T("error.internal", ref)) }

// NewRef returns a short random reference for an error log line.
func NewRef() string { return newRef() }

func newRef() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Service) ephemeral(text string) *Message {
	return &Message{Ephemeral: true, Text: text}
}

func (s *Service) fmtTime(t time.Time) string {
	return t.In(s.settings.Location).Format("2006-01-02 15:04")
}
