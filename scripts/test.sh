#!/usr/bin/env bash
# Runs every test of the solution after setting the machine up; ends with "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
log="$(mktemp)"
dotnet test Tessera.slnx -c Release --nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
read -r passed failed < <(awk '/(Passed|Failed)! +- +Failed:/ {
    for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1) } }
  END { printf "%d %d\n", p, f }' "$log")
rm -f "$log"
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
echo "$passed passed, $failed failed"
exit $status
