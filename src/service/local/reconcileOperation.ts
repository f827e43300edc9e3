/**
 * `bpvm reconcile`: brings records and the host in line at once, whatever the reconcile policy
 * (the app's service does the same on its own watch; see ../reconcilePolicy.ts).
 */
export { reconcile } from '../../main/runtime/instance/reconcile'
