//! Builders for requests the proxy generates itself (to be written).
