// The root-disk half of `npm run bench:launch` alone: needs neither root nor QEMU.
import { WARM_ROUNDS } from './benchRounds'
import { prepareRootDisks, removeRootDisks, rootDiskReport, rootDiskRound, type RootDiskRound } from './rootDiskRounds'

try {
  console.log(await prepareRootDisks())
  const rounds: RootDiskRound[] = []
  for (let round = 0; round <= WARM_ROUNDS; round += 1) rounds.push(await rootDiskRound())
  console.log(`\n${rootDiskReport(rounds)}`)
} finally {
  await removeRootDisks()
}
