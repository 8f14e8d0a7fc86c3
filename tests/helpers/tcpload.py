#!/usr/bin/env python3
"""Test traffic with an independent view of each socket: its SO_COOKIE and
its TCP_INFO, read straight from the kernel (not through tcpscope).

  tcpload.py server IP PORT [--mode sink|echo] [--seconds S]
      prints "listening PORT", then one JSON line per accepted connection
  tcpload.py client IP PORT [--conns N] [--bytes B] [--parallel K] [--hold S]
      one JSON line per connection: cookie, ports, TCP_INFO fields
  tcpload.py churn IP PORT --conns N   connect+close as fast as it can
"""
import argparse, json, socket, struct, sys, threading, time

SO_COOKIE = 57


def cookie(s):
    return struct.unpack("Q", s.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8))[0]


def tcp_info(s):
    b = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    state, ca_state = b[0], b[1]
    (rto, ato, snd_mss, rcv_mss, unacked, sacked, lost, retrans, fackets,
     _l1, _l2, _l3, _l4, pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh,
     snd_cwnd, advmss, reordering, rcv_rtt, rcv_space,
     total_retrans) = struct.unpack_from("24I", b, 8)
    return dict(state=state, ca_state=ca_state, unacked=unacked, lost=lost,
                rtt_us=rtt, rttvar_us=rttvar, snd_cwnd=snd_cwnd,
                total_retrans=total_retrans)


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve_one(c, mode):
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            if mode == "echo":
                c.sendall(d)
        info = tcp_info(c)
        out(dict(side="server", cookie=cookie(c), port=c.getpeername()[1], **info))
    except OSError as e:
        out(dict(side="server", error=e.errno))
    finally:
        c.close()


def server(a):
    fam = socket.AF_INET6 if ":" in a.ip else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.ip, a.port))
    ls.listen(4096)
    ls.settimeout(0.2)
    print("listening", ls.getsockname()[1], flush=True)
    end = time.time() + a.seconds
    while time.time() < end:
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        c.settimeout(None)
        threading.Thread(target=serve_one, args=(c, a.mode), daemon=True).start()


def client_one(a, results, i):
    fam = socket.AF_INET6 if ":" in a.ip else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    ck = cookie(s)
    try:
        s.settimeout(a.timeout)
        s.connect((a.ip, a.port))
        sport = s.getsockname()[1]
        payload = bytes(range(256)) * (a.bytes // 256 + 1)
        payload = payload[:a.bytes]
        got = b""
        if a.bytes:
            s.sendall(payload)
        if a.hold:
            time.sleep(a.hold)
        info_mid = tcp_info(s)
        s.shutdown(socket.SHUT_WR)
        while True:  # the server's EOF: all we sent was read and acked
            d = s.recv(65536)
            if not d:
                break
            got += d
        info = tcp_info(s)
        r = dict(side="client", cookie=ck, sport=sport, echo_ok=(got == payload),
                 rtt_mid_us=info_mid["rtt_us"], **info)
    except OSError as e:
        r = dict(side="client", cookie=ck, error=e.errno)
    finally:
        s.close()
    results[i] = r


def client(a):
    results = [None] * a.conns
    idx = 0
    while idx < a.conns:
        batch = range(idx, min(a.conns, idx + a.parallel))
        ts = [threading.Thread(target=client_one, args=(a, results, i)) for i in batch]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        idx += a.parallel
    for r in results:
        out(r)


def churn(a):
    fam = socket.AF_INET6 if ":" in a.ip else socket.AF_INET
    ok = 0
    cookies = []
    for _ in range(a.conns):
        s = socket.socket(fam, socket.SOCK_STREAM)
        try:
            if a.cookies:
                cookies.append(cookie(s))
            s.connect((a.ip, a.port))
            ok += 1
        except OSError:
            pass
        s.close()
    out(dict(churn=a.conns, established=ok, cookies=cookies))


p = argparse.ArgumentParser()
p.add_argument("cmd", choices=["server", "client", "churn"])
p.add_argument("ip")
p.add_argument("port", type=int)
p.add_argument("--mode", default="sink", choices=["sink", "echo"])
p.add_argument("--seconds", type=float, default=60)
p.add_argument("--conns", type=int, default=1)
p.add_argument("--bytes", type=int, default=0)
p.add_argument("--parallel", type=int, default=1)
p.add_argument("--hold", type=float, default=0)
p.add_argument("--timeout", type=float, default=30)
p.add_argument("--cookies", action="store_true")
a = p.parse_args()
{"server": server, "client": client, "churn": churn}[a.cmd](a)
