#!/usr/bin/env bash
# The crash test (crash_test.sh) with the hub's store on PostgreSQL: SIGKILL under load, restart,
# every answered exchange's evidence in the database, no gap or duplicate, heads consistent, the
# audit export verifies. The server is the test's own, started and stopped by crash_test.sh.
CRASH_STORE=postgresql exec bash "$2/tests/integration/crash_test.sh" "$@"
