#!/bin/sh
# Answers start, starts a child that records its pid in $1, then never answers a case.
read -r _start
echo '{"type":"started","protocol_version":1,"implementation":{"name":"hang_port","language":"sh","version":"0"}}'
sleep 1000 &
echo $! > "$1"
read -r _run
sleep 1000
