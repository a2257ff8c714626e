//! RFC 3261 §17 transaction state machines (to be written).
