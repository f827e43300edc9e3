import { readFileSync } from 'node:fs'
import { Ajv, type ValidateFunction } from 'ajv'
import { parse } from 'yaml'

/**
 * cloud-hypervisor's OpenAPI contract, checked with ajv against every request the fake VMM gets.
 * Stricter than the server on purpose: it ignores unknown fields, so a misspelled one would
 * silently change nothing; here an unknown field is a violation. Where the yaml and the server's
 * code disagree (cloud-hypervisor-notes.md), the code wins: see `applyCodeDrift`.
 */

interface MediaType {
  schema?: object
}
interface Operation {
  requestBody?: { required?: boolean; content?: Record<string, MediaType> }
  responses?: Record<string, { content?: Record<string, MediaType> }>
}
type Spec = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Record<string, unknown>> } }

const INTEGER_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]
}

export class Contract {
  private readonly ajv = new Ajv({ allErrors: true, strict: false })
  private readonly validators = new Map<string, ValidateFunction>()

  private constructor(private readonly spec: Spec) {
    for (const [name, [min, max]] of Object.entries(INTEGER_RANGES)) {
      this.ajv.addFormat(name, { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= min && n <= max })
    }
    const schemas = structuredClone(spec.components.schemas)
    closeObjects(schemas)
    applyCodeDrift(schemas)
    // The spec's `$ref: "#/components/schemas/X"` resolve inside this one document.
    this.ajv.addSchema({ $id: 'ch', components: { schemas } })
  }

  static load(path: string): Contract {
    return new Contract(parse(readFileSync(path, 'utf8')) as Spec)
  }

  /** The operation for `method /api/v1/<endpoint>`, or undefined when the contract has none. */
  operation(method: string, endpoint: string): Operation | undefined {
    return this.spec.paths[`/${endpoint}`]?.[method.toLowerCase()]
  }

  /** Everything wrong with a request, by the contract; [] when it conforms. */
  checkRequest(method: string, endpoint: string, body: string | undefined): string[] {
    const op = this.operation(method, endpoint)
    if (!op) return [`${method} /api/v1/${endpoint} is not in the contract`]
    const schema = op.requestBody?.content?.['application/json']?.schema
    if (!op.requestBody) return body === undefined ? [] : [`${endpoint} takes no body, got ${body.length} bytes`]
    if (body === undefined) return op.requestBody.required ? [`${endpoint} needs a JSON body`] : []
    let json: unknown
    try {
      json = JSON.parse(body)
    } catch {
      return [`${endpoint} body is not JSON: ${body.slice(0, 80)}`]
    }
    return [...this.validate(`req ${endpoint}`, schema, json), ...codeLevelChecks(endpoint, json)]
  }

  /** Checks the fake's own answers, so its responses cannot drift from the contract either. */
  checkResponse(method: string, endpoint: string, status: number, body: string): string[] {
    if (status < 200 || status > 299) return []
    const responses = this.operation(method, endpoint)?.responses ?? {}
    // Drift: the server answers vmm.shutdown with 200 and no body; the yaml says 204.
    if (endpoint === 'vmm.shutdown' && status === 200 && body === '') return []
    if (!(String(status) in responses)) return [`${endpoint} answered ${status}, which the contract does not list`]
    const schema = responses[String(status)]?.content?.['application/json']?.schema
    return schema ? this.validate(`res ${endpoint} ${status}`, schema, JSON.parse(body)) : []
  }

  private validate(key: string, schema: object | undefined, value: unknown): string[] {
    if (!schema) return []
    let validator = this.validators.get(key)
    if (!validator) {
      validator = this.ajv.compile({ $ref: `ch#/components/schemas/${refName(schema)}` })
      this.validators.set(key, validator)
    }
    if (validator(value)) return []
    return (validator.errors ?? []).map((e) => `${key}: ${e.instancePath || '/'} ${e.message}${e.keyword === 'additionalProperties' ? ` (${JSON.stringify(e.params)})` : ''}`)
  }
}

function refName(schema: object): string {
  const ref = (schema as { $ref?: string }).$ref
  if (!ref?.startsWith('#/components/schemas/')) throw new Error(`expected a component $ref, got ${JSON.stringify(schema)}`)
  return ref.slice('#/components/schemas/'.length)
}

/** Object schemas that list their properties accept no others (see the file comment). */
function closeObjects(node: unknown): void {
  if (!node || typeof node !== 'object') return
  const schema = node as Record<string, unknown>
  if (schema.properties && schema.additionalProperties === undefined) schema.additionalProperties = false
  for (const value of Object.values(schema)) closeObjects(value)
}

/**
 * Where the server's code accepts something else than the yaml: the vsock CID is a u32, and
 * FlatVmdk is an image type. NetConfig's ip/mask defaults are stale (removed in v49): ajv is not
 * asked to apply defaults, so none are assumed.
 */
function applyCodeDrift(schemas: Record<string, Record<string, unknown>>): void {
  const props = (name: string): Record<string, Record<string, unknown>> => schemas[name]?.properties as Record<string, Record<string, unknown>>
  const cid = props('VsockConfig').cid
  if (cid) cid.maximum = 2 ** 32 - 1
  const imageType = schemas.ImageType
  if (imageType) imageType.enum = [...(imageType.enum as string[]), 'FlatVmdk']
}

/** Requests the yaml allows but the server's code cannot take (cloud-hypervisor-notes.md §5). */
function codeLevelChecks(endpoint: string, json: unknown): string[] {
  if (endpoint !== 'vm.create' || !json || typeof json !== 'object') return []
  const problems: string[] = []
  for (const key of ['serial', 'console'] as const) {
    const device = (json as Record<string, { mode?: string; file?: string; socket?: string }>)[key]
    if (device?.mode === 'File' && !device.file) problems.push(`${key}: mode File without a file panics the VMM`)
    if (device?.mode === 'Socket' && !device.socket) problems.push(`${key}: mode Socket without a socket panics the VMM`)
  }
  return problems
}
