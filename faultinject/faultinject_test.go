//go:build faultinject

// Package faultinject breaks a running Faultline on purpose and counts
// what survives: the real binary (`faultline serve`), a real database, a
// fake Slack at the HTTP boundary. Each part prints one line,
//
//	FAULTINJECT <part>: attempted N, held H, lost L, …
//
// where attempted is what was sent at the bot, held what the bot kept as
// it said it would, and lost what it said it kept but did not.
//
// Run it (root, a local PostgreSQL cluster it may restart, and
// TEST_DATABASE_URL pointing at it):
//
//	go test -tags faultinject -count=1 -v ./faultinject/
package faultinject

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

const (
	secret = "faultinject-secret"
	token  = "xoxb-faultinject"
)

// Every hop is a loopback address: the checks ping nothing else.
const config = `timezone: UTC
language: en
channels: {faults: C0FAULTS, incidents: G0INCIDENTS}
roles: {maintainer: [U0TECH], info_manager: [U0SEC], dept_head: [U0HEAD]}
sites:
  - name: lab
    path:
      - {name: gateway, host: 127.0.0.1, kind: device}
      - {name: core, host: 127.0.0.2, kind: device}
      - {name: HQ, host: 127.0.0.3, kind: hq}
probe: {wait: 300ms}
`

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "faultinject")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "faultline")
	build := exec.Command("go", "build", "-o", binary, "../cmd/faultline")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Println("build faultline:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func report(part string, format string, args ...any) {
	fmt.Printf("FAULTINJECT %s: %s\n", part, fmt.Sprintf(format, args...))
}

// replica is one `faultline serve` process.
type replica struct {
	cmd  *exec.Cmd
	addr string
	logs *lockedBuffer
	done chan error

	stopOnce sync.Once
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func serve(t *testing.T, databaseURL string, fake *slackfake.Slack) *replica {
	t.Helper()
	return serveWith(t, binary, databaseURL, fake, config)
}

// serveWith runs binary's serve with the config text.
func serveWith(t *testing.T, binary, databaseURL string, fake *slackfake.Slack, config string) *replica {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "faultline.yaml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "SLACK_BOT_TOKEN="+token, "SLACK_SIGNING_SECRET="+secret,
		"SLACK_API_URL="+fake.APIURL(), "DATABASE_URL="+databaseURL, "FAULTLINE_CONFIG="+cfg,
		"LISTEN_ADDR=127.0.0.1:0", "SLACK_APP_TOKEN=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{cmd: cmd, logs: &lockedBuffer{}, done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			r.logs.Write(append(sc.Bytes(), '\n'))
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addr <- line.Addr
			}
		}
		r.done <- cmd.Wait()
	}()
	select {
	case r.addr = <-addr:
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start:\n%s", r.logs.String())
	}
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop ends the process as a service manager would (SIGTERM, then KILL
// after 40 s) and waits for it; stopping a stopped replica does nothing.
func (r *replica) stop(t *testing.T) {
	r.stopOnce.Do(func() {
		r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-r.done:
			r.done <- err
		case <-time.After(40 * time.Second):
			r.cmd.Process.Kill()
		}
	})
}

// send is a signed request as Slack sends it, with Slack's three-second
// patience; raw bodies and headers are kept so they can be replayed.
type request struct {
	path, contentType string
	body              []byte
	header            http.Header
}

var client = &http.Client{Timeout: 3 * time.Second}

func signed(path, contentType string, body []byte) request {
	return request{path: path, contentType: contentType, body: body, header: bot.SignatureHeaders(secret, body, time.Now())}
}

func (r request) to(addr string) (int, string, time.Duration, error) {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+r.path, bytes.NewReader(r.body))
	if err != nil {
		return 0, "", 0, err
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", r.contentType)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", time.Since(start), err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), time.Since(start), nil
}

func command(fake *slackfake.Slack, user, cmd, text string) request {
	form := url.Values{
		"token": {"deprecated"}, "team_id": {"T0FAKE"}, "team_domain": {"example"},
		"channel_id": {"C0GENERAL"}, "channel_name": {"general"}, "user_id": {user}, "user_name": {user},
		"command": {cmd}, "text": {text}, "api_app_id": {"A0FAULTLINE"},
		"response_url": {fake.ResponseURL()}, "trigger_id": {slackfake.Trigger("command" + user)},
	}
	return signed("/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()))
}

func interaction(payload any) request {
	raw, _ := json.Marshal(payload)
	return signed("/slack/interactions", "application/x-www-form-urlencoded", []byte(url.Values{"payload": {string(raw)}}.Encode()))
}

func event(envelope any) request {
	raw, _ := json.Marshal(envelope)
	return signed("/slack/events", "application/json", raw)
}

func open(t *testing.T, databaseURL string) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), databaseURL, storagetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// faultsByText maps each ticket's description to its number.
func faultsByText(t *testing.T, db *storage.DB) map[string]int64 {
	t.Helper()
	list, err := db.Faults(context.Background(), faultline.FaultStates, 100000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, f := range list {
		out[f.Description] = f.Number
	}
	return out
}

func checked(t *testing.T, db *storage.DB, number int64) bool {
	f, err := db.Fault(context.Background(), number)
	if err != nil {
		return false
	}
	evs, err := db.Events(context.Background(), f.ID)
	return err == nil && slices.ContainsFunc(evs, func(e faultline.Event) bool { return e.Kind == faultline.EventCheck })
}

var openRef = regexp.MustCompile(`\*F-(\d+)\*`)

// delivered counts what Slack took: each ticket's head messages (by
// number) and each thread's path-check posts (by thread).
func delivered(fake *slackfake.Slack) (heads, checks map[string]int) {
	heads, checks = map[string]int{}, map[string]int{}
	for _, c := range fake.Calls("chat.postMessage") {
		if m := openRef.FindStringSubmatch(c.Params["text"]); m != nil && c.Params["thread_ts"] == "" {
			heads[m[1]]++
		}
		if c.Params["thread_ts"] != "" && strings.Contains(c.Params["text"], "Path check of 127.0.0.1") {
			checks[c.Params["thread_ts"]]++
		}
	}
	return heads, checks
}

// PostgreSQL restarts (down about five seconds) while people report at
// 20 a second. Every report answered as open must be in the database with
// its path check done; every one answered "not saved" must not be.
func TestPostgresRestartUnderLoad(t *testing.T) {
	pgURL := os.Getenv("TEST_DATABASE_URL")
	versions, _ := os.ReadDir("/etc/postgresql")
	if pgURL == "" || os.Geteuid() != 0 || len(versions) != 1 {
		t.Skip("needs root, one local PostgreSQL cluster (/etc/postgresql) and TEST_DATABASE_URL pointing at it")
	}
	cluster := versions[0].Name()
	url := storagetest.URL(t, "postgres")
	fake := slackfake.New(t, token)
	r := serve(t, url, fake)

	const rate, seconds = 20, 20
	type answer struct {
		text   string
		status int
		body   string
		took   time.Duration
		err    error
	}
	answers := make([]answer, rate*seconds)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / rate)
	restarted := make(chan error, 1)
	go func() {
		time.Sleep(5 * time.Second)
		err := exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "stop", "-m", "fast").Run()
		time.Sleep(5 * time.Second)
		restarted <- errorsJoin(err, exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "start").Run())
	}()
	for i := range answers {
		<-tick.C
		wg.Go(func() {
			text := fmt.Sprintf("127.0.0.1 restart-%03d down", i)
			status, body, took, err := command(fake, "U0REPORTER", "/fault", text).to(r.addr)
			answers[i] = answer{text: strings.TrimPrefix(text, "127.0.0.1 "), status: status, body: body, took: took, err: err}
		})
	}
	tick.Stop()
	wg.Wait()
	if err := <-restarted; err != nil {
		t.Fatalf("restart PostgreSQL: %v", err)
	}

	db := open(t, url)
	stored := faultsByText(t, db)
	var held, refused, refusedButStored, unsure, unsureStored, lost, unanswered, unansweredStored, slow int
	var saved []int64
	for _, a := range answers {
		_, in := stored[a.text]
		if a.took > 3*time.Second {
			slow++
		}
		switch {
		case a.err != nil || a.status != http.StatusOK:
			unanswered++
			if in {
				unansweredStored++
			}
		case openRef.MatchString(a.body) && strings.Contains(a.body, "is open for"):
			n, _ := strconv.ParseInt(openRef.FindStringSubmatch(a.body)[1], 10, 64)
			if in && stored[a.text] == n {
				held++
				saved = append(saved, n)
			} else {
				lost++
			}
		case strings.Contains(a.body, "could not save your report"):
			refused++
			if in {
				refusedButStored++
			}
		case strings.Contains(a.body, "could not confirm that your report was saved"):
			unsure++
			if in {
				unsureStored++
			}
		default:
			unanswered++
			t.Logf("unexpected answer to %q: %.200s", a.text, a.body)
		}
	}
	// Every saved ticket gets its path check, however the restart fell.
	deadline := time.Now().Add(90 * time.Second)
	var stuck []int64
	for {
		stuck = stuck[:0]
		for _, n := range saved {
			if !checked(t, db, n) {
				stuck = append(stuck, n)
			}
		}
		if len(stuck) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	report("postgres restart under 20 req/s",
		"attempted %d, held %d (answered open, stored, checked), refused %d (answered not saved; %d of them stored all the same), unconfirmed %d (answered cannot confirm; %d stored), lost %d (answered open, not stored), unanswered %d (%d stored), answers over 3 s %d, checks stuck %d",
		len(answers), held-len(stuck), refused, refusedButStored, unsure, unsureStored, lost, unanswered, unansweredStored, slow, len(stuck))
	if lost > 0 || len(stuck) > 0 || refusedButStored > 0 {
		t.Errorf("lost %d, stuck %d:\n%s", lost, len(stuck), tail(r.logs.String(), 40))
	}
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Slack answers 429 and 500, alternately, to the first 40 posts and
// updates. Every ticket's head message and path check still arrive, once
// each.
func TestSlackStorm(t *testing.T) {
	url := storagetest.URL(t, "sqlite")
	fake := slackfake.New(t, token)
	var storm []slackfake.Scripted
	for i := range 20 {
		storm = append(storm, slackfake.Scripted{Status: http.StatusTooManyRequests, RetryAfter: "1"})
		if i%2 == 0 {
			storm = append(storm, slackfake.Scripted{Status: http.StatusInternalServerError})
		} else {
			storm = append(storm, slackfake.Scripted{Status: http.StatusBadGateway})
		}
	}
	fake.Script("chat.postMessage", storm...)
	fake.Script("chat.update", storm...)
	r := serve(t, url, fake)
	const tickets = 12
	for i := range tickets {
		if status, body, _, err := command(fake, "U0REPORTER", "/fault", fmt.Sprintf("127.0.0.1 storm-%02d down", i)).to(r.addr); err != nil || !strings.Contains(body, "is open") {
			t.Fatalf("report %d: %d %v %.200s", i, status, err, body)
		}
	}
	var heads, checks map[string]int
	done := func() bool {
		heads, checks = delivered(fake)
		return len(heads) == tickets && len(checks) == tickets
	}
	deadline := time.Now().Add(3 * time.Minute)
	for !done() && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
	}
	dup := 0
	for _, n := range heads {
		dup += n - 1
	}
	for _, n := range checks {
		dup += n - 1
	}
	refused := len(fake.Calls("chat.postMessage (refused)", "chat.update (refused)"))
	report("slack 429/500 storm", "attempted %d messages (%d tickets × head and check), held %d, lost %d, duplicated %d; Slack refused %d calls",
		2*tickets, tickets, len(heads)+len(checks), 2*tickets-len(heads)-len(checks), dup, refused)
	if len(heads) != tickets || len(checks) != tickets || dup > 0 {
		t.Errorf("heads %v checks %v:\n%s", heads, checks, tail(r.logs.String(), 40))
	}
}

// Two replicas share one PostgreSQL; Slack takes 300 ms a post; one
// replica is killed (SIGKILL) mid-send. The other delivers everything;
// at most the message in flight at the kill is posted twice.
func TestKillOneReplicaMidSend(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("needs TEST_DATABASE_URL")
	}
	url := storagetest.URL(t, "postgres")
	fake := slackfake.New(t, token)
	var slow []slackfake.Scripted
	for range 400 {
		slow = append(slow, slackfake.Scripted{Delay: 300 * time.Millisecond})
	}
	fake.Script("chat.postMessage", slow...)
	a, b := serve(t, url, fake), serve(t, url, fake)
	const tickets = 16
	for i := range tickets {
		to := a
		if i%2 == 1 {
			to = b
		}
		if _, body, _, err := command(fake, "U0REPORTER", "/fault", fmt.Sprintf("127.0.0.1 kill-%02d down", i)).to(to.addr); err != nil || !strings.Contains(body, "is open") {
			t.Fatalf("report %d: %v %.200s", i, err, body)
		}
	}
	for len(fake.Calls("chat.postMessage")) < 6 {
		time.Sleep(50 * time.Millisecond)
	}
	a.cmd.Process.Kill()
	killedAt := len(fake.Calls("chat.postMessage"))
	var heads, checks map[string]int
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		heads, checks = delivered(fake)
		if len(heads) == tickets && len(checks) == tickets {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	dup := 0
	for _, n := range heads {
		dup += n - 1
	}
	for _, n := range checks {
		dup += n - 1
	}
	stored := faultsByText(t, open(t, url))
	report("SIGKILL of one of two replicas mid-send", "attempted %d tickets (%d messages), held %d tickets stored and %d messages delivered, lost %d messages, duplicated %d (killed after %d posts)",
		tickets, 2*tickets, len(stored), len(heads)+len(checks), 2*tickets-len(heads)-len(checks), dup, killedAt)
	if len(stored) != tickets || len(heads) != tickets || len(checks) != tickets || dup > 1 {
		t.Errorf("stored %d heads %v checks %v:\n%s", len(stored), heads, checks, tail(b.logs.String(), 40))
	}
}

// 600 unsigned connections that send their bodies slowly (200 declaring
// 1 MiB, 200 chunked, 200 declaring 10 KB). The process stays small, and
// /healthz and a signed /fault answer at once.
func TestSlowUnsignedBodies(t *testing.T) {
	url := storagetest.URL(t, "sqlite")
	fake := slackfake.New(t, token)
	r := serve(t, url, fake)
	before := rss(r.cmd.Process.Pid)
	type kind struct {
		name, path, header string
	}
	kinds := []kind{
		{"1 MiB declared", "/slack/commands", "Content-Length: 1048576\r\n"},
		{"chunked", "/slack/interactions", "Transfer-Encoding: chunked\r\n"},
		{"10 KB declared", "/slack/commands", "Content-Length: 10240\r\n"},
	}
	var mu sync.Mutex
	answers := map[string]map[string]int{}
	var conns []net.Conn
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, k := range kinds {
		answers[k.name] = map[string]int{}
		for range 200 {
			c, err := net.Dial("tcp", r.addr)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
			fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: faultline\r\nContent-Type: application/x-www-form-urlencoded\r\n%s\r\n", k.path, k.header)
			wg.Go(func() {
				// One byte (or chunk) every 100 ms, until the server
				// answers or the test ends.
				for {
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Millisecond):
					}
					var err error
					if k.name == "chunked" {
						_, err = io.WriteString(c, "1\r\nx\r\n")
					} else {
						_, err = io.WriteString(c, "x")
					}
					if err != nil {
						return
					}
				}
			})
			wg.Go(func() {
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				status := "no answer"
				if err == nil {
					status = strconv.Itoa(resp.StatusCode)
				}
				mu.Lock()
				answers[k.name][status]++
				mu.Unlock()
			})
		}
	}
	time.Sleep(3 * time.Second) // every connection is open and trickling
	var health, faults []time.Duration
	for i := range 20 {
		start := time.Now()
		resp, err := http.Get("http://" + r.addr + "/healthz")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("/healthz: %v %v", resp, err)
		}
		resp.Body.Close()
		health = append(health, time.Since(start))
		if i%2 == 0 {
			status, body, took, err := command(fake, "U0REPORTER", "/fault", fmt.Sprintf("127.0.0.1 slow-%02d down", i)).to(r.addr)
			if err != nil || status != 200 || !strings.Contains(body, "is open") {
				t.Errorf("/fault during the flood: %d %v %.200s", status, err, body)
			}
			faults = append(faults, took)
		}
	}
	peak := rss(r.cmd.Process.Pid)
	close(stop)
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
	hwm := hwm(r.cmd.Process.Pid)
	report("slow unsigned bodies", "attempted 600 connections (answers: %v), held every signed /fault (%d of %d), lost 0; RSS %d MB before, %d MB during, peak %d MB; /healthz max %s, signed /fault max %s",
		answers, len(faults), len(faults), before>>20, peak>>20, hwm>>20, slices.Max(health).Round(time.Millisecond), slices.Max(faults).Round(time.Millisecond))
	if hwm > 100<<20 || slices.Max(health) > 100*time.Millisecond || slices.Max(faults) > 100*time.Millisecond {
		t.Errorf("over the limits (100 MB, 100 ms)")
	}
}

func rss(pid int) int64 { return procStatus(pid, "VmRSS:") }
func hwm(pid int) int64 { return procStatus(pid, "VmHWM:") }
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return -1
}

// Signed requests replayed within Slack's five-minute window, to both of
// two replicas: a command, a button press, a form submission and a
// thread-reply event each have one effect.
func TestReplays(t *testing.T) {
	dialect := "sqlite"
	if os.Getenv("TEST_DATABASE_URL") != "" {
		dialect = "postgres"
	}
	url := storagetest.URL(t, dialect)
	fake := slackfake.New(t, token)
	a, b := serve(t, url, fake), serve(t, url, fake)
	db := open(t, url)
	replay := func(r request) (firsts []string) {
		for i := range 5 {
			to := a
			if i%2 == 1 {
				to = b
			}
			status, body, _, err := r.to(to.addr)
			if err != nil || status != 200 {
				t.Fatalf("send %d: %d %v %.200s", i, status, err, body)
			}
			firsts = append(firsts, body)
		}
		return firsts
	}
	replay(command(fake, "U0REPORTER", "/fault", "lab replayed down"))
	commandEffects := len(faultsByText(t, db))

	var head faultline.Fault
	for deadline := time.Now().Add(30 * time.Second); head.MessageTS == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		head, _ = db.Fault(context.Background(), 1)
	}
	bt := slackfake.Bot{Slack: fake}
	replay(interaction(bt.BlockAction("U0TECH", "C0FAULTS", head.MessageTS, "", "fault_take", "F-1")))
	evs, _ := db.Events(context.Background(), head.ID)
	pressEffects := 0
	for _, e := range evs {
		if e.Kind == faultline.EventState {
			pressEffects++
		}
	}
	replay(interaction(bt.ViewSubmission("U0REPORTER", "fault_report", "C0GENERAL",
		map[string]string{"site": "select:lab", "description": "replayed form"})))
	formEffects := len(faultsByText(t, db)) - commandEffects

	replay(event(slackfake.ThreadReply("Ev0REPLAY", "U0TECH", "C0FAULTS", head.MessageTS, "1700000999.000100", "on my way")))
	evs, _ = db.Events(context.Background(), head.ID)
	replyEffects := 0
	for _, e := range evs {
		if e.Kind == faultline.EventReply {
			replyEffects++
		}
	}
	report("replays", "attempted 4 requests × 5 sends to 2 replicas (%s), held one effect each: command %d, press %d, submission %d, thread reply %d; lost 0",
		dialect, commandEffects, pressEffects, formEffects, replyEffects)
	if commandEffects != 1 || pressEffects != 1 || formEffects != 1 || replyEffects != 1 {
		t.Error("a replay had a second effect")
	}
}
