#!/usr/bin/env bash
# Part of the inet test harness (tests/src/servers.rs runs it): gopher.sh with pygopherd, the Gopher+
# server. Same usage and state directory layout as gopher.sh.
GOPHER_SERVER=pygopherd exec bash "$(dirname "${BASH_SOURCE[0]}")/gopher.sh" "$@"
