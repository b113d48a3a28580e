#!/usr/bin/env bash
# The LVS story, live, in network namespaces (contrib/demo.py): two directors in a VRRP pair
# holding the VIP, three real servers and a sorry server behind LVS-DR (prepared by
# vigil-realserver; LVS-NAT on nftables), a client making requests the whole time. IPVS on the host when its kernel has it, else in a User-Mode Linux
# guest, else nftables on the host.
#   bash contrib/demo.sh            the live story
#   bash contrib/demo.sh --check    quick and quiet; exit 0 only if every step went as expected
# Needs root (re-runs itself through sudo when not root and sudo exists). Everything it creates
# is removed on exit, also on Ctrl-C. VIGIL_BUILD_DIR: the build to use (default build/).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo -- bash "$0" "$@"; fi
  echo "demo: needs root (network namespaces): run it as root" >&2
  exit 1
fi
cd "$top"

bash contrib/setup.sh
build=${VIGIL_BUILD_DIR:-"$top/build"}
if [ ! -x "$build/daemon/vigild" ] || [ ! -x "$build/daemon/vigilctl" ]; then
  contrib/build.sh "$build" >/dev/null
fi
export VIGIL_BUILD_DIR=$build

# demo.py removes what it made; this is the net for a demo.py that could not: processes in this
# run's namespaces (their names start with vg$VIGIL_DEMO_TAG), the namespaces, their scratch
# directories, the guest.
export VIGIL_DEMO_TAG="demo$$p"
state=$(mktemp -d)
export VIGIL_DEMO_UML_PID_FILE="$state/uml.pid"  # "PID SCRATCH" of the guest while it runs
child=""
# shellcheck disable=SC2317  # (trap handlers)
cleanup() {
  set +e
  local ns pid
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^vg$VIGIL_DEMO_TAG"); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  if [ -s "$VIGIL_DEMO_UML_PID_FILE" ]; then
    read -r pid scratch <"$VIGIL_DEMO_UML_PID_FILE"
    kill -KILL -- "-$pid" 2>/dev/null
    case $scratch in /tmp/vigil-uml-*) sleep 0.5; rm -rf "$scratch" ;; esac
  fi
  rm -rf "$state" "${TMPDIR:-/tmp}/vg$VIGIL_DEMO_TAG"*
}
# shellcheck disable=SC2317
on_signal() {
  trap '' INT TERM
  if [ -n "$child" ]; then
    kill -TERM "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  exit 130
}
trap cleanup EXIT
trap on_signal INT TERM

# In the background so that a signal reaches the trap at once; demo.py ends on SIGTERM.
python3 -u contrib/demo.py "$@" &
child=$!
rc=0
wait "$child" || rc=$?
child=""
exit "$rc"
