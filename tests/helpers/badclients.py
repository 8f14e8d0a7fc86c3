#!/usr/bin/env python3
"""Misbehaving clients of an HTTP endpoint on loopback, for a bounded time.

  badclients.py PORT [--idle N] [--half N] [--slow N] [--seconds S]
                [--pause S] [--slow-every S]

Keeps N clients of each kind connected to 127.0.0.1:PORT:
  idle  connects and sends nothing
  half  sends "GET /metr" and stalls
  slow  shrinks its SO_RCVBUF, sends a whole request, never reads
Connects are non-blocking: a server that does not accept stalls none of
the others. A client the server closes is opened again after --pause
seconds (one that could not connect, after 0.1 s); a slow one, which never
reads, is replaced by a new one every --slow-every seconds.
Prints "running" as it starts, "started" once all are connected, then at the end (--seconds, or
SIGTERM) one JSON line: per kind, how many were opened (connected) and how
many the server closed.
"""
import argparse, errno, json, selectors, signal, socket, sys, time

KINDS = ("idle", "half", "slow")
REQUEST = {"idle": b"", "half": b"GET /metr",
           "slow": b"GET /metrics HTTP/1.0\r\nHost: slow\r\n\r\n"}


class Clients:
    def __init__(self, a):
        self.a = a
        self.sel = selectors.DefaultSelector()
        self.opened = {k: 0 for k in KINDS}
        self.closed = {k: 0 for k in KINDS}
        self.errors = {k: 0 for k in KINDS}
        self.last_error = {}
        self.due = []  # (time, kind): clients to open
        self.slow = {}  # connected slow clients: since when
        self.connecting = 0

    def start(self, kind):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if kind == "slow":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        s.setblocking(False)
        err = s.connect_ex(("127.0.0.1", self.a.port))
        if err not in (0, errno.EINPROGRESS):
            self.failed(s, kind, err)
            return
        self.connecting += 1
        self.sel.register(s, selectors.EVENT_WRITE, (kind, "connecting", time.monotonic()))

    def failed(self, s, kind, err):
        self.errors[kind] += 1
        self.last_error[kind] = errno.errorcode.get(err, str(err))
        s.close()
        self.due.append((time.monotonic() + 0.1, kind))

    def connected(self, s, kind):
        self.connecting -= 1
        self.sel.unregister(s)
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self.failed(s, kind, err)
            return
        self.opened[kind] += 1
        try:
            s.send(REQUEST[kind])
        except OSError:
            pass
        if kind == "slow":
            self.slow[s] = time.monotonic()
        else:
            self.sel.register(s, selectors.EVENT_READ, (kind, "open", 0))

    def readable(self, s, kind):
        try:
            gone = not s.recv(4096)  # idle and half get nothing but EOF
        except BlockingIOError:
            return
        except OSError:
            gone = True
        if gone:
            self.closed[kind] += 1
            self.sel.unregister(s)
            s.close()
            self.due.append((time.monotonic() + self.a.pause, kind))

    def step(self):
        now = time.monotonic()
        due, self.due = self.due, []
        for t, k in due:
            if t <= now:
                self.start(k)
            else:
                self.due.append((t, k))
        for key, _ in self.sel.select(timeout=0.02):
            kind, state, since = key.data
            if state == "connecting":
                self.connected(key.fileobj, kind)
            else:
                self.readable(key.fileobj, kind)
        now = time.monotonic()
        for key in list(self.sel.get_map().values()):
            kind, state, since = key.data
            if state == "connecting" and now - since > 3:
                self.connecting -= 1
                self.sel.unregister(key.fileobj)
                self.failed(key.fileobj, kind, errno.ETIMEDOUT)
        for s, t in list(self.slow.items()):
            if now - t >= self.a.slow_every:
                del self.slow[s]
                s.close()
                self.start("slow")

    def report(self):
        return dict(opened=self.opened, closed_by_server=self.closed,
                    connect_errors=self.errors, last_error=self.last_error)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    for k in KINDS:
        ap.add_argument("--" + k, type=int, default=0)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--pause", type=float, default=0.2)
    ap.add_argument("--slow-every", type=float, default=1.0)
    a = ap.parse_args()
    if a.seconds > 120 or sum(getattr(a, k) for k in KINDS) > 200:
        sys.exit("badclients.py: bounded to 120 s and 200 clients")
    print("running", flush=True)
    c = Clients(a)
    for k in KINDS:
        for _ in range(getattr(a, k)):
            c.start(k)
    end = time.monotonic() + a.seconds
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    announced = False
    while time.monotonic() < end and not stop:
        c.step()
        if not announced and not c.due and not c.connecting:
            print("started", flush=True)
            announced = True
    print(json.dumps(c.report()), flush=True)


if __name__ == "__main__":
    main()
