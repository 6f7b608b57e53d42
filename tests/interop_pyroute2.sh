#!/bin/bash
# Interop: pyroute2 from PyPI, with a ten-line message class, does an ECHO, a SET, a GET,
# a dump, gets EEXIST for an exclusive SET and receives change notifications.
. "$(dirname "$0")/lib.sh"
python3 -c 'import pyroute2' 2>/dev/null || skip "pyroute2 not installed (scripts/setup installs it)"
load_module
python3 "$(dirname "$0")/interop/pyroute2_nlfam.py" 25 || fail "pyroute2 client"
