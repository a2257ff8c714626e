//! [`http_get`]: one plain HTTP/1.1 GET (`Connection: close`) for the node's metrics endpoint
//! (`/metrics`, `/healthz`), with a bound on every step. Not a client: no chunked bodies, no
//! redirects, no TLS.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Result, anyhow, bail};

/// Bound on connecting and on reading the whole answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// `GET path` at `addr`: the status code and the body.
pub fn http_get(addr: SocketAddr, path: &str) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow!("no end of headers in {text:?}"))?;
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        bail!("chunked body not expected: {text:?}");
    }
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("no status in {head:?}"))?;
    Ok((status, body.to_string()))
}

/// The sum of every series of metric `name` in a Prometheus text exposition; `None` if absent.
pub fn metric_sum(exposition: &str, name: &str) -> Option<f64> {
    let mut found = None;
    for line in exposition.lines().filter(|l| !l.starts_with('#')) {
        let series = line.split_whitespace().next().unwrap_or("");
        let metric = series.split('{').next().unwrap_or("");
        if metric != name {
            continue;
        }
        let value: f64 = line.split_whitespace().last()?.parse().ok()?;
        found = Some(found.unwrap_or(0.0) + value);
    }
    found
}

/// Metric `name` (all its series added up) as the metrics endpoint at `addr` shows it now; 0
/// when the node has not recorded it yet.
pub fn scrape(addr: SocketAddr, name: &str) -> Result<f64> {
    let (status, body) = http_get(addr, "/metrics")?;
    if status != 200 {
        bail!("GET /metrics: {status}");
    }
    Ok(metric_sum(&body, name).unwrap_or(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_sum_adds_every_series_of_a_name() {
        let text = "# HELP x\ndialogd_calls_total 3\ndialogd_sip_messages_in_total{transport=\"udp\"} 10\ndialogd_sip_messages_in_total{transport=\"tcp\"} 2\ndialogd_calls_totally 9\n";
        assert_eq!(metric_sum(text, "dialogd_calls_total"), Some(3.0));
        assert_eq!(
            metric_sum(text, "dialogd_sip_messages_in_total"),
            Some(12.0)
        );
        assert_eq!(metric_sum(text, "missing"), None);
    }
}
