/**
 * Where things live inside the guest. The service disk, the cloud-init user-data and the
 * service's environment must agree on these, so they are named once here.
 */
export const SERVICE_DISK_LABEL = 'SERVICEDISK'
export const CIDATA_LABEL = 'CIDATA'
export const DATA_DISK_LABEL = 'DATADISK'

/** The service disk is mounted read-only here. */
export const GUEST_SERVICE_MOUNT = '/srv'
/** The data disk (ext4 on the qcow2) is mounted here. */
export const GUEST_DATA_MOUNT = '/mnt/data'

export const GUEST_SERVICE_BINARY = `${GUEST_SERVICE_MOUNT}/service`
export const GUEST_LAUNCH_SCRIPT = `${GUEST_SERVICE_MOUNT}/launch`
export const GUEST_KEYSTORE_DIR = `${GUEST_SERVICE_MOUNT}/keystore`

/** The data disk is the third disk the VM is given (root, cloud-init, data, service). */
export const GUEST_DATA_DEVICE = '/dev/vdc'

/**
 * Where a guest without vsock finds its manager's bridge: a Unix socket the guest's relay
 * listens on (BRIDGE_SOCKET_PATH), joined to the bridge's TCP port on the gateway.
 */
export const GUEST_BRIDGE_SOCKET = '/run/bpvm/bridge.sock'
/** The meta-data key that tells the dev guest's init where the bridge's relay port is (`address:port`). */
export const RELAY_META_KEY = 'bpvm-bridge-relay'
