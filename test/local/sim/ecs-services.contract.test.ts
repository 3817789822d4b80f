/**
 * The `Services` contract (`services-contract.ts`) on the simulated cluster, with ECS's rate limits
 * on: 3 instances with room for 4 tasks each. `waitFor` moves the virtual clock a second at a time
 * (tasks are up 2 s after placement and healthy 1 s later, so every step settles within 10 s).
 */
import { describe } from 'vitest';
import { servicesContract } from './services-contract';
import { testBed } from './helpers';

describe('the simulated cluster', () => {
  servicesContract('simulated cluster', async () => {
    const { clock, world } = testBed();
    world.addInstances({ count: 3 });
    return {
      services: world,
      cluster: 'default',
      revisions: ['web:1', 'web:2'],
      async waitFor(check, what) {
        for (let second = 0; second <= 10; second++) {
          if (await check()) return;
          clock.advance(1000);
        }
        throw new Error(`ECS did not get there in 10 s: ${what}`);
      },
    };
  });
});
