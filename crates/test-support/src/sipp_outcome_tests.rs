//! Unit tests of `sipp_outcome.rs`.

use super::*;

const STAT: &str = "StartTime;LastResetTime;CurrentTime;ElapsedTime(P);ElapsedTime(C);TargetRate;CallRate(P);CallRate(C);IncomingCall(P);IncomingCall(C);OutgoingCall(P);OutgoingCall(C);TotalCallCreated;CurrentCall;SuccessfulCall(P);SuccessfulCall(C);FailedCall(P);FailedCall(C)\n\
    2026-11-23\t06:56:02.630286\t1.0;x;y;00:00:00;00:00:00;10;0;0;0;0;0;0;0;0;0;0;0;0\n\
    2026-11-23\t06:56:02.630286\t1.0;x;y;00:00:00;00:00:01;10;0;9.8;0;0;0;10;10;0;0;9;0;1\n";

#[test]
fn stat_csv_counts_come_from_the_last_row() {
    assert_eq!(
        parse_stat_csv(STAT),
        Some(CallCounts {
            successful: 9,
            failed: 1,
            created: 10
        })
    );
}

#[test]
fn stat_csv_without_rows_or_columns_gives_nothing() {
    let table = ["", "StartTime;SuccessfulCall(C)\n", "A;B\n1;2\n"];
    for text in table {
        assert_eq!(parse_stat_csv(text), None, "{text:?}");
    }
}

const SCREEN: &str = "\
  Incoming calls created |        0                  |        0                 \n\
  Outgoing calls created |        0                  |       10                 \n\
  Successful call        |        0                  |        3                 \n\
  Failed call            |        0                  |        0                 \n\
  Incoming calls created |        0                  |        0                 \n\
  Outgoing calls created |        0                  |       20                 \n\
  Successful call        |        0                  |       18                 \n\
  Failed call            |        0                  |        2                 \n";

#[test]
fn screen_counts_come_from_the_last_screen() {
    assert_eq!(
        parse_screen(SCREEN),
        Some(CallCounts {
            successful: 18,
            failed: 2,
            created: 20
        })
    );
    assert_eq!(parse_screen("nothing here"), None);
}

#[test]
fn short_messages_keep_direction_call_cseq_and_first_line() {
    let text = "2026-11-23\t06:56:02.736460\t1795416962.736460\tS\t1-26218@127.0.0.1\tCSeq:1 INVITE\tINVITE sip:service@127.0.0.1:15070 SIP/2.0\n\
                2026-11-23\t06:56:02.736879\t1795416962.736879\tR\t1-26218@127.0.0.1\tCSeq:1 INVITE\tSIP/2.0 486 Busy Here\n\
                garbage line\n";
    let got = parse_short_messages(text);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].direction, Direction::Sent);
    assert_eq!(got[0].cseq, "1 INVITE");
    assert!(got[0].starts_with("INVITE"));
    assert_eq!(got[1].direction, Direction::Received);
    assert_eq!(got[1].call_id, "1-26218@127.0.0.1");
    assert!(got[1].starts_with("SIP/2.0 486"));
    assert!(!got[1].starts_with("SIP/2.0 48"));
}

#[test]
fn message_log_blocks_become_messages() {
    let text = "----------------------------------------------- 2026-11-23 06:56:02.736460\n\
        UDP message sent (10 bytes):\n\
        \n\
        INVITE sip:a@b SIP/2.0\r\n\
        Call-ID: c1\r\n\
        Content-Length: 0\r\n\
        \r\n\
        \n\
        ----------------------------------------------- 2026-11-23 06:56:02.736879\n\
        TCP message received [309] bytes :\n\
        \n\
        SIP/2.0 180 Ringing\r\n\
        Call-ID: c1\r\n\
        \r\n\
        \n\
        ----------------------------------------------- 2026-11-23 06:56:02.9\n\
        Ignoring provisional UDP message for transaction invite:\n\
        \n\
        SIP/2.0 180 Ringing\r\n";
    let got = parse_message_log(text);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0, Direction::Sent);
    assert_eq!(got[0].1.method(), Some("INVITE"));
    assert_eq!(got[1].0, Direction::Received);
    assert_eq!(got[1].1.status(), Some(180));
    assert_eq!(got[1].1.header("Call-ID").as_deref(), Some("c1"));
}

#[test]
fn logged_calls_are_distinct_per_event() {
    let lines: Vec<String> = [
        "answered 1-1@h",
        "rejected 2-1@h",
        "answered 1-1@h",
        "answered 3-1@h",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let table = [("answered", 2), ("rejected", 1), ("cancelled", 0)];
    for (event, count) in table {
        assert_eq!(logged_calls(&lines, event).len(), count, "{event}");
    }
}
