//! The emulator's own tiny web UI (PROTOCOL §9.6): the DOM ids and classes the browser client
//! relies on, nothing of the firmware's pages. The in-page data-model script (`$.dm`) is not
//! served yet: `/js/emu-ui.js` is a placeholder.

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

/// `/js/emu-ui.js`: a placeholder that defines nothing.
pub(crate) const UI_JS: &str = "// emu-ui.js: the emulator's page script. The in-page data-model API ($.dm) is not served yet.\n";

/// `/css/emu.css`.
pub(crate) const UI_CSS: &str = "body { font-family: sans-serif; margin: 2em; }\n";
