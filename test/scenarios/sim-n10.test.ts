import { describe } from 'vitest'
import { sweep } from './sweep.ts'

describe('simulation, 10 validators', () => sweep(10, 3, 10000))
