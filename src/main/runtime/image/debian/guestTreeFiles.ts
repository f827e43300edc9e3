import { waitForRouteScript } from '../../disk/guestServiceScripts'
import { writeTreeFile, writeTreeLink } from './treeWriter'

/**
 * What bpvm adds to the Debian tree after the packages are installed, so the guest boots
 * quickly with bpvm's CIDATA disk and does what the reference expects of a cloud image.
 */

export const ROOT_FS_LABEL = 'bpvm-root'

export interface TreeFile {
  path: string
  /** A file's content, or a link's target. */
  content: string
  link?: true
  /** A file's mode; default 644. */
  mode?: number
}

const SYSTEMD = 'etc/systemd/system'
const LIB_SYSTEMD = '/lib/systemd/system'

// Nothing to do in a short-lived VM, and each costs boot time under software emulation.
const MASKED_UNITS = [
  'apt-daily.timer', 'apt-daily-upgrade.timer', 'dpkg-db-backup.timer', 'e2scrub_all.timer', 'e2scrub_reap.service',
  'fstrim.timer', 'getty@tty1.service', 'systemd-pstore.service'
]

/**
 * cloud-init looks only for bpvm's NoCloud disk (probing for a dozen clouds costs seconds and
 * can hang on a metadata address), and runs only modules that have something to do here: the
 * guest has no SSH server, locales, snap or default user, and those modules only warn or fail,
 * which would hide a real failure among them.
 */
const CLOUD_CFG = `datasource_list: [ NoCloud, None ]
cloud_init_modules: [ migrator, seed_random, bootcmd, write-files, growpart, resizefs, disk_setup, mounts, set_hostname, update_hostname, update_etc_hosts, ca-certs ]
cloud_config_modules: [ apt-pipelining, apt-configure, ntp, timezone, runcmd ]
cloud_final_modules: [ package-update-upgrade-install, write-files-deferred, scripts-vendor, scripts-per-once, scripts-per-boot, scripts-per-instance, scripts-user, install-hotplug, phone-home, final-message, power-state-change ]
`

const enable = (target: string, unit: string): TreeFile => ({ path: `${SYSTEMD}/${target}.wants/${unit}`, content: `${LIB_SYSTEMD}/${unit}`, link: true })

export function guestTreeFiles(): TreeFile[] {
  return [
    { path: 'etc/fstab', content: `LABEL=${ROOT_FS_LABEL} / ext4 defaults,errors=remount-ro 0 1\n` },
    { path: 'etc/hostname', content: 'bpvm\n' },
    { path: 'etc/hosts', content: '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' },
    // The host's resolver settings must not leak into the image; the guest's come from its network-config.
    { path: 'etc/resolv.conf', content: '../run/systemd/resolve/stub-resolv.conf', link: true },
    { path: 'etc/cloud/cloud.cfg.d/90-bpvm.cfg', content: CLOUD_CFG },
    // networkd renders what cloud-init writes for the NIC; resolved takes its DNS servers.
    enable('multi-user.target', 'systemd-networkd.service'),
    enable('sockets.target', 'systemd-networkd.socket'),
    enable('network-online.target', 'systemd-networkd-wait-online.service'),
    enable('multi-user.target', 'systemd-resolved.service'),
    { path: `${SYSTEMD}/dbus-org.freedesktop.network1.service`, content: `${LIB_SYSTEMD}/systemd-networkd.service`, link: true },
    { path: `${SYSTEMD}/dbus-org.freedesktop.resolve1.service`, content: `${LIB_SYSTEMD}/systemd-resolved.service`, link: true },
    // Online means: the NIC has its default IPv4 route. networkd's own wait also waits out IPv6
    // router solicitations on a network that has no router (about 12 s under emulation), and
    // cloud-init 22.4 cannot turn those off for a static address.
    { path: 'usr/local/lib/bpvm/wait-online', content: waitForRouteScript(), mode: 0o755 },
    {
      path: `${SYSTEMD}/systemd-networkd-wait-online.service.d/bpvm.conf`,
      content: '[Service]\nExecStart=\nExecStart=/bin/sh /usr/local/lib/bpvm/wait-online\n'
    },
    // A guest has no use for nested virtualisation, and loading these costs seconds under TCG.
    { path: 'etc/modprobe.d/bpvm.conf', content: 'blacklist kvm\nblacklist kvm_amd\nblacklist kvm_intel\n' },
    ...MASKED_UNITS.map((unit): TreeFile => ({ path: `${SYSTEMD}/${unit}`, content: '/dev/null', link: true }))
  ]
}

export async function writeGuestTreeFiles(tree: string, files: readonly TreeFile[] = guestTreeFiles()): Promise<void> {
  for (const file of files) {
    if (file.link) await writeTreeLink(tree, file.path, file.content)
    else await writeTreeFile(tree, file.path, file.content, file.mode)
  }
}
