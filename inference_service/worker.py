"""The gunicorn worker class of the service: gevent for connections, real threads for the model.

Slow clients are the reason. With gthread, every connection being read holds
one of a few threads, so a handful of clients sending a byte a second froze
the service, health checks included. Here every connection is a greenlet on
the worker's event loop: a slow client costs a little memory, not a thread.

Only sockets (and what waits on them: select, ssl, dns, time.sleep...) are
made cooperative. `threading` is left alone on purpose, so the model loads on
a real thread, decode/colorize/encode run on real threads (`offload.py`), and
the locks around the model (InferenceGate, Colorizer, any batching built on
threading primitives) are ordinary OS locks shared by those threads.
"""

from __future__ import annotations

from typing import Any

from gevent import monkey, socket
from gunicorn.workers.base_async import AsyncWorker
from gunicorn.workers.ggevent import GeventWorker

# Seconds a client may stay silent while its request is read or its answer
# written; post_fork in gunicorn.conf.py sets it from COLORIZER_CLIENT_TIMEOUT.
DEFAULT_CLIENT_TIMEOUT_S = 30.0


class ColorizerGeventWorker(GeventWorker):
    """gunicorn's gevent worker with real OS threads and a per-connection inactivity timeout."""

    client_timeout_s: float = DEFAULT_CLIENT_TIMEOUT_S

    def patch(self) -> None:
        # thread/queue/Event stay real: see the module docstring. So do os (fork,
        # waitpid) and subprocess: the model's loader may run a subprocess from its
        # real thread, where gevent's versions fail ("child watchers are only
        # available on the default loop").
        monkey.patch_all(thread=False, queue=False, Event=False, os=False, subprocess=False)
        # As GeventWorker.patch does: the listening sockets become gevent sockets.
        self.sockets: list[socket.socket] = [
            socket.socket(listener.FAMILY, socket.SOCK_STREAM, fileno=listener.sock.detach())
            for listener in self.sockets
        ]

    def handle(self, listener: Any, client: socket.socket, addr: Any) -> None:
        client.setblocking(1)
        # A client that sends or reads nothing for this long is dropped; one that
        # trickles bytes only keeps a greenlet (and its buffered upload) alive.
        client.settimeout(self.client_timeout_s)
        AsyncWorker.handle(self, listener, client, addr)
