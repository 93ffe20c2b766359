//! The wire format of the JSON dialect (PROTOCOL §3, §5.1): the key fetch's script, the
//! `sign=…\r\ndata=…\r\n[tag=…\r\n]` envelope, the signature text, command payloads and
//! answers, `$.ret=<code>;`, and the token in the main page. Pure functions, no I/O: the
//! client and the emulator both use them, and none of them panics on any input.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::crypto::{RsaPublicKey, Sealed, SessionKey};

/// What `POST /cgi/getGDPRParm` answers: the RSA key and the sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyParams {
    /// Modulus, hex.
    pub n_hex: String,
    /// Exponent, hex (`010001`).
    pub e_hex: String,
    /// The sequence: `s = seq + len(data)` in every sign.
    pub seq: u64,
}

/// The `var name = "value";` assignments of a script answer, tolerant of unquoted values
/// and several per line (PROTOCOL §3.2).
pub fn script_vars(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for stmt in text.split(';') {
        let stmt = stmt.trim();
        let Some(rest) = stmt.strip_prefix("var") else {
            continue;
        };
        if !rest.starts_with(char::is_whitespace) {
            continue;
        }
        let Some((name, value)) = rest.split_once('=') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let value = value.trim().trim_matches('"').to_owned();
        out.push((name.to_owned(), value));
    }
    out
}

/// The `$.ret=<code>;` of an answer, if there is one.
pub fn ret_code(text: &str) -> Option<i64> {
    let at = text.find("$.ret=")?;
    let rest = &text[at + 6..];
    let end = rest.find(';').unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

/// Parses the key fetch. `None` when `nn`, `ee` or `seq` is missing or malformed, or
/// `$.ret` is non-zero.
pub fn parse_key_params(text: &str) -> Option<KeyParams> {
    if ret_code(text).is_some_and(|r| r != 0) {
        return None;
    }
    let vars = script_vars(text);
    let get = |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let n_hex = get("nn")?;
    let e_hex = get("ee")?;
    let hexish = |s: &str| {
        !s.is_empty() && s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
    };
    if !hexish(&n_hex) || !hexish(&e_hex) {
        return None;
    }
    let seq = get("seq")?.parse().ok()?;
    Some(KeyParams { n_hex, e_hex, seq })
}

/// The token of the main page (`var token="…";`), absent on the login page.
pub fn extract_token(html: &str) -> Option<String> {
    let at = html.find("var token=\"")?;
    let rest = &html[at + 11..];
    let token = &rest[..rest.find('"')?];
    (!token.is_empty() && token.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| token.to_owned())
}

/// A request envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Envelope {
    /// The RSA sign, hex.
    pub sign: String,
    /// The AES data, base64.
    pub data: String,
    /// The GCM tag, base64.
    pub tag: Option<String>,
}

impl Envelope {
    /// `sign=…\r\ndata=…\r\n` (and `tag=…\r\n`).
    pub fn to_body(&self) -> String {
        let mut s = format!("sign={}\r\ndata={}\r\n", self.sign, self.data);
        if let Some(t) = &self.tag {
            s.push_str(&format!("tag={t}\r\n"));
        }
        s
    }

    /// Parses a body: lines split on CR/LF, each at its first `=`.
    pub fn parse(body: &str) -> Option<Self> {
        let (mut sign, mut data, mut tag) = (None, None, None);
        for line in body.split(['\r', '\n']) {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            match k.trim() {
                "sign" => sign = Some(v.trim().to_owned()),
                "data" => data = Some(v.trim().to_owned()),
                "tag" => tag = Some(v.trim().to_owned()),
                _ => {}
            }
        }
        Some(Self {
            sign: sign?,
            data: data?,
            tag,
        })
    }
}

/// Seals `payload` and signs it: the login form (`key=…&iv=…&h=…&s=…`) when `login`, else
/// `h=…&s=…`, with `s = seq + len(data)`.
pub fn seal_request(
    key: &SessionKey,
    rsa: &RsaPublicKey,
    hash: &str,
    seq: u64,
    payload: &str,
    login: bool,
) -> Result<Envelope, crate::crypto::CryptoError> {
    let Sealed { data, tag } = key.seal(payload.as_bytes())?;
    let s = seq + data.len() as u64;
    let text = if login {
        format!("{}&h={hash}&s={s}", key.login_sign_prefix())
    } else {
        format!("h={hash}&s={s}")
    };
    Ok(Envelope {
        sign: rsa.sign(text.as_bytes()),
        data,
        tag,
    })
}

/// The `&`-separated pairs of an opened sign.
pub fn sign_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// A JSON-dialect operation (PROTOCOL §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Op {
    /// Get one object instance.
    Go,
    /// Get all instances.
    Gl,
    /// Get the instances below a parent.
    Gs,
    /// Set an instance.
    So,
    /// Add an instance.
    Ao,
    /// Delete an instance.
    Do,
    /// Run an action object.
    Op,
    /// Call a CGI pseudo-object (`/cgi/login`).
    Cgi,
}

impl Op {
    /// Whether it changes the router (the firmware marks those `isuseractive`).
    pub fn is_write(self) -> bool {
        matches!(self, Op::So | Op::Ao | Op::Do | Op::Op)
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Go => "go",
            Op::Gl => "gl",
            Op::Gs => "gs",
            Op::So => "so",
            Op::Ao => "ao",
            Op::Do => "do",
            Op::Op => "op",
            Op::Cgi => "cgi",
        }
    }
}

/// A six-level instance path (`1,0,0,0,0,0`).
pub const ROOT_STACK: &str = "0,0,0,0,0,0";

/// A command payload: `{"data":{…,"stack":…,"pstack":…},"operation":…,"oid":…}`, with
/// `isuseractive` on writes as the firmware's own proxy adds it.
pub fn command_payload(
    op: Op,
    oid: &str,
    stack: &str,
    pstack: &str,
    attrs: &Map<String, Value>,
) -> String {
    let mut data = attrs.clone();
    data.insert("stack".to_owned(), Value::String(stack.to_owned()));
    data.insert("pstack".to_owned(), Value::String(pstack.to_owned()));
    let mut m = Map::new();
    m.insert("data".to_owned(), Value::Object(data));
    m.insert(
        "operation".to_owned(),
        Value::String(op.as_str().to_owned()),
    );
    m.insert("oid".to_owned(), Value::String(oid.to_owned()));
    if op.is_write() {
        m.insert("isuseractive".to_owned(), Value::Bool(true));
    }
    Value::Object(m).to_string()
}

/// The login payload (PROTOCOL §3.6), the key order the UI uses.
pub fn login_payload(username: &str, password: &str) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    format!(
        r#"{{"data":{{"UserName":"{}","Passwd":"{}","Action":"1","stack":"{ROOT_STACK}","pstack":"{ROOT_STACK}"}},"operation":"cgi","oid":"/cgi/login"}}"#,
        b64.encode(username),
        b64.encode(password)
    )
}

/// The logout payload (PROTOCOL §3.11).
pub fn logout_payload() -> String {
    format!(
        r#"{{"data":{{"stack":"{ROOT_STACK}","pstack":"{ROOT_STACK}"}},"operation":"cgi","oid":"/cgi/logout"}}"#
    )
}

/// A decrypted command answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Answer {
    /// `success` (or no `success` member) with `data`.
    Data(Value),
    /// An empty body, or an answer without `data`.
    Empty,
    /// `{"success":false,"errorcode":N}`.
    Refused(i64),
}

/// Parses a decrypted answer: CR/LF/TAB stripped, JSON. `None` when it is not JSON.
pub fn parse_answer(plain: &str) -> Option<Answer> {
    let cleaned: String = plain
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n' | '\t'))
        .collect();
    if cleaned.trim().is_empty() {
        return Some(Answer::Empty);
    }
    let v: Value = serde_json::from_str(cleaned.trim()).ok()?;
    let obj = v.as_object()?;
    if obj.get("success").and_then(Value::as_bool) == Some(false) {
        let code = obj
            .get("errorcode")
            .and_then(|c| {
                c.as_i64()
                    .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(-1);
        return Some(Answer::Refused(code));
    }
    Some(match obj.get("data") {
        Some(d) => Answer::Data(d.clone()),
        None => Answer::Empty,
    })
}
