/** The machine choices the Launch form and the Settings offer, with what each means. */
export const VMM_CHOICES = [
  { value: 'auto', label: 'Auto (cloud-hypervisor when installed)' },
  { value: 'cloud-hypervisor', label: 'cloud-hypervisor' },
  { value: 'qemu', label: 'QEMU' }
] as const

export const IMAGE_CHOICES = [
  { value: 'ubuntu', label: 'Ubuntu 24.04 cloud image' },
  { value: 'debian', label: 'Debian 12 cloud guest (built locally)' },
  { value: 'dev', label: 'Dev guest (offline, small)' }
] as const

export const ACCEL_CHOICES = [
  { value: 'auto', label: 'Auto (KVM when available)' },
  { value: 'kvm', label: 'KVM' },
  { value: 'tcg', label: 'TCG (software emulation)' }
] as const
