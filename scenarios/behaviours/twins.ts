// twins (after Twins, Bano et al. 2020): two replicas share one identity and key, each
// with its own state, both active. The simulator runs both instances and links copy 0
// to one half of the other validators and copy 1 to the other half, so each half sees a
// self-consistent but different validator: equivocation and double votes that come
// from honest code.
import { Honest, type Behaviour } from './types.ts'

export const twins: Behaviour = { name: 'twins', twins: true, description: 'two honest instances share one key and identity (who hears which is set by partitions)', create: (ctx) => new Honest(ctx.honest()) }
