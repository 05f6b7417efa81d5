#!/usr/bin/env python3
"""Capture raw conntrack event datagrams as hex, one datagram per line.

    ip netns exec NS scripts/bench-events/capture-events.py SECONDS > events.hex

Joins NFNLGRP_CONNTRACK_NEW/UPDATE/DESTROY (groups 1-3) on a NETLINK_NETFILTER
socket in the current namespace and prints every datagram received for
SECONDS. Used to make the byte fixtures in Tests/ConntrackTests/EventDecoderTests.swift
(see the comment there for the commands that generated the events).
"""
import select
import socket
import sys
import time

NETLINK_NETFILTER = 12
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1

def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.bind((0, 0))
    for group in (1, 2, 3):
        sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group)
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([sock], [], [], left)
        if ready:
            print(sock.recv(65536).hex(), flush=True)

if __name__ == "__main__":
    main()
