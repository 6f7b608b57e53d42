#!/usr/bin/env python3
"""Drives nlfam with pyroute2 (PyPI), a netlink library nobody here wrote: ECHO, SET, GET,
a dump and a subscription, with a small message class. Exits non-zero on any mismatch."""
import select
import sys

from pyroute2.netlink import (NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_REQUEST,
                              NLMSG_ERROR, nla, nlmsg)
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.nlsocket import NetlinkSocket

FAMILY = int(sys.argv[1]) if len(sys.argv) > 1 else 25
ECHO, KV_SET, KV_GET, KV_DEL, PUBLISH = 0x10, 0x11, 0x12, 0x13, 0x14


class nlfam_msg(nlmsg):
    """nlfam messages: attributes directly after the header, no fixed part."""
    fields = ()
    nla_map = ((0, 'NLFAM_UNSPEC', 'none'),
               (1, 'NLFAM_KEY', 'asciiz'),
               (2, 'NLFAM_VALUE', 'cdata'),
               (3, 'NLFAM_PORTID', 'uint32'),
               (4, 'NLFAM_SEQ', 'uint32'),
               (5, 'NLFAM_GROUP', 'uint32'),
               (6, 'NLFAM_PAYLOAD', 'cdata'))


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}")
        sys.exit(1)
    print(f"# {what}")


def request(sock, ty, flags, attrs):
    m = nlfam_msg()
    m['attrs'] = attrs
    return list(sock.nlm_request(m, msg_type=ty, msg_flags=flags))


sock = NetlinkSocket(family=FAMILY)
sock.bind()
sock.register_policy({t: nlfam_msg for t in (ECHO, KV_SET, KV_GET, KV_DEL, PUBLISH)})

r = request(sock, ECHO, NLM_F_REQUEST | NLM_F_ACK, [('NLFAM_KEY', 'ping')])
echoes = [m for m in r if m['header']['type'] == ECHO]
check(len(echoes) == 1 and echoes[0].get_attr('NLFAM_KEY') == 'ping', "pyroute2 echo round trip")

sub = NetlinkSocket(family=FAMILY)
sub.bind()
sub.register_policy({KV_SET: nlfam_msg, KV_DEL: nlfam_msg})
sub.add_membership(1)

request(sock, KV_SET, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE,
        [('NLFAM_KEY', 'py'), ('NLFAM_VALUE', b'thon')])
r = request(sock, KV_GET, NLM_F_REQUEST | NLM_F_ACK, [('NLFAM_KEY', 'py')])
got = [m.get_attr('NLFAM_VALUE') for m in r if m['header']['type'] == KV_SET]
check(got == [b'thon'], f"pyroute2 set then get: {got}")

for k in ('b', 'a', 'c'):
    request(sock, KV_SET, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE,
            [('NLFAM_KEY', k), ('NLFAM_VALUE', k.encode())])
r = request(sock, KV_GET, NLM_F_REQUEST | NLM_F_DUMP, [])
keys = [m.get_attr('NLFAM_KEY') for m in r if m['header']['type'] == KV_SET]
check(keys == ['a', 'b', 'c', 'py'], f"pyroute2 dump in key order: {keys}")

try:
    request(sock, KV_SET, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | 0x200,
            [('NLFAM_KEY', 'py'), ('NLFAM_VALUE', b'x')])
    check(False, "EXCL on an existing key raised no error")
except NetlinkError as e:
    check(e.code == 17, f"pyroute2 sees EEXIST: {e}")

ready, _, _ = select.select([sub], [], [], 5)
check(ready, "subscriber socket readable")
events = []
while len(events) < 5 and select.select([sub], [], [], 1)[0]:
    events += [m for m in sub.get() if m['header']['type'] == KV_SET]
names = [e.get_attr('NLFAM_KEY') for e in events]
check(names[:4] == ['py', 'b', 'a', 'c'], f"pyroute2 subscriber got the set notifications: {names}")
port = sock.getsockname()[0]
check(events[0].get_attr('NLFAM_PORTID') == port, f"notification carries the writer's port id {port}")
sub.close()
sock.close()
