// What /healthz says about a node that is behind (issue 11, defect 10: a node behind by
// fewer than 8 certified heights, or behind what its peers committed while knowing no
// certified block above its head, reported "ok").
import { describe, expect, it } from 'vitest'
import { ValidatorBackend } from '../../node/runtime/backend.ts'
import type { ValidatorNode } from '../../node/runtime/validator-node.ts'
import { testNet } from '../support/chain-builder.ts'

interface NodeState {
  readonly height: number
  readonly certifiedHeight: number
  readonly syncLagHeights: number
  readonly running?: boolean
  readonly stopping?: boolean
}

/** The parts of a ValidatorNode that health reads. */
function nodeIn(state: NodeState): ValidatorNode {
  const { genesis } = testNet(4, 'health-test')
  return {
    genesis, running: state.running ?? true, stopping: state.stopping ?? false, head: { height: state.height, logSize: state.height * 2 },
    certifiedHeight: state.certifiedHeight, syncLagHeights: state.syncLagHeights, round: 9, peers: [0, 1, 2], mempoolSize: 0,
    onEvent: () => () => {},
  } as unknown as ValidatorNode
}

describe('node health', () => {
  it('regression: health lies — a node behind what a quorum committed reports syncing with its lag in heights', () => {
    const behind = new ValidatorBackend(nodeIn({ height: 10, certifiedHeight: 11, syncLagHeights: 3 })).health()
    expect(behind).toMatchObject({ status: 'syncing', height: 10, lagHeights: 3 })
  })

  it('reports ok when caught up, syncing far below the certified height, stopping when stopping', () => {
    expect(new ValidatorBackend(nodeIn({ height: 10, certifiedHeight: 11, syncLagHeights: 0 })).health()).toMatchObject({ status: 'ok', lagHeights: 0 })
    expect(new ValidatorBackend(nodeIn({ height: 10, certifiedHeight: 30, syncLagHeights: 0 })).health()).toMatchObject({ status: 'syncing' })
    expect(new ValidatorBackend(nodeIn({ height: 10, certifiedHeight: 11, syncLagHeights: 0, running: false })).health()).toMatchObject({ status: 'syncing' })
    expect(new ValidatorBackend(nodeIn({ height: 10, certifiedHeight: 11, syncLagHeights: 2, stopping: true })).health()).toMatchObject({ status: 'stopping' })
  })
})
