#!/usr/bin/env bash
# Fails on a high or critical advisory in the dependencies that ship (not dev dependencies).
# Some registries (mirrors, proxies) do not serve npm's advisory endpoint: that is reported as
# "not checked", never as a pass.
set -uo pipefail
out=$(npm audit --omit=dev --audit-level=high --json 2>/dev/null)
rc=$?
if [ $rc -eq 0 ]; then
  echo "npm audit: no high or critical advisory in production dependencies"
  exit 0
fi
if printf '%s' "$out" | grep -q '"vulnerabilities"'; then
  printf '%s\n' "$out"
  echo "npm audit: high or critical advisories in production dependencies (above)" >&2
  exit 1
fi
echo "npm audit: NOT CHECKED, the registry's advisory endpoint did not answer:" >&2
printf '%s\n' "$out" | head -3 >&2
# Where the check must run (the GitHub workflow sets this), not checking is a failure.
[ "${AUDIT_REQUIRED:-}" = "1" ] && exit 1
exit 0
