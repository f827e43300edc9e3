import { instancePaths } from '../../main/runtime/instance/instanceRecord'
import { viewConsole, type ConsoleViewer, type ConsoleViewing } from '../../main/runtime/console/consoleClient'
import { requireInstance } from '../instanceSummaries'

/** `bpvm console NAME`: this terminal as one more viewer of the instance's console. */
export async function attachConsole(name: string, viewing: ConsoleViewing): Promise<ConsoleViewer> {
  await requireInstance(name)
  return viewConsole(instancePaths(name).consoleHubSocket, name, viewing)
}
