import { API } from '../../shared/api'
import { runDoctor } from '../runtime/host/doctor'
import { checkRpcEndpoints } from '../runtime/instance/rpcPreflight'
import { HOST_NET } from '../runtime/net/netContext'
import { handle, type HandlerEntry } from './channelHandler'
import { hostInterfaces } from './hostInterfaces'

export function hostHandlers(): HandlerEntry[] {
  return [
    handle(API.host.doctor, () => runDoctor()),
    handle(API.host.interfaces, () => hostInterfaces(HOST_NET)),
    handle(API.host.checkRpc, (request) => checkRpcEndpoints(request))
  ]
}
