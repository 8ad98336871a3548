import { describe } from 'vitest'
import { sweep } from './sweep.ts'

describe('simulation, 4 validators', () => sweep(4, 12, 4000))
