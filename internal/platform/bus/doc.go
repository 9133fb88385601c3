// Package bus is the platform's durable event log: a thin layer over NATS
// JetStream that every module uses to publish and consume events.
//
// Two deployments, one code path. By default the platform runs an embedded,
// in-process NATS server with JetStream file storage under the data directory
// (StartEmbedded), so a single binary needs no server to install. A province
// that outgrows one machine points the same binary at an external NATS
// cluster (Connect). Both return the same *Bus, and modules never know which
// one they have.
//
// Two promises shape the API:
//
//   - Acknowledged means durable. Publish and PublishBatch return only once
//     the stream has stored the message and answered with its stream
//     sequence. The JT/T 808 gateway acknowledges a terminal's position only
//     after that, so a crash never loses a position a terminal was told was
//     received. (With the default file store the data is in the operating
//     system when the ack arrives, which survives a process crash; set
//     EmbeddedOptions.SyncAlways to survive a power cut too, at a cost in
//     throughput.)
//
//   - Consumers keep their own checkpoint. A durable consumer is a named
//     cursor stored by JetStream: Consume acks a message after its handler
//     returns nil, and a restarted process with the same durable name goes
//     on after the last acked message. Nothing acked is redelivered and
//     nothing unacked is lost: a handler error naks the message with a
//     growing delay so it is delivered again.
//
// Delivery is at least once: a crash between a handler's side effect and the
// ack redelivers the message, so handlers must be idempotent (stream
// sequences and message ids make that easy).
//
// Topic[T] adds a typed layer with a pluggable Codec (JSON by default, a
// binary codec on hot paths such as positions).
package bus
