//! Attack tools for tests and the hostile benchmark: traffic a hostile or broken peer sends a SIP
//! proxy at the network edge, paced, bounded and stoppable.
//!
//! | attack | what it sends | what it hurts |
//! |---|---|---|
//! | [`Garbage`] | UDP datagrams of random bytes, truncated and corrupted INVITEs | the parser, the dispatcher's time |
//! | [`InviteFlood`] | valid INVITEs, fresh Call-ID, From tag and branch each, from one address | admission, transaction and dialog state |
//! | [`SlowTcp`] | TCP connections dripping the start of a request, a byte per interval | connection slots, file descriptors |
//! | [`ForgedResponses`] | responses whose top Via is the node's, second Via a target of choice | anything that waits on that target |
//! | [`NonReadingPeer`] | (a listener) accepts TCP and never reads | senders that wait for a full socket |
//! | [`oversized`] | one-shot messages of 64 KB: many short headers, one huge header, over 64 KB on TCP | buffers, header tables |
//!
//! Every attack is a value built with its target and options, started with `start()`, which
//! returns a handle; `handle.stop()` ends it and returns what it did (counts). A handle dropped
//! without `stop()` stops its threads too. Each runs on one or two std threads (no runtime), sends
//! at its rate through a [`Pacer`] (catch-up bounded), and holds at most its configured number of
//! sockets: nothing grows without a bound.
//!
//! Source addresses: the attacks take a local address to send from (127.0.0.2, .3, ... are all
//! loopback on Linux, no set-up needed), so a test can tell attacker and clean traffic apart and
//! a per-source limit in the node can be exercised. Inside a [`crate::netns`] namespace the
//! rules a test adds (a TCP blackhole) stay private.
//!
//! Must not: send anywhere but loopback in the tests here (the tools themselves take any
//! address), block without a timeout, or outlive their handle.

mod fd_limit;
mod forged_responses;
mod garbage;
mod invite_flood;
pub mod messages;
mod non_reading_peer;
pub mod oversized;
mod pacer;
mod slow_tcp;
mod worker;

pub use fd_limit::raise_open_files_limit;
pub use forged_responses::{ForgedCounts, ForgedResponses, ForgedResponsesHandle};
pub use garbage::{Garbage, GarbageCounts, GarbageHandle};
pub use invite_flood::{InviteFlood, InviteFloodCounts, InviteFloodHandle};
pub use non_reading_peer::{NonReadingCounts, NonReadingPeer, NonReadingPeerHandle};
pub use oversized::TcpVerdict;
pub use pacer::Pacer;
pub use slow_tcp::{SlowTcp, SlowTcpCounts, SlowTcpHandle};
