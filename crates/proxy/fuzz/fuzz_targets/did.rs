//! Fuzz target for the `did` parameter check: arbitrary bytes, as text when they are UTF-8 and
//! read lossily otherwise (a Route parameter reaches the codec as text either way), through
//! `DidCodec::decode` of a codec with a fixed key. Nothing may panic, and the dialog id of a
//! value the codec accepts must come back from its own encoding. (Other spellings of the same
//! did, such as an id without its leading zeros, are accepted by design: the MAC still has to
//! be right, so they grant nothing.)

#![no_main]

use std::sync::OnceLock;

use dialogd_proxy::message_path::did::DidCodec;
use libfuzzer_sys::fuzz_target;

fn codec() -> &'static DidCodec {
    static CODEC: OnceLock<DidCodec> = OnceLock::new();
    CODEC.get_or_init(|| DidCodec::new(b"fuzz-secret"))
}

fn check(value: &str) {
    if let Ok(id) = codec().decode(value) {
        assert_eq!(
            codec().decode(&codec().encode(id)),
            Ok(id),
            "the encoding of an accepted did's id does not decode to it"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
    }
    check(&String::from_utf8_lossy(data));
});
