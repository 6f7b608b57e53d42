#!/bin/bash
# Multicast flood: a subscriber that does not read overflows (ENOBUFS, surfaced as an
# overrun) while another gets all 2000 notifications and the writer never fails; the slow
# one resyncs by dumping; STATS counts the drops.
. "$(dirname "$0")/lib.sh"
load_module
"$VMTEST" flood || fail "flood"
