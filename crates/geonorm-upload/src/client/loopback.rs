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

/// Whether a URL's host is this machine: `localhost` in any spelling (any case, a
/// trailing dot), 127.0.0.0/8, `::1` or `::ffff:127.…`.
pub(crate) fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// One spelling of the server of an API base, for what must not tell spellings apart
/// (the key of a send's content lock): the scheme and host in lower case, the port
/// always written (443 or 80 when it was left out), a name's trailing dot dropped, and
/// every name of this machine (see [`is_loopback_host`]) as `loopback`, since
/// `localhost` reaches 127.0.0.1 and `::1` alike; the path as it is.
pub(crate) fn canonical_server(base: &str) -> String {
    let Ok(url) = url::Url::parse(base) else {
        return base.to_string();
    };
    let host = match url.host() {
        None => String::new(),
        Some(h) if is_loopback_host(&h) => "loopback".to_string(),
        Some(url::Host::Domain(d)) => d.trim_end_matches('.').to_ascii_lowercase(),
        Some(h) => h.to_string(),
    };
    let port = url
        .port_or_known_default()
        .map_or_else(String::new, |p| p.to_string());
    format!(
        "{}://{host}:{port}{}",
        url.scheme().to_ascii_lowercase(),
        url.path()
    )
}
