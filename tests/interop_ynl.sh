#!/bin/bash
# Interop: the kernel's own YNL library (tools/net/ynl from the 6.12 source), driven only
# by spec/nlfam.yaml and validated against YNL's netlink-raw schema, does an ECHO, a SET,
# a GET, a dump, an exclusive SET refused with EEXIST (value unchanged), STATS with its
# subscriber nest decoded and a
# subscription that receives the change notifications in order. One Python process for
# all of it (tests/interop/ynl_nlfam.py): under TCG every Python start costs tens of
# seconds, and one YNL CLI process per operation made this the slowest test.
. "$(dirname "$0")/lib.sh"
ynl=$(ls -d "${NLFAM_CACHE:-$HOME/.cache/nlfam}"/src/linux-source-*/tools/net/ynl 2>/dev/null | head -n1)
[ -n "$ynl" ] || fail "kernel source with tools/net/ynl not found (scripts/build-kernel extracts it)"
python3 -c 'import yaml, jsonschema' 2>/dev/null || fail "PyYAML/jsonschema not installed (scripts/setup installs them)"
spec=$NLFAM_ROOT/spec/nlfam.yaml
schema=$(dirname "$(dirname "$ynl")")/../Documentation/netlink/netlink-raw.yaml
load_module
python3 "$(dirname "$0")/interop/ynl_nlfam.py" "$ynl" "$spec" "$schema" "$NLFAM" || fail "YNL client"
expect_eq "value after the refused EXCL set, read by nlfam" "hi" "$("$NLFAM" get ynl)"
