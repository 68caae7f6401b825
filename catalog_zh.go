package faultline

var catalogZH = map[string]string{
	"error.internal":  "抱歉，系统内部出错。您提交的内容没有丢失；请联系信息部并告知编号 `%s`。",
	"command.unknown": "不认识的命令 %s。",
	"action.unknown":  "这个按钮已经失效。",
	"actor.bot":       "Faultline",

	"fault.usage": "*报告网络故障：* `/fault &lt;地点或主机&gt; &lt;故障描述&gt;`，例如 `/fault office-a 网络不通`\n" +
		"`/fault` 打开表单 · `/fault ping &lt;地点或主机&gt;` 只检测 · `/fault list` 未关闭的工单 · `/fault show F-12` 工单记录 · `/fault help` 帮助\n" +
		"地点：%s",
	"fault.unknown_site":     "没有名为 `%s` 的地点，它也不是 IP 地址或主机名。",
	"fault.need_description": "请在地点后面写明故障现象，例如 `/fault office-a 打不开ERP`。",
	"fault.too_long":         "故障描述有 %d 个字符，请控制在 %d 个以内。",
	"fault.opened":           "*%s* 已为 %s 登记。正在检测网络路径，请在 %s 查看进展。",
	"fault.post_failed":      "%s 已保存，但无法发到故障频道。信息部仍可用 `/fault show %[1]s` 查看。",
	"fault.rechecking":       "正在重新检测 %s 的网络路径…",
	"fault.not_found":        "没有工单 %s。",
	"fault.not_posted":       "%s 还没有发出，请稍后再试。",
	"fault.site_gone":        "地点 `%s` 已不在配置中，无法检测它的路径。",

	"ping.usage":    "请说明要检测什么：`/fault ping &lt;地点或主机&gt;`。",
	"ping.checking": "正在检测 %s 的网络路径…",

	"check.title":  "*%s 网络路径检测* · %d 个节点 · %.2f 秒",
	"hop.answers":  "丢包 %.0f%% · 延迟 %s/%s/%s ms",
	"hop.down":     "无响应（已发 %d 个）",
	"hop.filtered": "不响应 ping（已发 %d 个），但其后的节点有响应：它只是屏蔽了 ping",
	"hop.behind":   "无法到达：位于故障节点之后",
	"hop.unknown":  "未能检测：%s",

	"verdict.healthy": "✅ *所有节点均有响应。* %s 的网络路径正常；问题可能在用户电脑或应用程序。",
	"verdict.lossy":   "⚠️ %s 丢包 %.0f%%：线路可能不稳定。",
	"verdict.unknown": "❔ *检测无法得出结论：* %s",
	"verdict.device":  "❌ *第一个故障节点是 %d. %s*（%s）。判断为设备故障：设备或其链路中断。重启接入设备须经公司网管确认。",
	"verdict.line":    "❌ *第一个故障节点是 %d. %s*（%s）。专线/广域网线路中断：需联系运营商检查线路。",
	"verdict.hq":      "❌ *第一个故障节点是 %d. %s*（%s）。本地网络到总公司之前均正常；总公司侧无响应，需上报总公司网络管理员。",
	"verdict.host":    "❌ *%[2]s 无响应*（%[3]s）。",

	"kind.device": "设备故障",
	"kind.line":   "线路中断",
	"kind.hq":     "总公司侧",
	"kind.host":   "主机无响应",

	"head.title":    "*%s* · 网络故障 · %s",
	"head.checking": "正在检测网络路径…",
	"head.healthy":  "路径检测：所有节点均有响应",
	"head.unknown":  "路径检测：无法得出结论",
	"head.failing":  "路径检测：第 %d 个节点 %s 故障（%s）",

	"field.reporter":  "报告人",
	"field.state":     "状态",
	"field.reported":  "报告时间",
	"field.site":      "地点",
	"field.host_only": "%s（未配置的地点）",

	"state.open": "待处理",

	"list.empty": "没有未关闭的工单。🎉",
	"list.title": "*未关闭的工单（%d）：*",
	"list.item":  "• *%s* %s：%s（%s，%s）",

	"show.usage":    "请说明哪个工单：`/fault show F-12`。",
	"show.timeline": "*处理记录：*",
	"event.created": "• %s %s 报告了故障",
	"event.check":   "• %s %s 检测了网络路径：%s",
	"event.reply":   "• %s %s 留言：%s",
	"event.other":   "• %s %s %s：%s",

	"button.recheck": "重新检测",

	"modal.title":       "报告网络故障",
	"modal.submit":      "提交",
	"modal.site":        "地点",
	"modal.host":        "或主机 / IP 地址",
	"modal.host_hint":   "仅当地点不在列表中时填写，例如 erp.example.com",
	"modal.description": "故障现象",
	"modal.need_site":   "请选择地点，或在下面填写主机。",
	"modal.bad_host":    "`%s` 不是地点、IP 地址或主机名。",
}
