//! dialogd's `/metrics` (Prometheus text format) read over plain HTTP/1.0, and the lines an
//! operator looks at under attack: any sample whose metric name holds one of [`INTERESTING`].

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Parts of metric names kept by [`interesting`].
pub const INTERESTING: [&str; 6] = ["shed", "flood", "refused", "dropped", "closed", "bad"];
/// Bound on the connect and on each read.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The body of `GET /metrics` from `addr`.
pub fn fetch(addr: SocketAddr) -> Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)
        .with_context(|| format!("cannot connect to the metrics endpoint {addr}"))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.write_all(format!("GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .context("cannot read the metrics response")?;
    let Some((head, body)) = response.split_once("\r\n\r\n") else {
        bail!("no HTTP header in the metrics response");
    };
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        bail!(
            "metrics endpoint answered {}",
            head.lines().next().unwrap_or("")
        );
    }
    Ok(body.to_string())
}

/// Sample lines (not `#` comments) whose metric name contains one of [`INTERESTING`].
pub fn interesting(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter(|l| {
            let name = l.split(['{', ' ']).next().unwrap_or("");
            INTERESTING.iter().any(|word| name.contains(word))
        })
        .map(|l| l.trim().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_samples_with_an_interesting_name_are_kept() {
        let text = "# HELP dialogd_overload_shed_total INVITEs shed.\n\
                    # TYPE dialogd_overload_shed_total counter\n\
                    dialogd_overload_shed_total 12\n\
                    dialogd_calls_total 300\n\
                    dialogd_sip_messages_bad_total{transport=\"udp\"} 5000\n\
                    dialogd_tcp_connections_closed_total{reason=\"idle\"} 3\n\
                    dialogd_dialogs{state=\"bad\"} 1\n";
        assert_eq!(
            interesting(text),
            vec![
                "dialogd_overload_shed_total 12",
                "dialogd_sip_messages_bad_total{transport=\"udp\"} 5000",
                "dialogd_tcp_connections_closed_total{reason=\"idle\"} 3",
            ]
        );
    }
}
