//! Plain http only to this machine, judged on the addresses connected to.

/// The system's resolver.
pub(crate) fn std_lookup(netloc: &str) -> std::io::Result<Vec<std::net::SocketAddr>> {
    std::net::ToSocketAddrs::to_socket_addrs(netloc).map(Iterator::collect)
}

/// The addresses a plain-http connection to `netloc` (`host:port`, as ureq gives it)
/// may use: `localhost` in any spelling is 127.0.0.1 and ::1 without asking a
/// resolver (one could answer anything for `localhost.`); any other name is looked up
/// with `lookup`, and refused unless every address is loopback, so the key in the
/// `Authorization` header never leaves this machine in clear.
pub(crate) fn resolve_loopback(
    netloc: &str,
    lookup: impl Fn(&str) -> std::io::Result<Vec<std::net::SocketAddr>>,
) -> std::io::Result<Vec<std::net::SocketAddr>> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
    let refuse = |why: String| std::io::Error::new(std::io::ErrorKind::PermissionDenied, why);
    let (host, port) = netloc
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
        .ok_or_else(|| refuse(format!("{netloc} is not host:port")))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.trim_end_matches('.').eq_ignore_ascii_case("localhost") {
        return Ok(vec![
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
        ]);
    }
    let addrs = lookup(netloc)?;
    let loopback = |a: &SocketAddr| match a.ip() {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    };
    if let Some(bad) = addrs.iter().find(|a| !loopback(a)) {
        return Err(refuse(format!(
            "{host} resolves to {}, which is not this machine; plain http:// is only for a server on this machine (use https://)",
            bad.ip()
        )));
    }
    if addrs.is_empty() {
        return Err(refuse(format!("{host} resolves to no address")));
    }
    Ok(addrs)
}
