// The emulator's own web UI script (PROTOCOL §9.6). Written for this project; no TP-Link code.
// It speaks the real wire protocol from the page — key fetch, RSA-signed and AES-encrypted
// envelopes, the token — and exposes `$.dm.{get,getList,set,add,del,op}` as the router's page
// does, so that a browser client can be tested against the emulator exactly as against a router.
(function () {
  "use strict";

  // ---- MD5 (RFC 1321), over UTF-8 bytes; answers lowercase hex --------------------------
  function md5hex(text) {
    var bytes = new TextEncoder().encode(text);
    var s = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
      5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
      4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
      6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21];
    var K = new Array(64);
    for (var i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) >>> 0;
    var len = bytes.length;
    var padded = new Uint8Array(((len + 8) >> 6) * 64 + 64);
    padded.set(bytes);
    padded[len] = 0x80;
    var bits = len * 8;
    for (var j = 0; j < 8; j++) padded[padded.length - 8 + j] = Math.floor(bits / Math.pow(2, 8 * j)) & 0xff;
    var a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;
    for (var off = 0; off < padded.length; off += 64) {
      var M = new Array(16);
      for (var w = 0; w < 16; w++) {
        var p = off + w * 4;
        M[w] = (padded[p] | (padded[p + 1] << 8) | (padded[p + 2] << 16) | (padded[p + 3] << 24)) >>> 0;
      }
      var A = a0, B = b0, C = c0, D = d0;
      for (var k = 0; k < 64; k++) {
        var F, g;
        if (k < 16) { F = (B & C) | (~B & D); g = k; }
        else if (k < 32) { F = (D & B) | (~D & C); g = (5 * k + 1) % 16; }
        else if (k < 48) { F = B ^ C ^ D; g = (3 * k + 5) % 16; }
        else { F = C ^ (B | ~D); g = (7 * k) % 16; }
        F = (F + A + K[k] + M[g]) >>> 0;
        A = D; D = C; C = B;
        B = (B + ((F << s[k]) | (F >>> (32 - s[k])))) >>> 0;
      }
      a0 = (a0 + A) >>> 0; b0 = (b0 + B) >>> 0; c0 = (c0 + C) >>> 0; d0 = (d0 + D) >>> 0;
    }
    var out = "";
    [a0, b0, c0, d0].forEach(function (v) {
      for (var b = 0; b < 4; b++) out += ("0" + ((v >>> (8 * b)) & 0xff).toString(16)).slice(-2);
    });
    return out;
  }

  // ---- bytes, base64 ---------------------------------------------------------------------
  function b64(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  }
  function unb64(text) {
    var s = atob(text);
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  var enc = new TextEncoder(), dec = new TextDecoder();

  // ---- textbook RSA over zero-filled blocks ----------------------------------------------
  function modpow(base, exp, mod) {
    var r = 1n;
    base %= mod;
    while (exp > 0n) {
      if (exp & 1n) r = (r * base) % mod;
      base = (base * base) % mod;
      exp >>= 1n;
    }
    return r;
  }
  function rsaSign(text, nHex, eHex) {
    var n = BigInt("0x" + nHex), e = BigInt("0x" + eHex);
    var k = nHex.length / 2;
    var bytes = enc.encode(text);
    var out = "";
    for (var off = 0; off < bytes.length; off += k) {
      var block = new Uint8Array(k);
      block.set(bytes.subarray(off, off + k));
      var hex = "";
      for (var i = 0; i < k; i++) hex += ("0" + block[i].toString(16)).slice(-2);
      var c = modpow(BigInt("0x" + hex), e, n).toString(16);
      while (c.length < 2 * k) c = "0" + c;
      out += c;
    }
    return out;
  }

  // ---- AES (WebCrypto: the emulator is served from loopback, a secure context) -----------
  function digits(n) {
    var s = String(Date.now());
    while (s.length < n) s += String(Math.floor(Math.random() * 10));
    return s.slice(0, n);
  }
  async function aesKey(sess) {
    return crypto.subtle.importKey("raw", enc.encode(sess.key), { name: sess.mode === "gcm" ? "AES-GCM" : "AES-CBC" }, false, ["encrypt", "decrypt"]);
  }
  async function seal(sess, text) {
    var key = await aesKey(sess);
    var iv = enc.encode(sess.iv);
    if (sess.mode === "gcm") {
      var ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, key, enc.encode(text)));
      return { data: b64(ct.subarray(0, ct.length - 16)), tag: b64(ct.subarray(ct.length - 16)) };
    }
    return { data: b64(new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv: iv }, key, enc.encode(text)))) };
  }
  async function open(sess, body) {
    body = body.trim();
    var key = await aesKey(sess);
    var iv = enc.encode(sess.iv);
    if (sess.mode === "gcm") {
      var ct = unb64(body.slice(0, body.length - 24)), tag = unb64(body.slice(body.length - 24));
      var all = new Uint8Array(ct.length + tag.length);
      all.set(ct); all.set(tag, ct.length);
      return dec.decode(await crypto.subtle.decrypt({ name: "AES-GCM", iv: iv }, key, all));
    }
    return dec.decode(await crypto.subtle.decrypt({ name: "AES-CBC", iv: iv }, key, unb64(body)));
  }

  // ---- the envelope ----------------------------------------------------------------------
  async function envelope(sess, payload, login) {
    var sealed = await seal(sess, payload);
    var s = sess.seq + sealed.data.length;
    var text = login
      ? (sess.mode === "gcm"
          ? "key=" + btoa(sess.key) + "&iv=" + btoa(sess.iv)
          : "key=" + sess.key + "&iv=" + sess.iv) + "&h=" + sess.hash + "&s=" + s
      : "h=" + sess.hash + "&s=" + s;
    var body = "sign=" + rsaSign(text, sess.nn, sess.ee) + "\r\ndata=" + sealed.data + "\r\n";
    if (sealed.tag) body += "tag=" + sealed.tag + "\r\n";
    return body;
  }
  function vars(text) {
    var out = {};
    text.split(";").forEach(function (stmt) {
      var m = /^\s*var\s+(\w+)\s*=\s*"?([^"]*)"?\s*$/.exec(stmt);
      if (m) out[m[1]] = m[2];
    });
    var r = /\$\.ret=(\d+)/.exec(text);
    if (r) out.ret = Number(r[1]);
    return out;
  }
  async function post(path, body, headers) {
    var r = await fetch(path, { method: "POST", body: body, headers: headers || {}, credentials: "same-origin" });
    return { status: r.status, text: await r.text() };
  }

  // ---- login (the login page) ------------------------------------------------------------
  async function login(password, mode) {
    var user = window.adminType || "user";
    var key = vars((await post("/cgi/getGDPRParm", "")).text);
    var sess = {
      mode: mode, key: digits(16), iv: digits(mode === "gcm" ? 12 : 16),
      nn: key.nn, ee: key.ee, seq: Number(key.seq), hash: md5hex(user + password)
    };
    var payload = JSON.stringify({
      data: { UserName: btoa(user), Passwd: btoa(password), Action: "1", stack: "0,0,0,0,0,0", pstack: "0,0,0,0,0,0" },
      operation: "cgi", oid: "/cgi/login"
    });
    var r = await post("/cgi_gdpr?9", await envelope(sess, payload, true), { "Content-Type": "text/plain" });
    var text = r.text.indexOf("$.ret=") >= 0 ? r.text : await open(sess, r.text).catch(function () { return ""; });
    return { ret: vars(text).ret, sess: sess, clear: r.text.indexOf("$.ret=") >= 0 };
  }
  async function onLogin() {
    var pw = document.getElementById("pc-login-password").value;
    var tips = document.querySelector(".content.error-tips-content");
    if (tips) tips.style.display = "none";
    var busy = vars((await post("/cgi/getBusy", "")).text);
    var confirm = document.getElementById("confirm-yes");
    if (busy.isLogined === "1" && confirm && !confirm.dataset.confirmed) {
      confirm.style.display = "inline-block";
      confirm.onclick = function () { confirm.dataset.confirmed = "1"; onLogin(); };
      return;
    }
    var res = await login(pw, "cbc");
    if (res.clear && res.ret === 71234) res = await login(pw, "gcm");
    if (res.ret === 0) {
      sessionStorage.setItem("emu-session", JSON.stringify(res.sess));
      location.reload();
    } else if (tips) {
      tips.style.display = "block";
    }
  }

  // ---- $.dm (the main page) --------------------------------------------------------------
  var ops = { get: "go", getList: "gl", set: "so", add: "ao", del: "do", op: "op" };
  function call(method, args) {
    var cb = (args && args.callback) || {};
    (async function () {
      var sess = JSON.parse(sessionStorage.getItem("emu-session") || "null");
      if (!sess) throw new Error("not logged in");
      var data = Object.assign({}, args.data || {});
      data.stack = args.stack || data.stack || "0,0,0,0,0,0";
      data.pstack = args.pstack || data.pstack || "0,0,0,0,0,0";
      var req = { data: data, operation: ops[method], oid: args.oid };
      if (["so", "ao", "do", "op"].indexOf(ops[method]) >= 0) req.isuseractive = true;
      var r = await post("/cgi_gdpr?9", await envelope(sess, JSON.stringify(req), false),
        { "Content-Type": "text/plain", "TokenID": window.token || "" });
      if (r.status !== 200) throw new Error("HTTP " + r.status);
      if (!r.text.trim()) { if (cb.success) cb.success(null); return; }
      var answer = JSON.parse((await open(sess, r.text)).replace(/[\r\n\t]/g, ""));
      if (answer.success === false) { if (cb.fail) cb.fail(answer.errorcode); return; }
      if (cb.success) cb.success(answer.data);
    })().catch(function (e) { if (cb.error) cb.error(String(e && e.message || e)); });
  }
  var dm = {};
  Object.keys(ops).forEach(function (m) { dm[m] = function (args) { call(m, args); }; });
  var $ = function (sel) { return document.querySelector(sel); };
  $.dm = dm;
  window.$ = $;

  document.addEventListener("DOMContentLoaded", function () {
    var btn = document.getElementById("pc-login-btn");
    if (btn) btn.addEventListener("click", function (e) { e.preventDefault(); onLogin(); });
  });
})();
