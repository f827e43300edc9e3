import { contextBridge, ipcRenderer } from 'electron'
import { hostChannels, type HostApi } from '../shared/api/host'

// One function per operation; ipcRenderer itself never crosses the bridge, so the page
// cannot reach channels we did not choose to expose.
const host: HostApi = {
  doctor: () => ipcRenderer.invoke(hostChannels.doctor)
}

contextBridge.exposeInMainWorld('bpvm', { host })
