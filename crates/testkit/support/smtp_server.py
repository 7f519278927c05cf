#!/usr/bin/env python3
"""A real SMTP server for the SMTP delivery tests, started by testkit::smtp::SmtpServer.

Usage: smtp_server.py PORT CERT_PEM KEY_PEM USERNAME PASSWORD OUT_DIR

Listens on 127.0.0.1:PORT, requires STARTTLS (with the given certificate) before
anything else, requires AUTH (PLAIN or LOGIN) with USERNAME/PASSWORD, and writes every
accepted message to OUT_DIR/<n>.json as
{"mail_from", "rcpt_tos", "tls", "authenticated_as", "raw", "text"}
where `raw` is the message as received and `text` its decoded text/plain body.
Prints READY once it accepts connections; runs until killed.

Needs aiosmtpd: `python3 -m pip install aiosmtpd`.
"""

import email
import email.policy
import json
import os
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    port, cert, key, username, password, out_dir = sys.argv[1:7]
    port = int(port)
    os.makedirs(out_dir, exist_ok=True)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    counter = {"n": 0}
    lock = threading.Lock()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            mechanism in ("PLAIN", "LOGIN")
            and isinstance(auth_data, LoginPassword)
            and auth_data.login == username.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            raw = envelope.original_content or envelope.content
            if isinstance(raw, str):
                raw = raw.encode()
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            body = msg.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            login = None
            if session.auth_data is not None and isinstance(session.auth_data, LoginPassword):
                login = session.auth_data.login.decode()
            record = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "tls": session.ssl is not None,
                "authenticated_as": login if session.authenticated else None,
                "raw": raw.decode("utf-8", errors="replace"),
                "text": text,
            }
            with lock:
                counter["n"] += 1
                n = counter["n"]
            path = os.path.join(out_dir, f"{n:06}.json")
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                json.dump(record, f)
            os.replace(path + ".tmp", path)
            return "250 Message accepted for delivery"

    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        tls_context=tls,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticator,
    )
    controller.start()
    print("READY", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
