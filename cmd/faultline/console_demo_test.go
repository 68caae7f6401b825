package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/storage/storagetest"
)

var update = flag.Bool("update", false, "rewrite testdata/ with what the code produces now")

// The built-in demo on its simulated network, as a newcomer runs it:
// :break the WAN router, report, the failing hop named with its inventory
// when a technician takes it, :fix, marked fixed, the reporter confirms,
// closed with a resolution. Nothing is pinged.
func TestConsoleDemoBreaksAHop(t *testing.T) {
	script := strings.Join([]string{
		":break WAN router",
		"/fault office-a 网络不通，ERP 打不开",
		":as U0DEMOTECH",
		"1",
		":fix WAN router",
		"9",
		":as U0EMPLOYEE",
		"14",
		":as U0DEMOTECH",
		"16",
		"1",
		"更换了 WAN 路由器的电源模块",
		"",
		"Demo Systems Co.",
		"/fault show F-1",
	}, "\n") + "\n"
	clk := &testClock{t: time.Date(2026, 11, 27, 1, 30, 0, 0, time.UTC)}
	var out bytes.Buffer
	env := testEnv(map[string]string{"DATABASE_URL": storagetest.URL(t, "sqlite")}, clk, &out, &bytes.Buffer{})
	env.stdin = strings.NewReader(script)
	if err := env.run(context.Background(), []string{"console"}); err != nil {
		t.Fatal(err)
	}
	_, got, _ := strings.Cut(out.String(), "\n") // the banner names a temporary file
	for _, want := range []string{"第一个故障节点是 3. WAN router", "Cisco ISR 4331", "F-1 已关闭"} {
		if !strings.Contains(got, want) {
			t.Errorf("the demo lacks %q", want)
		}
	}
	const path = "testdata/console-demo-zh.txt"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("%s differs from what the demo prints now (go test -run TestConsoleDemo -update rewrites it):\n%s", path, got)
	}
}
