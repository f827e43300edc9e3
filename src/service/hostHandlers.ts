import { API } from '../shared/api'
import { runDoctor } from '../main/runtime/host/doctor'
import { checkRpcEndpoints } from '../main/runtime/instance/rpcPreflight'
import { HOST_NET } from '../main/runtime/net/netContext'
import { handle, type HandlerEntry } from './channelHandler'
import { hostInterfaces } from './hostInterfaces'

export function hostHandlers(): HandlerEntry[] {
  return [
    handle(API.host.doctor, () => runDoctor()),
    handle(API.host.interfaces, () => hostInterfaces(HOST_NET)),
    handle(API.host.checkRpc, (request) => checkRpcEndpoints(request))
  ]
}
