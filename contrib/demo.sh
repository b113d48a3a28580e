#!/usr/bin/env bash
# Live two-node demo in network namespaces: a client and two routers on one bridge, vigild on
# each router sharing the floating address 10.99.0.10 (etc/vrrp-active-backup.conf).
# Kills the master, shows the address moving while the client keeps pinging, restores it.
# Everything it creates is removed on exit. Needs root.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash contrib/setup.sh
[ -x build/daemon/vigild ] || contrib/build.sh "$top/build" >/dev/null
vigild="$top/build/daemon/vigild"
conf="$top/etc/vrrp-active-backup.conf"
vip=10.99.0.10

p="vgdemo$$"
sw="${p}sw" r1="${p}r1" r2="${p}r2" cl="${p}cl"
tmp=$(mktemp -d)
pids=()
cleanup() {
  set +e
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null; done
  for ns in "$cl" "$r1" "$r2" "$sw"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "building the hosts: client, router r1, router r2 on one bridge"
ip netns add "$sw"; ip -n "$sw" link add br0 type bridge; ip -n "$sw" link set br0 up
n=0
for spec in "$r1:10.99.0.1" "$r2:10.99.0.2" "$cl:10.99.0.100"; do
  ns=${spec%%:*} addr=${spec##*:}
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$ns" link add eth0 type veth peer name "port$n" netns "$sw"
  ip -n "$sw" link set "port$n" master br0; ip -n "$sw" link set "port$n" up
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
  n=$((n + 1))
done

started=0
start() {  # start NS CONFIG_ID: the new process group's id in $started (no subshell: cleanup sees it)
  setsid ip netns exec "$1" "$vigild" -n -l -f "$conf" -i "$2" -p "$tmp/$2.pid" \
    --status-socket "$tmp/$2.sock" >"$tmp/$2.log" 2>&1 &
  started=$!
  pids+=("$started")
}
has_vip() { ip -n "$p$1" -o addr show dev eth0 | grep " $vip/" >/dev/null; }
holder() {
  local h=""
  for n in r1 r2; do has_vip "$n" && h="$h $n"; done
  echo "${h:- none}" | sed 's/^ //'
}
wait_holder() {  # wait_holder NAME SECONDS: NAME has the address (and the other not, if alive)
  local i other=r1
  [ "$1" = r1 ] && other=r2
  for ((i = 0; i < $2 * 100; i++)); do
    if has_vip "$1" && { [ "${3:-}" = any ] || ! has_vip "$other"; }; then return 0; fi
    sleep 0.01
  done
  return 1
}

say "starting vigild on r1 (priority 150) and r2 (priority 100)"
start "$r1" node1; pid1=$started
start "$r2" node2; pid2=$started
wait_holder r1 10 || { echo "r1 did not become master"; tail "$tmp"/*.log; exit 1; }
echo "master: $(holder)"
ip -n "$r1" -br addr show dev eth0
ip -n "$r2" -br addr show dev eth0

say "client pings $vip every 0.1 s (bounded: 120 pings)"
ip netns exec "$cl" ping -n -i 0.1 -c 120 -W 1 "$vip" >"$tmp/ping.log" 2>&1 &
ping_pid=$!
pids+=("$ping_pid")
sleep 2

say "kill -9 the master's vigild (r1) and take its link down: r1 is gone"
t0=$(date +%s.%N)
kill -KILL -- "-$pid1"
ip -n "$r1" link set eth0 down
if wait_holder r2 10 any; then
  t1=$(date +%s.%N)
  python3 -c "print(f\"r2 holds $vip after {$t1 - $t0:.2f} s\")"
else
  echo "r2 did not take over"; tail "$tmp"/*.log; exit 1
fi
ip -n "$r2" -br addr show dev eth0

say "r1 comes back: it preempts (higher priority)"
sleep 2
ip -n "$r1" link set eth0 up
start "$r1" node1; pid1=$started
wait_holder r1 15 && echo "master: $(holder)" || { echo "r1 did not preempt"; tail "$tmp"/*.log; }

wait "$ping_pid" || true
say "client's view"
tail -3 "$tmp/ping.log"

say "logs (r2)"
grep -E 'Entering|state' "$tmp/node2.log" | tail -8 || true

say "stopping: SIGTERM releases the address"
kill -TERM -- "-$pid1" "-$pid2" 2>/dev/null || true
sleep 1
echo "holder after stop: $(holder)"
