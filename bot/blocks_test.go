package bot_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/commands"
)

func TestBlockKitGolden(t *testing.T) {
	msg := faultline.Message{
		Text:    "*F-7* · network fault · office-a\n> printer &lt;!channel&gt; down\n```\n✅ 1. LAN gateway  127.0.0.1  0% loss\n```",
		Fields:  []faultline.Field{{Label: "Reported by", Value: "<@U0REPORTER>"}, {Label: "State", Value: "open"}},
		Context: "Path check: hop 3, WAN router, fails (device fault)",
		Buttons: []faultline.Button{{ID: commands.ActionRecheck, Label: "Check again", Value: "F-7", Style: "primary"}},
	}
	modal := commands.Modal{
		CallbackID: commands.CallbackReport, Title: "Report a network fault", Submit: "Report", Metadata: "C0GENERAL",
		Inputs: []commands.Input{
			{ID: "site", Label: "Site", Optional: true, Options: []commands.Option{{Value: "office-a", Label: "office-a"}}},
			{ID: "description", Label: "What is wrong?", Multiline: true, MaxLength: 2000},
		},
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	// Amending a filed report: the form holds what was filed; closing
	// names the summary's owner with a user picker, preset to who owes it.
	amend := commands.Modal{
		CallbackID: "incident_report", Title: "Report to the manager", Submit: "Save", Metadata: "I-1", Intro: "I-1: phishing mail",
		Inputs: []commands.Input{
			{ID: "what", Label: "What happened", Multiline: true, MaxLength: 2000, Value: "credential phishing"},
			{ID: "status", Label: "Status", Optional: true, MaxLength: 2000, Value: "contained"},
			{ID: "severity", Label: "Severity", Options: []commands.Option{{Value: "general", Label: "General"}, {Value: "major", Label: "Major"}}, Value: "major"},
			{ID: "owner", Label: "Summary owner", Kind: commands.InputUser, Optional: true, Value: "U0SEC"},
		},
	}
	if err := enc.Encode(map[string]any{"message": bot.Blocks(msg), "fallback": bot.Fallback(msg), "modal": bot.ModalView(modal),
		"amend": bot.ModalView(amend)}); err != nil {
		t.Fatal(err)
	}
	golden(t, "blocks.json", out.Bytes())
}

// Text past Block Kit's limits is cut, not sent to fail with
// invalid_blocks, and a cut code block is closed again.
func TestBlocksTruncateLongText(t *testing.T) {
	long := "```\n" + strings.Repeat("长", 5000)
	blocks := bot.Blocks(faultline.Message{Text: long})
	raw, _ := json.Marshal(blocks)
	var decoded []struct {
		Text struct{ Text string } `json:"text"`
	}
	json.Unmarshal(raw, &decoded)
	got := decoded[0].Text.Text
	if n := len([]rune(got)); n > 3000 {
		t.Fatalf("section text is %d characters", n)
	}
	if !strings.HasSuffix(got, "```") {
		t.Fatalf("cut code block left open: …%s", string([]rune(got)[len([]rune(got))-10:]))
	}
}
