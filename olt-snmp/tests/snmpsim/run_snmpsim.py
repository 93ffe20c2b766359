"""Start snmpsim's command responder without its privilege drop.

snmpsim refuses to run as root unless told a user to drop to, and after dropping to `nobody`
it cannot import the rest of the standard library from an interpreter installed under a
private home directory. The tests run it as the invoking user, on 127.0.0.1 only, so the drop
is skipped. Arguments are passed to `snmpsim-command-responder` unchanged.
"""
import contextlib
import sys

import snmpsim.daemon as daemon

daemon.PrivilegesOf = lambda *args, **kwargs: contextlib.nullcontext()

from snmpsim.commands.responder import main  # noqa: E402

sys.argv[0] = "snmpsim-command-responder"
sys.exit(main())
