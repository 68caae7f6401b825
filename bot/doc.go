// Package bot is Faultline's transports: Slack over HTTP (signed slash
// commands, interactions and events, answered within Slack's three seconds)
// and over Socket Mode, the Web API client that posts what the outbox
// sends, and the console, which runs the same flows in a terminal. It turns
// Slack's payloads into the flows' requests (package commands) and their
// messages into Block Kit or terminal text; it is the only package that
// imports slack-go. Work that follows an acknowledgement runs in Workers,
// which the transports wait for at shutdown.
package bot
