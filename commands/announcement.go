package commands

import (
	"strings"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// announcement is the post a scheduled announcement makes
// (定期发布病毒防治的数据资料), committed with its claim; other schedules
// post nothing with theirs.
func (f *scheduleFlow) announcement(name string) faultline.Change {
	short, ok := strings.CutPrefix(name, schedAnnounce)
	if !ok {
		return faultline.Change{}
	}
	for _, a := range f.set.Announcements {
		if a.Name == short {
			return faultline.Change{Out: []faultline.Outgoing{{Kind: faultline.OutPost, Message: faultline.Message{Channel: a.Channel, Text: markup.Escape(a.Text)}}}}
		}
	}
	return faultline.Change{}
}
