import { z } from 'zod'
import type { ErrorInfo } from '../result'
import { channel, noRequest } from './channel'

export type TaskKind = 'launch' | 'relaunch' | 'image-pull' | 'image-build-dev' | 'image-build-debian'
export type TaskState = 'running' | 'succeeded' | 'failed' | 'cancelled'

/** A long operation (launch, image download or build), as the task tray shows it. */
export interface TaskInfo {
  id: string
  kind: TaskKind
  /** e.g. `Launch svc`, `Download Ubuntu 24.04`. */
  title: string
  /** The instance or image it works on. */
  target: string
  state: TaskState
  /** The current step (`image`, `disks`, …) and what it does. */
  step?: string
  message?: string
  /** While bytes move: so far, of how many, and the percentage when the size is known. */
  bytes?: number
  totalBytes?: number
  percent?: number
  startedAt: string
  endedAt?: string
  error?: ErrorInfo
}

export const tasksApi = {
  list: channel<undefined, TaskInfo[]>('tasks:list', noRequest),
  /** Cancels a running task; it undoes what it made. Cancelling an ended task is answered with it as it is. */
  cancel: channel<{ id: string }, TaskInfo>('tasks:cancel', z.object({ id: z.string().min(1).max(64) }).strict())
} as const
