package storagetest

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"

	_ "github.com/glebarez/go-sqlite" // database/sql driver "sqlite", to hold the file's write lock

	"github.com/faultline/faultline/storage"
)

// Outage makes a real database stop answering, and answer again, while a
// test runs: PostgreSQL is reached through a TCP proxy that drops every
// connection and refuses new ones while down (as a restart does); the
// SQLite file has its write lock held by another connection while down
// (as another process writing would).
type Outage struct {
	t      testing.TB
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
	target string // PostgreSQL: the real server's address
	file   string // SQLite: the database file
	hold   *sql.Conn
	holdDB *sql.DB
}

// OpenWithOutage returns a fresh, migrated database of the dialect and the
// Outage that can take it down.
func OpenWithOutage(t testing.TB, dialect string) (*storage.DB, *Outage) {
	t.Helper()
	raw := URL(t, dialect)
	o := &Outage{t: t, conns: map[net.Conn]bool{}}
	if dialect == "sqlite" {
		o.file = strings.TrimPrefix(raw, "sqlite:")
		t.Cleanup(o.Up)
		return OpenURL(t, raw), o
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	o.target = u.Host
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close(); o.Down() })
	go o.accept(ln)
	u.Host = ln.Addr().String()
	db := OpenURL(t, u.String())
	return db, o
}

func (o *Outage) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		o.mu.Lock()
		down := o.down
		if !down {
			o.conns[c] = true
		}
		o.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		go o.pipe(c)
	}
}

func (o *Outage) pipe(c net.Conn) {
	defer func() {
		o.mu.Lock()
		delete(o.conns, c)
		o.mu.Unlock()
		c.Close()
	}()
	s, err := net.Dial("tcp", o.target)
	if err != nil {
		return
	}
	defer s.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(s, c); s.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(c, s); done <- struct{}{} }()
	<-done
}

// Down makes the database stop answering.
func (o *Outage) Down() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.down {
		return
	}
	o.down = true
	for c := range o.conns {
		c.Close()
	}
	if o.file == "" {
		return
	}
	db, err := sql.Open("sqlite", "file:"+o.file)
	if err == nil {
		o.holdDB = db
		o.hold, err = db.Conn(context.Background())
	}
	if err == nil {
		_, err = o.hold.ExecContext(context.Background(), "BEGIN EXCLUSIVE")
	}
	if err != nil {
		o.t.Fatalf("hold the SQLite write lock: %v", err)
	}
}

// Up makes it answer again.
func (o *Outage) Up() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.down = false
	if o.hold != nil {
		_, err := o.hold.ExecContext(context.Background(), "ROLLBACK")
		err = errors.Join(err, o.hold.Close(), o.holdDB.Close())
		o.hold, o.holdDB = nil, nil
		if err != nil {
			o.t.Errorf("release the SQLite write lock: %v", err)
		}
	}
}
