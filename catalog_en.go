package faultline

var catalogEN = map[string]string{
	"error.internal":  "Sorry, something went wrong on my side. Nothing you sent was lost; please tell IT and quote reference `%s`.",
	"command.unknown": "I don't know the command %s.",
	"action.unknown":  "That button no longer does anything.",
	"actor.bot":       "Faultline",

	"fault.usage": "*Report a network fault:* `/fault &lt;site-or-host&gt; &lt;what is wrong&gt;`, e.g. `/fault office-a the network is down`\n" +
		"`/fault` opens a form · `/fault ping &lt;site-or-host&gt;` checks only · `/fault list` open tickets · `/fault show F-12` a ticket's timeline · `/fault help` this help\n" +
		"Sites: %s",
	"fault.unknown_site":     "I don't know a site called `%s`, and it is not an IP address or a host name.",
	"fault.need_description": "Please say what is wrong after the site, e.g. `/fault office-a cannot open the ERP`.",
	"fault.too_long":         "The description is %d characters long; please keep it under %d.",
	"fault.opened":           "*%s* is open for %s. I'm checking the network path now; follow it in %s.",
	"fault.post_failed":      "%s is saved, but I could not post it in the faults channel. IT can still find it with `/fault show %[1]s`.",
	"fault.rechecking":       "Checking the path of %s again…",
	"fault.not_found":        "There is no ticket %s.",
	"fault.not_posted":       "%s has not been posted yet; try again in a moment.",
	"fault.site_gone":        "The site `%s` is no longer configured, so I can't check its path.",

	"ping.usage":    "Say what to check: `/fault ping &lt;site-or-host&gt;`.",
	"ping.checking": "Checking the path of %s…",

	"check.title":  "*Path check of %s* · hops: %d · %.2f s",
	"hop.answers":  "%.0f%% loss · rtt %s/%s/%s ms",
	"hop.down":     "no reply (%d sent)",
	"hop.filtered": "no reply to ping (%d sent), but hops behind it answer: it only ignores ping",
	"hop.behind":   "not reached: it is behind the failing hop",
	"hop.unknown":  "not checked: %s",

	"verdict.healthy": "✅ *Every hop answers.* The network path of %s works; the problem is probably on the user's PC or in an application.",
	"verdict.lossy":   "⚠️ %s loses %.0f%% of pings: the line may be unstable.",
	"verdict.unknown": "❔ *The check could not decide:* %s",
	"verdict.device":  "❌ *The first failing hop is %d. %s* (%s). This is a device fault (设备故障): the device or its link is down. A restart of an access device needs a sysadmin's confirmation.",
	"verdict.line":    "❌ *The first failing hop is %d. %s* (%s). The leased line / WAN link is interrupted (专线/广域网线路中断): the carrier has to check it.",
	"verdict.hq":      "❌ *The first failing hop is %d. %s* (%s). The local network works up to HQ; HQ's side does not answer, so HQ's network admin has to look.",
	"verdict.host":    "❌ *%[2]s does not answer* (%[3]s).",

	"kind.device": "device fault",
	"kind.line":   "line interrupted",
	"kind.hq":     "HQ side",
	"kind.host":   "host down",

	"head.title":    "*%s* · network fault · %s",
	"head.checking": "Checking the network path…",
	"head.healthy":  "Path check: every hop answers",
	"head.unknown":  "Path check: could not decide",
	"head.failing":  "Path check: hop %d, %s, fails (%s)",

	"field.reporter":  "Reported by",
	"field.state":     "State",
	"field.reported":  "Reported at",
	"field.site":      "Site",
	"field.host_only": "%s (not a configured site)",

	"state.open": "open",

	"list.empty": "No open tickets. 🎉",
	"list.title": "*Open tickets (%d):*",
	"list.item":  "• *%s* %s: %s (%s, %s)",

	"show.usage":    "Say which ticket: `/fault show F-12`.",
	"show.timeline": "*Timeline:*",
	"event.created": "• %s %s reported the fault",
	"event.check":   "• %s %s checked the path: %s",
	"event.reply":   "• %s %s wrote: %s",
	"event.other":   "• %s %s %s: %s",

	"button.recheck": "Check again",

	"modal.title":       "Report a network fault",
	"modal.submit":      "Report",
	"modal.site":        "Site",
	"modal.host":        "Or a host / IP address",
	"modal.host_hint":   "Only if the place is not in the list, e.g. erp.example.com",
	"modal.description": "What is wrong?",
	"modal.need_site":   "Pick a site, or type a host below.",
	"modal.bad_host":    "`%s` is not a site, an IP address or a host name.",
}
