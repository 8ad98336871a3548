import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../node/runtime/config.ts'

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
