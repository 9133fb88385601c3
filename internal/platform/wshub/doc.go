// Package wshub fans messages out to many WebSocket clients without letting
// any one of them slow the others down.
//
// Each client has one writer goroutine and a bounded send queue. Broadcast
// never blocks: it runs every client's filter and appends the shared message
// to the queues of those that match. A client whose queue is full is dropped
// (closed with StatusPolicyViolation, "slow consumer") and counted in the
// jiaotong_wshub_clients_dropped_total metric; the others carry on.
//
// Each client gets its messages in broadcast order, except that keyed ones
// may be held back by their interval. Messages with a non-zero Key are
// conflated per client: at most one message
// per key is sent to a client within Config.KeyInterval, and when several
// arrive in between only the latest is sent (a map that shows each vehicle
// once a second needs no more). Keyed messages therefore never fill the queue
// of a client that is merely slow; their backlog is bounded by the number of
// distinct keys (Config.MaxKeys).
//
// A client is served by Hub.Serve, which runs its read loop on the calling
// goroutine (the HTTP handler's), starts the writer and a keep-alive that
// pings every Config.PingInterval and drops clients whose pong does not come
// back within Config.PongTimeout. Hub.Close closes every client with
// StatusGoingAway and waits for their goroutines.
//
// Lock order: Hub.mu, then Client.mu; Broadcast takes no hub lock at all (it
// reads a copy-on-write slice of clients).
package wshub
