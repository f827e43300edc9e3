import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { appDirs } from '../../appDirs'
import { buildDebianImage, debianImage, debianImagesDir, type BuildDebianOptions, type DebianImage } from './buildDebianImage'
import { bpvmPartsDigest, readDebianManifest } from './debianManifest'

/**
 * The newest finished Debian build in the cache, whatever its suite, mirror or packages, or
 * undefined; only builds with this bpvm's own parts count (another version's may lack them).
 */
export async function newestDebianImage(cacheDir: string = appDirs().cache): Promise<DebianImage | undefined> {
  const started = performance.now()
  const root = debianImagesDir(cacheDir)
  const ours = bpvmPartsDigest()
  let newest: DebianImage | undefined
  for (const entry of await readdir(root).catch(() => [] as string[])) {
    if (entry.startsWith('.')) continue
    const dir = join(root, entry)
    const manifest = await readDebianManifest(dir)
    if (manifest?.bpvmParts === ours && (!newest || manifest.builtAt > newest.manifest.builtAt)) newest = debianImage(dir, manifest, true, started)
  }
  return newest
}

/**
 * What `--image debian` boots: the newest build in the cache, so a launch needs no network
 * once an image is built (`bpvm image build-debian` brings it up to date); the first launch
 * builds one from the defaults.
 */
export async function debianImageForLaunch(options: Pick<BuildDebianOptions, 'onProgress' | 'signal' | 'cacheDir'> = {}): Promise<DebianImage> {
  return (await newestDebianImage(options.cacheDir)) ?? buildDebianImage(options)
}
