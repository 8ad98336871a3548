import { describe } from 'vitest'
import { sweep } from './sweep.ts'

describe('simulation, 7 validators', () => sweep(7, 5, 7000))
