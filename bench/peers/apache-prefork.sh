#!/usr/bin/env bash
# Apache 2.4 prefork, no separation with mod_php: see apache.sh
exec "$(dirname "$0")/apache.sh" apache-prefork "$@"
