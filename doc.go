// Package faultline holds Faultline's domain: sites and their network
// paths, fault tickets and security incidents with their procedures, duties,
// path monitors, the escalation rule, and the changes the flows commit. It
// is data and pure functions: time and the actor are parameters, nothing
// here does I/O, and it imports only the standard library. Every other
// package points inward to it.
package faultline
