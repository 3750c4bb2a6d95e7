#!/usr/bin/env bash
# Apache 2.4 prefork + mpm-itk (AssignUserID per vhost) with mod_php: see apache.sh
exec "$(dirname "$0")/apache.sh" apache-itk "$@"
