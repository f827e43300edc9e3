/** The runtime's public surface, for hosts that load the built bundle (benchmarks, later the headless server). */
export { buildFatImage } from './disk/fat/buildFatImage'
export { buildServiceDisk } from './disk/serviceDisk'
