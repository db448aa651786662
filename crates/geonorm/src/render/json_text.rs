//! JSON for programs that may end on a terminal: valid JSON in which no character
//! that could drive or reorder a terminal appears raw.

use serde::Serialize;

/// Whether `c` is left raw in JSON strings by serde_json yet unsafe on a terminal:
/// DEL, the C1 controls (U+0080–U+009F; U+009B is a one-byte CSI), and the
/// bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make
/// text show in another order than it is. (serde_json escapes C0 controls itself.)
fn needs_escape(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `value` as JSON (indented when `pretty`), with every character of
/// [`needs_escape`] written as a `\uXXXX` escape: the same JSON value, since such
/// characters only occur inside strings, where the escape means the character.
pub fn json_text<T: Serialize + ?Sized>(value: &T, pretty: bool) -> serde_json::Result<String> {
    let text = if pretty {
        serde_json::to_string_pretty(value)?
    } else {
        serde_json::to_string(value)?
    };
    if !text.chars().any(needs_escape) {
        return Ok(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c1_controls_and_bidi_overrides_are_escaped_and_the_value_is_the_same() {
        let v = serde_json::json!({"t\u{9b}k": "a\u{9b}31mb\u{202e}c\u{2066}\u{7f}\u{1b}", "n": [1, "\u{85}"]});
        for pretty in [false, true] {
            let text = json_text(&v, pretty).expect("json");
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n' && c != ' '
                    || ('\u{202a}'..='\u{202e}').contains(&c)
                    || ('\u{2066}'..='\u{2069}').contains(&c)),
                "{text:?}"
            );
            assert!(
                text.contains("\\u009b") && text.contains("\\u202e") && text.contains("\\u001b")
            );
            let back: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
            assert_eq!(back, v);
        }
        let plain = serde_json::json!({"a": "Zürich – 北京"});
        assert_eq!(
            json_text(&plain, false).expect("json"),
            serde_json::to_string(&plain).expect("json")
        );
    }
}
