#!/usr/bin/env python3
"""Traffic peers for the ctaudit lab (driven by scripts/lab.sh).

  lab_peer.py server [--tcp-port 8080] [--udp-port 5353] [--pidfile PATH]
      TCP listener (accept, read a line, reply a line, close) and UDP echo,
      IPv4 and IPv6 (separate sockets, IPV6_V6ONLY). Runs until SIGTERM/SIGINT.

  lab_peer.py client --pod NAME --server4 A --server6 B [options]
      Opens COUNT connections for each of tcp/ipv4, tcp/ipv6, udp/ipv4, udp/ipv6,
      all at once (one selector loop), bound to source ports BASE..BASE+COUNT-1
      (SO_REUSEADDR) or, with --no-bind, to whatever the kernel picks.
      Prints exactly one line per connection on stdout:
        conn pod=P proto=tcp|udp family=ipv4|ipv6 src=ADDR sport=N dst=ADDR dport=N result=ok|timeout|error
      src/sport are the pod's own address/port (getsockname). Everything else goes to stderr.
      With --ready-file/--release-file the sockets stay open after the lines are
      printed and the ready file is written, until the release file appears
      (or --hold-max seconds pass): that keeps the pod's conntrack entries alive.

Python 3 standard library only.
"""

import argparse
import errno
import ipaddress
import os
import resource
import selectors
import signal
import socket
import sys
import time

COMBOS = (("tcp", "ipv4"), ("tcp", "ipv6"), ("udp", "ipv4"), ("udp", "ipv6"))
FAMILIES = {"ipv4": socket.AF_INET, "ipv6": socket.AF_INET6}


def log(msg):
    print(f"lab_peer[{os.getpid()}]: {msg}", file=sys.stderr, flush=True)


def norm_addr(addr):
    """RFC 5952 text form for IPv6, dotted quad for IPv4 (strips any %scope)."""
    return str(ipaddress.ip_address(addr.split("%", 1)[0]))


# --------------------------------------------------------------------------- server

class _Stop(Exception):
    pass


def run_server(args):
    try:
        os.setsid()  # detach from the caller's session/process group (lab.sh runs us in the background)
    except OSError:
        pass
    sel = selectors.DefaultSelector()
    listeners = []
    for fam, wildcard in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        t = socket.socket(fam, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        t.bind((wildcard, args.tcp_port))
        t.listen(1024)
        t.setblocking(False)
        sel.register(t, selectors.EVENT_READ, ("listen", None))
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        u.bind((wildcard, args.udp_port))
        u.setblocking(False)
        sel.register(u, selectors.EVENT_READ, ("udp", None))
        listeners += [t, u]

    def stop(_signum, _frame):
        raise _Stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if args.pidfile:
        tmp = args.pidfile + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{os.getpid()}\n")
        os.replace(tmp, args.pidfile)
    log(f"server listening tcp/{args.tcp_port} udp/{args.udp_port} (ipv4+ipv6)")

    conns = {}  # sock -> [buf, deadline, peer]
    try:
        while True:
            now = time.monotonic()
            for s, st in list(conns.items()):
                if now > st[1]:
                    sel.unregister(s)
                    s.close()
                    del conns[s]
            for key, _ in sel.select(timeout=1.0):
                s = key.fileobj
                kind = key.data[0]
                if kind == "listen":
                    try:
                        c, peer = s.accept()
                    except (BlockingIOError, InterruptedError):
                        continue
                    c.setblocking(False)
                    conns[c] = [b"", time.monotonic() + args.conn_timeout, peer]
                    sel.register(c, selectors.EVENT_READ, ("conn", None))
                elif kind == "udp":
                    while True:
                        try:
                            data, peer = s.recvfrom(65535)
                        except (BlockingIOError, InterruptedError):
                            break
                        try:
                            s.sendto(data, peer)
                        except OSError as e:
                            log(f"udp sendto {peer}: {e}")
                        if args.verbose:
                            log(f"udp {norm_addr(peer[0])}:{peer[1]} {len(data)}B")
                else:
                    st = conns[s]
                    try:
                        data = s.recv(4096)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        data = b""
                    st[0] += data
                    if data and b"\n" not in st[0] and len(st[0]) < 4096:
                        continue
                    peer = st[2]
                    if data or st[0]:
                        reply = f"ok peer={norm_addr(peer[0])} port={peer[1]}\n".encode()
                        try:
                            s.send(reply)
                        except OSError as e:
                            log(f"tcp send {peer}: {e}")
                    if args.verbose:
                        log(f"tcp {norm_addr(peer[0])}:{peer[1]}")
                    sel.unregister(s)
                    s.close()
                    del conns[s]
    except _Stop:
        log("server stopping")
    finally:
        for s in list(conns) + listeners:
            s.close()
        if args.pidfile:
            try:
                with open(args.pidfile) as f:
                    if f.read().strip() == str(os.getpid()):
                        os.unlink(args.pidfile)
            except OSError:
                pass
    return 0


# --------------------------------------------------------------------------- client

class Conn:
    __slots__ = ("proto", "family", "sport_req", "dst", "dport", "sock", "src", "sport",
                 "result", "buf", "deadline", "next_send", "payload", "detail")

    def __init__(self, proto, family, sport_req, dst, dport):
        self.proto, self.family, self.sport_req = proto, family, sport_req
        self.dst, self.dport = dst, dport
        self.sock = None
        self.src, self.sport = "-", sport_req if sport_req is not None else 0
        self.result = None
        self.buf = b""
        self.deadline = 0.0
        self.next_send = 0.0
        self.payload = b""
        self.detail = ""

    def line(self, pod):
        return (f"conn pod={pod} proto={self.proto} family={self.family} src={self.src} "
                f"sport={self.sport} dst={self.dst} dport={self.dport} result={self.result}")


def run_client(args):
    servers = {"ipv4": norm_addr(args.server4), "ipv6": norm_addr(args.server6)}
    ports = {"tcp": args.tcp_port, "udp": args.udp_port}
    conns = []
    for proto, family in COMBOS:
        for i in range(args.count):
            sport = args.base_port + i if args.bind else None
            conns.append(Conn(proto, family, sport, servers[family], ports[proto]))

    sel = selectors.DefaultSelector()
    start = time.monotonic()

    def receive(c, size):
        """What c's socket has; None when nothing yet, or when it failed
        (e.g. ECONNREFUSED from an ICMP port unreachable): c is finished."""
        try:
            return c.sock.recv(size)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError as e:
            finish(c, "error", f"recv: {e}")
            return None

    def finish(c, result, detail=""):
        c.result = result
        c.detail = detail
        if c.sock is not None:
            try:
                sel.unregister(c.sock)
            except (KeyError, ValueError):
                pass
            if not args.hold:
                c.sock.close()
                c.sock = None

    for c in conns:
        fam = FAMILIES[c.family]
        stype = socket.SOCK_STREAM if c.proto == "tcp" else socket.SOCK_DGRAM
        c.deadline = time.monotonic() + args.timeout
        c.payload = f"hello pod={args.pod} {c.proto}/{c.family}\n".encode()
        try:
            s = socket.socket(fam, stype)
            c.sock = s
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if c.sport_req is not None:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0" if fam == socket.AF_INET else "::", c.sport_req))
            s.setblocking(False)
            if c.proto == "tcp":
                rc = s.connect_ex((c.dst, c.dport))
                if rc not in (0, errno.EINPROGRESS):
                    raise OSError(rc, os.strerror(rc))
                sel.register(s, selectors.EVENT_WRITE, c)
            else:
                s.connect((c.dst, c.dport))
                s.send(c.payload)
                c.next_send = time.monotonic() + args.resend
                sel.register(s, selectors.EVENT_READ, c)
            local = s.getsockname()
            c.src, c.sport = norm_addr(local[0]), local[1]
        except OSError as e:
            if c.sock is not None:
                try:
                    local = c.sock.getsockname()
                    if local[1]:
                        c.src, c.sport = norm_addr(local[0]), local[1]
                except OSError:
                    pass
            finish(c, "error", f"setup: {e}")

    pending = [c for c in conns if c.result is None]
    while pending:
        now = time.monotonic()
        for c in pending:
            if now >= c.deadline:
                finish(c, "timeout")
            elif c.proto == "udp" and now >= c.next_send:
                try:
                    c.sock.send(c.payload)  # re-send; same conntrack entry
                except OSError:
                    pass
                c.next_send = now + args.resend
        pending = [c for c in pending if c.result is None]
        if not pending:
            break
        wake = min(min(c.deadline for c in pending),
                   min((c.next_send for c in pending if c.proto == "udp"), default=float("inf")))
        for key, _ in sel.select(timeout=max(0.0, wake - time.monotonic())):
            c = key.data
            s = c.sock
            if c.result is not None:
                continue
            if c.proto == "tcp" and key.events & selectors.EVENT_WRITE:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    finish(c, "error", f"connect: {os.strerror(err)}")
                    continue
                try:
                    s.send(c.payload)
                except OSError as e:
                    finish(c, "error", f"send: {e}")
                    continue
                sel.modify(s, selectors.EVENT_READ, c)
            elif c.proto == "tcp":
                data = receive(c, 4096)
                if data is None:
                    continue
                c.buf += data
                if b"\n" in c.buf:
                    finish(c, "ok", c.buf.split(b"\n", 1)[0].decode(errors="replace"))
                elif not data:
                    finish(c, "error", "closed without reply")
            else:
                data = receive(c, 65535)
                if data is None:
                    continue
                if data == c.payload:
                    finish(c, "ok", "echo")

    out = sys.stdout
    for c in conns:
        out.write(c.line(args.pod) + "\n")
    out.flush()
    elapsed = time.monotonic() - start
    counts = {}
    for c in conns:
        counts[c.result] = counts.get(c.result, 0) + 1
        if c.result == "error":
            log(f"{args.pod} {c.proto}/{c.family} sport={c.sport}: error: {c.detail}")
    log(f"{args.pod}: {len(conns)} connections in {elapsed:.2f}s: "
        + " ".join(f"{k}={v}" for k, v in sorted(counts.items())))

    if args.hold:
        if args.ready_file:
            tmp = args.ready_file + ".tmp"
            with open(tmp, "w") as f:
                f.write("ready\n")
            os.replace(tmp, args.ready_file)
        until = time.monotonic() + args.hold_max
        while time.monotonic() < until:
            if args.release_file and os.path.exists(args.release_file):
                break
            time.sleep(0.02)
        else:
            log(f"{args.pod}: released after --hold-max {args.hold_max}s")
        for c in conns:
            if c.sock is not None:
                c.sock.close()
    return 1 if counts.get("error") else 0


def raise_nofile():
    """Many sockets at once (--count 1000 = 4000 sockets): lift the soft fd limit."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 65536 if hard == resource.RLIM_INFINITY else hard
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    except (ValueError, OSError):
        pass


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    ps = sub.add_parser("server")
    ps.add_argument("--tcp-port", type=int, default=8080)
    ps.add_argument("--udp-port", type=int, default=5353)
    ps.add_argument("--pidfile")
    ps.add_argument("--conn-timeout", type=float, default=10.0,
                    help="close a TCP connection that sent no line after this many seconds")
    ps.add_argument("--verbose", action="store_true")

    pc = sub.add_parser("client")
    pc.add_argument("--pod", required=True)
    pc.add_argument("--server4", required=True)
    pc.add_argument("--server6", required=True)
    pc.add_argument("--tcp-port", type=int, default=8080)
    pc.add_argument("--udp-port", type=int, default=5353)
    pc.add_argument("--count", type=int, default=8, help="connections per proto/family")
    pc.add_argument("--base-port", type=int, default=40000)
    pc.add_argument("--no-bind", dest="bind", action="store_false",
                    help="let the kernel pick the source port (ip_local_port_range)")
    pc.add_argument("--timeout", type=float, default=3.0)
    pc.add_argument("--resend", type=float, default=1.0, help="UDP re-send interval")
    pc.add_argument("--hold", action="store_true", help="keep sockets open until released")
    pc.add_argument("--ready-file")
    pc.add_argument("--release-file")
    pc.add_argument("--hold-max", type=float, default=120.0)

    args = p.parse_args(argv)
    raise_nofile()
    if args.cmd == "server":
        return run_server(args)
    if args.ready_file or args.release_file:
        args.hold = True
    if args.count < 0 or (args.bind and args.base_port + args.count - 1 > 65535):
        p.error("source ports out of range")
    return run_client(args)


if __name__ == "__main__":
    sys.exit(main())
