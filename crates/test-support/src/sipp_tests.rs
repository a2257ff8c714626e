//! Unit tests of `sipp.rs`.

use super::*;

#[test]
fn uac_arguments_carry_remote_port_transport_keys_and_traces() {
    let sipp = Sipp::uac("uac.xml", "127.0.0.1:5060".parse().unwrap())
        .transport(Transport::Tcp)
        .calls(10)
        .rate(200.0)
        .limit(50)
        .pause(Duration::from_millis(1500))
        .uas_port(5070)
        .caller("alice")
        .timeout(Duration::from_secs(30));
    let args = sipp.args(5080).join(" ");
    for want in [
        "127.0.0.1:5060 -sf ",
        "-p 5080",
        "-t t1",
        "-m 10",
        "-r 200",
        "-l 50",
        "-d 1500",
        "-timeout 30s",
        "-key caller alice",
        "-key uas_host 127.0.0.1",
        "-key uas_port 5070",
        "-nostdin",
        "-trace_stat",
        "-trace_shortmsg",
    ] {
        assert!(args.contains(want), "{want:?} missing in {args}");
    }
    assert!(args.starts_with("127.0.0.1:5060"));
}

#[test]
fn light_traces_drop_the_short_messages_and_the_screen() {
    let args = Sipp::uas("uas.xml").light_traces().args(5090).join(" ");
    for want in ["-trace_stat", "-trace_err", "-trace_logs"] {
        assert!(args.contains(want), "{want:?} missing in {args}");
    }
    for unwanted in ["-trace_shortmsg", "-trace_screen"] {
        assert!(!args.contains(unwanted), "{unwanted:?} in {args}");
    }
}

#[test]
fn uas_arguments_have_no_remote() {
    let args = Sipp::uas("uas.xml").args(5090);
    assert_eq!(args[0], "-sf");
    assert!(args[1].ends_with("scenarios/uas.xml"));
}

#[test]
fn every_scenario_named_in_the_docs_exists() {
    for name in [
        "uac.xml",
        "uas.xml",
        "uac_long.xml",
        "uas_long.xml",
        "uac_cancel.xml",
        "uas_ringing.xml",
        "uas_busy.xml",
        "uac_expect_486.xml",
        "uac_reinvite.xml",
        "uas_reinvite.xml",
        "uas_bye.xml",
    ] {
        assert!(scenario(name).is_file(), "{name}");
    }
}
