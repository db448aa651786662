//! The control endpoints (`/_control/…`): faults, the request log, stored files.

use super::*;

/// Answers `POST /_control/faults`, `/_control/requests`, `/_control/marker` and
/// `/_control/image`: only with the key, never to a browser (any `Origin`), a body only
/// as JSON.
pub(crate) fn control(shared: &Shared, head: &Head, body: &Body) -> Response {
    let known = matches!(
        head.path.as_str(),
        "/_control/faults" | "/_control/requests" | "/_control/marker" | "/_control/image"
    );
    if !known {
        return Response::error(404, "Unknown endpoint");
    }
    if head.method != "POST" {
        return Response::error(405, "Method not allowed").with_header("Allow", "POST");
    }
    if head.header("origin").is_some() {
        return Response::error(
            403,
            "Control endpoints refuse requests from web pages (an Origin header was sent)",
        );
    }
    if !authorized(head, &shared.settings.api_key) {
        return Response::error(401, "Invalid API key: control endpoints need the API key");
    }
    if body.too_large {
        return Response::error(413, "Body too large");
    }
    let json = head.header("content-type").is_some_and(|t| {
        t.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    });
    if body.len > 0 && !json {
        return Response::error(
            415,
            "Control bodies must be sent as Content-Type: application/json",
        );
    }
    if head.path == "/_control/marker" || head.path == "/_control/image" {
        return uploaded_file(shared, &head.path, &body.bytes);
    }
    if head.path == "/_control/requests" {
        let log = shared.lock().log.clone();
        return match serde_json::to_value(log) {
            Ok(v) => Response::json(200, &v),
            Err(e) => Response::error(500, &e.to_string()),
        };
    }
    let faults = if body.bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(Faults::default())
    } else {
        serde_json::from_slice::<Faults>(&body.bytes)
    };
    match faults {
        Ok(faults) => {
            shared.lock().faults = faults;
            Response::json(200, &json!({ "ok": true }))
        }
        Err(e) => Response::error(400, &format!("Invalid faults: {e}")),
    }
}

/// Answers `POST /_control/marker` or `/_control/image` with body `{"id": ID}`: the
/// file's bytes as uploaded (`Content-Type: image/png` or `image/jpeg`), HTTP 404 for
/// an id not uploaded, 400 for a body without a string `id`.
pub(super) fn uploaded_file(shared: &Shared, path: &str, body: &[u8]) -> Response {
    let id = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => match m.get("id") {
            Some(Value::String(id)) => id.clone(),
            _ => return Response::error(400, "The body must be {\"id\": \"<id>\"}"),
        },
        _ => return Response::error(400, "The body must be {\"id\": \"<id>\"}"),
    };
    let state = shared.lock();
    let found = if path == "/_control/marker" {
        state
            .markers
            .get(&id)
            .map(|bytes| (Kind::Png.mime(), bytes.clone()))
    } else {
        state
            .images
            .get(&id)
            .map(|image| (image.kind.mime(), image.bytes.clone()))
    };
    match found {
        Some((mime, bytes)) => Response {
            status: 200,
            headers: vec![("Content-Type", mime.to_owned())],
            body: bytes,
        },
        None => Response::error(404, "No such id"),
    }
}
