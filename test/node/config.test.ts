import { describe, expect, it } from 'vitest'
import { parseConfig, witnessVerifiers } from '../../node/runtime/config.ts'
import { formatVerifierKey, NOTE_SIG_COSIGNATURE_V1, NOTE_SIG_ED25519, noteKeyId } from '../../src/log/note.ts'

const base = { dataDir: 'data', keyFile: 'k.json', genesisFile: 'g.json' }

describe('node config: http.rateLimits', () => {
  it('passes known rate limits through', () => {
    const config = parseConfig({ ...base, http: { port: 8000, rateLimits: { ipRatePerSecond: 5000, agentBurst: 10, connectionsPerIpMax: 2048 } } }, '/etc/synod/node.json')
    expect(config.http?.rateLimits).toEqual({ ipRatePerSecond: 5000, agentBurst: 10, connectionsPerIpMax: 2048 })
  })

  it('has none by default', () => {
    expect(parseConfig({ ...base, http: { port: 8000 } }, '/x/node.json').http?.rateLimits).toBeUndefined()
  })

  it('refuses unknown fields and values out of range, naming the field', () => {
    expect(() => parseConfig({ ...base, http: { port: 1, rateLimits: { streamsMax: 5 } } }, '/x/node.json')).toThrow(/http\.rateLimits\.streamsMax/)
    expect(() => parseConfig({ ...base, http: { port: 1, rateLimits: { ipBurst: 0 } } }, '/x/node.json')).toThrow(/http\.rateLimits\.ipBurst/)
    expect(() => parseConfig({ ...base, http: { port: 1, rateLimits: { ipBurst: 1.5 } } }, '/x/node.json')).toThrow(/http\.rateLimits\.ipBurst/)
    expect(() => parseConfig({ ...base, http: { port: 1, rateLimits: [] } }, '/x/node.json')).toThrow(/http\.rateLimits/)
  })
})

describe('node config: http.witnesses', () => {
  const key = new Uint8Array(32).fill(7)
  const witness = formatVerifierKey('witness.example/w1', NOTE_SIG_COSIGNATURE_V1, key)

  it('takes cosignature/v1 verifier keys and turns them into witness verifiers', () => {
    const config = parseConfig({ ...base, http: { port: 8000, witnesses: [witness] } }, '/x/node.json')
    expect(config.http?.witnesses).toEqual([witness])
    const [v] = witnessVerifiers(config.http!.witnesses!)
    expect(v).toMatchObject({ name: 'witness.example/w1', keyId: noteKeyId('witness.example/w1', NOTE_SIG_COSIGNATURE_V1, key) })
  })

  it('refuses a key of another type, a mangled key and a non-list, naming the field', () => {
    const ed25519 = formatVerifierKey('witness.example/w1', NOTE_SIG_ED25519, key)
    expect(() => parseConfig({ ...base, http: { port: 1, witnesses: [ed25519] } }, '/x/node.json')).toThrow(/http\.witnesses\[0\].*type 04/)
    expect(() => parseConfig({ ...base, http: { port: 1, witnesses: [witness.replace('+', '+0')] } }, '/x/node.json')).toThrow(/http\.witnesses\[0\]/)
    expect(() => parseConfig({ ...base, http: { port: 1, witnesses: witness } }, '/x/node.json')).toThrow(/http\.witnesses/)
  })
})

describe('node config: reconfigurations', () => {
  it('is refuse by default and takes switch', () => {
    expect(parseConfig(base, '/x/node.json').reconfigurations).toBe('refuse')
    expect(parseConfig({ ...base, reconfigurations: 'switch' }, '/x/node.json').reconfigurations).toBe('switch')
  })

  it('refuses another mode, naming the field and the modes', () => {
    expect(() => parseConfig({ ...base, reconfigurations: 'halt-at-boundary' }, '/x/node.json')).toThrow(/'reconfigurations' must be one of refuse, switch/)
    expect(() => parseConfig({ ...base, reconfigurations: true }, '/x/node.json')).toThrow(/'reconfigurations'/)
  })
})
