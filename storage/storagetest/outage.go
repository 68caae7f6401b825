package storagetest

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/binary"
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
	t        testing.TB
	mu       sync.Mutex
	down     bool
	muted    bool
	loseNext bool // mute from the next Execute on
	conns    map[net.Conn]bool
	target   string // PostgreSQL: the real server's address
	file     string // SQLite: the database file
	hold     *sql.Conn
	holdDB   *sql.DB
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
	go func() { o.forward(s, c); s.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := s.Read(buf)
			if n > 0 && !o.isMuted() {
				if _, werr := c.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		done <- struct{}{}
	}()
	<-done
}

// forward copies what the client sends to the server, reading the
// PostgreSQL protocol's framing (a startup message, then messages of a
// type byte and a length), so that LoseNextAnswer can mute the answers
// from the moment a statement is executed.
func (o *Outage) forward(s, c net.Conn) {
	r := bufio.NewReader(c)
	startup := true
	for {
		var kind byte
		if !startup {
			b, err := r.ReadByte()
			if err != nil {
				return
			}
			kind = b
		}
		var size [4]byte
		if _, err := io.ReadFull(r, size[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(size[:])) - 4
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		if startup && n == 4 { // an SSLRequest or GSSENCRequest: the startup message follows
			startup = true
		} else {
			startup = false
		}
		if kind == 'E' || kind == 'Q' {
			o.mu.Lock()
			if o.loseNext {
				o.loseNext, o.muted = false, true
			}
			o.mu.Unlock()
		}
		msg := append([]byte{}, kind)
		if kind == 0 {
			msg = msg[:0]
		}
		msg = append(append(msg, size[:]...), body...)
		if _, err := s.Write(msg); err != nil {
			return
		}
	}
}

// LoseNextAnswer lets the next statement executed reach PostgreSQL, which
// runs (and commits) it, and then mutes every answer, as Mute does: the
// writer cannot tell that its write happened.
func (o *Outage) LoseNextAnswer() {
	if o.file != "" {
		o.t.Fatal("LoseNextAnswer needs PostgreSQL")
	}
	o.mu.Lock()
	o.loseNext = true
	o.mu.Unlock()
}

// Mute makes PostgreSQL go on doing what it is sent but its answers never
// arrive, as when the network fails after a commit was sent: the writer
// cannot know whether it happened.
func (o *Outage) Mute() {
	if o.file != "" {
		o.t.Fatal("Mute needs PostgreSQL: SQLite is local and always answers")
	}
	o.mu.Lock()
	o.muted = true
	o.mu.Unlock()
}

func (o *Outage) isMuted() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.muted
}

// SQLiteURL is the SQLite database's URL, for a second process to open.
func (o *Outage) SQLiteURL() string { return "sqlite:" + o.file }

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
	if o.muted {
		o.muted = false
		for c := range o.conns {
			c.Close() // their answers are lost: the connections are of no more use
		}
	}
	if o.hold != nil {
		_, err := o.hold.ExecContext(context.Background(), "ROLLBACK")
		err = errors.Join(err, o.hold.Close(), o.holdDB.Close())
		o.hold, o.holdDB = nil, nil
		if err != nil {
			o.t.Errorf("release the SQLite write lock: %v", err)
		}
	}
}
