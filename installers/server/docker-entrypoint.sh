#!/bin/sh
# No arguments: migrate to head, then serve (exec, so signals reach uvicorn directly).
# With arguments: run that rentguy-server subcommand instead, e.g.
#   docker compose run --rm server create-admin --email a@example.com --password '...'
set -eu
if [ "$#" -eq 0 ]; then
    rentguy-server migrate
    exec rentguy-server serve --host 0.0.0.0 --port 8765
fi
exec rentguy-server "$@"
