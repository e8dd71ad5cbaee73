#!/bin/sh
# Answers start, then never reads stdin again: a large "run" message fills the pipe and blocks the writer.
read -r _start
echo '{"type":"started","protocol_version":1,"implementation":{"name":"deaf_port","language":"sh","version":"0"}}'
exec sleep 1000
