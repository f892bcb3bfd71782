#!/usr/bin/env bash
# Install (idempotent) and start RingScope's local Neo4j 5.26 + GDS + APOC for CI.
# Needs Java 17 and Maven 3.8 on PATH and the project's venv installed.
# Never prints the password: it lives in WORKSPACE/neo4j/conf/ringscope-password
# (0600) and ringscope-connection.json, which the test fixtures read.
#
#   RINGSCOPE_WORKSPACE  workspace folder (default ./ringscope-workspace)
#   NEO4J_BOLT_PORT      Bolt port (default 7687)
#   NEO4J_PASSWORD       optional fixed password (else one is generated)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .venv/bin/activate ] && [ -z "${VIRTUAL_ENV:-}" ]; then . .venv/bin/activate; fi
export RINGSCOPE_WORKSPACE="${RINGSCOPE_WORKSPACE:-$PWD/ringscope-workspace}"
PORT="${NEO4J_BOLT_PORT:-7687}"

python - "$PORT" <<'PY'
import sys, time
from ringscope.graph.neo4j import server

home = server.default_home(__import__("os").environ["RINGSCOPE_WORKSPACE"])
port = int(sys.argv[1])
try:
    r = server.install(home, port=port)
    print(f"neo4j install: {'already there' if r.already_installed else 'done'} "
          f"({r.jar_count} jars, {r.seconds:.1f} s) in {home}")
    t0 = time.monotonic()
    st = server.start(home, port=port)
    print(f"neo4j start: running pid {st.pid} on {st.uri} ({time.monotonic() - t0:.1f} s)")
except server.Neo4jServerError as exc:
    print(f"neo4j: {exc}", file=sys.stderr)
    sys.exit(1)
PY
