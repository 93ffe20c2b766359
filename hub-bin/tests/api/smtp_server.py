"""A real SMTP server for the hub's invite tests (aiosmtpd).

    python3 smtp_server.py --port P --dir D [--user U --password W] [--tls-cert C --tls-key K]

Listens on 127.0.0.1:P; each message accepted is written to D/mail/<n>.eml (written to a
temporary name, then renamed, so a reader never sees half a message). While the file D/refuse
exists, RCPT is answered 451 (a transient refusal a client must retry). With --user/--password
AUTH (PLAIN, LOGIN) is required, over the plain connection. Prints READY once it accepts
connections, and stops when its standard input closes (the test that started it ended).
With --tls-cert/--tls-key, STARTTLS is offered and required before MAIL (and before AUTH).
"""

import argparse
import itertools
import logging
import os
import ssl
import sys
import threading
import time
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, root):
        self.root = root
        self.mail = os.path.join(root, "mail")
        os.makedirs(self.mail, exist_ok=True)
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if os.path.exists(os.path.join(self.root, "refuse")):
            return "451 4.3.2 Not accepting mail now (test refusal)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        tmp = os.path.join(self.root, f".{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(f"X-Envelope-From: {envelope.mail_from}\r\n".encode())
            f.write(f"X-Envelope-To: {','.join(envelope.rcpt_tos)}\r\n".encode())
            f.write(envelope.original_content)
        os.rename(tmp, os.path.join(self.mail, f"{time.time_ns()}-{n}.eml"))
        return "250 2.0.0 Message accepted"


def main():
    # AUTH over a plain connection is what these tests want; say nothing about it.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    a = p.parse_args()

    kwargs = {}
    tls = {}
    if a.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.tls_cert, a.tls_key)
        tls = dict(tls_context=context, require_starttls=True)
    if a.user is not None:
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == a.user
                and auth_data.password.decode() == a.password
            )
            return AuthResult(success=ok, handled=False)

        kwargs = dict(
            authenticator=authenticator,
            auth_required=True,
            auth_require_tls=bool(tls),
        )
    kwargs.update(tls)
    controller = Controller(
        Handler(a.dir), hostname="127.0.0.1", port=a.port, **kwargs
    )
    controller.start()
    print("READY", flush=True)

    def watch_stdin():
        sys.stdin.read()
        controller.stop()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
