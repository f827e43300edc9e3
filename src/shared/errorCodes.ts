/**
 * Every error code bpvm gives, across every boundary (the API, the CLI's `--json`, the worker).
 * Codes are stable: clients match on them, never on messages. The runtime can only throw a code
 * listed here (BpvmError takes an ErrorCode), and the renderer and the tests import them.
 */
const CODES = [
  // The API and its transports: the call itself went wrong, nothing ran.
  'INVALID_ARGUMENT', 'UNKNOWN_CHANNEL', 'FORBIDDEN_SENDER', 'BACKEND_RESTARTED', 'BACKEND_UNAVAILABLE', 'TOO_MANY_CALLS', 'IPC_FAILED', 'INTERNAL', 'USAGE',
  // Input that fails validation (the field is in details.field).
  'INVALID_INPUT', 'INVALID_NAME',
  // Instances and their lifecycle.
  'INSTANCE_EXISTS', 'INSTANCE_NOT_FOUND', 'CANCELLED', 'DETACHED', 'RPC_UNREACHABLE', 'GUEST_SILENT', 'SERIAL_NOT_FILE', 'SERIAL_TIMEOUT', 'VM_STOPPED',
  'NO_SAVED_LAUNCH', 'BINARY_INCOMPLETE', 'CONSOLE_UNAVAILABLE', 'CONSOLE_NOT_FOUND',
  // Tasks and log subscriptions.
  'TASK_NOT_FOUND', 'TASK_NOT_CANCELLABLE', 'SUBSCRIPTION_NOT_FOUND', 'TOO_MANY_SUBSCRIPTIONS',
  // State files and locks.
  'STATE_CORRUPT', 'STATE_NOT_A_FILE', 'DISK_FULL', 'LOCK_TIMEOUT', 'IO_ERROR',
  // Host networking.
  'NET_ADMIN_REQUIRED', 'IP_FORWARDING_DISABLED', 'EGRESS_NOT_FOUND', 'POOL_EXHAUSTED', 'LEASE_EXISTS', 'LINK_EXISTS', 'LINK_TIMEOUT', 'TAP_MISSING', 'IP_FAILED', 'NFT_FAILED', 'PORT_IN_USE',
  // VMMs: QEMU (QMP) and cloud-hypervisor (its REST API).
  'VMM_EXITED', 'VMM_SPAWN_FAILED', 'VMM_START_TIMEOUT', 'KVM_UNAVAILABLE', 'SOCKET_IN_USE', 'SOCKET_PATH_TAKEN', 'SOCKET_PATH_TOO_LONG',
  'QMP_CLOSED', 'QMP_CONNECT_FAILED', 'QMP_ERROR', 'QMP_TIMEOUT', 'CH_API_BAD_ANSWER', 'CH_API_ERROR', 'CH_API_TIMEOUT', 'CH_API_UNREACHABLE',
  // The manager bridge.
  'BRIDGE_LISTENER_FAILED',
  // Images: downloads, the Debian and dev guest builds, the cache.
  'IMAGE_NOT_FOUND', 'IMAGE_INVALID', 'IMAGE_IN_USE', 'IMAGE_BUILD_FAILED', 'DOWNLOAD_FAILED', 'CHECKSUM_MISMATCH', 'CHECKSUM_NOT_LISTED', 'SHA256SUMS_INVALID',
  'MIRROR_INVALID', 'MIRROR_UNREACHABLE', 'NO_DEBIAN_MIRROR', 'SUITE_NOT_FOUND', 'PACKAGE_NOT_FOUND', 'KERNEL_PACKAGE_INVALID', 'MODULE_INDEX_INVALID', 'MODULE_NOT_FOUND',
  'APT_FAILED', 'DPKG_FAILED', 'DEPMOD_FAILED', 'MMDEBSTRAP_FAILED', 'MKE2FS_FAILED', 'LOADER_FAILED',
  // Disks: the FAT writer and its sources, qemu-img, output files.
  'SOURCE_NOT_FOUND', 'SOURCE_CHANGED', 'SOURCE_TOO_LARGE', 'DIRECTORY_TOO_LARGE', 'VOLUME_TOO_LARGE', 'PATH_TOO_DEEP', 'PATH_REFUSED', 'SYMLINK_REFUSED', 'HARDLINK_REFUSED',
  'OUTPUT_EXISTS', 'OUTPUT_NOT_WRITABLE', 'OPEN_FAILED', 'QEMU_IMG_FAILED',
  // The host and its programs.
  'PROGRAM_NOT_FOUND', 'NEEDS_ROOT', 'UNSUPPORTED_HOST', 'HOST_UNAVAILABLE',
  // `bpvm serve`.
  'UI_NOT_BUILT', 'REMOTE_NOT_ALLOWED'
] as const

export type ErrorCode = (typeof CODES)[number]

/** Each code by its own name: `ERROR_CODES.INSTANCE_NOT_FOUND`. */
export const ERROR_CODES = Object.freeze(Object.fromEntries(CODES.map((code) => [code, code]))) as { readonly [C in ErrorCode]: C }

export const ALL_ERROR_CODES: readonly ErrorCode[] = CODES

export const isErrorCode = (value: unknown): value is ErrorCode => typeof value === 'string' && (CODES as readonly string[]).includes(value)
