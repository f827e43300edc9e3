import { GUEST_LAUNCH_SCRIPT } from './guestLayout'
import { shellQuote } from './shellQuote'
import { MARKER_PREFIX, SERVICE_EXITED, SERVICE_STARTED } from '../vmm/guestMarkers'

/**
 * Two small scripts the Ubuntu guest's launch unit runs, so the host learns from the serial
 * console when the service starts and how it ends, as it does from the dev guest's init.
 * Their output goes to the journal and the console (the unit's StandardOutput).
 */
export const GUEST_SCRIPT_DIR = '/usr/local/lib/bpvm'
export const GUEST_RUN_SERVICE = `${GUEST_SCRIPT_DIR}/run-service`
export const GUEST_SERVICE_EXITED = `${GUEST_SCRIPT_DIR}/service-exited`
export const GUEST_WAIT_FOR_ROUTE = `${GUEST_SCRIPT_DIR}/wait-for-route`

/** Seconds a guest gives the service after the power button before it ends it (`--grace`). */
export const DEFAULT_GUEST_GRACE_SECONDS = 10

/** How long the unit waits for the NIC's default route before starting the service anyway. */
export const ROUTE_WAIT_SECONDS = 60

/**
 * Waits until the guest has a default IPv4 route, the one way to the chain the service talks
 * to at once. Not network-online.target: with systemd-networkd that also waits for IPv6 router
 * solicitations on a network that has no router (about 12 s under emulation), and cloud-init
 * 22.4 cannot turn those off for a static address.
 */
export function waitForRouteScript(): string {
  return `#!/bin/sh
tries=0
while [ "$tries" -lt ${ROUTE_WAIT_SECONDS * 10} ]; do
  if [ -n "$(ip -4 route show default 2>/dev/null)" ]; then exit 0; fi
  sleep 0.1
  tries=$((tries + 1))
done
echo "bpvm: no default route after ${ROUTE_WAIT_SECONDS} s; starting the service anyway" >&2
exit 0
`
}

/** Prints the started marker with its own pid, which the service then takes over by exec. */
export function runServiceScript(launchScript: string = GUEST_LAUNCH_SCRIPT): string {
  return `#!/bin/sh
echo "${MARKER_PREFIX} ${SERVICE_STARTED} pid=$$"
exec /bin/sh ${shellQuote(launchScript)}
`
}

/**
 * Run by systemd after the service ends (ExecStopPost), with EXIT_CODE (exited, killed, dumped)
 * and EXIT_STATUS (a number, or a signal name). A signal is reported as 128 + its number, as a
 * shell would; nothing is printed when the service never ran.
 */
export function serviceExitedScript(): string {
  return `#!/bin/sh
case "\${EXIT_CODE:-}" in
  exited) status=\${EXIT_STATUS:-0} ;;
  killed | dumped)
    # dash's kill -l maps numbers to names only, so the name is looked up among the numbers.
    number=1
    while [ "$number" -le 64 ] && [ "$(kill -l "$number" 2>/dev/null)" != "\${EXIT_STATUS:-}" ]; do number=$((number + 1)); done
    if [ "$number" -le 64 ]; then status=$((128 + number)); else status=255; fi ;;
  *) exit 0 ;;
esac
case $status in
  '' | *[!0-9]*) status=255 ;;
esac
echo "${MARKER_PREFIX} ${SERVICE_EXITED} status=$status"
`
}
