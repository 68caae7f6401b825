package bot_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/probe/probetest"
	"github.com/faultline/faultline/storage/storagetest"
)

var consoleClock = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)

// A whole /fault conversation in the console, as a transcript: the report,
// the ticket and its path check, a thread reply, a re-check by button after
// the line came back, the list, the timeline, a form, and the mistakes a
// user makes.
func TestConsoleTranscript(t *testing.T) {
	for _, lang := range []faultline.Lang{faultline.LangZH, faultline.LangEN} {
		t.Run(string(lang), func(t *testing.T) {
			pinger := &probetest.Script{}
			pinger.Down("127.0.3.1", "127.0.9.1")
			input := strings.Join([]string{
				"/fault 总部大楼 网络不通，ERP 打不开 <!channel>",
				"王工，请看一下 & 回复",
				":as U0TECH",
				":line-up",
				"1",
				"/fault list",
				"/fault show F-1",
				"/fault",
				"",
				"not a host!",
				"",
				"1",
				"",
				"打印机掉线",
				"/fault",
				":cancel",
				"王工 已重启交换机",
				":thread 1",
				"已恢复",
				"/fault show F-2",
				"/fault nowhere 坏了",
				"/fault office-a",
				"/fault show F-9",
				"7",
				":thread 9",
				"/fault ping 127.0.0.1",
				"/incident 病毒",
				":quit",
			}, "\n")
			var out bytes.Buffer
			c := bot.NewConsole(&lineHook{in: strings.NewReader(input + "\n"), on: map[string]func(){":line-up": func() { pinger.Up("127.0.3.1", "127.0.9.1") }}}, &out, "U0EMPLOYEE")
			c.Echo = true
			c.Now = func() time.Time { return consoleClock }
			c.Channels = map[string]string{faults: "faults"}
			c.Describe = func(u string) string { return u + " (maintainer)" }
			c.Handler = commands.New(commands.Deps{
				Store: storagetest.Open(t, "sqlite"), Pinger: pinger, Poster: c, Log: storagetest.Logger(),
				Now: func() time.Time { return consoleClock },
				Settings: commands.Settings{Language: lang, FaultsChannel: faults, Sites: testSites,
					Location: time.FixedZone("CST", 8*3600)},
			})
			if err := c.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			golden(t, "console-"+string(lang)+".txt", out.Bytes())
		})
	}
}

// lineHook feeds input to the console and runs a hook when a line starting
// with a hook's key is about to be read, to change the world mid-transcript
// (a line comes back). The hook's line itself reaches the console, which
// says it is not a command it knows.
type lineHook struct {
	in  *strings.Reader
	on  map[string]func()
	buf []byte
}

func (l *lineHook) Read(p []byte) (int, error) {
	n, err := l.in.Read(p[:min(len(p), 1)])
	if n == 1 {
		l.buf = append(l.buf, p[0])
		if p[0] == '\n' {
			line := strings.TrimSpace(string(l.buf))
			l.buf = l.buf[:0]
			if hook, ok := l.on[line]; ok {
				hook()
			}
		}
	}
	return n, err
}
