#!/bin/sh
# A trial of service mode under a real systemd on a machine whose PID 1 is not systemd (a CI sandbox): a
# systemd --user manager in a private mount namespace (it refuses to start without /run/systemd/system,
# given here on a private tmpfs), then
#   1. a stand-in for a wired hotwatch (the real notifier and helper) under the generated unit: READY=1 and
#      STATUS= accepted with NotifyAccess=all, pings, the pings stopped on deafness → watchdog → restart;
#   2. the same with NotifyAccess=main: the helper's READY=1 is refused (start timeout);
#   3. the real `hotwatch run` under the generated unit (Type=simple until run sends READY=1): it builds,
#      serves, and `systemctl stop` stops it gracefully (KillMode=mixed).
# Needs root, `npm run build`, cgroup v1's name=systemd hierarchy (the manager moves every process into its
# init.scope there; the script moves them back and removes it). Usage: sh scripts/systemd-user-trial.sh
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/hotwatch-systemd-trial.XXXXXX)
mkdir -p "$T/rt" "$T/cfg/systemd/user" && chmod 700 "$T/rt"
cleanup() {
  [ -n "${SD:-}" ] && kill "$SD" 2>/dev/null && sleep 1
  if [ -d /sys/fs/cgroup/systemd/init.scope ]; then
    for p in $(cat /sys/fs/cgroup/systemd/init.scope/cgroup.procs); do echo "$p" > /sys/fs/cgroup/systemd/cgroup.procs 2>/dev/null || true; done
    rmdir /sys/fs/cgroup/systemd/init.scope 2>/dev/null || true
  fi
  rm -rf "$T"
}
trap cleanup EXIT
cat > "$T/sd.sh" <<EOS
mount -t tmpfs tmpfs /run/systemd && mkdir -p /run/systemd/system
exec env XDG_RUNTIME_DIR=$T/rt XDG_CONFIG_HOME=$T/cfg /lib/systemd/systemd --user
EOS
setsid unshare -m --propagation private sh "$T/sd.sh" >"$T/sd.log" 2>&1 &
SD=$! # setsid, unshare and sh each exec the next: this pid becomes the manager
sleep 1
[ "$(cat /proc/$SD/comm)" = systemd ] || { echo "systemd --user did not start: $(cat "$T/sd.log")"; exit 1; }
S="nsenter -m -t $SD env XDG_RUNTIME_DIR=$T/rt systemctl --user"
for i in 1 2 3 4 5 6 7 8 9 10; do $S is-system-running >/dev/null 2>&1 && break || sleep 0.5; done

cat > "$T/standin.mjs" <<EOS
import fs from 'node:fs';
import { createNotifier } from '$REPO/dist/service/notify.js';
const n = createNotifier({ healthy: () => (fs.existsSync('$T/deaf') ? { ok: false, why: 'deaf' } : { ok: true }) });
await n.ready('serving (stand-in)');
process.on('SIGTERM', async () => { await n.stopping(); await n.close(); process.exit(0); });
setInterval(() => {}, 1 << 30);
EOS
mkdir -p "$T/app" && cp "$REPO/examples/hello/"* "$T/app/"
node "$REPO/bin/hotwatch.js" systemd-unit --user --root "$T/app" > "$T/generated.service"
sed -e "s#^ExecStart=.*#ExecStart=$(command -v node) $T/standin.mjs#" -e 's/^WatchdogSec=.*/WatchdogSec=4/' -e 's/^RestartSec=.*/RestartSec=1/' "$T/generated.service" > "$T/cfg/systemd/user/standin.service"
sed -e 's/^NotifyAccess=all/NotifyAccess=main/' -e 's/^TimeoutStartSec=.*/TimeoutStartSec=5/' "$T/cfg/systemd/user/standin.service" > "$T/cfg/systemd/user/standin-main.service"
cp "$T/generated.service" "$T/cfg/systemd/user/hotwatch-app.service"
mkdir -p "$T/cfg/systemd/user/hotwatch-app.service.d"
printf '[Service]\nType=simple\nWatchdogSec=0\nEnvironment=ADDR=127.0.0.1:18437\n' > "$T/cfg/systemd/user/hotwatch-app.service.d/trial.conf"
$S daemon-reload

echo "== 1. NotifyAccess=all: READY, STATUS, pings; deafness → watchdog → restart"
$S start standin.service
$S show standin.service -p ActiveState -p StatusText -p NRestarts
touch "$T/deaf"; sleep 7; rm -f "$T/deaf"
$S show standin.service -p NRestarts -p ActiveState
$S stop standin.service
echo "== 2. NotifyAccess=main: the helper's READY=1 is refused"
$S start standin-main.service || true
$S show standin-main.service -p Result
$S stop standin-main.service || true
echo "== 3. the real hotwatch run under the generated unit"
$S start hotwatch-app.service
for i in $(seq 1 60); do curl -s --max-time 1 http://127.0.0.1:18437/ && break; sleep 0.5; done
$S stop hotwatch-app.service
$S show hotwatch-app.service -p Result -p ExecMainStatus
