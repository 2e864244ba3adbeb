import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Child-process, real-network and crypto tests are slow on a shared 2-core box.
    testTimeout: 60_000,
    // Hooks start several real nodes (a dozen CLI processes): about 20 s idle,
    // but over 5 minutes were seen with the 2 cores shared by other suites.
    // A limit is room for a loaded machine, not a speed target.
    hookTimeout: 420_000,
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
  },
});
