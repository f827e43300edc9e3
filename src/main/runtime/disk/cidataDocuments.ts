import { dirname } from 'node:path'
import { stringify } from 'yaml'
import {
  DATA_DISK_LABEL,
  GUEST_DATA_DEVICE,
  GUEST_DATA_MOUNT,
  GUEST_SERVICE_MOUNT,
  GUEST_BRIDGE_SOCKET,
  RELAY_META_KEY,
  SERVICE_DISK_LABEL
} from './guestLayout'
import { consoleRunCommands, consoleWriteFiles } from './guestConsole'
import { unitFile } from './systemdUnit'
import { GUEST_RUN_SERVICE, GUEST_SERVICE_EXITED, GUEST_WAIT_FOR_ROUTE, runServiceScript, serviceExitedScript, waitForRouteScript } from './guestServiceScripts'

/** Checked network and identity settings for one guest. */
export interface CidataConfig {
  instanceId: string
  /** Lower-case `aa:bb:cc:dd:ee:ff`. */
  mac: string
  address: string
  prefix: number
  gateway: string
  dns: string[]
  /** Install Docker at first boot (package update + docker.io), as the reference always does. */
  docker: boolean
  /** Seconds the service gets after SIGINT before the rest of its processes are killed. */
  graceSeconds: number
  /** A guest without vsock: the relay from the bridge socket in the guest to the bridge's port on the gateway. */
  bridgeRelay?: BridgeRelay
}

export interface BridgeRelay {
  address: string
  port: number
}

/** What the user-data depends on. */
export type UserDataOptions = Pick<CidataConfig, 'docker' | 'graceSeconds' | 'bridgeRelay'>

const RELAY_UNIT = 'bpvm-bridge-relay.service'

// cloud-init reads YAML 1.1, where an unquoted MAC is a base-60 number and `on` is true:
// writing as 1.1 makes the library quote every such string.
const toYaml = (value: unknown): string => stringify(value, { version: '1.1', lineWidth: 0 })

export function metaData(config: CidataConfig): string {
  // cloud-init ignores keys it does not know; the dev guest's init starts its relay from this one.
  return toYaml({ 'instance-id': config.instanceId, ...(config.bridgeRelay ? { [RELAY_META_KEY]: `${config.bridgeRelay.address}:${config.bridgeRelay.port}` } : {}) })
}

/** Netplan-style v2 config: the NIC is found by MAC, so its kernel name does not matter. */
export function networkConfig(config: CidataConfig): string {
  return toYaml({
    version: 2,
    ethernets: {
      primary: {
        match: { macaddress: config.mac },
        dhcp4: false,
        dhcp6: false,
        addresses: [`${config.address}/${config.prefix}`],
        // `0.0.0.0/0`, not `default`: cloud-init before 23.1 (Debian 12 has 22.4) fails its whole network stage on the latter.
        routes: [{ to: '0.0.0.0/0', via: config.gateway }],
        nameservers: { addresses: config.dns }
      }
    }
  })
}

/**
 * The systemd unit that runs the service once both disks are mounted and the NIC has its
 * route (the service talks to its chain at once), and after Docker when the launch asked for it.
 * After logind too: it is what turns the power button into a shutdown, and a press before it
 * listens is lost, so a service reported started can always be stopped gracefully.
 */
export function launchUnit(options: UserDataOptions): string {
  return unitFile({
    Unit: [
      ['Description', 'Blueprint service'],
      ['After', ['srv.mount', 'mnt-data.mount', 'network.target', 'systemd-logind.service', ...(options.docker ? ['docker.service'] : []), ...(options.bridgeRelay ? [RELAY_UNIT] : [])].join(' ')],
      ...(options.bridgeRelay ? [['Wants', RELAY_UNIT] as [string, string]] : [])
    ],
    Service: [
      ['Type', 'simple'],
      // Through sh, so the scripts run even if the FAT mount ever drops the exec bit. The
      // wrapper prints the start marker for the host, then becomes /srv/launch.
      ['ExecStartPre', `/bin/sh ${GUEST_WAIT_FOR_ROUTE}`],
      ['ExecStart', `/bin/sh ${GUEST_RUN_SERVICE}`],
      ['ExecStopPost', `/bin/sh ${GUEST_SERVICE_EXITED}`],
      ['Restart', 'no'],
      // The power button stops the unit; SIGINT lets the service (and every process it started)
      // shut down cleanly, and whatever is left after the grace period is killed: a child that
      // ignores SIGINT (as a shell's background jobs do) must not hold the shutdown for 90 s.
      ['KillSignal', 'SIGINT'],
      ['TimeoutStopSec', String(Math.max(1, options.graceSeconds))],
      // Also to the serial console, which is the host's window into the guest.
      ['StandardOutput', 'journal+console'],
      ['StandardError', 'journal+console']
    ],
    Install: [['WantedBy', 'multi-user.target']]
  })
}

/**
 * The guest's end of the bridge relay: socat listens on the bridge socket (BRIDGE_SOCKET_PATH)
 * and joins each connection to the bridge's TCP port on the gateway, which accepts this guest
 * only. The unit counts as started once the socket exists, so the service never dials too soon.
 */
export function bridgeRelayUnit(relay: BridgeRelay): string {
  const socket = GUEST_BRIDGE_SOCKET
  return unitFile({
    Unit: [
      ['Description', 'bpvm: relay to the manager bridge'],
      ['After', 'network.target']
    ],
    Service: [
      ['Type', 'simple'],
      ['ExecStartPre', `/bin/mkdir -p -m 0700 ${dirname(socket)}`],
      ['ExecStart', `/usr/bin/socat UNIX-LISTEN:${socket},fork,unlink-early,mode=0600 TCP:${relay.address}:${relay.port}`],
      ['ExecStartPost', `/bin/sh -c 'i=0; while [ ! -S ${socket} ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done'`],
      ['Restart', 'always'],
      ['RestartSec', '1']
    ],
    Install: [['WantedBy', 'multi-user.target']]
  })
}

/**
 * The #cloud-config: the data disk partitioned and formatted once (never over what is there),
 * both disks mounted by label, the unit and its two scripts written, and the unit started.
 * Docker (a package update and docker.io, minutes with a network) only when asked for.
 */
export function userData(options: UserDataOptions): string {
  return `#cloud-config\n${toYaml(userDataConfig(options))}`
}


function userDataConfig(options: UserDataOptions): Record<string, unknown> {
  // socat is in bpvm's Debian image; other images install it at first boot (that needs a network).
  const packages = [...(options.docker ? ['docker.io'] : []), ...(options.bridgeRelay ? ['socat'] : [])]
  const dataPartition = `${GUEST_DATA_DEVICE}1`
  return {
    // One Linux partition over the whole disk. `layout: true` means the same, but cloud-init
    // before 23.1 turns it into a start sector 0 that sfdisk refuses, leaving the disk empty.
    disk_setup: { [GUEST_DATA_DEVICE]: { table_type: 'mbr', layout: [[100, 83]], overwrite: false } },
    fs_setup: [{ label: DATA_DISK_LABEL, filesystem: 'ext4', device: dataPartition, overwrite: false }],
    mounts: [
      [`LABEL=${SERVICE_DISK_LABEL}`, GUEST_SERVICE_MOUNT, 'vfat', 'ro,defaults,nofail', '0', '0'],
      [`LABEL=${DATA_DISK_LABEL}`, GUEST_DATA_MOUNT, 'ext4', 'defaults,nofail,discard', '0', '2']
    ],
    write_files: [
      { path: '/etc/systemd/system/launch.service', permissions: '0644', content: launchUnit(options) },
      { path: GUEST_RUN_SERVICE, permissions: '0755', content: runServiceScript() },
      { path: GUEST_SERVICE_EXITED, permissions: '0755', content: serviceExitedScript() },
      { path: GUEST_WAIT_FOR_ROUTE, permissions: '0755', content: waitForRouteScript() },
      ...consoleWriteFiles(),
      ...(options.bridgeRelay ? [{ path: `/etc/systemd/system/${RELAY_UNIT}`, permissions: '0644', content: bridgeRelayUnit(options.bridgeRelay) }] : []),
      // Docker's images and volumes live on the data disk, not the root image.
      ...(options.docker ? [{ path: '/etc/docker/daemon.json', permissions: '0644', content: `${JSON.stringify({ 'data-root': `${GUEST_DATA_MOUNT}/docker` }, null, 2)}\n` }] : [])
    ],
    ...(packages.length > 0 ? { packages } : {}),
    ...(options.docker ? { package_update: true } : {}),
    runcmd: [
      ['systemctl', 'daemon-reload'],
      ...consoleRunCommands(),
      ['systemctl', 'enable', '--now', 'launch.service']
    ]
  }
}
