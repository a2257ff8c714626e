//! Unit tests of `sipp_call.rs`.

use super::*;

fn args(sipp: &Sipp) -> String {
    sipp.args(5080).join(" ")
}

#[test]
fn the_caller_goes_through_the_proxy_to_the_callee_port_with_its_own_options() {
    let call = SippCall::long("127.0.0.1:5060".parse().unwrap(), Duration::from_secs(60))
        .caller("alice")
        .calls(3)
        .all_at_once()
        .callee_hold(Duration::from_secs(90))
        .timeout(Duration::from_secs(100))
        .trace_messages(true);
    let uac = args(&call.caller_for("127.0.0.1:5070".parse().unwrap()));
    for want in [
        "127.0.0.1:5060 -sf ",
        "uac_long.xml",
        "-m 3",
        "-r 3",
        "-l 3",
        "-d 60000",
        "-timeout 100s",
        "-trace_msg",
        "-key caller alice",
        "-key uas_port 5070",
    ] {
        assert!(uac.contains(want), "{want:?} not in {uac}");
    }
    let uas = args(&call.uas);
    assert!(uas.starts_with("-sf "), "a uas has no remote: {uas}");
    for want in [
        "uas_long.xml",
        "-m 3",
        "-d 90000",
        "-timeout 100s",
        "-trace_msg",
    ] {
        assert!(uas.contains(want), "{want:?} not in {uas}");
    }
    assert!(!uas.contains("-r "), "{uas}");
}

#[test]
fn a_direct_call_goes_straight_to_the_callee_one_call_by_default() {
    let call = SippCall::direct("uac.xml", "uas.xml").transport(Transport::Tcp);
    let uac = args(&call.caller_for("127.0.0.1:5070".parse().unwrap()));
    for want in ["127.0.0.1:5070 -sf ", "-m 1", "-t t1", "-key uas_port 5070"] {
        assert!(uac.contains(want), "{want:?} not in {uac}");
    }
    assert!(!uac.contains("-r "), "{uac}");
    assert!(args(&call.uas).contains("-t t1"));
}
