#![allow(clippy::unwrap_used)]

use super::*;

fn msg(direction: Direction, cseq: &str, first_line: &str) -> TracedMessage {
    TracedMessage {
        direction,
        call_id: "c1".to_owned(),
        cseq: cseq.to_owned(),
        first_line: first_line.to_owned(),
    }
}

#[test]
fn times_keep_the_first_invite_answer_and_bye_of_each_call() {
    let text = "2026-11-23\t06:56:02.7\t100.5\tS\tc1\tCSeq:1 INVITE\tINVITE sip:x SIP/2.0\n\
                2026-11-23\t06:56:03.2\t101.0\tS\tc1\tCSeq:1 INVITE\tINVITE sip:x SIP/2.0\n\
                2026-11-23\t06:56:03.3\t101.1\tR\tc2\tCSeq:1 INVITE\tINVITE sip:x SIP/2.0\n\
                2026-11-23\t06:56:03.4\t101.2\tS\tc2\tCSeq:1 INVITE\tSIP/2.0 100 Trying\n\
                2026-11-23\t06:56:03.5\t101.3\tR\tc1\tCSeq:1 INVITE\tSIP/2.0 200 OK\n\
                2026-11-23\t06:56:03.6\t101.4\tR\tc1\tCSeq:1 INVITE\tSIP/2.0 200 OK\n\
                2026-11-23\t06:56:07.6\t105.4\tS\tc1\tCSeq:2 BYE\tBYE sip:x SIP/2.0\n\
                2026-11-23\t06:56:08.1\t105.9\tS\tc1\tCSeq:2 BYE\tBYE sip:x SIP/2.0\n\
                2026-11-23\t06:56:08.2\t106.0\tR\tc1\tCSeq:2 BYE\tSIP/2.0 200 OK\n\
                garbage\n";
    let got = parse_times(text);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got["c1"],
        CallTimes {
            invite_sent: Some(100.5),
            answered: Some(101.3),
            bye_sent: Some(105.4),
            bye_answered: Some(106.0),
        }
    );
}

#[test]
fn bye_sides_tell_who_hung_up_and_how_many_byes_came() {
    use Direction::{Received as R, Sent as S};
    let table: Vec<(Vec<TracedMessage>, usize, usize, bool)> = vec![
        // BYE received and answered.
        (
            vec![
                msg(R, "2 BYE", "BYE sip:a SIP/2.0"),
                msg(S, "2 BYE", "SIP/2.0 200 OK"),
            ],
            1,
            0,
            true,
        ),
        // Our BYE answered.
        (
            vec![
                msg(S, "3 BYE", "BYE sip:a SIP/2.0"),
                msg(R, "3 BYE", "SIP/2.0 200 OK"),
            ],
            0,
            1,
            true,
        ),
        // Retransmitted BYE: one transaction. Another CSeq: a second BYE.
        (
            vec![
                msg(R, "2 BYE", "BYE sip:a SIP/2.0"),
                msg(R, "2 BYE", "BYE sip:a SIP/2.0"),
                msg(S, "2 BYE", "SIP/2.0 200 OK"),
                msg(R, "1002 BYE", "BYE sip:a SIP/2.0"),
            ],
            2,
            0,
            true,
        ),
        // Our BYE never answered.
        (vec![msg(S, "3 BYE", "BYE sip:a SIP/2.0")], 0, 1, false),
        // The INVITE's 200 is not a BYE's.
        (vec![msg(R, "1 INVITE", "SIP/2.0 200 OK")], 0, 0, false),
    ];
    for (messages, received, sent, completed) in table {
        let refs: Vec<&TracedMessage> = messages.iter().collect();
        let side = bye_side(&refs);
        assert_eq!(
            (side.received.len(), side.sent.len(), side.completed),
            (received, sent, completed),
            "{messages:?}"
        );
    }
}
