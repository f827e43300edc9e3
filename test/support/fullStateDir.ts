/**
 * A shell script for `sh -c SCRIPT STATE PREPARED LISTING COMMAND…`: in a mount namespace of its
 * own (run it under `unshare -m`), a 1 MiB tmpfs over the state dir, holding a copy of the state
 * prepared in PREPARED and filled up to the last byte; then the command; then what is left there,
 * listed into LISTING, before the namespace and the tmpfs go.
 */
export const FULL_STATE_DIR = [
  'mount -t tmpfs -o size=1M tmpfs "$0" || exit 1',
  'cp -a "$1"/. "$0"/ || exit 1',
  'head -c 2M /dev/zero > "$0/filler" 2>/dev/null',
  'listing=$2; shift 2; "$@"; status=$?',
  'find "$0" ! -type d ! -name filler > "$listing"; exit $status'
].join('; ')
