//! The emulator over real HTTP: a tiny client written here from the crate's `protocol` and
//! `crypto` functions (the router's side is what is under test), plus byte-exact replays of
//! the contract's vectors (C6U's own requests) and every fault.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, REFERER, SET_COOKIE};
use serde_json::{Map, Value, json};
use tplink_bridge::crypto::{RsaPublicKey, SessionKey, Variant, credential_hash};
use tplink_bridge::emulator::{Account, Emulator, EmulatorConfig, Fault, Fixtures, Role, RsaKey};
use tplink_bridge::protocol::{
    Answer, Envelope, Op, ROOT_STACK, command_payload, extract_token, login_payload,
    logout_payload, parse_answer, parse_key_params, ret_code, seal_request,
};

const USER: &str = "user";
const PASSWORD: &str = "Test-Pass-123";

fn vectors() -> Value {
    let p = format!(
        "{}/tests/resources/vectors.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn vs<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k}"))
}

/// The test's client: a cookie jar, the router's key, a session key and the token.
struct Tc {
    http: reqwest::Client,
    base: String,
    referer: String,
    variant: Variant,
    key: SessionKey,
    rsa: Option<RsaPublicKey>,
    seq: u64,
    hash: String,
    token: Option<String>,
}

impl Tc {
    fn new(emu: &Emulator, variant: Variant) -> Self {
        Self::with_timeout(emu, variant, Duration::from_secs(20))
    }

    fn with_timeout(emu: &Emulator, variant: Variant, timeout: Duration) -> Self {
        let base = emu.url().as_str().trim_end_matches('/').to_owned();
        Self {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .no_proxy()
                .timeout(timeout)
                .build()
                .unwrap(),
            referer: format!("{base}/"),
            base,
            variant,
            key: SessionKey::generate(variant),
            rsa: None,
            seq: 0,
            hash: credential_hash(USER, PASSWORD),
            token: None,
        }
    }

    fn post(&self, path_and_query: &str, body: String) -> reqwest::RequestBuilder {
        let mut r = self
            .http
            .post(format!("{}{path_and_query}", self.base))
            .header(REFERER, &self.referer)
            .body(body);
        if let Some(t) = &self.token {
            r = r.header("TokenID", t);
        }
        r
    }

    async fn fetch_key(&mut self) -> String {
        let body = self
            .post("/cgi/getGDPRParm?_=1718000000000", String::new())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let k = parse_key_params(&body).unwrap();
        self.rsa = Some(RsaPublicKey::from_hex(&k.n_hex, &k.e_hex).unwrap());
        self.seq = k.seq;
        body
    }

    fn envelope(&self, payload: &str, login: bool) -> String {
        seal_request(
            &self.key,
            self.rsa.as_ref().unwrap(),
            &self.hash,
            self.seq,
            payload,
            login,
        )
        .unwrap()
        .to_body()
    }

    /// Posts a login; the raw answer.
    async fn login_raw(&mut self, user: &str, password: &str) -> reqwest::Response {
        self.key = SessionKey::generate(self.variant);
        self.hash = credential_hash(user, password);
        let body = self.envelope(&login_payload(user, password), true);
        self.post("/cgi_gdpr?9", body).send().await.unwrap()
    }

    /// Logs in; the decrypted `$.ret` code (panics on a clear-text answer).
    async fn login(&mut self, user: &str, password: &str) -> i64 {
        let resp = self.login_raw(user, password).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let body = resp.text().await.unwrap();
        assert!(!body.contains("$.ret="), "clear-text login answer {body:?}");
        ret_code(&self.open(&body)).unwrap()
    }

    async fn page(&self) -> String {
        self.http
            .get(format!("{}/?_=1718000000000", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    async fn fetch_token(&mut self) {
        self.token = Some(extract_token(&self.page().await).expect("a token on the main page"));
    }

    /// Key, login, token.
    async fn session(&mut self) {
        self.fetch_key().await;
        assert_eq!(self.login(USER, PASSWORD).await, 0);
        self.fetch_token().await;
    }

    async fn send(&self, payload: &str) -> reqwest::Response {
        let body = self.envelope(payload, false);
        self.post("/cgi_gdpr?9?_=1718000000001", body)
            .send()
            .await
            .unwrap()
    }

    /// A command: status and raw body.
    async fn raw(&self, payload: &str) -> (StatusCode, String) {
        let r = self.send(payload).await;
        (r.status(), r.text().await.unwrap())
    }

    fn open_bytes(&self, body: &str) -> Vec<u8> {
        self.key.open_answer(body).unwrap()
    }

    fn open(&self, body: &str) -> String {
        String::from_utf8(self.open_bytes(body)).unwrap()
    }

    /// A command answered 200 with an encrypted body: the decrypted plaintext.
    async fn plain(&self, op: Op, oid: &str, stack: &str, attrs: Value) -> String {
        let attrs = attrs.as_object().cloned().unwrap_or_default();
        let (status, body) = self
            .raw(&command_payload(op, oid, stack, ROOT_STACK, &attrs))
            .await;
        assert_eq!(status, StatusCode::OK, "{op:?} {oid}");
        self.open(&body)
    }

    async fn call(&self, op: Op, oid: &str, stack: &str, attrs: Value) -> Answer {
        parse_answer(&self.plain(op, oid, stack, attrs).await).unwrap()
    }

    async fn call_under(&self, op: Op, oid: &str, pstack: &str, attrs: Value) -> Answer {
        let attrs: Map<String, Value> = attrs.as_object().cloned().unwrap_or_default();
        let (status, body) = self
            .raw(&command_payload(op, oid, ROOT_STACK, pstack, &attrs))
            .await;
        assert_eq!(status, StatusCode::OK);
        parse_answer(&self.open(&body)).unwrap()
    }
}

async fn emulator(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.unwrap()
}

fn data(a: Answer) -> Value {
    match a {
        Answer::Data(d) => d,
        other => panic!("no data: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The built-in defaults

#[test]
fn emulator_defaults_match_the_contract() {
    let v = vectors();
    // Parsed from the file's text: field order as in the contract.
    #[derive(serde::Deserialize)]
    struct Contract {
        default_fixtures: Fixtures,
    }
    let text = std::fs::read_to_string(format!(
        "{}/tests/resources/vectors.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let from_contract = serde_json::from_str::<Contract>(&text)
        .unwrap()
        .default_fixtures;
    assert_eq!(Fixtures::default_set(), from_contract);
    assert_eq!(from_contract.len(), 13);
    let key = tplink_bridge::emulator::test_key().unwrap();
    assert_eq!(key.public().n_hex(), vs(&v["rsa"], "nn"));
    let config = EmulatorConfig::default();
    assert_eq!(config.seq, v["seq"].as_u64().unwrap());
    assert_eq!(config.accounts, [Account::new(USER, PASSWORD, Role::User)]);
    // The password stays out of Debug.
    assert!(!format!("{config:?}").contains(PASSWORD));
}

// ---------------------------------------------------------------------------------------------
// Pages and unauthenticated endpoints

#[tokio::test]
async fn key_fetch_body_is_exact() {
    let emu = emulator(EmulatorConfig::default()).await;
    let tc = Tc::new(&emu, Variant::Cbc);
    let resp = tc
        .post("/cgi/getGDPRParm?_=1718000000000", String::new())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[CONTENT_TYPE], "text/javascript");
    let body = resp.text().await.unwrap();
    insta::assert_snapshot!("key_fetch_body", body);
    // Byte for byte (the snapshot drops the final newline).
    let nn = vs(&vectors()["rsa"], "nn").to_owned();
    assert_eq!(
        body,
        format!("var ee=\"010001\";\nvar nn=\"{nn}\";\nvar seq=\"876543210\";\n$.ret=0;\n")
    );
    // GET answers the same.
    let get = tc
        .http
        .get(format!("{}/cgi/getGDPRParm", tc.base))
        .header(REFERER, &tc.referer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(get, body);
}

#[tokio::test]
async fn unquoted_seq_and_rotation() {
    let emu = emulator(EmulatorConfig {
        seq_quoted: false,
        rotate_seq: true,
        seed: Some(3),
        ..Default::default()
    })
    .await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    let first = tc.fetch_key().await;
    assert!(
        first.contains(&format!("\nvar seq={};\n", tc.seq)),
        "{first}"
    );
    let seq1 = tc.seq;
    tc.fetch_key().await;
    assert_ne!(tc.seq, seq1);
    assert_eq!(emu.seq(), tc.seq);
    // The session keeps the seq it logged in with; later fetches do not disturb it.
    assert_eq!(tc.login(USER, PASSWORD).await, 0);
    tc.fetch_token().await;
    let mut other = Tc::new(&emu, Variant::Cbc);
    other.fetch_key().await;
    assert_ne!(emu.seq(), tc.seq);
    data(
        tc.call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({}))
            .await,
    );
}

#[tokio::test]
async fn login_page_and_main_page() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    // A browser opens the page without a Referer.
    let resp = tc.http.get(format!("{}/", tc.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
    let login_page = resp.text().await.unwrap();
    insta::assert_snapshot!("login_page", login_page);
    assert!(login_page.contains(r#"var authTimes=0;var adminType="user";"#));
    assert!(!login_page.contains("var token="));
    assert!(!login_page.contains("Archer VR"));
    for id in [
        r#"id="pc-login-password""#,
        r#"id="pc-login-btn""#,
        r#"class="content error-tips-content" style="display:none""#,
        r#"id="confirm-yes" type="button" style="display:none""#,
        r#"src="/js/emu-ui.js""#,
    ] {
        assert!(login_page.contains(id), "{id}");
    }
    tc.session().await;
    let main = tc.page().await;
    assert!(!main.contains("Archer VR"));
    assert!(main.contains(r#"<a id="topReboot""#));
    let token = tc.token.clone().unwrap();
    assert!((30..=32).contains(&token.len()));
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    let line = main.lines().find(|l| l.contains("var token=")).unwrap();
    assert_eq!(
        line,
        format!(r#"<script type="text/javascript">var token="{token}";</script>"#)
    );
    // The page script and the style sheet.
    for (path, ct) in [
        ("/js/emu-ui.js", "text/javascript"),
        ("/css/emu.css", "text/css"),
    ] {
        let r = tc
            .http
            .get(format!("{}{path}", tc.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            (r.status(), &r.headers()[CONTENT_TYPE]),
            (StatusCode::OK, &ct.parse().unwrap())
        );
    }
}

#[tokio::test]
async fn other_paths_are_404_and_the_log_keeps_method_and_path() {
    let emu = emulator(EmulatorConfig::default()).await;
    let tc = Tc::new(&emu, Variant::Cbc);
    for path in [
        "/cgi/getParm",
        "/cgi/login?data=x",
        "/webpages/index.html",
        "/cgi-bin/luci/",
    ] {
        let r = tc.post(path, String::new()).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.text().await.unwrap(), "");
    }
    // POST / and GET /cgi_gdpr are not routes either.
    let r = tc.post("/", String::new()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = tc
        .http
        .get(format!("{}/cgi_gdpr?9", tc.base))
        .header(REFERER, &tc.referer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let log = emu.requests();
    assert_eq!(log.len(), 6);
    assert_eq!(
        (log[1].method.as_str(), log[1].path.as_str()),
        ("POST", "/cgi/login")
    );
    assert!(log.iter().all(|r| !r.path.contains('?')));
    emu.clear_requests();
    assert!(emu.requests().is_empty());
}

// ---------------------------------------------------------------------------------------------
// The happy path

#[tokio::test]
async fn login_commands_and_logout() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.fetch_key().await;
    let resp = tc.login_raw(USER, PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let cookies: Vec<_> = resp.headers().get_all(SET_COOKIE).iter().collect();
    assert_eq!(cookies.len(), 1);
    let cookie = cookies[0].to_str().unwrap().to_owned();
    let sid = cookie
        .strip_prefix("JSESSIONID=")
        .and_then(|c| c.strip_suffix("; Path=/"))
        .unwrap_or_else(|| panic!("{cookie}"));
    assert_eq!(sid.len(), 32);
    assert!(sid.bytes().all(|b| b.is_ascii_hexdigit()));
    let body = resp.text().await.unwrap();
    assert_eq!(tc.open(&body), "$.ret=0;");
    assert_eq!((emu.active_sessions(), emu.logins()), (1, 1));
    tc.fetch_token().await;

    // go → an object.
    let info = data(
        tc.call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({}))
            .await,
    );
    assert_eq!(info["modelName"], "XX230v");
    assert_eq!(
        info["softwareVersion"],
        "1.0.0 0.0.0 v0000.0 Build 000000 Rel.00000n"
    );
    // go on a list object → its first instance, still an object.
    let lan = data(tc.call(Op::Go, "DEV2_ADT_LAN", ROOT_STACK, json!({})).await);
    assert_eq!(lan["IPAddress"], "192.168.1.1");
    let wan5 = data(
        tc.call(Op::Go, "DEV2_ADT_WAN", "5,0,0,0,0,0", json!({}))
            .await,
    );
    assert_eq!(wan5["name"], "pppoe_gpon_3_3");
    // C6U's selection (empty attributes) still gets the whole instance.
    let mem = data(
        tc.call(
            Op::Go,
            "DEV2_MEM_STATUS",
            ROOT_STACK,
            json!({"total": "", "free": ""}),
        )
        .await,
    );
    assert_eq!(
        (mem["total"].as_str(), mem["free"].as_str()),
        (Some("262144"), Some("131072"))
    );

    // gl → an array, every element with its stack; the whole answer, byte for byte.
    let wan = tc
        .plain(Op::Gl, "DEV2_ADT_WAN", ROOT_STACK, json!({}))
        .await;
    insta::assert_snapshot!("gl_dev2_adt_wan", wan);
    let Answer::Data(Value::Array(list)) = parse_answer(&wan).unwrap() else {
        panic!("not an array")
    };
    assert_eq!(list.len(), 6);
    assert!(list.iter().all(|e| e["stack"].is_string()));
    // gl of an object → a one-element array; gs as gl.
    let stats = data(
        tc.call(Op::Gl, "DEV2_GPON_INTF_STATS", ROOT_STACK, json!({}))
            .await,
    );
    assert_eq!(stats.as_array().map(Vec::len), Some(1));
    let hosts = data(
        tc.call(Op::Gs, "DEV2_HOST_ENTRY", ROOT_STACK, json!({}))
            .await,
    );
    assert_eq!(hosts.as_array().map(Vec::len), Some(3));

    // Unknown OID.
    let plain = tc
        .plain(Op::Gl, "DEV2_NOT_THERE", ROOT_STACK, json!({}))
        .await;
    assert_eq!(plain, r#"{"success":false,"errorcode":71011}"#);

    // so, then read back.
    let set = tc
        .call(
            Op::So,
            "DEV2_ADT_WIFI_COMMON",
            "2,0,0,0,0,0",
            json!({"primaryEnable": "0"}),
        )
        .await;
    assert_eq!(data(set), json!({"stack": "2,0,0,0,0,0"}));
    let wifi = data(
        tc.call(Op::Gl, "DEV2_ADT_WIFI_COMMON", ROOT_STACK, json!({}))
            .await,
    );
    assert_eq!(
        (
            wifi[0]["primaryEnable"].as_str(),
            wifi[1]["primaryEnable"].as_str()
        ),
        (Some("1"), Some("0"))
    );
    assert_eq!(
        emu.fixture("DEV2_ADT_WIFI_COMMON").unwrap()[1]["primaryEnable"],
        "0"
    );
    let missing = tc
        .call(
            Op::So,
            "DEV2_ADT_WIFI_COMMON",
            "9,0,0,0,0,0",
            json!({"primaryEnable": "0"}),
        )
        .await;
    assert_eq!(missing, Answer::Refused(71011));

    // ao, duplicate, do.
    assert!(emu.set_fixture("DEV2_DHCPV4_POOL_STATICADDR", &json!([])));
    let entry = json!({"enable": "1", "chaddr": "BF:75:44:00:00:09", "yiaddr": "192.168.1.9"});
    let added = tc
        .call_under(
            Op::Ao,
            "DEV2_DHCPV4_POOL_STATICADDR",
            "1,0,0,0,0,0",
            entry.clone(),
        )
        .await;
    assert_eq!(data(added), json!({"stack": "1,1,0,0,0,0"}));
    let again = tc
        .call_under(Op::Ao, "DEV2_DHCPV4_POOL_STATICADDR", "1,0,0,0,0,0", entry)
        .await;
    assert_eq!(again, Answer::Refused(5024));
    let second = tc
        .call_under(
            Op::Ao,
            "DEV2_DHCPV4_POOL_STATICADDR",
            "1,0,0,0,0,0",
            json!({"enable": "1", "chaddr": "BF:75:44:00:00:0A", "yiaddr": "192.168.1.10"}),
        )
        .await;
    assert_eq!(data(second), json!({"stack": "1,2,0,0,0,0"}));
    let deleted = tc
        .call(
            Op::Do,
            "DEV2_DHCPV4_POOL_STATICADDR",
            "1,1,0,0,0,0",
            json!({}),
        )
        .await;
    assert_eq!(data(deleted), json!({"stack": "1,1,0,0,0,0"}));
    let left = data(
        tc.call(Op::Gl, "DEV2_DHCPV4_POOL_STATICADDR", ROOT_STACK, json!({}))
            .await,
    );
    assert_eq!(left.as_array().map(Vec::len), Some(1));
    assert_eq!(left[0]["chaddr"], "BF:75:44:00:00:0A");
    let gone = tc
        .call(
            Op::Do,
            "DEV2_DHCPV4_POOL_STATICADDR",
            "1,1,0,0,0,0",
            json!({}),
        )
        .await;
    assert_eq!(gone, Answer::Refused(71011));

    // A payload that is not a command.
    let (status, body) = tc.raw("not json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tc.open(&body), r#"{"success":false,"errorcode":71234}"#);

    // Logout: 200, empty body, session gone.
    let (status, body) = tc.raw(&logout_payload()).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    assert_eq!(emu.active_sessions(), 0);
    let (status, body) = tc
        .raw(&command_payload(
            Op::Go,
            "DEV2_DEV_INFO",
            ROOT_STACK,
            ROOT_STACK,
            &Map::new(),
        ))
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::FORBIDDEN, ""));
    // GET / is the login page again.
    assert!(extract_token(&tc.page().await).is_none());
}

#[tokio::test]
async fn reboot_succeeds_and_ends_the_session() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.session().await;
    let plain = tc
        .plain(Op::Op, "ACT_WIFI_UPDATE_ASSOC", ROOT_STACK, json!({}))
        .await;
    assert_eq!(
        plain,
        r#"{"data":{},"operation":"op","oid":"ACT_WIFI_UPDATE_ASSOC","success":true}"#
    );
    assert_eq!(emu.active_sessions(), 1);
    let plain = tc.plain(Op::Op, "ACT_REBOOT", ROOT_STACK, json!({})).await;
    assert_eq!(
        plain,
        r#"{"data":{},"operation":"op","oid":"ACT_REBOOT","success":true}"#
    );
    assert_eq!(emu.active_sessions(), 0);
    let (status, _) = tc.raw(&logout_payload()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------------------------------------
// Byte-exact replays of the contract's vectors (C6U's own requests)

#[tokio::test]
async fn c6u_cbc_requests_replayed_byte_for_byte() {
    let v = vectors();
    let emu = emulator(EmulatorConfig::default()).await;
    let tc = Tc::new(&emu, Variant::Cbc);
    let login = &v["c6u_json_login"];
    // C6U posts the login to exactly /cgi_gdpr?9.
    let resp = tc
        .post("/cgi_gdpr?9", vs(login, "body").to_owned())
        .send()
        .await
        .unwrap();
    assert!(resp.headers().contains_key(SET_COOKIE));
    assert_eq!(resp.text().await.unwrap(), vs(login, "response_b64"));
    let token = extract_token(&tc.page().await).unwrap();
    // The contract's go DEV2_DEV_INFO (same key and IV): the answer, byte for byte.
    let go = &v["json_go_dev_info"];
    let body = format!(
        "sign={}\r\ndata={}\r\n",
        vs(go, "sign_hex"),
        vs(go, "data_b64")
    );
    let answer = tc
        .post("/cgi_gdpr?9?_=1718000000001", body)
        .header("TokenID", &token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(answer, vs(go, "response_b64"));
    // C6U's get_firmware (attributes selected) gets the whole instance.
    let answer = tc
        .post(
            "/cgi_gdpr?9?_=1718000000002",
            vs(&v["c6u_go_firmware"], "body").to_owned(),
        )
        .header("TokenID", &token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(answer, vs(go, "response_b64"));

    // A wrong password with C6U's key and IV: its vector answer.
    let key = SessionKey::from_ascii(
        Variant::Cbc,
        vs(&v, "aes_key_ascii"),
        vs(&v, "aes_iv_ascii"),
    )
    .unwrap();
    let env = seal_request(
        &key,
        &emu.public_key(),
        &credential_hash(USER, "wrong"),
        emu.seq(),
        &login_payload(USER, "wrong"),
        true,
    )
    .unwrap();
    let answer = tc
        .post("/cgi_gdpr?9", env.to_body())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(answer, vs(login, "response_b64_wrong_password"));
}

async fn gcm_replay(concat: bool) {
    let v = vectors();
    let emu = emulator(EmulatorConfig {
        variant: Variant::Gcm,
        gcm_concat: concat,
        ..Default::default()
    })
    .await;
    let mut tc = Tc::new(&emu, Variant::Gcm);
    // The GCM classes send the Referer without the trailing slash.
    tc.referer = tc.base.clone();
    let login = &v["c6u_gcm_login"];
    let answer = tc
        .post("/cgi_gdpr?9", vs(login, "body").to_owned())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    if !concat {
        assert_eq!(answer, vs(login, "response_ct_b64_plus_tag_b64"));
    }
    let key = SessionKey::from_ascii(
        Variant::Gcm,
        vs(login, "aes_key_ascii"),
        vs(login, "nonce_ascii"),
    )
    .unwrap();
    assert_eq!(key.open_answer(&answer).unwrap(), b"$.ret=0;");
    tc.token = Some(extract_token(&tc.page().await).unwrap());
    let go = &v["gcm_go_dev_info"];
    let data = vs(go, "data_b64");
    let sign = emu
        .public_key()
        .sign(format!("h={}&s={}", vs(&v, "h_md5"), emu.seq() + data.len() as u64).as_bytes());
    let body = format!(
        "sign={sign}\r\ndata={data}\r\ntag={}\r\n",
        vs(go, "tag_b64")
    );
    let answer = tc
        .post("/cgi_gdpr?9", body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let expected = if concat {
        "response_b64_of_ct_concat_tag_variant"
    } else {
        "response_ct_b64_plus_tag_b64"
    };
    assert_eq!(answer, vs(go, expected));
}

#[tokio::test]
async fn c6u_gcm_requests_replayed_byte_for_byte() {
    gcm_replay(false).await;
}

#[tokio::test]
async fn gcm_concat_framing_replayed_byte_for_byte() {
    gcm_replay(true).await;
}

#[tokio::test]
async fn gcm_login_and_command_in_both_framings() {
    for concat in [false, true] {
        let emu = emulator(EmulatorConfig {
            variant: Variant::Gcm,
            gcm_concat: concat,
            ..Default::default()
        })
        .await;
        let mut tc = Tc::new(&emu, Variant::Gcm);
        tc.fetch_key().await;
        let resp = tc.login_raw(USER, PASSWORD).await;
        let body = resp.text().await.unwrap();
        // "$.ret=0;" is 8 bytes: b64(ct) + b64(tag) = 12 + 24; b64(ct ‖ tag) = 32.
        assert_eq!(body.len(), if concat { 32 } else { 36 }, "{body}");
        assert_eq!(tc.open(&body), "$.ret=0;");
        tc.fetch_token().await;
        let info = data(
            tc.call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({}))
                .await,
        );
        assert_eq!(info["modelName"], "XX230v");
        // A GCM command without its tag line does not open.
        let mut env = Envelope::parse(&tc.envelope(&logout_payload(), false)).unwrap();
        env.tag = None;
        let r = tc.post("/cgi_gdpr?9", env.to_body()).send().await.unwrap();
        assert_eq!(r.text().await.unwrap(), "$.ret=71234;");
        let (status, body) = tc.raw(&logout_payload()).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    }
}

// ---------------------------------------------------------------------------------------------
// Failed logins and the lock-out

#[tokio::test]
async fn wrong_password_is_encrypted_71233_and_counted() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.fetch_key().await;
    let resp = tc.login_raw(USER, "wrong").await;
    assert!(!resp.headers().contains_key(SET_COOKIE));
    let body = resp.text().await.unwrap();
    assert!(!body.contains("$.ret"));
    assert_eq!(tc.open(&body), "$.ret=71233;");
    assert_eq!(emu.login_failures(), 1);
    // admin is not an account here.
    assert_eq!(tc.login("admin", PASSWORD).await, 71233);
    assert_eq!(emu.login_failures(), 2);
    assert!(tc.page().await.contains("var authTimes=2;"));
    // Right credentials but a wrong h or s: 71234, not counted.
    tc.key = SessionKey::generate(Variant::Cbc);
    tc.hash = credential_hash(USER, "nope");
    let body = tc.envelope(&login_payload(USER, PASSWORD), true);
    let answer = tc
        .post("/cgi_gdpr?9", body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(tc.open(&answer), "$.ret=71234;");
    tc.hash = credential_hash(USER, PASSWORD);
    tc.seq += 1;
    let body = tc.envelope(&login_payload(USER, PASSWORD), true);
    let answer = tc
        .post("/cgi_gdpr?9", body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(tc.open(&answer), "$.ret=71234;");
    tc.seq -= 1;
    assert_eq!(emu.login_failures(), 2);
    // A success resets the count.
    assert_eq!(tc.login(USER, PASSWORD).await, 0);
    assert_eq!(emu.login_failures(), 0);
}

#[tokio::test]
async fn five_failures_lock_logins_until_the_forbid_time_passes() {
    let emu = emulator(EmulatorConfig {
        forbid_time: Duration::from_millis(800),
        ..Default::default()
    })
    .await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.fetch_key().await;
    for n in 1..=5 {
        assert_eq!(tc.login(USER, "wrong").await, 71233);
        assert_eq!(emu.login_failures(), n);
    }
    assert!(emu.locked_out());
    // Even the right password is refused, without being checked or counted.
    assert_eq!(tc.login(USER, PASSWORD).await, 71233);
    assert_eq!((emu.login_failures(), emu.active_sessions()), (5, 0));
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(!emu.locked_out());
    assert_eq!(tc.login(USER, PASSWORD).await, 0);
    assert_eq!((emu.login_failures(), emu.logins()), (0, 1));
}

#[tokio::test]
async fn malformed_signs_answer_clear_71234_and_are_not_counted() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.fetch_key().await;
    let rsa = tc.rsa.clone().unwrap();
    let data = SessionKey::generate(Variant::Cbc)
        .seal(login_payload(USER, "wrong").as_bytes())
        .unwrap()
        .data;
    let bodies = [
        // Not an envelope.
        "hello".to_owned(),
        // Not hex / not whole blocks.
        format!("sign=abcd\r\ndata={data}\r\n"),
        format!("sign={}\r\ndata={data}\r\n", "zz".repeat(64)),
        // A 5-block sign (an OAEP probe's shape) that opens to bytes that are not text.
        format!("sign={}\r\ndata={data}\r\n", "ab".repeat(320)),
        // A GCM probe: base64 key and nonce are not 16 + 16 ASCII characters.
        format!(
            "sign={}\r\ndata={data}\r\ntag=AAAAAAAAAAAAAAAAAAAAAA==\r\n",
            rsa.sign(b"key=MTcxODAwMDAwMDAwMDEyMw==&iv=MTcxODAwMDAwMDAw&h=x&s=1")
        ),
        // key= without iv.
        format!(
            "sign={}\r\ndata={data}\r\n",
            rsa.sign(b"key=1718000000000123&h=x&s=1")
        ),
    ];
    for body in bodies {
        let r = tc.post("/cgi_gdpr?9", body.clone()).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.text().await.unwrap(), "$.ret=71234;", "{body}");
    }
    // Usable key, data that does not decrypt with it: encrypted 71234, not counted.
    let key = SessionKey::generate(Variant::Cbc);
    let sign = rsa.sign(format!("{}&h=x&s=1", key.login_sign_prefix()).as_bytes());
    let answer = tc
        .post("/cgi_gdpr?9", format!("sign={sign}\r\ndata={data}\r\n"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(key.open_answer(&answer).unwrap(), b"$.ret=71234;");
    assert_eq!(emu.login_failures(), 0);
}

#[tokio::test]
async fn a_gcm_router_refuses_a_cbc_login_in_clear_text() {
    let emu = emulator(EmulatorConfig {
        variant: Variant::Gcm,
        ..Default::default()
    })
    .await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.fetch_key().await;
    let body = tc.login_raw(USER, PASSWORD).await.text().await.unwrap();
    assert_eq!(body, "$.ret=71234;");
    assert_eq!((emu.login_failures(), emu.active_sessions()), (0, 0));
}

// ---------------------------------------------------------------------------------------------
// One session

#[tokio::test]
async fn a_second_login_evicts_the_first() {
    let emu = emulator(EmulatorConfig::default()).await;
    let busy = |tc: &Tc| {
        let r = tc.post("/cgi/getBusy", String::new());
        async move { r.send().await.unwrap().text().await.unwrap() }
    };
    let mut first = Tc::new(&emu, Variant::Cbc);
    assert_eq!(
        busy(&first).await,
        "var isLogined=0;\nvar isBusy=0;\n$.ret=0;"
    );
    first.session().await;
    assert_eq!(
        busy(&first).await,
        "var isLogined=1;\nvar isBusy=0;\n$.ret=0;"
    );
    data(
        first
            .call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({}))
            .await,
    );

    let mut second = Tc::new(&emu, Variant::Cbc);
    second.session().await;
    assert_ne!(first.token, second.token);
    assert_eq!((emu.active_sessions(), emu.logins()), (1, 2));
    let (status, body) = first.raw(&logout_payload()).await;
    assert_eq!((status, body.as_str()), (StatusCode::FORBIDDEN, ""));
    data(
        second
            .call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({}))
            .await,
    );

    emu.evict();
    assert_eq!(emu.active_sessions(), 0);
    assert_eq!(
        busy(&second).await,
        "var isLogined=0;\nvar isBusy=0;\n$.ret=0;"
    );
    let (status, _) = second.raw(&logout_payload()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_stale_token_is_ignored_except_on_commands() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut first = Tc::new(&emu, Variant::Cbc);
    first.session().await;
    // A second client that carries the first one's token everywhere, as C6U does.
    let mut second = Tc::new(&emu, Variant::Cbc);
    second.token = first.token.clone();
    second.fetch_key().await;
    assert_eq!(second.login(USER, PASSWORD).await, 0);
    let page = second
        .http
        .get(format!("{}/", second.base))
        .header("TokenID", first.token.as_deref().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let fresh = extract_token(&page).unwrap();
    assert_ne!(Some(&fresh), first.token.as_ref());
    // On a command the stale token is refused, the fresh one accepted.
    let (status, _) = second.raw(&logout_payload()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    second.token = Some(fresh);
    data(
        second
            .call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({}))
            .await,
    );
    // No token at all.
    second.token = None;
    let (status, _) = second.raw(&logout_payload()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn tokens_and_signs_can_be_left_unchecked() {
    let emu = emulator(EmulatorConfig {
        require_token: false,
        check_s: false,
        ..Default::default()
    })
    .await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.fetch_key().await;
    tc.seq += 7;
    assert_eq!(tc.login(USER, PASSWORD).await, 0);
    data(
        tc.call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({}))
            .await,
    );
}

#[tokio::test]
async fn a_command_with_a_wrong_s_or_h_is_refused_in_clear_text() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.session().await;
    tc.seq += 1;
    let (status, body) = tc.raw(&logout_payload()).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "$.ret=71234;"));
    tc.seq -= 1;
    tc.hash = credential_hash(USER, "other");
    let (_, body) = tc.raw(&logout_payload()).await;
    assert_eq!(body, "$.ret=71234;");
    assert_eq!(emu.active_sessions(), 1);
}

#[tokio::test]
async fn idle_sessions_time_out() {
    let emu = emulator(EmulatorConfig {
        session_idle_timeout: Duration::from_millis(400),
        ..Default::default()
    })
    .await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.session().await;
    // Activity keeps it alive.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        data(
            tc.call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({}))
                .await,
        );
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (status, _) = tc.raw(&logout_payload()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(emu.active_sessions(), 0);
}

// ---------------------------------------------------------------------------------------------
// Transport rules

#[tokio::test]
async fn referer_rules() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    for path in ["/cgi/getGDPRParm", "/cgi/getBusy", "/cgi_gdpr?9"] {
        let r = tc
            .http
            .post(format!("{}{path}", tc.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(r.text().await.unwrap(), "");
        let r = tc
            .http
            .post(format!("{}{path}", tc.base))
            .header(REFERER, "http://192.168.1.1/")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // Without the trailing slash: accepted.
    tc.referer = tc.base.clone();
    tc.session().await;
    data(
        tc.call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({}))
            .await,
    );

    let lax = emulator(EmulatorConfig {
        require_referer: false,
        ..Default::default()
    })
    .await;
    let r = reqwest::Client::new()
        .post(format!("{}cgi/getGDPRParm", lax.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn gzip_is_accepted_and_never_used() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.session().await;
    let body = tc.envelope(
        &command_payload(Op::Gl, "DEV2_ADT_WAN", ROOT_STACK, ROOT_STACK, &Map::new()),
        false,
    );
    let r = tc
        .post("/cgi_gdpr?9", body)
        .header(ACCEPT_ENCODING, "gzip, deflate, br, zstd")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!r.headers().contains_key(CONTENT_ENCODING));
    let plain = tc.open(&r.text().await.unwrap());
    assert!(plain.contains("pppoe_gpon_3_3"));
}

#[tokio::test]
async fn concurrent_keep_alive_connections_are_served() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut a = Tc::new(&emu, Variant::Cbc);
    let b = Tc::new(&emu, Variant::Cbc);
    a.session().await;
    // Both clients keep their pooled connection open; interleaved requests still answer.
    for _ in 0..3 {
        let (x, y) = tokio::join!(
            a.call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({})),
            b.post("/cgi/getBusy", String::new()).send()
        );
        data(x);
        assert_eq!(y.unwrap().status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn a_seeded_1024_bit_key_with_an_unquoted_seq() {
    let config = || EmulatorConfig {
        rsa_key: RsaKey::Generated {
            bits: 1024,
            seed: 42,
        },
        seq_quoted: false,
        ..Default::default()
    };
    let emu = emulator(config()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    let body = tc.fetch_key().await;
    assert!(body.contains("\nvar seq=876543210;\n"));
    let rsa = tc.rsa.clone().unwrap();
    assert_eq!((rsa.block_len(), rsa.e_hex().as_str()), (128, "010001"));
    assert_eq!(emulator(config()).await.public_key(), rsa);
    assert_eq!(tc.login(USER, PASSWORD).await, 0);
    tc.fetch_token().await;
    data(
        tc.call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({}))
            .await,
    );
}

#[tokio::test]
async fn custom_accounts_and_fixtures() {
    let mut fixtures = Fixtures::empty();
    fixtures.insert(
        "DEV2_DEV_INFO",
        &json!({"modelName": "EX511", "stack": ROOT_STACK}),
    );
    let emu = emulator(EmulatorConfig {
        accounts: vec![Account::new("admin", "secret", Role::Admin)],
        fixtures,
        seed: Some(9),
        ..Default::default()
    })
    .await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    assert!(tc.page().await.contains(r#"var adminType="admin";"#));
    tc.fetch_key().await;
    assert_eq!(tc.login(USER, PASSWORD).await, 71233);
    assert_eq!(tc.login("admin", "secret").await, 0);
    tc.fetch_token().await;
    let info = data(
        tc.call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({}))
            .await,
    );
    assert_eq!(info, json!({"modelName": "EX511", "stack": ROOT_STACK}));
    assert_eq!(
        tc.call(Op::Gl, "DEV2_ADT_WAN", ROOT_STACK, json!({})).await,
        Answer::Refused(71011)
    );
    assert!(emu.remove_fixture("DEV2_DEV_INFO"));
    assert!(!emu.set_fixture("X", &json!("not an object")));
    assert_eq!(emu.fixture("DEV2_DEV_INFO"), None);
}

// ---------------------------------------------------------------------------------------------
// Faults

#[tokio::test]
async fn status_faults_then_recovery() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.session().await;
    let go = command_payload(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, ROOT_STACK, &Map::new());
    emu.set_fault(Fault::Http500, 2);
    emu.set_fault(Fault::Http406, 1);
    for expected in [500, 500, 406, 200] {
        let (status, body) = tc.raw(&go).await;
        assert_eq!(status.as_u16(), expected);
        if expected != 200 {
            assert_eq!(body, "");
        }
    }
    // A fault on another path leaves /cgi_gdpr alone.
    emu.set_fault_at(Fault::Http500, 1, "/cgi/getGDPRParm");
    let (status, _) = tc.raw(&go).await;
    assert_eq!(status, StatusCode::OK);
    let r = tc
        .post("/cgi/getGDPRParm", String::new())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    emu.set_fault(Fault::Http500, 5);
    emu.clear_faults();
    assert_eq!(tc.raw(&go).await.0, StatusCode::OK);
}

#[tokio::test]
async fn drop_connection_fault() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.session().await;
    emu.set_fault(Fault::DropConnection, 1);
    let body = tc.envelope(&logout_payload(), false);
    let outcome = match tc.post("/cgi_gdpr?9", body).send().await {
        Ok(r) => r.text().await.map(|_| ()),
        Err(e) => Err(e),
    };
    assert!(outcome.is_err());
    // Not processed: the session is still there.
    assert_eq!(emu.active_sessions(), 1);
    data(
        tc.call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({}))
            .await,
    );
}

#[tokio::test]
async fn hang_after_headers_fault() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::with_timeout(&emu, Variant::Cbc, Duration::from_millis(800));
    tc.fetch_key().await;
    // WAN-GO's login hang: Set-Cookie arrives, the body never does.
    emu.set_fault(Fault::HangAfterHeaders, 1);
    let started = Instant::now();
    let resp = tc.login_raw(USER, PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().contains_key(SET_COOKIE));
    let err = resp.text().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() >= Duration::from_millis(700));
    // The login was processed: the cookie works once the token is read.
    assert_eq!(emu.active_sessions(), 1);
    tc.fetch_token().await;
    data(
        tc.call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({}))
            .await,
    );
}

#[tokio::test]
async fn empty_body_fault() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.session().await;
    emu.set_fault(Fault::EmptyBody, 1);
    let payload = command_payload(
        Op::So,
        "DEV2_ADT_WIFI_COMMON",
        "1,0,0,0,0,0",
        ROOT_STACK,
        json!({"guestEnable": "1"}).as_object().unwrap(),
    );
    let (status, body) = tc.raw(&payload).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    // Processed nonetheless.
    assert_eq!(
        emu.fixture("DEV2_ADT_WIFI_COMMON").unwrap()[0]["guestEnable"],
        "1"
    );
}

#[tokio::test]
async fn garbage_utf8_in_hostname_fault() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.session().await;
    emu.set_fault(Fault::GarbageUtf8InHostname, 1);
    // Answers without hosts do not use it up.
    data(
        tc.call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({}))
            .await,
    );
    let payload = command_payload(
        Op::Gl,
        "DEV2_HOST_ENTRY",
        ROOT_STACK,
        ROOT_STACK,
        &Map::new(),
    );
    let (_, body) = tc.raw(&payload).await;
    let bytes = tc.open_bytes(&body);
    assert!(String::from_utf8(bytes.clone()).is_err());
    let lossy = String::from_utf8_lossy(&bytes);
    let hosts = data(parse_answer(&lossy).unwrap());
    assert_eq!(hosts[0]["hostName"], "\u{FFFD}\u{FFFD}desktop");
    assert_eq!(hosts[1]["hostName"], "phone");
    // Once only.
    let (_, body) = tc.raw(&payload).await;
    assert!(String::from_utf8(tc.open_bytes(&body)).is_ok());
}

#[tokio::test]
async fn evict_session_fault() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.session().await;
    emu.set_fault(Fault::EvictSession, 1);
    let (status, _) = tc.raw(&logout_payload()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(emu.active_sessions(), 0);
    // Logging in again works (and is not evicted).
    tc.session().await;
    data(
        tc.call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({}))
            .await,
    );
}

#[tokio::test]
async fn slow_fault_and_latency() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.session().await;
    emu.set_fault(Fault::Slow(Duration::from_millis(400)), 1);
    let started = Instant::now();
    data(
        tc.call(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, json!({}))
            .await,
    );
    assert!(started.elapsed() >= Duration::from_millis(400));

    let slow = emulator(EmulatorConfig {
        latency: Duration::from_millis(150),
        ..Default::default()
    })
    .await;
    let started = Instant::now();
    Tc::new(&slow, Variant::Cbc).fetch_key().await;
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn reject_gzip_fault() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.session().await;
    let go = command_payload(Op::Go, "DEV2_DEV_INFO", ROOT_STACK, ROOT_STACK, &Map::new());
    emu.set_fault(Fault::RejectGzip, 1);
    let r = tc
        .post("/cgi_gdpr?9", tc.envelope(&go, false))
        .header(ACCEPT_ENCODING, "gzip, deflate")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_ACCEPTABLE);
    // Without the header (the native client's way) the router answers.
    emu.set_fault(Fault::RejectGzip, 1);
    let (status, _) = tc.raw(&go).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn rotate_seq_fault() {
    let emu = emulator(EmulatorConfig::default()).await;
    let mut tc = Tc::new(&emu, Variant::Cbc);
    tc.fetch_key().await;
    assert_eq!(tc.seq, 876_543_210);
    emu.set_fault(Fault::RotateSeq, 1);
    tc.fetch_key().await;
    assert_ne!(tc.seq, 876_543_210);
    let rotated = tc.seq;
    tc.fetch_key().await;
    assert_eq!(tc.seq, rotated);
    assert_eq!(tc.login(USER, PASSWORD).await, 0);
}
