//! The emulator's own tiny web UI (PROTOCOL §9.6): the DOM ids and classes the browser client
//! relies on, nothing of the firmware's pages, and `emu-ui.js`, our own script that speaks the
//! real wire protocol from the page and exposes `$.dm` as the router's page does.

const HEAD: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Gateway (emulator)</title>
<link rel="stylesheet" href="/css/emu.css">
<script type="text/javascript" src="/js/emu-ui.js"></script>
</head>
"#;

/// The login page: password field, button, the hidden error tip and the hidden force-login
/// confirmation, then the page variables (never a token).
pub(crate) fn login_page(auth_times: u32, admin_type: &str) -> String {
    format!(
        r#"{HEAD}<body>
<div id="login-panel">
<form onsubmit="return false;">
<input id="pc-login-password" type="password" autocomplete="current-password">
<button id="pc-login-btn" type="button">Log In</button>
</form>
<div class="content error-tips-content" style="display:none">The password is incorrect.</div>
<button id="confirm-yes" type="button" style="display:none">Log in anyway</button>
</div>
<script type="text/javascript">var authTimes={auth_times};var adminType="{admin_type}";</script>
</body>
</html>
"#
    )
}

/// The main page of a logged-in session: the reboot link, and the token script on a line of
/// its own (C6U reads it with a greedy `var token="(.*)";`).
pub(crate) fn main_page(token: &str) -> String {
    format!(
        r#"{HEAD}<body>
<div id="main-panel">
<a id="topReboot" href="javascript:void(0)">Reboot</a>
</div>
<script type="text/javascript">var token="{token}";</script>
</body>
</html>
"#
    )
}

/// `/js/emu-ui.js`: the login form's handler (key fetch, busy check with the force-login
/// confirmation, CBC then GCM login, the error tip) and `$.dm.{get,getList,set,add,del,op}`
/// over the real envelope — MD5, textbook RSA with `BigInt`, AES through WebCrypto (the
/// emulator is served from loopback, a secure context).
pub(crate) const UI_JS: &str = include_str!("emu-ui.js");

/// `/css/emu.css`.
pub(crate) const UI_CSS: &str = "body { font-family: sans-serif; margin: 2em; }\n";
