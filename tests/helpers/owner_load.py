#!/usr/bin/env python3
"""Processes that own sockets, for the owner tests: each says its own pid.

  owner_load.py server IP PORT [--workers W] [--hold S] [--conns N]
      listens, then W worker processes (forked after listen(), sharing the
      listener) accept; each connection: recv a request, reply, wait for the
      client's close (or --hold S), close. Prints "listening PID" and one
      JSON line per connection (worker pid, peer port).
  owner_load.py client IP PORT [--conns N] [--hold S] [--bytes B]
      N connections in turn: send B bytes, read the reply, hold S seconds,
      close. One JSON line per connection (pid, local port).
"""
import argparse, json, os, socket, sys, time


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def worker(ls, a):
    print("worker", os.getpid(), flush=True)
    end = time.time() + a.seconds
    ls.settimeout(0.2)
    while time.time() < end:
        try:
            c, peer = ls.accept()
        except socket.timeout:
            continue
        c.settimeout(a.seconds)
        try:
            c.recv(65536)
            c.sendall(b"ok\n")
            if a.hold:
                time.sleep(a.hold)
            while c.recv(65536):
                pass
        except OSError:
            pass
        out(dict(side="server", pid=os.getpid(), peer_port=peer[1]))
        c.close()


def server(a):
    fam = socket.AF_INET6 if ":" in a.ip else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.ip, a.port))
    ls.listen(4096)
    print("listening", os.getpid(), flush=True)
    kids = []
    for _ in range(a.workers - 1):
        pid = os.fork()
        if pid == 0:
            worker(ls, a)
            os._exit(0)
        kids.append(pid)
    worker(ls, a)
    for k in kids:
        os.waitpid(k, 0)


def client(a):
    fam = socket.AF_INET6 if ":" in a.ip else socket.AF_INET
    for _ in range(a.conns):
        s = socket.create_connection((a.ip, a.port), timeout=10)
        port = s.getsockname()[1]
        s.sendall(b"x" * a.bytes)
        s.recv(100)
        if a.hold:
            time.sleep(a.hold)
        s.close()
        out(dict(side="client", pid=os.getpid(), local_port=port))


p = argparse.ArgumentParser()
p.add_argument("cmd", choices=["server", "client"])
p.add_argument("ip")
p.add_argument("port", type=int)
p.add_argument("--workers", type=int, default=1)
p.add_argument("--conns", type=int, default=1)
p.add_argument("--bytes", type=int, default=100)
p.add_argument("--hold", type=float, default=0)
p.add_argument("--seconds", type=float, default=30)
a = p.parse_args()
server(a) if a.cmd == "server" else client(a)
