//! The client's unit tests: URLs, headers, caps, retries, redaction.

use super::*;

#[test]
fn a_time_out_is_told_by_its_kind_at_any_depth() {
    use std::io::{Error as IoError, ErrorKind};
    let direct = IoError::new(ErrorKind::TimedOut, "no words about time");
    assert!(timed_out(&direct));
    let wrapped = IoError::other(IoError::from(ErrorKind::TimedOut));
    assert!(timed_out(&wrapped));
    let worded = IoError::other("timed out, it says, but it is not a time-out");
    assert!(!timed_out(&worded));
}

#[test]
fn server_urls() {
    assert_eq!(
        api_base("https://maphub.net").ok().as_deref(),
        Some("https://maphub.net/api/1/")
    );
    assert_eq!(
        api_base("https://acme.maphub.net/").ok().as_deref(),
        Some("https://acme.maphub.net/api/1/")
    );
    assert_eq!(
        api_base("https://acme.maphub.net/api/1/").ok().as_deref(),
        Some("https://acme.maphub.net/api/1/")
    );
    assert_eq!(
        api_base("http://127.0.0.1:8080").ok().as_deref(),
        Some("http://127.0.0.1:8080/api/1/")
    );
    assert!(
        api_base("http://maphub.net").is_err(),
        "no plain http to the internet"
    );
    assert!(api_base("ftp://x").is_err());
    assert!(api_base("maphub.net").is_err());
}

#[test]
fn plain_http_only_to_this_machine_judged_on_the_parsed_host() {
    for ok in [
        ("http://localhost:8080", "http://localhost:8080/api/1/"),
        ("HTTP://LOCALHOST:8080/", "http://localhost:8080/api/1/"),
        ("http://localhost.:8080", "http://localhost.:8080/api/1/"),
        ("http://127.0.0.2:9", "http://127.0.0.2:9/api/1/"),
        ("http://[::1]:9/api/1/", "http://[::1]:9/api/1/"),
        (
            "http://[::ffff:127.0.0.2]:9",
            "http://[::ffff:7f00:2]:9/api/1/",
        ),
        ("http://[::ffff:7f00:1]", "http://[::ffff:7f00:1]/api/1/"),
        ("HTTPS://Acme.MapHub.net", "https://acme.maphub.net/api/1/"),
    ] {
        assert_eq!(api_base(ok.0).ok().as_deref(), Some(ok.1), "{}", ok.0);
    }
    for (bad, why) in [
        (
            "http://127.0.0.1.evil.com",
            "only for a server on this machine",
        ),
        (
            "http://localhost.evil.com:80",
            "only for a server on this machine",
        ),
        ("http://localhost@evil.com", "user name or password"),
        ("http://localhost:1@127.0.0.2:9/", "user name or password"),
        ("https://user@maphub.net", "user name or password"),
        ("https://:pw@maphub.net", "user name or password"),
        (
            "http://[::ffff:10.0.0.1]",
            "only for a server on this machine",
        ),
        ("http://[::ffff:7f00:1].evil.com", "not a URL"),
        ("http://10.0.0.1", "only for a server on this machine"),
        ("http://[fe80::1]", "only for a server on this machine"),
        ("HTTP://EVIL.COM", "only for a server on this machine"),
        ("https://maphub.net/?x=1", "query"),
        ("https://maphub.net/#top", "fragment"),
        ("ftp://127.0.0.1", "the scheme must be https://"),
        ("maphub.net", "the scheme must be https://"),
        ("https://", "not a URL"),
    ] {
        let err = api_base(bad).expect_err(bad).to_string();
        assert!(err.contains(why), "{bad}: {err}");
    }
}

#[test]
fn plain_http_connects_only_to_addresses_checked_to_be_loopback() {
    use std::net::SocketAddr;
    let lying = |_: &str| -> std::io::Result<Vec<SocketAddr>> {
        Ok(vec!["10.0.0.1:8080".parse().expect("addr")])
    };
    // `localhost.` is never asked of a resolver, whatever it would answer.
    for name in ["localhost.:8080", "LOCALHOST:8080", "localhost..:8080"] {
        let addrs = resolve_loopback(name, lying).expect(name);
        assert!(
            !addrs.is_empty()
                && addrs
                    .iter()
                    .all(|a| a.ip().is_loopback() && a.port() == 8080),
            "{name}: {addrs:?}"
        );
    }
    // Any other name: every answer must be loopback.
    let err = resolve_loopback("127.0.0.1:8080", lying).expect_err("refused");
    assert!(
        err.to_string()
            .contains("10.0.0.1, which is not this machine"),
        "{err}"
    );
    let mixed = |_: &str| -> std::io::Result<Vec<SocketAddr>> {
        Ok(vec![
            "127.0.0.1:9".parse().expect("addr"),
            "[fe80::1]:9".parse().expect("addr"),
        ])
    };
    assert!(resolve_loopback("[::1]:9", mixed).is_err());
    let none = |_: &str| -> std::io::Result<Vec<SocketAddr>> { Ok(Vec::new()) };
    assert!(resolve_loopback("127.0.0.1:9", none).is_err());
    // The system resolver for literals and /etc/hosts' localhost.
    assert_eq!(
        resolve_loopback("127.0.0.2:9", std_lookup).expect("literal"),
        vec!["127.0.0.2:9".parse::<SocketAddr>().expect("addr")]
    );
    assert!(resolve_loopback("[::ffff:127.0.0.1]:9", std_lookup).is_ok());
}

#[test]
fn arguments_are_the_documented_json() {
    let a = AppendArgs {
        map_id: 12345,
        file_type: FileType::Kml,
        new_group: None,
    };
    assert_eq!(
        serde_json::to_string(&a).ok().as_deref(),
        Some(r#"{"map_id":12345,"file_type":"kml"}"#)
    );
    let u = UploadArgs {
        file_type: FileType::Geojson,
        visibility: Visibility::Unlisted,
        title: Some("Trip".into()),
        description: None,
        short_name: None,
    };
    assert_eq!(
        serde_json::to_string(&u).ok().as_deref(),
        Some(r#"{"file_type":"geojson","visibility":"unlisted","title":"Trip"}"#)
    );
    assert_eq!(FileType::from(geonorm::Format::Kmz), FileType::Kml);
}

#[test]
fn errors_come_with_http_200_and_never_show_the_key() {
    let c = ClientBuilder::new()
        .api_key(ApiKey::new("hunter2").expect("key"))
        .build()
        .expect("client");
    assert!(
        matches!(c.api_error(serde_json::json!({"error": "Map not found"})), Err(Error::Api(m)) if m == "Map not found")
    );
    assert!(
        matches!(c.api_error(serde_json::json!({"error": "bad key hunter2"})), Err(Error::Api(m)) if m == "bad key ***")
    );
    assert!(c
        .api_error(serde_json::json!({"id": 1, "url": "x"}))
        .is_ok());
}

#[test]
fn header_value_ok_is_the_rule_ureq_checks_before_connecting() {
    // `never_left` counts on it: a header ureq would refuse, `once` refuses first.
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(std::time::Duration::from_millis(500))
        .build();
    for c in (0u8..=0x7f).map(char::from).chain(['é']) {
        let v = format!("a{c}b");
        // Port 1 on loopback: a valid request gets as far as a refused connection.
        let r = agent.post("http://127.0.0.1:1/").set("X-Test", &v).call();
        let refused =
            matches!(&r, Err(ureq::Error::Transport(t)) if t.kind() == ureq::ErrorKind::BadHeader);
        assert_eq!(refused, !header_value_ok(&v), "{c:?}: {r:?}");
    }
}

#[test]
fn header_arguments_are_ascii_json() {
    let v = serde_json::json!({"new_group": "Zürich 🏔", "q": "a\"b\\"});
    let text = ascii_json(&v).expect("json");
    assert_eq!(
        text,
        r#"{"new_group":"Z\u00fcrich \ud83c\udfd4","q":"a\"b\\"}"#
    );
    assert!(header_value_ok(&text));
    assert_eq!(serde_json::from_str::<Value>(&text).ok(), Some(v));
    assert!(!header_value_ok("Zürich") && !header_value_ok("a\nb"));
}

#[test]
fn an_answer_over_the_cap_is_refused_and_one_at_the_cap_is_read() {
    let mut at = answer::Capped::new(&b"12345"[..], 5, 1);
    let mut out = Vec::new();
    assert_eq!(at.read_to_end(&mut out).ok(), Some(5));
    assert!(!at.hit);
    let mut over = answer::Capped::new(&b"123456"[..], 5, 1);
    assert!(over.read_to_end(&mut Vec::new()).is_err());
    assert!(over.hit);
}

#[test]
fn values_are_counted_outside_strings_whatever_the_pieces_they_arrive_in() {
    let text = br#"{"a,b[{":[0,1,{"c":"d\",e"}],"f":"\\","g":[]}"#;
    // Outside strings: { [ , , { ] , , [ ] }: 2 commas before the inner object, one
    // after, one more; opening brackets and braces: 4.
    let whole = {
        let mut c = answer::ValueCount::default();
        c.feed(text);
        c.at_most()
    };
    assert_eq!(whole, 1 + 4 + 4);
    let v: Value = serde_json::from_slice(text).expect("valid JSON");
    assert!(v["a,b[{"][2]["c"] == "d\",e");
    // Byte by byte: an escape or a string cut anywhere counts the same.
    let mut c = answer::ValueCount::default();
    for b in text {
        c.feed(std::slice::from_ref(b));
    }
    assert_eq!(c.at_most(), whole);
    let mut zeros = answer::ValueCount::default();
    zeros.feed(b"[0,0,0,0]");
    assert_eq!(zeros.at_most(), 5);
}

#[test]
fn an_answer_of_more_values_than_its_budget_is_refused_as_it_is_read() {
    let mut ok = answer::Capped::new(&b"[0,0,0]"[..], 100, 4);
    assert!(ok.read_to_end(&mut Vec::new()).is_ok() && !ok.too_many);
    let mut many = answer::Capped::new(&b"[0,0,0,0]"[..], 100, 4);
    assert!(many.read_to_end(&mut Vec::new()).is_err());
    assert!(many.too_many && !many.hit);
    // Commas inside strings are not values.
    let mut text = answer::Capped::new(&br#"["a,b,c,d,e,f"]"#[..], 100, 2);
    assert!(text.read_to_end(&mut Vec::new()).is_ok() && !text.too_many);
    assert_eq!(answer::max_values(256 << 20), 16 << 20);
    assert_eq!(answer::max_values(5), 1);
}

#[test]
fn only_safe_calls_retry_what_may_have_arrived() {
    let sent = Error::Transport {
        url: "u".into(),
        message: "reset".into(),
        maybe_sent: true,
    };
    let refused = Error::Transport {
        url: "u".into(),
        message: "refused".into(),
        maybe_sent: false,
    };
    let busy = Error::Http {
        status: 503,
        url: "u".into(),
        excerpt: String::new(),
    };
    assert!(retryable(&sent, true) && !retryable(&sent, false));
    assert!(retryable(&refused, true) && retryable(&refused, false));
    assert!(retryable(&busy, true) && !retryable(&busy, false));
    assert!(!retryable(&Error::Api("no".into()), true));
}

#[test]
fn an_image_answer_keeps_what_it_does_not_name_and_gives_the_feature_property() {
    let answer = serde_json::json!({"image_id": "abc123", "width": 4, "height": 3,
        "tip_color": "#010203", "avg_color": null, "has_gps": false, "geometry": null});
    let info: ImageInfo = serde_json::from_value(answer).expect("decoded");
    assert_eq!(info.image_id, serde_json::json!("abc123"));
    assert_eq!(info.avg_color, None);
    assert_eq!(info.extra.get("has_gps"), Some(&serde_json::json!(false)));
    assert!(info.extra.contains_key("geometry") && !info.extra.contains_key("width"));
    assert_eq!(
        info.feature_image(),
        serde_json::json!({"id": "abc123", "w": 4, "h": 3, "tip_color": "#010203"})
    );
    let numbered: ImageInfo =
        serde_json::from_value(serde_json::json!({"image_id": 7, "width": 1, "height": 2}))
            .expect("decoded");
    assert_eq!(
        numbered.feature_image(),
        serde_json::json!({"id": 7, "w": 1, "h": 2})
    );
    assert_eq!(
        (ImageType::Jpg.file_type(), ImageType::Png.file_type()),
        ("jpg", "png")
    );
}

#[test]
fn debug_output_hides_the_key() {
    let c = ClientBuilder::new()
        .api_key(ApiKey::new("hunter2").expect("key"))
        .build()
        .expect("client");
    assert!(!format!("{c:?}").contains("hunter2"));
}

#[test]
fn docs_security_states_the_answer_caps_and_times_in_use() {
    let doc = include_str!("../../../../docs/security.md");
    let b = ClientBuilder::default();
    let says = |phrase: String| assert!(doc.contains(&phrase), "docs/security.md: `{phrase}`");
    says(format!(
        "capped at {} MiB for `map/get` and `map/list`, {} MiB for every other call",
        b.max_map_bytes >> 20,
        b.max_answer_bytes >> 20
    ));
    says(format!(
        "at most one JSON value per {ANSWER_BYTES_PER_VALUE} bytes of that cap ({} Mi values for `map/get` and `map/list`)",
        answer::max_values(b.max_map_bytes) >> 20
    ));
    says(format!(
        "{} s to connect, {} s for one attempt of a read, {} s for one attempt of\n  a send",
        b.connect_timeout.as_secs(),
        b.timeout.as_secs(),
        b.send_timeout.as_secs()
    ));
}
