/**
 * Guest images with a terminal's detail: each build or pull reports its own progress (download
 * bytes, mmdebstrap phases) and its full result, and stops on a signal. The API's `images:*`
 * channels run the same builds as tasks for the app.
 */
export { buildDevGuest } from '../../main/runtime/image/devGuest/buildDevGuest'
export { buildDebianImage } from '../../main/runtime/image/debian/buildDebianImage'
export { pullUbuntu } from '../../main/runtime/image/ubuntuImage'
export { listImages } from '../../main/runtime/image/imageCatalog'
export { removeImageIfUnused } from '../../main/runtime/instance/imageUsers'
