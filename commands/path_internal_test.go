package commands

import "testing"

func TestLooksLikeHost(t *testing.T) {
	for w, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "erp.example.com": true, "localhost": true, "gw-1.lan": true,
		"printer": false, "office-z": false, "not a host": false, ".example.com": false, "a..": false,
		"网络.中国": false, "<!channel>": false, "": false,
	} {
		if got := looksLikeHost(w); got != want {
			t.Errorf("looksLikeHost(%q) = %v, want %v", w, got, want)
		}
	}
}

func TestDisplayWidthAlignsChinese(t *testing.T) {
	if got := displayWidth("核心交换机"); got != 10 {
		t.Fatalf("width = %d, want 10", got)
	}
	if got := pad("网关", 6); got != "网关  " {
		t.Fatalf("pad = %q", got)
	}
}
